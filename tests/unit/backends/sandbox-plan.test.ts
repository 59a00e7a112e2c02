import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSandbox, syntheticPasswd } from '../../../src/backends/sandbox/plan.js';
import { explainText } from '../../../src/plan/explain.js';
import type { Policy } from '../../../src/policy/types.js';
import { PROFILES } from '../../../src/profiles/catalog.js';

function policy(over: Partial<Policy> = {}): Policy {
  return {
    invokedAs: 'safe-package',
    cwd: '/home/dev/proj',
    invoker: { uid: 1000, gid: 1000, name: 'dev', home: '/home/dev' },
    command: { exe: 'npm', path: '/usr/bin/npm', args: ['install'] },
    profile: PROFILES.npm,
    backend: 'sandbox',
    backendReason: 'test',
    user: { name: 'dev', uid: 1000, gid: 1000, groupName: 'dev', home: '/home/dev' },
    dropPrivileges: false,
    env: { vars: { PATH: '/usr/bin', HOME: '/home/dev', npm_config_cache: '/home/dev/.cache/safe-package/npm', NPM_KEPT: 'tok' }, withheld: ['NPM_TOKEN'], keptButUnset: [], trustPaths: [] },
    network: { mode: 'registry', allow: ['registry.npmjs.org:443'], registries: [], userAllowed: [], proxied: true },
    project: { dir: '/home/dev/proj', hide: ['.env'], write: ['node_modules/**'] },
    cacheDir: '/home/dev/.cache/safe-package',
    namedPaths: [],
    readOnlyPaths: ['/home/dev/.nvm/versions/node/v20', '/home/dev/.nvm/versions/node/v20/lib'],
    files: [{ path: '/home/dev/.npmrc', content: 'registry=https://r/\n', from: '/home/dev/.npmrc' }],
    removedCredentials: [],
    credentials: { files: [{ path: '/home/dev/.npmrc', content: '//r/:_authToken=SECRET\n', from: '/home/dev/.npmrc' }], env: { NPM_TOKEN: 'SECRET' } },
    phases: [],
    limits: { processes: 100, file_size: 1000, open_files: 50, timeout: 60 },
    processRlimit: 114,
    output: { strict: false, quiet: false },
    warnings: [],
    config: { values: {}, origin: {}, ignored: [], layers: [] },
    ...over,
  };
}

const layout = {
  topLevel: { '/bin': { kind: 'symlink' as const, target: 'usr/bin' }, '/lib64': { kind: 'dir' as const } },
  etc: ['/etc/ssl/certs'],
  hidden: [{ path: '/home/dev/proj/.env', dir: false }],
};
const tools = { bwrap: '/usr/bin/bwrap', prlimit: '/usr/bin/prlimit', setpriv: '/usr/bin/setpriv' };

function argPairs(args: readonly string[], flag: string): string[][] {
  const out: string[][] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args.slice(i + 1, i + 3) as string[]);
  });
  return out;
}

test('the jail is built from nothing: namespaces, no host network, nothing of $HOME', () => {
  const plan = planSandbox({ policy: policy(), layout, tools, seccomp: Buffer.alloc(8), emptyFile: '/c/empty' });
  const a = plan.jailArgs!;
  for (const flag of ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--new-session', '--die-with-parent', '--disable-userns']) {
    assert.ok(a.includes(flag), flag);
  }
  assert.deepEqual(a.slice(a.indexOf('--cap-drop'), a.indexOf('--cap-drop') + 2), ['--cap-drop', 'ALL']);
  // HOME is a fresh tmpfs, and nothing from the host home is bound but the tool prefix.
  assert.ok(a.join(' ').includes('--tmpfs /home/dev'));
  const binds = [...argPairs(a, '--bind'), ...argPairs(a, '--ro-bind')].map(([from]) => from!);
  assert.ok(binds.every((b) => !b.startsWith('/home/dev/') || b.startsWith('/home/dev/proj') || b.startsWith('/home/dev/.nvm') || b.startsWith('/home/dev/.cache/safe-package')), binds.join(','));
  // Nested prefixes are bound once.
  assert.equal(binds.filter((b) => b.startsWith('/home/dev/.nvm')).length, 1);
  // No /run, /sys, /var/run, host /tmp.
  for (const p of ['/run', '/sys', '/var/run']) assert.ok(!binds.includes(p));
  assert.deepEqual(argPairs(a, '--ro-bind').find(([, to]) => to === '/home/dev/proj/.env'), ['/c/empty', '/home/dev/proj/.env']);
  assert.deepEqual(plan.argv.slice(-5), ['--args', '3', '--', '/usr/bin/npm', 'install']);
});

