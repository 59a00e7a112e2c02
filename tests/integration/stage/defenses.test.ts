// Attacks on copying results out (docs/attacks.md, last section), tried for real against the
// commit and the staging vault.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { CommitError, commitReview, reviewStage, secureStagingDir } from '../../../src/stage/index.js';
import { PinnedTree } from '../../../src/stage/fs-at.js';
import { makeLayout, removeLayout, runInOverlay, snapshot, SP_TEST, writeTree } from './support.js';

const npmRules = { writeGlobs: ['node_modules/**', 'package.json'], manifest: 'package.json' as const, lockfiles: [] };

test('a project directory swapped for a symlink after review cannot redirect the commit', async () => {
  const l = makeLayout('swap');
  const outside = join(l.root, 'outside');
  mkdirSync(outside);
  try {
    writeTree(l.lower, { 'node_modules/z/index.js': 'z\n', 'node_modules/b/index.js': 'b\n' });
    runInOverlay(l, "printf 'new\\n' > node_modules/z/new.js\nprintf 'b2\\n' > node_modules/b/index.js\n");
    const review = await reviewStage({ upperDir: l.upper, projectDir: l.lower, ...npmRules });
    assert.equal(review.changes.find((c) => c.path === 'node_modules/z/new.js')!.verdict, 'commit');

    // The race a local attacker would run while a root commit is under way.
    // (b/index.js sorts first, so its replacement is done, then undone.)
    renameSync(join(l.lower, 'node_modules/z'), join(l.lower, 'node_modules/z.real'));
    symlinkSync(outside, join(l.lower, 'node_modules/z'));
    const beforeCommit = snapshot(l.lower);

    await assert.rejects(
      commitReview(review, { upperDir: l.upper, projectDir: l.lower, stateDir: join(l.root, 'state') }),
      (e: unknown) => e instanceof CommitError && e.restored && /not a directory any more/.test(e.message),
    );
    assert.deepEqual(readdirSync(outside), [], 'nothing was written through the symlink');
    assert.deepEqual(snapshot(l.lower), beforeCommit, 'the project is exactly as it was (b/index.js rolled back)');
  } finally {
    removeLayout(l);
  }
});

test('writes through a pinned directory land in that directory even after its path is swapped', () => {
  const l = makeLayout('pinned');
  try {
    mkdirSync(join(l.lower, 'd'));
    mkdirSync(join(l.root, 'elsewhere'));
    const tree = new PinnedTree(l.lower);
    try {
      tree.dirFd('d');
      renameSync(join(l.lower, 'd'), join(l.lower, 'd.moved'));
      symlinkSync(join(l.root, 'elsewhere'), join(l.lower, 'd'));
      writeFileSync(tree.at('d/x'), 'pinned');
      assert.equal(readFileSync(join(l.lower, 'd.moved/x'), 'utf8'), 'pinned');
      assert.deepEqual(readdirSync(join(l.root, 'elsewhere')), []);
      // A fresh lookup refuses the symlink outright.
      tree.forget('d');
      assert.throws(() => tree.at('d/y'), /not a directory any more/);
    } finally {
      tree.close();
    }
  } finally {
    removeLayout(l);
  }
});

test("a file the user edited while the install ran is not overwritten, and the user's edit survives", async () => {
  const l = makeLayout('edited');
  try {
    writeTree(l.lower, { 'package.json': '{"name":"app","dependencies":{}}\n', 'node_modules/a/index.js': 'a\n' });
    runInOverlay(l, `printf '{"name":"app","dependencies":{"x":"1"}}\\n' > package.json\nprintf 'a2\\n' > node_modules/a/index.js\n`);
    const review = await reviewStage({ upperDir: l.upper, projectDir: l.lower, ...npmRules });
    writeFileSync(join(l.lower, 'package.json'), '{"name":"app","dependencies":{},"description":"my edit"}\n');
    const before = snapshot(l.lower);
    await assert.rejects(
      commitReview(review, { upperDir: l.upper, projectDir: l.lower, stateDir: join(l.root, 'state') }),
      /package\.json changed in the project/,
    );
    assert.deepEqual(snapshot(l.lower), before);
  } finally {
    removeLayout(l);
  }
});

test('device files are refused; a 0:0 character device is a deletion', async () => {
  const l = makeLayout('devices');
  try {
    writeTree(l.lower, { 'node_modules/old.js': 'old\n', 'node_modules/keep.js': 'keep\n' });
    mkdirSync(join(l.upper, 'node_modules'));
    const mknod = (name: string, type: string, major: string, minor: string): void => {
      const r = spawnSync('/usr/bin/mknod', [join(l.upper, 'node_modules', name), type, major, minor]);
      assert.equal(r.status, 0, String(r.stderr));
    };
    mknod('null', 'c', '1', '3');
    mknod('disk', 'b', '7', '0');
    mknod('old.js', 'c', '0', '0');
    const review = await reviewStage({ upperDir: l.upper, projectDir: l.lower, ...npmRules });
    const v = new Map(review.changes.map((c) => [c.path, c]));
    assert.match(v.get('node_modules/null')!.reason, /character device refused/);
    assert.match(v.get('node_modules/disk')!.reason, /block device refused/);
    assert.deepEqual([v.get('node_modules/old.js')!.kind, v.get('node_modules/old.js')!.verdict], ['deleted', 'commit']);
    await commitReview(review, { upperDir: l.upper, projectDir: l.lower, stateDir: join(l.root, 'state') });
    assert.deepEqual(snapshot(l.lower), ['node_modules dir 0755', 'node_modules/keep.js file 0644 nlink=1 "keep\\n"']);
  } finally {
    removeLayout(l);
  }
});

