import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync } from 'node:fs';
import { decodeRdev, mountPointsUnder, parseGetfattrFiles, parseMountinfo } from '../../../src/jail/check.js';

test('mount points are read from mountinfo with octal escapes undone', () => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '40 22 0:5 / /srv/my\\040jail/proc rw - proc proc rw',
    '',
  ].join('\n');
  assert.deepEqual(parseMountinfo(text), ['/', '/srv/my jail/proc']);
});

test('device numbers decode as glibc major()/minor() do', () => {
  assert.deepEqual(decodeRdev(0x103), { rdevMajor: 1, rdevMinor: 3 });
  assert.deepEqual(decodeRdev(0x500), { rdevMajor: 5, rdevMinor: 0 });
  // major 259, minor 1048575 in the 64-bit encoding
  const major = 259;
  const minor = 0xfffff;
  const dev = BigInt(minor & 0xff) | (BigInt(major & 0xfff) << 8n) | (BigInt(minor & ~0xff) << 12n) | (BigInt(major & ~0xfff) << 32n);
  assert.deepEqual(decodeRdev(Number(dev)), { rdevMajor: major, rdevMinor: minor });
  const st = lstatSync('/dev/null');
  assert.deepEqual(decodeRdev(st.rdev), { rdevMajor: 1, rdevMinor: 3 });
});

test("getfattr's file lines are read with octal escapes undone", () => {
  const text = ['# file: /j/usr/bin/ping', 'security.capability=0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=', '', '# file: /j/odd\\012name\\303\\251', 'security.capability=0s', ''].join('\n');
  assert.deepEqual(parseGetfattrFiles(text), ['/j/usr/bin/ping', '/j/odd\nnameé']);
});

test('mount points under a directory: not the directory itself, not a look-alike sibling', () => {
  const points = parseMountinfo(
    [
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw',
      '90 22 254:0 /srv/vol /home/dev/app/node_modules rw,relatime shared:1 - ext4 /dev/vda rw',
      '91 22 0:40 / /home/dev/app\\040two/cache rw - tmpfs tmpfs rw',
      '92 22 0:41 / /home/dev/application rw - tmpfs tmpfs rw',
      '93 22 0:42 / /home/dev/app rw - tmpfs tmpfs rw',
    ].join('\n'),
  );
  assert.deepEqual(mountPointsUnder(points, '/home/dev/app'), ['/home/dev/app/node_modules']);
  assert.deepEqual(mountPointsUnder(points, '/home/dev/app two'), ['/home/dev/app two/cache']);
  assert.deepEqual(mountPointsUnder(points, '/home/dev/application'), []);
  assert.deepEqual(mountPointsUnder(points, '/srv'), []);
  assert.equal(mountPointsUnder(points, '/').length, 5);
});

test('mountinfo: the file system type and its options, unescaped (the one parser, src/host/mountinfo.ts)', async () => {
  const { parseMountEntries } = await import('../../../src/host/mountinfo.js');
  const line = '120 30 0:55 / /var/tmp/sp/run\\040a/merged rw,relatime shared:1 - overlay overlay rw,lowerdir=lower,upperdir=/var/tmp/sp/run\\040a/upper\\054x,workdir=work,userxattr';
  const [m] = parseMountEntries(line);
  assert.equal(m!.mountPoint, '/var/tmp/sp/run a/merged');
  assert.equal(m!.fsType, 'overlay');
  assert.ok(m!.superOptions.includes('upperdir=/var/tmp/sp/run a/upper,x'), m!.superOptions.join(' '));
  assert.deepEqual(parseMountEntries('25 1 8:1 / / rw - ext4 /dev/sda1 rw,errors=remount-ro')[0], { mountPoint: '/', fsType: 'ext4', superOptions: ['rw', 'errors=remount-ro'] });
});
