// Staging when safe-package's usual staging directory lies on an overlayfs, as it does in
// a container whose root file system is an overlay (docs/promises.md#p5-staged-writes):
// overlayfs refuses an upper layer there, so staging moves to a tmpfs with room to spare
// and says so, or the run is refused with a fix before anything is made. A real
// overlayfs is mounted here (as root) and the user's cache directory put inside it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';
import { fsInfo, MIN_TMPFS_FREE } from '../../../src/host/fs-type.js';

const user = fixtureUser();
let base = '';
let merged = '';

before(() => {
  base = mkdtempSync(join(tmpdir(), 'sp-ovl-root-'));
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(base, d));
  merged = join(base, 'merged');
  const m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${join(base, 'lower')},upperdir=${join(base, 'upper')},workdir=${join(base, 'work')}`, merged], { encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  chownSync(merged, user.uid, user.gid);
  spawnSync('chmod', ['755', base]);
});

after(() => {
  spawnSync('umount', [merged]);
  rmSync(base, { recursive: true, force: true });
  rmSync(`/dev/shm/safe-package-${user.uid}`, { recursive: true, force: true });
});

test('the usual staging directory on an overlayfs: staging moves to a tmpfs and says so, and the writes still land', async () => {
  assert.equal(fsInfo(merged).name, 'overlay', 'the test really puts the cache on an overlay');
  const proj = makeProject(user, { 'package.json': '{}\n' });
  const r = await runCli(['--backend', 'sandbox', '--network', 'none', '--profile', 'npm', '--', '/bin/sh', '-c', 'echo {} > package-lock.json'], {
    cwd: proj,
    user,
    env: { XDG_CACHE_HOME: join(merged, 'cache') },
  });
  const shm = fsInfo('/dev/shm');
  if (shm.name === 'tmpfs' && shm.free >= MIN_TMPFS_FREE) {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`staging in /dev/shm/safe-package-${user.uid} \\(tmpfs, [0-9.]+ GiB free\\): .*is on overlay, which cannot hold an overlay's upper layer`));
    assert.equal(readFileSync(join(proj, 'package-lock.json'), 'utf8'), '{}\n');
    assert.deepEqual(existsSync(join(merged, 'cache', 'safe-package', 'stage')) ? spawnSync('ls', [join(merged, 'cache', 'safe-package', 'stage')], { encoding: 'utf8' }).stdout.trim() : '', '', 'nothing staged on the overlay');
  } else {
    // This machine's /dev/shm cannot take it: refused with the reason and a fix, nothing written.
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /cannot hold an overlay's upper layer|is on overlay/);
    assert.match(r.stderr, /fix: mount a volume or a tmpfs at/);
    assert.equal(existsSync(join(proj, 'package-lock.json')), false);
  }
});

test('a staging directory in /dev/shm that someone else made first is refused, never staged into', async () => {
  const shm = fsInfo('/dev/shm');
  if (!(shm.name === 'tmpfs' && shm.free >= MIN_TMPFS_FREE)) return; // the refusal above covers this machine
  const other = fixtureUser('sp-other');
  const planted = `/dev/shm/safe-package-${user.uid}`;
  rmSync(planted, { recursive: true, force: true });
  mkdirSync(planted, { mode: 0o777 });
  chownSync(planted, other.uid, other.gid);
  try {
    const proj = makeProject(user, { 'package.json': '{}\n' });
    const r = await runCli(['--backend', 'sandbox', '--network', 'none', '--profile', 'npm', '--', '/bin/sh', '-c', 'echo {} > package-lock.json'], { cwd: proj, user, env: { XDG_CACHE_HOME: join(merged, 'cache') } });
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /must be a directory of yours that nobody else can enter/);
    assert.deepEqual(spawnSync('ls', ['-A', planted], { encoding: 'utf8' }).stdout.trim(), '', 'nothing was staged in it');
    assert.equal(existsSync(join(proj, 'package-lock.json')), false);
  } finally {
    rmSync(planted, { recursive: true, force: true });
  }
});