test('descriptors line up with the arguments that name them', () => {
  const plan = planSandbox({ policy: policy(), layout, tools, seccomp: Buffer.from('SECCOMP!'), emptyFile: '/c/empty' });
  const a = plan.jailArgs!;
  const seccompFd = Number(a[a.indexOf('--seccomp') + 1]);
  const spec = plan.fds[seccompFd - 3]!;
  assert.equal(spec.kind, 'data');
  assert.equal(spec.kind === 'data' && spec.data.toString(), 'SECCOMP!');
  const statusFd = Number(a[a.indexOf('--json-status-fd') + 1]);
  assert.equal(plan.fds[statusFd - 3]!.kind, 'status');
  const passwdFd = Number(a[a.indexOf('/etc/passwd') - 1]);
  const passwd = plan.fds[passwdFd - 3]!;
  assert.ok(passwd.kind === 'data' && passwd.data.toString().includes('dev:x:1000:1000'));
  assert.deepEqual(plan.argv.slice(-6, -3), ['/usr/bin/bwrap', '--args', '3']);
  const args0 = plan.fds[0]!;
  assert.ok(args0.kind === 'data' && args0.data.toString().split('\0').includes('--unshare-user'));
});

test('rlimits and, as root, the privilege drop come first', () => {
  const plan = planSandbox({ policy: policy({ dropPrivileges: true, user: { name: 'nobody', uid: 65534, gid: 65534, groupName: 'nogroup', home: '/nonexistent' } }), layout, tools, seccomp: Buffer.alloc(8), emptyFile: '/c/empty' });
  assert.deepEqual(plan.argv.slice(0, 6), ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', '--']);
  assert.ok(plan.argv.includes('--nproc=114'), 'limits.processes beyond the user\'s own 14');
  assert.ok(plan.argv.includes('--core=0'));
});

test('--network host keeps the host network and its resolver files', () => {
  const plan = planSandbox({ policy: policy({ network: { mode: 'host', allow: [], registries: [], userAllowed: [], proxied: false } }), layout, tools, seccomp: Buffer.alloc(8), emptyFile: '/c/empty' });
  assert.ok(!plan.jailArgs!.includes('--unshare-net'));
});

test('the synthetic passwd holds only root, the jail user and nobody', () => {
  const lines = syntheticPasswd(policy()).trim().split('\n').map((l) => l.split(':')[0]);
  assert.deepEqual(lines, ['root', 'dev', 'nobody']);
});

test('--explain never shows a kept variable\'s value', () => {
  const p = policy();
  const text = explainText(p, planSandbox({ policy: p, layout, tools, seccomp: Buffer.alloc(8), emptyFile: '/c/empty' }));
  assert.ok(text.includes('NPM_KEPT (kept; value not shown)'));
  assert.ok(!text.includes('=tok'));
  assert.ok(text.includes('registry.npmjs.org:443'));
});

test('credentials reach only the install phase; the scripts phase has no network and a read-only cache', () => {
  const install = { name: 'install' as const, program: 'user' as const, network: 'policy' as const, credentials: true, cacheWritable: true, env: { npm_config_ignore_scripts: 'true' }, describe: '' };
  const scripts = { name: 'scripts' as const, program: 'rebuild' as const, network: 'allowed-hosts-only' as const, credentials: false, cacheWritable: false, env: {}, describe: '' };
  const p = policy({ env: { vars: { PATH: '/usr/bin', HOME: '/home/dev', npm_config_cache: '/home/dev/.cache/safe-package/npm', HTTPS_PROXY: 'http://127.0.0.1:3128' }, withheld: [], keptButUnset: [], trustPaths: [] } });
  const dataOf = (plan: ReturnType<typeof planSandbox>) => plan.fds.map((f) => (f.kind === 'data' ? f.data.toString() : '')).join('\n');
  const one = planSandbox({ policy: p, layout, tools, seccomp: Buffer.alloc(8), emptyFile: '/c/empty', phase: install });
  assert.equal(one.env.NPM_TOKEN, 'SECRET');
  assert.equal(one.env.npm_config_ignore_scripts, 'true');
  assert.match(dataOf(one), /_authToken=SECRET/);
  const two = planSandbox({ policy: p, layout, tools, seccomp: Buffer.alloc(8), emptyFile: '/c/empty', phase: scripts, command: { path: '/usr/bin/npm', args: ['rebuild'] } });
  assert.equal(two.env.NPM_TOKEN, undefined);
  assert.doesNotMatch(dataOf(two), /SECRET/);
  assert.match(dataOf(two), /registry=https:\/\/r\//);
  assert.deepEqual(argPairs(two.jailArgs!, '--ro-bind').find(([, to]) => to === '/home/dev/.cache/safe-package/npm'), ['/home/dev/.cache/safe-package/npm', '/home/dev/.cache/safe-package/npm']);
  assert.deepEqual(two.argv.slice(-2), ['/usr/bin/npm', 'rebuild']);
});

test('with a bridge: fd 4 ready, 5 gate, 6 the handover channel, and the script closes 4 and 6 and drops the channel variables before the jail', () => {
  const bridge = { node: '/usr/bin/node', code: '/* bridge */', socket: '/run/x/proxy.sock', port: 3128 };
  const plan = planSandbox({ policy: policy(), layout, tools: { ...tools, sh: '/bin/sh', mount: '/bin/mount' }, seccomp: Buffer.alloc(8), emptyFile: '/c/empty', bridge });
  assert.deepEqual(plan.fds.slice(1, 4).map((f) => f.kind), ['ready', 'gate', 'channel']);
  const script = plan.argv[plan.argv.indexOf('-c') + 1]!;
  const jailStarts = script.indexOf('exec "$@"');
  const closes = script.indexOf('exec 4>&- 6>&-');
  const unsets = script.indexOf('unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE');
  assert.ok(closes > 0 && closes < jailStarts, script);
  assert.ok(unsets > 0 && unsets < jailStarts, script);
});

test('the native bridge: the same fds and closing script, the program run with the socket and port and no -e code', () => {
  const bridge = { node: '/opt/sp/dist/native/sp-bridge-x86_64', code: '', native: true, socket: '/run/x/proxy.sock', port: 3128 };
  const plan = planSandbox({ policy: policy(), layout, tools: { ...tools, sh: '/bin/sh', mount: '/bin/mount' }, seccomp: Buffer.alloc(8), emptyFile: '/c/empty', bridge });
  assert.deepEqual(plan.fds.slice(1, 4).map((f) => f.kind), ['ready', 'gate', 'channel']);
  const at = plan.argv.indexOf('-c');
  const script = plan.argv[at + 1]!;
  assert.match(script, /"\$3" bridge "\$5" "\$6" <\/dev\/null >&4 2>\/dev\/null & exec 4>&- 6>&-; unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE; /);
  assert.doesNotMatch(script, /-e /);
  // $1.. after "sh": mount, options, the program, (no code), socket, port.
  assert.deepEqual(plan.argv.slice(at + 5, at + 9), ['/opt/sp/dist/native/sp-bridge-x86_64', '', '/run/x/proxy.sock', '3128']);
});
