import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseStageRoot, holdsUpperLayer, MIN_TMPFS_FREE } from '../../../src/host/fs-type.js';

const GiB = 1024 ** 3;

test('overlayfs, NFS and FUSE cannot hold an upper layer; ordinary disks and tmpfs can', () => {
  for (const fs of ['overlay', 'nfs', 'fuse']) assert.equal(holdsUpperLayer(fs), false, fs);
  for (const fs of ['ext4', 'xfs', 'btrfs', 'tmpfs']) assert.equal(holdsUpperLayer(fs), true, fs);
});

test('the usual place is kept when it can hold the upper layer', () => {
  assert.deepEqual(chooseStageRoot('/var/tmp/safe-package', { name: 'ext4', free: 10 * GiB }, { root: '/dev/shm/safe-package', fs: { name: 'tmpfs', free: 8 * GiB } }), { ok: true, root: '/var/tmp/safe-package' });
});

test('on an overlay root: a tmpfs with room, named in a note', () => {
  const c = chooseStageRoot('/var/tmp/safe-package', { name: 'overlay', free: 10 * GiB }, { root: '/dev/shm/safe-package', fs: { name: 'tmpfs', free: 4 * GiB } });
  assert.equal(c.ok, true);
  assert.equal(c.ok && c.root, '/dev/shm/safe-package');
  assert.match(c.ok ? c.note ?? '' : '', /tmpfs, 4\.0 GiB free.*on overlay/);
});

test('on an overlay root with a small /dev/shm (Docker gives 64 MiB): refused with a fix, not an install that runs out of space', () => {
  const c = chooseStageRoot('/var/tmp/safe-package', { name: 'overlay', free: 10 * GiB }, { root: '/dev/shm/safe-package', fs: { name: 'tmpfs', free: 64 * 1024 * 1024 } });
  assert.equal(c.ok, false);
  assert.match(!c.ok ? c.reason : '', /only 0\.1 GiB free/);
  assert.match(!c.ok ? c.fix : '', /--tmpfs \/var\/tmp\/safe-package/);
  assert.match(!c.ok ? c.fix : '', /landlock/);
  assert.equal(chooseStageRoot('/x', { name: 'overlay', free: 0 }, { root: '/dev/shm/s', fs: { name: 'overlay', free: MIN_TMPFS_FREE * 2 } }).ok, false, '/dev/shm that is not a tmpfs');
  assert.equal(chooseStageRoot('/x', { name: 'nfs', free: 0 }, { root: '/dev/shm/s', fs: undefined }).ok, false);
});