test('a hard link to a file outside the staging area is refused, not copied into the project', async () => {
  const l = makeLayout('hardlink-out');
  try {
    writeFileSync(join(l.root, 'secret'), 'top secret\n');
    mkdirSync(join(l.upper, 'node_modules'));
    spawnSync('/bin/ln', [join(l.root, 'secret'), join(l.upper, 'node_modules/stolen')]);
    const review = await reviewStage({ upperDir: l.upper, projectDir: l.lower, ...npmRules });
    assert.match(review.changes.find((c) => c.path === 'node_modules/stolen')!.reason, /outside the staging area/);
    await commitReview(review, { upperDir: l.upper, projectDir: l.lower, stateDir: join(l.root, 'state') });
    assert.deepEqual(snapshot(l.lower), ['node_modules dir 0755']);
  } finally {
    removeLayout(l);
  }
});

test('the staging directory is moved out of the jail user’s reach before review', async () => {
  const l = makeLayout('vault', SP_TEST);
  try {
    writeTree(l.lower, { 'package.json': '{}\n' }, SP_TEST);
    runInOverlay(l, "mkdir node_modules\nprintf 'x\\n' > node_modules/x.js\n", SP_TEST);
    const vault = join(l.root, 'vault');
    const secured = await secureStagingDir({ upperDir: l.upper, vaultDir: vault });
    assert.equal(existsSync(l.upper), false, 'the old path no longer leads to it');
    assert.ok(secured.upperDir.startsWith(`${vault}/`));
    const st = lstatSync(vault);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o700);
    const owners = spawnSync('find', [secured.upperDir, '-mindepth', '1', '-printf', '%U:%G\\n'], { encoding: 'utf8' }).stdout;
    assert.deepEqual(
      [...new Set(owners.trim().split('\n'))],
      [`${SP_TEST.uid}:${SP_TEST.gid}`],
      'everything staged was written by the jail user, and moving it changed no owner',
    );
    const asJailUser = spawnSync('/usr/bin/setpriv', ['--reuid', String(SP_TEST.uid), '--regid', String(SP_TEST.gid), '--clear-groups', '/bin/ls', secured.upperDir]);
    assert.notEqual(asJailUser.status, 0, 'the jail user cannot even list it');
  } finally {
    removeLayout(l);
  }
});

test('a leftover process of the jail user holding the staging directory stops the review', async () => {
  const l = makeLayout('holder', SP_TEST);
  // Started by this test and killed by its pid below.
  const holder = spawn('/usr/bin/setpriv', ['--reuid', String(SP_TEST.uid), '--regid', String(SP_TEST.gid), '--clear-groups', '/bin/sleep', '60'], {
    cwd: l.upper,
    stdio: 'ignore',
  });
  try {
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(
      secureStagingDir({ upperDir: l.upper, vaultDir: join(l.root, 'vault') }),
      (e: Error) => e.message.includes(`${holder.pid} (sleep: cwd)`) && /could change it after review/.test(e.message),
    );
  } finally {
    holder.kill('SIGKILL');
    removeLayout(l);
  }
});

test('a vault others can write to is refused', async () => {
  const l = makeLayout('badvault');
  try {
    const vault = join(l.root, 'vault');
    mkdirSync(vault);
    chmodSync(vault, 0o777);
    await assert.rejects(secureStagingDir({ upperDir: l.upper, vaultDir: vault }), /writable by others/);
    assert.ok(existsSync(l.upper), 'nothing was moved');
  } finally {
    removeLayout(l);
  }
});

test('with --network none the lockfile is still checked: a resolved URL sent to another host is not committed', async () => {
  const { fixtureUser, makeProject, runCli } = await import('../../support/cli.js');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const u = fixtureUser();
  const before = '{"lockfileVersion":3,"packages":{}}\n';
  const cwd = makeProject(u, { 'package.json': '{"name":"p","version":"1.0.0"}\n', 'package-lock.json': before });
  const evil = JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/a': { resolved: 'https://evil.example/a-1.0.0.tgz' } } });
  const r = await runCli(['--network', 'none', '--profile', 'npm', '--', 'sh', '-c', `printf '%s' '${evil}' > package-lock.json`], { cwd, user: u });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(cwd, 'package-lock.json'), 'utf8'), before);
  assert.match(r.stderr, /1 discarded/);
});

test('the project renamed away during the run and another directory put in its place: the commit refuses and writes nothing into it', async () => {
  const { fixtureUser, makeProject, runCli } = await import('../../support/cli.js');
  const { mkdtempSync, rmSync: rm } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const u = fixtureUser();
  const cwd = makeProject(u, { 'package.json': '{"name":"p","version":"1.0.0"}\n' });
  const target = mkdtempSync(join(tmpdir(), 'sp-swap-target-'));
  const { chownSync } = await import('node:fs');
  chownSync(target, u.uid, u.gid);
  chmodSync(target, 0o755);
  try {
    const run = runCli(['--network', 'none', '--profile', 'npm', '--', 'sh', '-c', 'mkdir -p node_modules/x && echo planted > node_modules/x/index.js && sleep 2'], { cwd, user: u });
    await new Promise((r) => setTimeout(r, 1000));
    // While the jail runs: the project's owner (or a process of theirs) swaps the directory.
    // (A link in its place is refused by review already; a directory passes review.)
    renameSync(cwd, `${cwd}.moved`);
    renameSync(target, cwd);
    const r = await run;
    assert.notEqual(r.status, 0, 'the run must not report success');
    assert.match(r.stderr, /not the directory the run started in/);
    assert.equal(existsSync(join(cwd, 'node_modules')), false, 'the commit wrote into the directory put in the project\'s place');
    assert.equal(existsSync(join(`${cwd}.moved`, 'node_modules')), false);
  } finally {
    rm(target, { recursive: true, force: true });
  }
});
