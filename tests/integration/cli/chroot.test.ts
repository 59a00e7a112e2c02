// The chroot backend end to end (docs/promises.md#p3-backends, issue "The original safe-package"), with a jail
// built by `safe-package jail create`, as root.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';

const user = fixtureUser();
let jail = '';

before(async () => {
  const base = mkdtempSync(join(tmpdir(), 'sp-chroot-'));
  chmodSync(base, 0o755);
  process.on('exit', () => rmSync(base, { recursive: true, force: true }));
  jail = join(base, 'jail');
  const tools = ['/usr/bin/node', '/usr/bin/npm', '/usr/bin/id', '/bin/sh', '/usr/bin/cat', '/usr/bin/grep', '/usr/bin/ls', '/usr/bin/env', '/usr/bin/sleep', '/usr/bin/setsid', '/usr/bin/pgrep'];
  const r = await runCli(['jail', 'create', jail, ...tools.flatMap((t) => ['--with', t])], { cwd: base });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});

/** A project the default jail user (nobody) can write: the chroot backend writes there directly. */
const forNobody = (files: Record<string, string> = {}) => {
  const dir = makeProject(undefined, files);
  spawnSync('chown', ['-R', '65534:65534', dir]);
  return dir;
};

const chroot = (extra: string[], cmd: string[]) => ['--backend', 'chroot', '-r', jail, '--network', 'none', '-q', ...extra, '--', ...cmd];

test('chroot: `id` prints only the target user (the original left gid 0 and group root)', async () => {
  const r = await runCli(chroot(['-u', user.name], ['/usr/bin/id']), { cwd: makeProject(user) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `uid=${user.uid} gid=${user.gid} groups=${user.gid}`);
  const nobody = await runCli(chroot([], ['/usr/bin/id']), { cwd: forNobody() });
  assert.equal(nobody.stdout.trim(), 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)');
});

test('chroot: /proc/self/status shows the drop is complete and irreversible', async () => {
  const r = await runCli(chroot(['-u', user.name], ['/usr/bin/grep', '-E', '^(Uid|Gid|Groups|NoNewPrivs|CapEff|CapPrm):', '/proc/self/status']), { cwd: makeProject(user) });
  assert.equal(r.status, 0, r.stderr);
  const u = user.uid;
  const g = user.gid;
  assert.match(r.stdout, new RegExp(`^Uid:\\t${u}\\t${u}\\t${u}\\t${u}$`, 'm'));
  assert.match(r.stdout, new RegExp(`^Gid:\\t${g}\\t${g}\\t${g}\\t${g}$`, 'm'));
  assert.match(r.stdout, /^Groups:[\t ]*$/m);
  assert.match(r.stdout, /^NoNewPrivs:\t1$/m);
  assert.match(r.stdout, /^CapEff:\t0000000000000000$/m);
  assert.match(r.stdout, /^CapPrm:\t0000000000000000$/m);
});

test('chroot: npm and node run inside a jail built by jail create', async () => {
  const r = await runCli(chroot([], ['/usr/bin/npm', '--version']), { cwd: forNobody() });
  assert.equal(r.status, 0, r.stderr);
  const host = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim();
  assert.equal(r.stdout.trim(), host);
});

test('chroot: the environment is cleared to the keep list', async () => {
  const r = await runCli(chroot(['-k', 'KEEP_ME'], ['/usr/bin/env']), { cwd: forNobody(), env: { NPM_TOKEN: 'canary-npm', KEEP_ME: 'kept' } });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /canary/);
  assert.match(r.stdout, /^KEEP_ME=kept$/m);
});

test('chroot: no process outlives the program (PID namespace)', async () => {
  const r = await runCli(chroot([], ['/bin/sh', '-c', 'setsid /usr/bin/sleep 31999 </dev/null >/dev/null 2>&1 & echo started']), { cwd: forNobody() });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(spawnSync('pgrep', ['-f', 'sleep 31999'], { encoding: 'utf8' }).stdout.trim(), '');
});

