import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeAncestors, judgeEntry, judgeJail } from '../../../src/jail/check-rules.js';
import type { AncestorEntry, JailEntry, JailScan } from '../../../src/jail/types.js';

const ROOT = '/srv/jail';
const nobody = { uid: 65534, gid: 65534 };
const spTest = { uid: 1001, gid: 1001 };

const dir = (path: string, mode = 0o755, uid = 0, gid = 0): AncestorEntry => ({ path, type: 'dir', mode, uid, gid });
const chain = (overrides: Partial<Record<string, Partial<AncestorEntry>>> = {}): AncestorEntry[] =>
  ['/', '/srv', '/srv/jail'].map((p) => ({ ...dir(p), ...overrides[p] }));
const file = (rel: string, o: Partial<JailEntry> = {}): JailEntry => ({ rel, type: 'file', mode: 0o644, uid: 0, gid: 0, ...o });

/** A jail as `jail create` leaves it. */
function goodEntries(): JailEntry[] {
  return [
    file('/usr', { type: 'dir', mode: 0o755 }),
    file('/usr/bin', { type: 'dir', mode: 0o755 }),
    file('/usr/bin/node', { mode: 0o755 }),
    file('/lib', { type: 'symlink', mode: 0o777 }),
    file('/lib64', { type: 'symlink', mode: 0o777 }),
    file('/tmp', { type: 'dir', mode: 0o1777 }),
    file('/tmp/leftover', { uid: 65534, gid: 65534, mode: 0o666 }),
    file('/tmp/.X11-unix', { type: 'socket', uid: 65534, mode: 0o777 }),
    file('/proc', { type: 'dir', mode: 0o555 }),
    file('/dev', { type: 'dir', mode: 0o755 }),
    file('/dev/null', { type: 'char', mode: 0o666, rdevMajor: 1, rdevMinor: 3 }),
    file('/dev/zero', { type: 'char', mode: 0o666, rdevMajor: 1, rdevMinor: 5 }),
    file('/dev/random', { type: 'char', mode: 0o666, rdevMajor: 1, rdevMinor: 8 }),
    file('/dev/urandom', { type: 'char', mode: 0o666, rdevMajor: 1, rdevMinor: 9 }),
    file('/dev/tty', { type: 'char', mode: 0o666, rdevMajor: 5, rdevMinor: 0 }),
    file('/dev/fd', { type: 'symlink', mode: 0o777 }),
  ];
}
const scan = (entries: JailEntry[], o: Partial<JailScan> = {}): JailScan => ({ dir: ROOT, root: ROOT, ancestorChains: [chain()], entries, mounts: [], ...o });
const rules = (ps: { rule: string }[]) => ps.map((p) => p.rule);

test('a jail as jail create makes it has no problems', () => {
  assert.deepEqual(judgeJail(scan(goodEntries()), nobody), []);
});

test('a jail without its device nodes (made without the mknod capability) is a problem, as is a regular file in their place', () => {
  const noDevices = goodEntries().filter((e) => !e.rel.startsWith('/dev/') || e.type !== 'char');
  const ps = judgeJail(scan(noDevices), nobody);
  assert.deepEqual(rules(ps), ['device-missing', 'device-missing', 'device-missing', 'device-missing']);
  assert.deepEqual(ps.map((p) => p.path), ['/srv/jail/dev/null', '/srv/jail/dev/zero', '/srv/jail/dev/random', '/srv/jail/dev/urandom']);
  assert.match(ps[0]!.fix, /mknod/);
  const fake = goodEntries().map((e) => (e.rel === '/dev/null' ? file('/dev/null', { mode: 0o644 }) : e));
  assert.deepEqual(rules(judgeJail(scan(fake), nobody)), ['device-missing']);
});

test('a jail directory or ancestor not owned by root is a problem: its owner can swap the jail', () => {
  const ps = judgeAncestors([chain({ '/srv': { uid: 1001 } })]);
  assert.deepEqual(rules(ps), ['ancestor-owner']);
  assert.equal(ps[0]!.path, '/srv');
  assert.match(ps[0]!.fix, /chown root:root \/srv/);
  assert.deepEqual(rules(judgeAncestors([chain({ '/srv/jail': { uid: 1001 } })])), ['ancestor-owner']);
});

test('a writable ancestor is a problem, unless it is sticky and the next directory is root\'s', () => {
  assert.deepEqual(rules(judgeAncestors([chain({ '/srv': { mode: 0o777 } })])), ['ancestor-writable']);
  assert.deepEqual(rules(judgeAncestors([chain({ '/srv': { mode: 0o775 } })])), ['ancestor-writable'], 'group-writable too');
  assert.deepEqual(judgeAncestors([chain({ '/srv': { mode: 0o1777 } })]), [], 'like /tmp with a root-owned jail in it');
  assert.deepEqual(
    rules(judgeAncestors([chain({ '/srv': { mode: 0o1777 }, '/srv/jail': { uid: 1001 } })])),
    ['ancestor-writable', 'ancestor-owner'],
    "the sticky bit protects only what root owns",
  );
  assert.deepEqual(rules(judgeAncestors([chain({ '/srv/jail': { mode: 0o1777 } })])), ['ancestor-writable'], 'the jail itself gets no sticky exception');
});

test('symlinks on the way are judged by their directory, not by their own mode', () => {
  const c = [dir('/'), { path: '/j', type: 'symlink' as const, mode: 0o777, uid: 0, gid: 0 }];
  assert.deepEqual(judgeAncestors([c]), []);
});

test('a path that does not exist is one problem', () => {
  assert.deepEqual(rules(judgeJail(scan([], { ancestorChains: [] }), nobody)), ['missing']);
});

