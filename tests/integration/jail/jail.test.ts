// Builds a real chroot jail with node, npm, python3, pip3 and id, runs them in it with
// chroot(8) as nobody, then breaks the jail in the ways an attacker or a careless admin
// would and checks that `jail check` names each break. Needs root (CI runs as root).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureUser, installedCli } from '../../support/cli.js';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { checkJail, createJail, JAIL_PATH, type JailCreateResult, type JailProblem } from '../../../src/jail/index.js';
import { readElf } from '../../../src/jail/host-files.js';
import { npmGlobalConfigFor } from '../../../src/jail/exe-roles.js';
import { runJailCommand } from '../../../src/commands/jail.js';

const isRoot = process.geteuid?.() === 0;
const CHROOT = ['/usr/sbin/chroot', '/usr/bin/chroot'].find((p) => existsSync(p)) ?? '/usr/sbin/chroot';
const NOBODY = { uid: 65534, gid: 65534 };
// node and npm as installed beside the node running the tests (/usr/bin here and in CI).
const NODE = process.execPath;
const NPM = existsSync(join(dirname(NODE), 'npm')) ? join(dirname(NODE), 'npm') : '/usr/bin/npm';
const EXES = [NODE, NPM, '/usr/bin/python3', '/usr/bin/pip3', '/usr/bin/id'];

let base = '';
let jail = '';
let built: JailCreateResult;

/** Runs a program inside the jail as nobody, with a clean environment, the way the chroot backend will. */
function inJail(args: string[]) {
  return spawnSync(CHROOT, ['--userspec=65534:65534', '--groups=', jail, ...args], {
    encoding: 'utf8',
    env: { PATH: JAIL_PATH, HOME: '/tmp', LANG: 'C.UTF-8' },
    timeout: 30_000,
  });
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { code: await runJailCommand(args, { stdout, stderr }), out };
}

const has = (ps: JailProblem[], rule: string, path: string) => ps.some((p) => p.rule === rule && p.path === path);

