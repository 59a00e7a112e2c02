import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../../src/cli/args.js';
import { resolveLayers } from '../../../src/config/layer.js';
import { approvesScripts, resolvePolicy, PolicyError, type HostFacts } from '../../../src/policy/resolve.js';
import type { ConfigValues } from '../../../src/config/types.js';
import type { UserEntry } from '../../../src/host/users.js';

const USERS: UserEntry[] = [
  { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' },
  { name: 'dev', uid: 1000, gid: 1000, home: '/home/dev', shell: '/bin/bash' },
  { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: '/usr/sbin/nologin' },
];

function facts(over: Partial<HostFacts> & { uid?: number; sandboxOk?: boolean; landlockAbi?: number; namespacesOk?: boolean } = {}): HostFacts {
  const uid = over.uid ?? 1000;
  const me = USERS.find((u) => u.uid === uid)!;
  return {
    invokedAs: 'safe-package',
    cwd: '/home/dev/proj',
    env: { PATH: '/usr/bin', HOME: me.home, NPM_TOKEN: 'secret' },
    invoker: { uid, gid: me.gid, name: me.name, home: me.home },
    isRoot: uid === 0,
    lookupUser: (spec) => USERS.find((u) => u.name === spec || String(u.uid) === spec),
    groupName: (gid) => ({ 0: 'root', 1000: 'dev', 65534: 'nogroup' })[gid as 0],
    findProgram: (name, _path, _cwd, root) =>
      name === 'npm' || name === '/usr/bin/npm' ? { found: true, path: '/usr/bin/npm' } : name === 'noexec' ? { found: false, reason: 'not-executable', path: '/usr/bin/noexec' } : root && name === 'node' ? { found: true, path: '/usr/bin/node' } : { found: false, reason: 'not-found' },
    programNeeds: (path) => ({ realPath: path, interpreters: ['/usr/bin/node'], prefixes: [], pathDirs: [] }),
    exists: () => true,
    realpath: (p) => p,
    probeSandbox: () => (over.sandboxOk === false ? { ok: false, reason: 'no userns', fix: 'enable it' } : { ok: true, bwrap: '/usr/bin/bwrap' }),
    sandboxInstalled: () => (over.sandboxOk === false ? { ok: false, reason: 'no userns', fix: 'enable it' } : { ok: true, bwrap: '/usr/bin/bwrap' }),
    toolConfig: () => ({ registries: ['https://registry.npmjs.org/'], registryHosts: ['registry.npmjs.org:443'], files: [], readOnlyPaths: [], env: {}, removedCredentials: [], credentials: { files: [], env: {} } }),
    cacheDir: () => '/home/dev/.cache/safe-package',
    tasksOf: () => 7,
    probeLandlock: () => (over.landlockAbi ? { ok: true, helperRuns: true, abi: over.landlockAbi, helper: '/sp-confine' } : { ok: false, helperRuns: true, helper: '/sp-confine', abi: 0, reason: 'the kernel has no Landlock' }),
    workspaces: () => [],
    readText: () => undefined,
    probeNamespaces: () => (over.namespacesOk === false ? { ok: false, reason: 'unshare failed: Operation not permitted' } : { ok: true }),
    ...over,
  };
}

function resolve(argv: string[], f: HostFacts = facts(), config: ConfigValues = {}) {
  const cli = parseArgs(argv);
  const resolved = resolveLayers({
    user: { kind: 'user', source: '/home/dev/.safe-package/config.json', values: config, where: {} },
    cli: { kind: 'command line', source: 'command line', values: cli.config, where: {} },
  });
  return resolvePolicy(cli, resolved, f);
}

test('the default: sandbox, the invoking user, registry network, npm profile', () => {
  const p = resolve(['npm', 'install', 'left-pad']);
  assert.equal(p.backend, 'sandbox');
  assert.equal(p.user.name, 'dev');
  assert.equal(p.dropPrivileges, false);
  assert.equal(p.profile.name, 'npm');
  assert.equal(p.network.mode, 'registry');
  assert.deepEqual(p.network.allow, ['registry.npmjs.org:443']);
  assert.deepEqual(p.command, { exe: 'npm', path: '/usr/bin/npm', args: ['install', 'left-pad'] });
  assert.equal(p.env.vars.NPM_TOKEN, undefined);
  assert.equal(p.env.vars.HTTPS_PROXY, 'http://127.0.0.1:3128');
  assert.equal(p.env.vars.npm_config_cache, '/home/dev/.cache/safe-package/npm');
});

test('exe from config: every positional is an argument (spm install foo)', () => {
  const p = resolve(['install', 'foo'], facts(), { exe: '/usr/bin/npm' });
  assert.deepEqual(p.command.args, ['install', 'foo']);
  assert.equal(p.profile.name, 'npm');
});

test('as root: nobody by default; --user root is explicit and warned', () => {
  const p = resolve(['npm', 'ci'], facts({ uid: 0, cwd: '/srv/proj' }));
  assert.equal(p.user.name, 'nobody');
  assert.equal(p.dropPrivileges, true);
  const r = resolve(['-u', 'root', 'npm', 'ci'], facts({ uid: 0, cwd: '/srv/proj' }));
  assert.equal(r.user.uid, 0);
  assert.equal(r.dropPrivileges, false);
  assert.ok(r.warnings.some((w) => w.includes('runs as root')));
});

test('unknown user, missing program and non-executable program have their exit statuses', () => {
  assert.throws(() => resolve(['-u', 'ghost', 'npm'], facts({ uid: 0, cwd: '/srv/p' })), (e: unknown) => e instanceof PolicyError && e.exitCode === 125 && /unknown user "ghost"/.test(e.message));
  assert.throws(() => resolve(['nosuch']), (e: unknown) => e instanceof PolicyError && e.exitCode === 127);
  assert.throws(() => resolve(['noexec']), (e: unknown) => e instanceof PolicyError && e.exitCode === 126);
});

test('a non-root user cannot switch users from the command line', () => {
  assert.throws(() => resolve(['-u', 'nobody', 'npm']), /needs root/);
  // from a config file it is only a warning (a shared /etc config may name a user for root runs)
  const p = resolve(['npm'], facts(), { user: 'nobody' });
  assert.equal(p.user.name, 'dev');
  assert.ok(p.warnings.some((w) => w.includes('needs root')));
});

test('auto never falls back to an unprotected run', () => {
  assert.throws(() => resolve(['npm'], facts({ sandboxOk: false })), (e: unknown) => e instanceof PolicyError && /sandbox is unavailable/.test(e.message) && e.fix === 'enable it');
  const p = resolve(['-r', '/jail', 'npm'], facts({ uid: 0, sandboxOk: false, cwd: '/srv/p' }), { network: 'none' });
  assert.equal(p.backend, 'chroot');
  assert.equal(resolve(['--backend', 'none', 'npm']).backend, 'none');
});

test('chroot needs root and a root dir; registry network needs Landlock\'s TCP rule', () => {
  assert.throws(() => resolve(['--backend', 'chroot', '-r', '/jail', 'npm']), /needs root/);
  assert.throws(() => resolve(['--backend', 'chroot', 'npm'], facts({ uid: 0 })), /needs a jail directory/);
  assert.throws(() => resolve(['--backend', 'chroot', '-r', '/jail', 'npm'], facts({ uid: 0, cwd: '/srv/p' })), /Landlock's TCP rule, which this kernel does not have/);
  const p = resolve(['--backend', 'chroot', '-r', '/jail', '--network', 'none', 'npm'], facts({ uid: 0, cwd: '/srv/p' }));
  assert.equal(p.rootDir, '/jail');
  assert.deepEqual(p.chroot, { namespaces: true, landlockAbi: 0, cwd: '/srv/p', bindProject: true });
  // With Landlock's TCP rule, the default network: the proxy over loopback TCP.
  const reg = resolve(['--backend', 'chroot', '-r', '/jail', 'npm', 'install'], facts({ uid: 0, cwd: '/srv/p', landlockAbi: 4 }));
  assert.equal(reg.network.proxied, true);
  assert.equal(reg.env.vars.HTTPS_PROXY, 'http://127.0.0.1:3128');
});

test('chroot without namespaces: the project must lie inside the jail; network none needs Landlock', () => {
  const noNs = (extra: Record<string, unknown> = {}) => facts({ uid: 0, namespacesOk: false, landlockAbi: 7, ...extra });
  assert.throws(() => resolve(['--backend', 'chroot', '-r', '/jail', 'npm'], noNs({ cwd: '/srv/p' })), (e: unknown) => e instanceof PolicyError && /outside the jail \/jail/.test(e.message) && /\/jail\/work/.test(e.fix ?? ''));
  const inside = resolve(['--backend', 'chroot', '-r', '/jail', 'npm'], noNs({ cwd: '/jail/work/p' }));
  assert.deepEqual(inside.chroot, { namespaces: false, landlockAbi: 7, cwd: '/work/p', bindProject: false });
  assert.throws(() => resolve(['--backend', 'chroot', '-r', '/jail', '--network', 'none', 'npm'], facts({ uid: 0, namespacesOk: false, cwd: '/jail/w' })), /neither/);
  assert.throws(() => resolve(['--backend', 'chroot', '-r', '/jail', '-u', 'root', '--network', 'none', 'npm'], facts({ uid: 0, cwd: '/jail/w' })), /root leaves a chroot/);
});

test('the home directory is never the project', () => {
  assert.throws(() => resolve(['npm', 'install'], facts({ cwd: '/home/dev' })), /contains your home directory/);
  assert.throws(() => resolve(['npm', 'install'], facts({ cwd: '/home' })), /contains your home directory/);
  assert.throws(() => resolve(['npm', 'install'], facts({ cwd: '/' })), /refusing to use \//);
});

test('hide defaults and write rules combine profile and config', () => {
  const p = resolve(['npm', 'i'], facts(), { hide: ['secrets/**'], write: ['dist/**'] });
  assert.ok(p.project.hide.includes('.env'));
  assert.ok(p.project.hide.includes('secrets/**'));
  assert.ok(p.project.write.includes('node_modules/**'));
  assert.ok(p.project.write.includes('dist/**'));
});

test('auto takes the landlock backend when the sandbox is unavailable and Landlock works, with the proxy and two phases', () => {
  const p = resolve(['npm', 'ci'], facts({ sandboxOk: false, landlockAbi: 7 }));
  assert.equal(p.backend, 'landlock');
  assert.match(p.backendReason, /^auto: the sandbox is unavailable \(no userns\); Landlock ABI 7$/);
  assert.equal(p.landlockAbi, 7);
  assert.equal(p.network.proxied, true);
  assert.deepEqual(p.phases.map((ph) => ph.name), ['install', 'scripts']);
  // Neither works: refused, never an unprotected run.
  assert.throws(() => resolve(['npm', 'ci'], facts({ sandboxOk: false })), (e: unknown) => e instanceof PolicyError && /sandbox is unavailable/.test(e.message));
});

test('--backend landlock: asked for; refused without Landlock, and for a jail running as root', () => {
  assert.equal(resolve(['--backend', 'landlock', 'npm', 'ci'], facts({ landlockAbi: 4 })).backendReason, 'asked for with --backend landlock; Landlock ABI 4');
  assert.throws(() => resolve(['--backend', 'landlock', 'npm', 'ci'], facts()), (e: unknown) => e instanceof PolicyError && /landlock backend is unavailable: the kernel has no Landlock/.test(e.message));
  assert.throws(
    () => resolve(['--backend', 'landlock', '--user', 'root', 'npm', 'ci'], facts({ uid: 0, landlockAbi: 7 })),
    (e: unknown) => e instanceof PolicyError && /does not run the jail as root/.test(e.message) && /--user NAME/.test(e.fix ?? ''),
  );
  // As root the jail runs as nobody, with the identity dropped.
  const p = resolve(['--backend', 'landlock', 'npm', 'ci'], facts({ uid: 0, landlockAbi: 7 }));
  assert.equal(p.user.name, 'nobody');
  assert.equal(p.dropPrivileges, true);
});

test('a sandbox that failed to start for this run: the fallback reason is carried into the landlock choice', () => {
  const cli = parseArgs(['npm', 'ci']);
  const resolved = resolveLayers({ cli: { kind: 'command line', source: 'command line', values: cli.config, where: {} } });
  const p = resolvePolicy(cli, resolved, facts({ landlockAbi: 6 }), 'bubblewrap cannot create namespaces here');
  assert.equal(p.backend, 'landlock');
  assert.equal(p.backendReason, 'auto: bubblewrap cannot create namespaces here; Landlock ABI 6');
});

test('the process limit: 256 beyond what the jail user already runs (RLIMIT_NPROC counts every process of the uid)', () => {
  const p = resolve(['npm', 'ci']);
  assert.equal(p.limits.processes, 256);
  assert.equal(p.processRlimit, 263);
  assert.equal(resolve(['npm', 'ci'], facts(), { limits: { processes: 40 } }).processRlimit, 47);
});

test('only npm install-scripts approve|deny|prune may change allowScripts in package.json', () => {
  assert.equal(approvesScripts('npm', ['install-scripts', 'approve', 'x']), true);
  assert.equal(approvesScripts('npm', ['install-scripts', '--all', 'deny']), true);
  assert.equal(approvesScripts('npm', ['install-scripts', 'ls']), false);
  assert.equal(approvesScripts('npm', ['install', 'x']), false);
  assert.equal(approvesScripts('pnpm', ['install-scripts', 'approve', 'x']), false);
  assert.deepEqual(resolve(['npm', 'install-scripts', 'approve', 'x']).project.manifestExtraKeys, ['allowScripts']);
  assert.equal(resolve(['npm', 'install', 'x']).project.manifestExtraKeys, undefined);
});