test('chroot: inherited descriptors above stderr are closed', async () => {
  // Start safe-package with fd 3 open on a host directory (the classic fchdir escape).
  const { installedCli } = await import('../../support/cli.js');
  const out = spawnSync('/bin/sh', ['-c', 'exec 3</root 4</etc/shadow; exec "$@"', 'sh', installedCli(), ...chroot([], ['/usr/bin/ls', '/proc/self/fd'])], {
    encoding: 'utf8',
    cwd: forNobody(),
  });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(out.stdout.trim().split(/\s+/).sort(), ['0', '1', '2', '3']); // 3 is ls's own directory handle
});

test('chroot: a jail the target user can write is refused before anything runs', async () => {
  chmodSync(join(jail, 'usr', 'bin'), 0o777);
  try {
    const r = await runCli(chroot([], ['/usr/bin/id']), { cwd: forNobody() });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /is not safe to use/);
    assert.match(r.stderr, /usr\/bin/);
    assert.equal(r.stdout, '');
  } finally {
    chmodSync(join(jail, 'usr', 'bin'), 0o755);
  }
});

test('chroot: a missing root dir and a non-root caller are refused with 125', async () => {
  const missing = await runCli(['--backend', 'chroot', '-r', '/nonexistent-jail', '--network', 'none', '--', '/usr/bin/id'], { cwd: forNobody() });
  assert.equal(missing.status, 125, missing.stderr);
  assert.match(missing.stderr, /jail directory \/nonexistent-jail does not exist/);
  const asUser = await runCli(chroot([], ['/usr/bin/id']), { cwd: makeProject(user), user });
  assert.equal(asUser.status, 125);
  assert.match(asUser.stderr, /needs root/);
});

test('chroot with namespaces: the project is bound at its own path, its writes land, its hidden files read empty', async () => {
  const proj = forNobody({ '.env': 'TOKEN=canary-chroot-env\n', 'package.json': '{}\n' });
  const r = await runCli(chroot([], ['/bin/sh', '-c', 'pwd; cat .env; echo written > out.txt; echo x > .env || echo env-not-writable']), { cwd: proj });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], proj, 'npm runs in the project, not in the jail\'s /');
  assert.doesNotMatch(r.stdout, /canary-chroot-env/);
  assert.equal(readFileSync(join(proj, 'out.txt'), 'utf8'), 'written\n');
  assert.equal(readFileSync(join(proj, '.env'), 'utf8'), 'TOKEN=canary-chroot-env\n');
  // The mount point was made inside the jail; nothing of the project is left there.
  assert.deepEqual(readdirSync(join(jail, proj)), []);
});

test('chroot --explain says the writes are not staged or reviewed', async () => {
  const r = await runCli(chroot(['--explain'], ['/usr/bin/id']), { cwd: forNobody() });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /writes: straight to the project.*NOT staged or reviewed/);
  assert.doesNotMatch(r.stdout, /writes kept after review/);
});

test('sp-confine refuses to bind or cover anything in the mount namespace safe-package runs in', async () => {
  const { helperPath } = await import('../../../src/confine/helper.js');
  const { encodeConfineSpec } = await import('../../../src/confine/spec.js');
  const { buildConfineFilter, hostSeccompArch } = await import('../../../src/seccomp/index.js');
  const { openSync, statSync, writeFileSync: write } = await import('node:fs');
  const proj = forNobody({ '.env': 'x\n' });
  const spec = encodeConfineSpec({
    argv: ['/bin/sh', '-c', 'true'], cwd: '/', identity: { uid: 65534, gid: 65534 }, rlimits: {}, readOnly: [], readWrite: [], readWriteNoLinks: [], readWriteFiles: [],
    tcpConnect: 'any', minAbi: 1, seccomp: buildConfineFilter(hostSeccompArch()!), chroot: jail, bind: [proj], hideFiles: [join(proj, '.env')], noFileRules: true,
    hostMountNs: statSync('/proc/self/ns/mnt').ino,
  });
  const specFile = join(mkdtempSync(join(tmpdir(), 'sp-spec-')), 'spec');
  write(specFile, spec);
  // No unshare in front: sp-confine is in this process's mount namespace. The spec on fd 3.
  const r = spawnSync(helperPath()!, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', openSync(specFile, 'r')] });
  assert.equal(r.status, 125, r.stderr);
  assert.match(r.stderr, /bind and hide need a mount namespace of their own/);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.doesNotMatch(mounts, new RegExp(jail.replace(/[/.]/g, '\\$&')), 'nothing was mounted in the jail');
});