describe('jail create and check, for real', { skip: isRoot ? false : 'needs root (chroot, mknod, chown); CI runs as root' }, () => {
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'sp-jail-'));
    jail = join(base, 'jail');
    built = await createJail(jail, EXES);
  });
  after(() => {
    if (base !== '') rmSync(base, { recursive: true, force: true });
  });

  test('the build finds every library and leaves a jail that passes its own check', (t) => {
    t.diagnostic(`jail: ${(built.totalBytes / 2 ** 20).toFixed(1)} MiB, ${built.added.length} entries, built in ${(built.elapsedMs / 1000).toFixed(1)} s`);
    assert.deepEqual(built.warnings.filter((w) => /not found|does not exist|jail check/.test(w)), []);
    assert.deepEqual(
      built.executables.map((e) => e.kind),
      ['elf', 'script', 'elf', 'script', 'elf'],
    );
    assert.ok(built.executables[1]!.programs.includes('/usr/bin/env'), 'npm brings env');
    assert.ok(built.executables[1]!.trees.some((d) => d.endsWith('/node_modules/npm')), 'npm brings its whole package');
  });

  test('node runs in the jail as nobody', () => {
    const r = inJail([NODE, '-e', 'console.log(1+1)']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '2');
  });

  test('npm runs in the jail and is the host npm', () => {
    const r = inJail([NPM, '--version']);
    assert.equal(r.status, 0, r.stderr);
    const npmDir = built.executables[1]!.trees.find((d) => d.endsWith('/node_modules/npm'))!;
    const version = (JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(r.stdout.trim(), version);
  });

  test("npm in the jail reads the global config's cafile (the jail's copy, credentials removed)", () => {
    const r = inJail([NPM, 'config', 'get', 'cafile']);
    assert.equal(r.status, 0, r.stderr);
    const hostNpmrc = npmGlobalConfigFor(realpathSync(NODE));
    if (existsSync(hostNpmrc) && /^cafile=/m.test(readFileSync(hostNpmrc, 'utf8'))) {
      const cafile = r.stdout.trim();
      assert.match(cafile, /^\//);
      assert.ok(existsSync(join(jail, cafile)), `${cafile} is in the jail`);
    }
  });

  test('python3 runs in the jail with ssl, json and sqlite3', () => {
    const r = inJail(['/usr/bin/python3', '-c', 'import ssl, json, sqlite3; print("ok")']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });

  test('pip3 runs in the jail', () => {
    const r = inJail(['/usr/bin/pip3', '--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^pip \d+\.\d+/);
  });

  test('id in the jail is nobody with no other group (chroot --userspec=65534:65534 --groups=)', () => {
    const r = inJail(['/usr/bin/id']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^uid=65534\(nobody\) gid=65534\([a-z]+\) groups=65534\([a-z]+\)$/);
  });

  test("symlinks the loader goes through are symlinks in the jail too, as on the host", () => {
    const interp = readElf('/usr/bin/id').interpreter!;
    let checked = 0;
    const parts = interp.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = `/${parts.slice(0, i).join('/')}`;
      const host = lstatSync(p);
      const inside = lstatSync(join(jail, p));
      assert.equal(inside.isSymbolicLink(), host.isSymbolicLink(), p);
      if (host.isSymbolicLink()) {
        assert.equal(readlinkSync(join(jail, p)), readlinkSync(p), p);
        checked++;
      }
    }
    for (const top of ['/lib', '/bin', '/lib64']) {
      if (existsSync(top) && lstatSync(top).isSymbolicLink() && existsSync(join(jail, top))) {
        assert.equal(readlinkSync(join(jail, top)), readlinkSync(top), top);
        checked++;
      }
    }
    assert.ok(checked > 0 || !lstatSync('/lib').isSymbolicLink(), 'a usrmerge host has symlinks to compare');
  });

  test('the base: root-owned, nothing setuid, /tmp 1777, the five devices, a minimal /etc', () => {
    // /tmp's contents belong to whoever ran in the jail (npm's cache above); the rest is root's.
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (p === join(jail, 'tmp')) continue;
        const st = lstatSync(p);
        assert.equal(st.uid, 0, `${p} owned by root`);
        assert.equal(st.mode & 0o6000, 0, `${p} has no setuid/setgid bit`);
        if (!st.isSymbolicLink() && !st.isCharacterDevice()) assert.equal(st.mode & 0o022, 0, `${p} not writable by group/others`);
        if (st.isDirectory()) walk(p);
      }
    };
    walk(jail);
    assert.equal(lstatSync(join(jail, 'tmp')).mode & 0o7777, 0o1777);
    assert.deepEqual(readdirSync(join(jail, 'proc')), []);
    for (const [name, major, minor] of [['null', 1, 3], ['zero', 1, 5], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0]] as const) {
      const st = lstatSync(join(jail, 'dev', name));
      assert.ok(st.isCharacterDevice(), name);
      assert.equal(st.rdev, major * 256 + minor, name);
      assert.equal(st.mode & 0o777, 0o666, name);
    }
    const passwd = readFileSync(join(jail, 'etc/passwd'), 'utf8');
    assert.deepEqual(passwd.trim().split('\n').map((l) => l.split(':')[0]), ['root', 'nobody']);
    assert.match(readFileSync(join(jail, 'etc/nsswitch.conf'), 'utf8'), /^passwd:\s+files$/m);
    assert.ok(existsSync(join(jail, 'etc/ssl/certs/ca-certificates.crt')));
    assert.ok(existsSync(join(jail, 'etc/ld.so.cache')));
  });

  test('jail check passes on the fresh jail (API and CLI)', async () => {
    assert.deepEqual(await checkJail(jail, NOBODY), []);
    const r = await cli(['check', jail]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /is safe to use as nobody/);
  });

  test('a world-writable directory inside fails the check', async () => {
    const d = join(jail, 'usr/lib');
    chmodSync(d, 0o777);
    try {
      assert.ok(has(await checkJail(jail, NOBODY), 'writable', d));
    } finally {
      chmodSync(d, 0o755);
    }
    assert.deepEqual(await checkJail(jail, NOBODY), []);
  });

  test('a file chowned to the target user fails the check for that user', async () => {
    const f = join(jail, 'usr/bin/id');
    const { uid, gid } = fixtureUser('sp-test');
    chownSync(f, uid, gid);
    try {
      const r = await cli(['check', jail, '--user', 'sp-test']);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is owned by uid ${uid} \\(the target user\\)`));
      assert.match(r.out, /fix: chown root:root /);
    } finally {
      chownSync(f, 0, 0);
    }
    assert.deepEqual(await checkJail(jail, { uid, gid }), []);
  });

  test('a setuid file fails the check', async () => {
    const f = join(jail, 'usr/bin/sp-suid');
    copyFileSync('/usr/bin/id', f);
    chmodSync(f, 0o4755);
    try {
      assert.ok(has(await checkJail(jail, NOBODY), 'setuid', f));
    } finally {
      unlinkSync(f);
    }
  });

  test('a file with capabilities fails the check', async () => {
    const f = join(jail, 'usr/bin/sp-cap');
    copyFileSync('/usr/bin/id', f);
    // cap_net_raw=ep in the v2 on-disk format, written with setfattr (package attr, installed by scripts/test).
    const r = spawnSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    try {
      assert.ok(has(await checkJail(jail, NOBODY), 'file-capabilities', f));
    } finally {
      unlinkSync(f);
    }
  });

  test('a world-writable ancestor fails the check (whoever can write it can swap the jail)', async () => {
    chmodSync(base, 0o777);
    try {
      const ps = await checkJail(jail, NOBODY);
      assert.ok(has(ps, 'ancestor-writable', base), JSON.stringify(ps));
    } finally {
      chmodSync(base, 0o700);
    }
    assert.deepEqual(await checkJail(jail, NOBODY), []);
  });

  test('a disk device node fails the check', async () => {
    const dev = join(jail, 'dev/sp-disk');
    const r = spawnSync('/usr/bin/mknod', ['-m', '600', dev, 'b', '8', '0']);
    assert.equal(r.status, 0, String(r.stderr));
    try {
      assert.ok(has(await checkJail(jail, NOBODY), 'device', dev));
    } finally {
      unlinkSync(dev);
    }
  });

  test('a jail without /dev/null fails the check (jail create without the mknod capability would leave one)', async () => {
    const dev = join(jail, 'dev/null');
    renameSync(dev, join(base, 'null-aside'));
    try {
      const ps = await checkJail(jail, NOBODY);
      assert.ok(has(ps, 'device-missing', dev), JSON.stringify(ps));
      const r = await cli(['check', jail]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /dev\/null: is missing/);
    } finally {
      renameSync(join(base, 'null-aside'), dev);
    }
  });

  test('jail create without the mknod capability: 125 with the reason, and nothing half-built left', () => {
    const target = join(base, 'no-mknod');
    const cliPath = installedCli();
    const r = spawnSync('/usr/bin/setpriv', ['--bounding-set=-mknod', '--inh-caps=-all', '--', cliPath, 'jail', 'create', target, '--with', '/usr/bin/true'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 125, r.stdout + r.stderr);
    assert.match(r.stderr, /mknod .*(not permitted|failed)/i);
    assert.equal(existsSync(target), false, 'no jail appeared');
    assert.deepEqual(readdirSync(base).filter((n) => n.includes('no-mknod')), [], 'no half-built directory left beside it');
  });

  test('re-running is idempotent and adds new executables', async () => {
    const again = await createJail(jail, EXES);
    assert.equal(again.added.length, 0, again.added.map((a) => a.rel).join(' '));
    assert.equal(again.updated.length, 0, again.updated.join(' '));
    const more = await createJail(jail, ['/usr/bin/true']);
    assert.ok(more.added.some((a) => a.rel === '/usr/bin/true'));
    assert.equal(inJail(['/usr/bin/true']).status, 0);
    assert.deepEqual(await checkJail(jail, NOBODY), []);
  });

  test('a non-empty directory that is not a jail is refused, and left alone', async () => {
    const other = join(base, 'not-a-jail');
    mkdirSync(other);
    writeFileSync(join(other, 'precious'), 'data');
    await assert.rejects(createJail(other, ['/usr/bin/true']), /not empty and was not made by `safe-package jail create`/);
    assert.deepEqual(readdirSync(other), ['precious']);
  });

  test('a symlink planted in a jail does not lead jail create (root) out of it', async () => {
    const small = join(base, 'small');
    const outside = join(base, 'outside');
    mkdirSync(outside);
    await createJail(small, ['/usr/bin/true']);
    renameSync(join(small, 'etc'), join(small, 'etc.real'));
    symlinkSync(outside, join(small, 'etc'));
    await assert.rejects(createJail(small, ['/usr/bin/true']), /the jail has a symlink to .* at \/etc where the host has a directory/);
    assert.deepEqual(readdirSync(outside), [], 'nothing was written through the symlink');
  });

  test('setuid bits are stripped on the way in, and --user adds that user to passwd', async () => {
    const suid = join(base, 'suid-id');
    copyFileSync('/usr/bin/id', suid);
    chmodSync(suid, 0o4755);
    const j3 = join(base, 'j3');
    await createJail(j3, [suid], { users: ['sp-test'] });
    assert.equal(lstatSync(join(j3, suid)).mode & 0o7777, 0o755);
    const { uid, gid } = fixtureUser('sp-test');
    assert.match(readFileSync(join(j3, 'etc/passwd'), 'utf8'), new RegExp(`^sp-test:x:${uid}:${gid}:`, 'm'));
    assert.deepEqual(await checkJail(j3, { uid, gid }), []);
  });
});
