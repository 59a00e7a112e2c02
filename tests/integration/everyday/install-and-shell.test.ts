// Installable like any npm CLI, the shell integration, and the seed's `spm` habit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { uniqueName } from '../../support/fixture-packages.js';
import { fixtureUser, makeProject, REPO, runCli, writeAs } from '../../support/cli.js';

const user = fixtureUser('sp-other');
let prefix = '';
let registry: TestRegistry;
const dep = uniqueName('spm-dep');

before(async () => {
  registry = await startRegistry();
  await registry.publishFixtures([{ name: dep, files: { 'index.js': 'module.exports = 1;' } }]);
  // npm pack → npm install -g into a fresh prefix, as a user would.
  const work = mkdtempSync(join(tmpdir(), 'sp-pack-'));
  chmodSync(work, 0o755);
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const pack = spawnSync('npm', ['pack', REPO, '--pack-destination', work, '--json'], { encoding: 'utf8', cwd: work });
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  assert.ok(files.includes('dist/src/cli/main.js'));
  assert.ok(files.includes('dist/src/net/jail-bridge.js'));
  assert.ok(files.includes('schema/report.schema.json'));
  assert.ok(!files.some((f) => f.startsWith('dist/tests/') || f.startsWith('src/')), 'tests or sources in the package');
  prefix = join(work, 'prefix');
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, info!.filename)], { encoding: 'utf8', cwd: work });
  assert.equal(install.status, 0, install.stderr);
  spawnSync('chmod', ['-R', 'a+rX', work]);
});
after(() => registry?.stop());

test('the packed package has no install scripts of its own', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; dependencies?: object };
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare', 'prepack', 'postpack']) assert.equal(pkg.scripts?.[s], undefined, s);
  assert.equal(pkg.dependencies, undefined, 'runtime dependencies');
});

test('npm install -g of the tarball gives working safe-package and spm commands', async () => {
  const bin = join(prefix, 'bin');
  const v = spawnSync(join(bin, 'safe-package'), ['--version'], { encoding: 'utf8' });
  assert.match(v.stdout, /^safe-package \d+\.\d+\.\d+/);
  const h = spawnSync(join(bin, 'spm'), ['--help'], { encoding: 'utf8' });
  assert.match(h.stdout, /Usage: spm /);
  const cwd = makeProject(user);
  const run = await runCli(['--network', 'none', '--', 'id', '-un'], { cwd, user, program: join(bin, 'safe-package') });
  assert.equal(run.stdout.trim(), user.name, run.stderr);
});

test('spm with the seed\'s configuration habit: "exe" in ~/.safe-package/config.json, then spm install foo', async () => {
  const config = join(user.home, '.safe-package', 'config.json');
  writeAs(user, config, JSON.stringify({ exe: '/usr/bin/npm' }), 0o644);
  try {
    const cwd = makeProject(user, { 'package.json': JSON.stringify({ name: 'app', version: '1.0.0' }) });
    const r = await runCli(['install', dep, '--no-audit', '--no-fund'], { cwd, user, program: join(prefix, 'bin', 'spm'), env: { npm_config_registry: registry.url } });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(cwd, 'node_modules', dep, 'index.js')));
    assert.match(r.stderr, /^safe-package: npm exit 0/m);
    // `spm -- --version` is npm's version; `spm -V` is spm's own.
    const npmVersion = await runCli(['--', '--version'], { cwd, user, program: join(prefix, 'bin', 'spm') });
    assert.equal(npmVersion.stdout.trim(), spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim());
  } finally {
    rmSync(join(user.home, '.safe-package'), { recursive: true, force: true });
  }
});

test('shell-init bash: plain npm goes through safe-package; `command npm` bypasses it', () => {
  const bin = join(prefix, 'bin');
  const cwd = makeProject(user);
  const bash = (script: string) =>
    spawnSync('bash', ['--noprofile', '--norc', '-c', script], {
      cwd,
      encoding: 'utf8',
      uid: user.uid,
      gid: user.gid,
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: user.home },
    });
  const wrapped = bash('eval "$(safe-package shell-init bash)"; npm --version');
  assert.equal(wrapped.status, 0, wrapped.stderr);
  assert.match(wrapped.stdout, /^\d+\.\d+\.\d+/);
  assert.match(wrapped.stderr, /^safe-package: npm exit 0/m);
  assert.match(wrapped.stderr, /\[sandbox, sp-other\]/);
  const bypass = bash('eval "$(safe-package shell-init bash)"; command npm --version');
  assert.equal(bypass.status, 0);
  assert.doesNotMatch(bypass.stderr, /safe-package/);
  const envBypass = bash('eval "$(safe-package shell-init bash)"; SAFE_PACKAGE_BYPASS=1 npm --version');
  assert.doesNotMatch(envBypass.stderr, /safe-package/);
  const fns = bash('eval "$(safe-package shell-init bash)"; type -t npm npx pnpm yarn pip pip3');
  assert.deepEqual(fns.stdout.trim().split('\n'), ['function', 'function', 'function', 'function', 'function', 'function']);
});

test('shell-init fish and zsh print their functions; an unknown shell is refused', async () => {
  const cwd = makeProject(user);
  const fish = await runCli(['shell-init', 'fish'], { cwd, user });
  assert.match(fish.stdout, /^function npm --wraps npm/m);
  const zsh = await runCli(['shell-init', 'zsh'], { cwd, user });
  assert.match(zsh.stdout, /^npm\(\) \{/m);
  const bad = await runCli(['shell-init', 'tcsh'], { cwd, user });
  assert.equal(bad.status, 125);
});
