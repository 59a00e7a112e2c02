import { test } from 'node:test';
import assert from 'node:assert/strict';
import { landlockFiles, planLandlock, rehome } from '../../../src/backends/landlock/plan.js';
import { encodeConfineSpec, ConfineSpecError } from '../../../src/confine/spec.js';
import { missingFeatures } from '../../../src/confine/helper.js';
import { decidePhases } from '../../../src/policy/phases.js';
import type { Policy } from '../../../src/policy/types.js';
import { PROFILES } from '../../../src/profiles/catalog.js';

const PROXY = 'http://127.0.0.1:3128';

function policy(over: Partial<Policy> = {}): Policy {
  return {
    invokedAs: 'safe-package',
    cwd: '/srv/proj',
    invoker: { uid: 0, gid: 0, name: 'root', home: '/root' },
    command: { exe: 'npm', path: '/usr/bin/npm', args: ['ci'] },
    profile: PROFILES.npm,
    backend: 'landlock',
    backendReason: 'test',
    landlockAbi: 7,
    user: { name: 'nobody', uid: 65534, gid: 65534, groupName: 'nogroup', home: '/home/nobody' },
    dropPrivileges: true,
    env: {
      vars: { PATH: '/usr/bin', HOME: '/home/nobody', npm_config_cache: '/home/nobody/.cache/safe-package/npm', HTTPS_PROXY: PROXY, npm_config_userconfig: '/home/nobody/.npmrc' },
      withheld: [],
      keptButUnset: [],
      trustPaths: [],
    },
    network: { mode: 'registry', allow: ['registry.npmjs.org:443'], registries: [], userAllowed: [], proxied: true },
    project: { dir: '/srv/proj', hide: ['.env'], write: ['node_modules/**', 'package.json'] },
    cacheDir: '/var/cache/safe-package/uid-65534',
    namedPaths: [],
    readOnlyPaths: ['/opt/node'],
    files: [{ path: '/home/nobody/.npmrc', content: 'registry=https://r/\n', from: '/root/.npmrc' }],
    removedCredentials: [],
    credentials: { files: [{ path: '/home/nobody/.npmrc', content: '//r/:_authToken=SECRET\n', from: '/root/.npmrc' }], env: { NPM_TOKEN: 'SECRET' } },
    phases: decidePhases({ profile: 'npm', args: ['ci'], twoPhase: true }).phases,
    rebuildTool: '/usr/bin/npm',
    limits: { processes: 256, file_size: 1000, open_files: 50, timeout: 60 },
    processRlimit: 270,
    output: { strict: false, quiet: false },
    warnings: [],
    config: { values: {}, origin: {}, ignored: [], layers: [] },
    ...over,
  };
}

const dirs = { home: '/run/r/home-1', tmp: '/run/r/tmp', shadow: '/run/r/shadow', cwd: '/run/r/shadow', readable: ['/srv/proj/.git/objects'] };
const layout = { topLevel: { '/bin': { kind: 'symlink' as const, target: 'usr/bin' }, '/lib64': { kind: 'dir' as const } }, etc: ['/etc/ssl/certs'] };

/** The spec's lines as [key, value] pairs. */
function specLines(plan: ReturnType<typeof planLandlock>): [string, string][] {
  const spec = plan.fds.find((f) => f.kind === 'data' && f.purpose === 'sp-confine spec');
  assert.ok(spec && spec.kind === 'data');
  return spec.data
    .toString()
    .trimEnd()
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as [string, string]);
}
const values = (lines: [string, string][], key: string) => lines.filter(([k]) => k === key).map(([, v]) => v);

test('the install phase: the shadow, HOME, TMPDIR and the cache writable; the system read-only; TCP only to the proxy', () => {
  const p = policy();
  const plan = planLandlock({ policy: p, layout, helper: '/h/sp-confine', abi: 7, seccomp: Buffer.alloc(8, 1), dirs, proxyPort: 41000, phase: p.phases[0]! });
  const lines = specLines(plan);
  assert.deepEqual(plan.argv, ['/h/sp-confine']);
  assert.deepEqual(values(lines, 'arg'), ['/usr/bin/npm', 'ci']);
  assert.deepEqual(values(lines, 'cwd'), ['/run/r/shadow']);
  assert.deepEqual(values(lines, 'uid'), ['65534']);
  assert.deepEqual(values(lines, 'rwnolink'), ['/run/r/shadow']);
  assert.deepEqual(values(lines, 'rw'), ['/run/r/home-1', '/run/r/tmp', '/var/cache/safe-package/uid-65534/npm']);
  assert.deepEqual(values(lines, 'port'), ['41000']);
  const ro = values(lines, 'ro');
  for (const path of ['/usr', '/lib64', '/etc/ssl/certs', '/proc', '/opt/node', '/srv/proj/.git/objects']) assert.ok(ro.includes(path), path);
  // Nothing of root's home, the real project, or /tmp is readable.
  for (const path of ['/root', '/srv/proj', '/tmp', '/home/nobody', '/']) {
    assert.ok(![...ro, ...values(lines, 'rw')].includes(path), path);
  }
  assert.deepEqual(values(lines, 'seccomp'), ['0101010101010101']);
  assert.equal(plan.lifetime, 'supervisor');
  // The environment: HOME and the user config moved to the step's HOME, the cache to
  // safe-package's own, the proxy at its TCP port, credentials in this phase only.
  assert.equal(plan.env.HOME, '/run/r/home-1');
  assert.equal(plan.env.npm_config_userconfig, '/run/r/home-1/.npmrc');
  assert.equal(plan.env.npm_config_cache, '/var/cache/safe-package/uid-65534/npm');
  assert.equal(plan.env.HTTPS_PROXY, 'http://127.0.0.1:41000');
  assert.equal(plan.env.TMPDIR, '/run/r/tmp');
  assert.equal(plan.env.NPM_TOKEN, 'SECRET');
  assert.doesNotMatch(JSON.stringify(plan.fds.map((f) => (f.kind === 'data' ? f.data.toString() : ''))), /SECRET/);
});

