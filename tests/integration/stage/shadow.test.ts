// Staged writes without overlayfs (src/stage/shadow.ts): the shadow the landlock backend's
// jail works in, and its differences from the project turned into an overlay-style upper
// directory that the review reads. Real files, a real jail user (sp-test) as the owner,
// real hard links, whiteouts made by sp-confine and opaque markers by setfattr.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createShadow, shadowToUpper, shadowTouched } from '../../../src/stage/shadow.js';
import { helperPath } from '../../../src/confine/helper.js';
import { findTool } from '../../../src/host/system-tools.js';
import { fixtureUser } from '../../support/cli.js';

const user = fixtureUser('sp-test');

function project(): { root: string; proj: string } {
  const root = mkdtempSync(join(tmpdir(), 'sp-shadow-'));
  chmodSync(root, 0o755); // the jail user reaches the shadow in it
  const proj = join(root, 'proj');
  const files: Record<string, string> = {
    'package.json': '{"name":"p"}\n',
    'src/a.js': 'a\n',
    'src/b.js': 'b\n',
    'node_modules/old/index.js': 'old\n',
    'node_modules/keep/index.js': 'keep\n',
    'node_modules/keep/package.json': '{"name":"keep"}\n',
    '.env': 'SECRET=1\n',
    'config/.env': 'SECRET=2\n',
    'config/app.json': '{}\n',
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.git/config': '[http] extraheader = AUTHORIZATION: basic SECRET\n',
    '.git/objects/ab/cd': 'x',
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(proj, rel, '..'), { recursive: true });
    writeFileSync(join(proj, rel), content, { mode: 0o644 });
  }
  return { root, proj };
}

const tools = () => ({ whiteout: helperPath()!, setfattr: findTool('setfattr')! });
const isWhiteout = (path: string) => {
  const st = lstatSync(path);
  return st.isCharacterDevice() && st.rdev === 0;
};

