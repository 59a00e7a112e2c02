// Everyday use (docs/promises.md#p9-report): the summary, --report validated against the schema, --strict,
// --quiet, colour and neutralised output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { uniqueName } from '../../support/fixture-packages.js';
import { fixtureUser, installedCli, makeProject, REPO, runCli } from '../../support/cli.js';
import { validate } from '../../support/json-schema.js';

const user = fixtureUser('sp-other');
const schema = JSON.parse(readFileSync(join(REPO, 'schema', 'report.schema.json'), 'utf8')) as Record<string, unknown>;
let registry: TestRegistry;
const dep = uniqueName('everyday-dep');
const built = [uniqueName('everyday-built-a'), uniqueName('everyday-built-b')];

before(async () => {
  registry = await startRegistry();
  await registry.publishFixtures([
    { name: dep, files: { 'index.js': 'module.exports = 1;' } },
    ...built.map((name) => ({ name, files: { 'index.js': 'module.exports = 1;' }, scripts: { postinstall: 'node -e "require(\'fs\').writeFileSync(\'built\', \'1\')"' } })),
  ]);
});
after(() => registry?.stop());

const env = () => ({ npm_config_registry: registry.url });
const project = () => makeProject(user, { 'package.json': JSON.stringify({ name: 'app', version: '1.0.0' }) });

interface ReportDoc {
  duration_ms: number;
  exit: { status: number };
  phases: string[];
  steps: { phase: string; argv: string[]; package?: string; status: number; duration_ms: number }[];
  network: { contacted: { host: string }[]; blocked: { host: string; port: number; suggestion?: string }[] };
  writes: { staged: boolean; committed: { path: string }[]; discarded: { path: string; reason: string }[] };
  environment: { withheld: string[]; passed: string[] };
  strict: { enabled: boolean; violations: string[] };
}

function readReport(path: string): ReportDoc {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  assert.deepEqual(validate(schema, doc), []);
  return doc as ReportDoc;
}

test('a clean install: one summary, a report that matches the schema, nothing secret in either', async () => {
  const cwd = project();
  const r = await runCli(['--report', join(cwd, 'report.json'), 'npm', 'install', dep, '--no-audit', '--no-fund'], {
    cwd,
    user,
    env: { ...env(), NPM_TOKEN: 'npm_canary_value' },
  });
  assert.equal(r.status, 0, r.stderr);
  const report = readReport(join(cwd, 'report.json'));
  assert.equal(report.exit.status, 0);
  // The dependency has no install scripts: the scripts phase has nothing to run.
  assert.deepEqual(report.phases, ['install']);
  assert.deepEqual(report.steps.map((st) => [st.phase, st.argv.slice(1), st.status]), [['install', ['install', dep, '--no-audit', '--no-fund'], 0]]);
  assert.ok(report.steps[0]!.duration_ms > 0 && report.steps[0]!.duration_ms <= report.duration_ms);
  assert.deepEqual(report.network.contacted.map((c) => c.host), ['127.0.0.1']);
  assert.deepEqual(report.network.blocked, []);
  assert.ok(report.writes.committed.some((w) => w.path === `node_modules/${dep}/index.js`));
  assert.ok(report.environment.withheld.includes('NPM_TOKEN'));
  assert.doesNotMatch(readFileSync(join(cwd, 'report.json'), 'utf8'), /npm_canary_value/);
  assert.match(r.stderr, /^safe-package: npm exit 0 in [\d.]+s \[sandbox, sp-other, install\]$/m);
  assert.match(r.stderr, new RegExp(`network: 127\\.0\\.0\\.1:${registry.port}`));
  assert.match(r.stderr, /writes: \d+ committed, 0 discarded/);
  assert.match(r.stderr, /withheld \d+ variable\(s\):.*NPM_TOKEN/);
  assert.doesNotMatch(r.stderr, /npm_canary_value/);
});

test('the report names each phase once and times each jail: one step per package with install scripts', async () => {
  const cwd = project();
  const r = await runCli(['--report', join(cwd, 'report.json'), 'npm', 'install', ...built, '--no-audit', '--no-fund'], { cwd, user, env: env() });
  assert.equal(r.status, 0, r.stderr);
  const report = readReport(join(cwd, 'report.json'));
  assert.deepEqual(report.phases, ['install', 'scripts']);
  assert.deepEqual(
    report.steps.map((st) => [st.phase, st.package, st.argv.slice(1), st.status]),
    [['install', undefined, ['install', ...built, '--no-audit', '--no-fund'], 0], ...[...built].sort().map((name) => ['scripts', name, ['rebuild', name], 0])],
  );
  for (const name of built) assert.equal(readFileSync(join(cwd, 'node_modules', name, 'built'), 'utf8'), '1');
  assert.match(r.stderr, /\[sandbox, sp-other, install \+ scripts\]$/m);
});

