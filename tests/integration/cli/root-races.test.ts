// Root over trees the jail user owns (safe-package as root, the jail as another user):
// nothing root does there may follow a link that user planted. These tests plant links
// where root creates, changes or removes things, and check on the host that nothing
// outside was touched. (The window the old path-based code left was between a check and
// the operation; a racing loop against it hits only sometimes. The descriptor-based code
// never follows a link at all, which is what these tests assert every time.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';

const user = fixtureUser();
const cacheDir = `/var/cache/safe-package/uid-${user.uid}`;

function victim(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sp-victim-'));
  const file = join(dir, 'shadow-like');
  writeFileSync(file, 'root only\n', { mode: 0o600 });
  return { dir, file };
}

test('a link planted where root makes the npm cache directory: refused, and root chowns nothing through it', async () => {
  const v = victim();
  try {
    const cwd = makeProject(user, { '.env': 'SECRET=1\n' });
    mkdirSync(cacheDir, { recursive: true });
    chownSync(cacheDir, user.uid, user.gid);
    rmSync(join(cacheDir, 'npm'), { recursive: true, force: true });
    symlinkSync(v.dir, join(cacheDir, 'npm'));
    const r = await runCli(['-u', user.name, '--network', 'none', '--', 'npm', '--version'], { cwd });
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /is not a directory \(a symbolic link is not followed\)/);
    assert.equal(lstatSync(v.dir).uid, 0, 'the link\'s target was chowned to the jail user');
    assert.equal(lstatSync(v.file).uid, 0);
  } finally {
    rmSync(join(cacheDir, 'npm'), { force: true });
    rmSync(v.dir, { recursive: true, force: true });
  }
});

test('the jail user racing a link into the place of the empty file: root never writes through it', async () => {
  const v = victim();
  const cwd = makeProject(user, { '.env': 'SECRET=1\n' });
  mkdirSync(cacheDir, { recursive: true });
  chownSync(cacheDir, user.uid, user.gid);
  const empty = join(cacheDir, 'empty');
  // As the jail user: replace `empty` with a link to the victim, as fast as possible.
  const racer = spawn('/bin/sh', ['-c', `while :; do rm -f ${empty}; ln -s ${v.file} ${empty}; done`], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  try {
    for (let i = 0; i < 8; i++) await runCli(['-u', user.name, '--network', 'none', '-q', '--', 'true'], { cwd });
  } finally {
    racer.kill('SIGKILL');
    await new Promise((r) => racer.once('exit', r));
  }
  try {
    assert.equal(readFileSync(v.file, 'utf8'), 'root only\n', 'root truncated or wrote the file the link pointed to');
    assert.equal(lstatSync(v.file).mode & 0o777, 0o600);
  } finally {
    rmSync(empty, { force: true });
    rmSync(v.dir, { recursive: true, force: true });
  }
});