test('the shadow: write set copied, other files hard-linked when the jail user cannot write them, .git linked, hidden files absent', () => {
  const { root, proj } = project();
  try {
    const shadowDir = join(root, 'shadow');
    mkdirSync(shadowDir);
    const hidden = [join(proj, '.env'), join(proj, 'config/.env'), join(proj, '.git/config')];
    const s = createShadow({ projectDir: proj, shadowDir, cwd: proj, copied: ['node_modules', 'package.json'], fresh: [], hidden, replaced: new Map([['.npmrc', 'registry=https://r/\n']]), owner: { uid: user.uid, gid: user.gid } });
    // Hidden: not there at all.
    for (const rel of ['.env', 'config/.env', '.git/config']) assert.equal(existsSync(join(shadowDir, rel)), false, rel);
    // Root's files the jail user cannot write: the same inode, no copy.
    assert.equal(lstatSync(join(shadowDir, 'src/a.js')).ino, lstatSync(join(proj, 'src/a.js')).ino);
    // The write set: copies, owned by the jail user.
    const pj = lstatSync(join(shadowDir, 'package.json'));
    assert.notEqual(pj.ino, lstatSync(join(proj, 'package.json')).ino);
    assert.equal(pj.uid, user.uid);
    assert.notEqual(lstatSync(join(shadowDir, 'node_modules/old/index.js')).ino, lstatSync(join(proj, 'node_modules/old/index.js')).ino);
    // Directories are the jail user's (it may add and remove names anywhere, as in an overlay).
    assert.equal(lstatSync(join(shadowDir, 'src')).uid, user.uid);
    // Git's own files: links to the project, readable through a rule; its config left out.
    assert.equal(readlinkSync(join(shadowDir, '.git/HEAD')), join(proj, '.git/HEAD'));
    assert.ok(s.readable.includes(join(proj, '.git/objects')));
    assert.ok(!s.readable.some((r) => r.endsWith('.git/config')));
    assert.equal(readFileSync(join(shadowDir, '.npmrc'), 'utf8'), 'registry=https://r/\n');
    // A hard-linked file cannot be changed by the jail user: the kernel says so.
    const r = spawnSync('/bin/sh', ['-c', `echo x >> ${join(shadowDir, 'src/a.js')}`], { uid: user.uid, gid: user.gid });
    assert.notEqual(r.status, 0);
    assert.equal(readFileSync(join(proj, 'src/a.js'), 'utf8'), 'a\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('after the jail: new, changed and deleted entries become an upper directory; untouched ones do not', () => {
  const { root, proj } = project();
  try {
    const shadowDir = join(root, 'shadow');
    const upper = join(root, 'upper');
    mkdirSync(shadowDir);
    mkdirSync(upper);
    const s = createShadow({ projectDir: proj, shadowDir, cwd: proj, copied: ['node_modules', 'package.json'], fresh: [], hidden: [join(proj, '.env')], replaced: new Map(), owner: { uid: user.uid, gid: user.gid } });
    assert.equal(shadowTouched(s, 'node_modules/keep'), false);
    // What an install does, as the jail user.
    const script = [
      `mkdir -p ${shadowDir}/node_modules/new && echo new > ${shadowDir}/node_modules/new/index.js`,
      `rm -r ${shadowDir}/node_modules/old`,
      `echo '{"name":"p","dependencies":{"new":"1"}}' > ${shadowDir}/package.json`,
      `rm ${shadowDir}/src/b.js`,
      `mkdir ${shadowDir}/.github && echo evil > ${shadowDir}/.github/workflow.yml`,
    ].join(' && ');
    const r = spawnSync('/bin/sh', ['-c', script], { uid: user.uid, gid: user.gid, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(shadowTouched(s, 'node_modules/new'), true);
    assert.equal(shadowTouched(s, 'node_modules/keep'), false);

    const result = shadowToUpper(shadowDir, s.made, proj, upper, tools());
    assert.equal(readFileSync(join(upper, 'node_modules/new/index.js'), 'utf8'), 'new\n');
    assert.match(readFileSync(join(upper, 'package.json'), 'utf8'), /"new"/);
    assert.ok(isWhiteout(join(upper, 'node_modules/old')));
    assert.ok(isWhiteout(join(upper, 'src/b.js')));
    assert.ok(existsSync(join(upper, '.github/workflow.yml')), 'outside the write set it is still staged: review discards it');
    // Untouched: never in the upper directory, and the hidden file is not a deletion.
    for (const rel of ['node_modules/keep', 'src/a.js', '.env', '.git', 'config']) assert.equal(existsSync(join(upper, rel)), false, rel);
    assert.deepEqual(result, { moved: 3, deleted: 2 });
    // The project itself is untouched until commit.
    assert.equal(readFileSync(join(proj, 'src/b.js'), 'utf8'), 'b\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a fresh directory (npm ci): empty in the shadow, and in the upper directory an opaque replacement when used', () => {
  const { root, proj } = project();
  try {
    const shadowDir = join(root, 'shadow');
    const upper = join(root, 'upper');
    mkdirSync(shadowDir);
    mkdirSync(upper);
    const s = createShadow({ projectDir: proj, shadowDir, cwd: proj, copied: ['node_modules', 'package.json'], fresh: ['node_modules'], hidden: [], replaced: new Map() });
    assert.deepEqual(spawnSync('ls', ['-A', join(shadowDir, 'node_modules')], { encoding: 'utf8' }).stdout, '');
    mkdirSync(join(shadowDir, 'node_modules/fresh'));
    writeFileSync(join(shadowDir, 'node_modules/fresh/index.js'), 'f\n');
    shadowToUpper(shadowDir, s.made, proj, upper, tools());
    const attr = spawnSync('getfattr', ['-h', '--only-values', '-n', 'user.overlay.opaque', join(upper, 'node_modules')], { encoding: 'utf8' });
    assert.equal(attr.stdout, 'y');
    assert.equal(readFileSync(join(upper, 'node_modules/fresh/index.js'), 'utf8'), 'f\n');
    // Unused: nothing staged, the project keeps its own.
    const upper2 = join(root, 'upper2');
    const shadow2 = join(root, 'shadow2');
    mkdirSync(upper2);
    mkdirSync(shadow2);
    const s2 = createShadow({ projectDir: proj, shadowDir: shadow2, cwd: proj, copied: ['node_modules'], fresh: ['node_modules'], hidden: [], replaced: new Map() });
    assert.deepEqual(shadowToUpper(shadow2, s2.made, proj, upper2, tools()), { moved: 0, deleted: 0 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