test('credentials in a URL on the command line stay out of the report, in the command and in its steps', async () => {
  const cwd = project();
  const url = 'https://someone:s3cret-canary@registry.example/simple/';
  const r = await runCli(['--report', join(cwd, 'report.json'), '--', 'echo', url], { cwd, user, env: env() });
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(join(cwd, 'report.json'), 'utf8');
  assert.doesNotMatch(text, /s3cret-canary/);
  const report = readReport(join(cwd, 'report.json'));
  assert.deepEqual(report.steps.map((st) => st.argv.slice(1)), [['https://registry.example/simple/']]);
  assert.doesNotMatch(r.stderr, /s3cret-canary/);
});

test('a run that was blocked: the host, the reason and the option that allows it; --strict exits 3', async () => {
  const cwd = project();
  const script = 'curl -s -o /dev/null https://blocked.example/ ; true';
  const r = await runCli(['--report', join(cwd, 'report.json'), '--strict', '--profile', 'npm', '--', 'sh', '-c', script], { cwd, user, env: env() });
  assert.equal(r.status, 3, r.stderr);
  const report = readReport(join(cwd, 'report.json'));
  assert.deepEqual(report.network.blocked.map((b) => [b.host, b.port, b.suggestion]), [['blocked.example', 443, '--allow-host blocked.example:443']]);
  assert.equal(report.strict.enabled, true);
  assert.match(report.strict.violations.join(), /1 connection\(s\) blocked/);
  assert.match(r.stderr, /blocked 1 connection\(s\):\n\s+CONNECT blocked\.example:443 — .*--allow-host blocked\.example:443/);
  assert.match(r.stderr, /--strict: 1 connection\(s\) blocked/);
  // Without --strict the same run succeeds.
  const lenient = await runCli(['--profile', 'npm', '--', 'sh', '-c', script], { cwd, user, env: env() });
  assert.equal(lenient.status, 0, lenient.stderr);
});

test('discarded writes are listed with their reason; --strict exits 3; a failing program keeps its own status', async () => {
  const cwd = project();
  const r = await runCli(['--strict', '--network', 'none', '--profile', 'npm', '--', 'sh', '-c', 'mkdir -p .github/workflows && echo x > .github/workflows/ci.yml'], { cwd, user });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /discarded 3 write\(s\):\n\s+\.github — CI configuration/);
  const failing = await runCli(['--strict', '--network', 'none', '--profile', 'npm', '--', 'sh', '-c', 'mkdir .github; exit 7'], { cwd, user });
  assert.equal(failing.status, 7);
});

test('--quiet prints only problems', async () => {
  const cwd = project();
  const quiet = await runCli(['-q', 'npm', 'install', dep, '--no-audit', '--no-fund'], { cwd, user, env: env() });
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /safe-package:/);
  const problem = await runCli(['-q', '--network', 'none', '--', 'sh', '-c', 'echo x > stray.txt'], { cwd, user });
  assert.match(problem.stderr, /discarded 1 write\(s\):\n\s+stray\.txt/);
  assert.doesNotMatch(problem.stderr, /withheld/);
});

test('escape sequences in a file name are shown neutralised', async () => {
  const cwd = project();
  const r = await runCli(['--network', 'none', '--', 'sh', '-c', 'touch "$(printf \'evil\\033]0;pwned\\007\\033[2J\')"'], { cwd, user });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /\x1b|\x07/);
  assert.match(r.stderr, /evil\\x1b\]0;pwned\\x07\\x1b\[2J/);
});

test('colour on a terminal, none with NO_COLOR or when piped', async () => {
  const cwd = project();
  // Piped (runCli captures stderr): plain.
  const piped = await runCli(['--network', 'none', '--', 'true'], { cwd, user });
  assert.doesNotMatch(piped.stderr, /\x1b\[/);
  // On a pseudo-terminal made by script(1): coloured, unless NO_COLOR.
  const onTty = (extraEnv: string) =>
    spawnSync('script', ['-qec', `env ${extraEnv} ${installedCli()} --network none -- true`, '/dev/null'], {
      cwd,
      encoding: 'utf8',
      uid: user.uid,
      gid: user.gid,
      env: { PATH: '/usr/bin:/bin', HOME: user.home, TERM: 'xterm' },
    }).stdout;
  assert.match(onTty('TERM=xterm'), /\x1b\[32mexit 0/);
  assert.doesNotMatch(onTty('NO_COLOR=1'), /\x1b\[/);
});
