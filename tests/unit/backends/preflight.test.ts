import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountPointsBelow } from '../../../src/backends/preflight.js';
import { parseMountinfo } from '../../../src/jail/check.js';

const MOUNTINFO = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw',
  '90 22 254:0 /srv/vol /home/dev/app/node_modules rw,relatime shared:1 - ext4 /dev/vda rw',
  '91 22 0:40 / /home/dev/app\\040two/cache rw - tmpfs tmpfs rw',
  '92 22 0:41 / /home/dev/application rw - tmpfs tmpfs rw',
  '93 22 0:42 / /home/dev/app rw - tmpfs tmpfs rw',
].join('\n');

test('mount points inside the project are found; the project itself and look-alike siblings are not', () => {
  const points = parseMountinfo(MOUNTINFO);
  assert.deepEqual(mountPointsBelow(points, '/home/dev/app'), ['node_modules']);
  assert.deepEqual(mountPointsBelow(points, '/home/dev/app two'), ['cache']);
  assert.deepEqual(mountPointsBelow(points, '/home/dev/application'), []);
  assert.deepEqual(mountPointsBelow(points, '/srv'), []);
  assert.deepEqual(mountPointsBelow(points, '/'), ['home/dev/app', 'home/dev/app two/cache', 'home/dev/app/node_modules', 'home/dev/application', 'proc']);
});