test('something inside owned by the target user is a problem even when read-only: the owner can chmod', () => {
  const ps = judgeEntry(file('/usr/bin/id', { uid: 1001, mode: 0o555 }), spTest, ROOT);
  assert.deepEqual(rules(ps), ['owner']);
  assert.match(ps[0]!.problem, /the target user/);
  assert.equal(ps[0]!.path, '/srv/jail/usr/bin/id');
});

test('group- or world-writable inside is a problem; sticky directories and /tmp contents are not', () => {
  assert.deepEqual(rules(judgeEntry(file('/usr/lib', { type: 'dir', mode: 0o777 }), nobody, ROOT)), ['writable']);
  assert.deepEqual(rules(judgeEntry(file('/etc/passwd', { mode: 0o664, gid: 65534 }), nobody, ROOT)), ['writable']);
  assert.match(judgeEntry(file('/etc/passwd', { mode: 0o664, gid: 65534 }), nobody, ROOT)[0]!.problem, /target user's group/);
  assert.deepEqual(judgeEntry(file('/var/tmp', { type: 'dir', mode: 0o1777 }), nobody, ROOT), []);
  assert.deepEqual(judgeEntry(file('/tmp/x', { mode: 0o777, uid: 65534 }), nobody, ROOT), []);
  assert.deepEqual(rules(judgeEntry(file('/tmp', { type: 'dir', mode: 0o777 }), nobody, ROOT)), ['tmp']);
  assert.deepEqual(rules(judgeEntry(file('/tmp', { type: 'dir', mode: 0o1777, uid: 65534 }), nobody, ROOT)), ['owner'], '/tmp itself must be root\'s');
});

test('setuid and setgid files are problems anywhere, with the uid they would run as', () => {
  const ps = judgeEntry(file('/usr/bin/su', { mode: 0o4755 }), nobody, ROOT);
  assert.deepEqual(rules(ps), ['setuid']);
  assert.match(ps[0]!.problem, /setuid \(runs as uid 0\)/);
  assert.match(ps[0]!.fix, /chmod ug-s \/srv\/jail\/usr\/bin\/su/);
  assert.deepEqual(rules(judgeEntry(file('/usr/bin/wall', { mode: 0o2755, gid: 5 }), nobody, ROOT)), ['setuid']);
  assert.deepEqual(rules(judgeEntry(file('/tmp/s', { mode: 0o4755, uid: 65534 }), nobody, ROOT)), ['setuid']);
  assert.deepEqual(judgeEntry(file('/var/mail', { type: 'dir', mode: 0o2755 }), nobody, ROOT), [], 'setgid directories only set the group of new files');
});

test('only harmless character devices; no block devices', () => {
  assert.deepEqual(judgeEntry(file('/dev/urandom', { type: 'char', mode: 0o666, rdevMajor: 1, rdevMinor: 9 }), nobody, ROOT), []);
  assert.deepEqual(rules(judgeEntry(file('/dev/mem', { type: 'char', mode: 0o640, rdevMajor: 1, rdevMinor: 1 }), nobody, ROOT)), ['device']);
  assert.deepEqual(rules(judgeEntry(file('/dev/sda', { type: 'block', mode: 0o600, rdevMajor: 8, rdevMinor: 0 }), nobody, ROOT)), ['device']);
  assert.deepEqual(rules(judgeEntry(file('/etc/null', { type: 'char', mode: 0o666, rdevMajor: 1, rdevMinor: 2 }), nobody, ROOT)), ['writable', 'device']);
});

test('FIFOs and sockets outside /tmp are problems', () => {
  assert.deepEqual(rules(judgeEntry(file('/run/docker.sock', { type: 'socket', mode: 0o755 }), nobody, ROOT)), ['special-file']);
  assert.deepEqual(rules(judgeEntry(file('/etc/pipe', { type: 'fifo', mode: 0o600 }), nobody, ROOT)), ['special-file']);
});

test('/proc, /dev, /tmp, /sys and /run must not be symlinks: a mount there would follow them out', () => {
  const ps = judgeEntry(file('/proc', { type: 'symlink', mode: 0o777 }), nobody, ROOT);
  assert.deepEqual(rules(ps), ['mount-point-symlink']);
  assert.match(ps[0]!.fix, /rm \/srv\/jail\/proc && mkdir -m 755/);
  assert.deepEqual(judgeEntry(file('/lib', { type: 'symlink', mode: 0o777 }), nobody, ROOT), [], 'other symlinks resolve inside the chroot');
});

test('a file system mounted inside is a problem', () => {
  const ps = judgeJail(scan(goodEntries(), { mounts: ['/proc'] }), nobody);
  assert.deepEqual(rules(ps), ['mount']);
  assert.match(ps[0]!.fix, /umount \/srv\/jail\/proc/);
});

test('a jail for root is a problem: root leaves a chroot at will', () => {
  assert.deepEqual(rules(judgeJail(scan(goodEntries()), { uid: 0, gid: 0 })), ['root-target']);
});

test('paths with control characters are quoted in fixes, not printed raw', () => {
  const ps = judgeEntry(file('/usr/\x1b[31mevil', { mode: 0o4755 }), nobody, ROOT);
  assert.ok(!ps[0]!.fix.includes('\x1b'), ps[0]!.fix);
  assert.match(ps[0]!.fix, /\$'\/srv\/jail\/usr\/\\x1b\[31mevil'/);
});

test('files with capabilities are problems, like setuid files', () => {
  const ps = judgeJail(scan(goodEntries(), { capabilities: ['/usr/bin/ping'] }), nobody);
  assert.deepEqual(rules(ps), ['file-capabilities']);
  assert.equal(ps[0]!.path, '/srv/jail/usr/bin/ping');
  assert.match(ps[0]!.fix, /setfattr -x security.capability \/srv\/jail\/usr\/bin\/ping/);
});