test('the scripts phase: only the package folder writable (links refused on its path), cache read-only, no TCP, no credentials', () => {
  const p = policy();
  const scripts = p.phases[1]!;
  const plan = planLandlock({ policy: p, layout, helper: '/h/sp-confine', abi: 7, seccomp: Buffer.alloc(8), dirs, phase: scripts, command: { path: '/usr/bin/npm', args: ['rebuild', 'a'] }, writable: ['node_modules/a'] });
  const lines = specLines(plan);
  assert.deepEqual(values(lines, 'rwnolink'), ['/run/r/shadow/node_modules/a']);
  assert.ok(values(lines, 'ro').includes('/run/r/shadow'));
  assert.ok(values(lines, 'ro').includes('/var/cache/safe-package/uid-65534/npm'));
  assert.ok(!values(lines, 'rw').includes('/var/cache/safe-package/uid-65534/npm'));
  assert.deepEqual(values(lines, 'port'), []);
  assert.deepEqual(values(lines, 'anynet'), []);
  assert.equal(plan.env.NPM_TOKEN, undefined);
  assert.equal(plan.env.HTTPS_PROXY, undefined, 'no proxy to reach: the variable is dropped, not left pointing at nothing');
  assert.deepEqual(landlockFiles(p, scripts, '/run/r/home-2').files, [{ path: '/run/r/home-2/.npmrc', content: 'registry=https://r/\n' }]);
  assert.deepEqual(landlockFiles(p, p.phases[0]!, '/run/r/home-1').files, [{ path: '/run/r/home-1/.npmrc', content: '//r/:_authToken=SECRET\n' }]);
});

test('a credentials file outside HOME cannot be covered without mounts: a problem, never a silent exposure', () => {
  const global = { path: '/usr/etc/npmrc', content: 'registry=https://r/\n', from: '/usr/etc/npmrc' };
  const p = policy({ files: [global], credentials: { files: [{ ...global, content: '//r/:_authToken=X\n' }], env: {} } });
  const r = landlockFiles(p, p.phases[0]!, '/run/r/home-1');
  assert.deepEqual(r.files, []);
  assert.match(r.problems[0]!, /\/usr\/etc\/npmrc holds registry credentials/);
});

test('network "host" leaves TCP alone in the install phase only; an old kernel is named in the plan', () => {
  const p = policy({ network: { mode: 'host', allow: [], registries: [], userAllowed: [], proxied: false } });
  const install = planLandlock({ policy: p, layout, helper: '/h', abi: 3, seccomp: Buffer.alloc(8), dirs, phase: p.phases[0]! });
  assert.deepEqual(values(specLines(install), 'anynet'), ['1']);
  const scripts = planLandlock({ policy: p, layout, helper: '/h', abi: 3, seccomp: Buffer.alloc(8), dirs, phase: p.phases[1]!, writable: [] });
  assert.deepEqual(values(specLines(scripts), 'anynet'), []);
  assert.ok(install.hardening.some((h) => /^NOT ENFORCED: Landlock ABI < 4: TCP is not restricted/.test(h)));
  assert.deepEqual(missingFeatures(7), []);
  assert.equal(missingFeatures(5).length, 1);
});

test('the spec: one line per value; a newline in a path is refused rather than read as another rule', () => {
  const base = { argv: ['/bin/true', ''], cwd: '/w', rlimits: { nproc: 10 }, readOnly: ['/usr'], readWrite: [], readWriteNoLinks: ['/w'], readWriteFiles: ['/dev/null'], tcpConnect: [8080], minAbi: 1, seccomp: Buffer.from([1, 2]) };
  assert.equal(encodeConfineSpec(base).toString(), 'arg /bin/true\narg \ncwd /w\nrlimit nproc 10\nro /usr\nrwnolink /w\nrwfile /dev/null\nport 8080\nminabi 1\nseccomp 0102\n');
  assert.throws(() => encodeConfineSpec({ ...base, readOnly: ['/usr\nrw /'] }), ConfineSpecError);
  assert.throws(() => encodeConfineSpec({ ...base, argv: ['/bin/sh', 'a\nrw /'] }), ConfineSpecError);
  assert.equal(rehome('/home/nobody/.npmrc', '/home/nobody', '/r/h'), '/r/h/.npmrc');
  assert.equal(rehome('/home/nobodyelse', '/home/nobody', '/r/h'), '/home/nobodyelse');
});
