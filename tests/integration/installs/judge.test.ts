// The judgement between the download phase and the scripts phase (src/judge/), through
// real installs as the fixture user against a real registry on loopback whose metadata
// carries chosen publish times and whose bulk advisory endpoint answers chosen
// advisories: a young version pinned in a lockfile is refused under `npm ci` and its
// install script never runs; an exclude lets it through; a malware-flagged transitive
// dependency is refused with nothing committed; a registry without the advisory
// endpoint warns (and --strict refuses); `safe-package check` judges a lockfile without
// installing; the minimum age passed down makes npm itself resolve a mature version;
// metadata is fetched with the user's token, which appears nowhere.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { installScriptPackage, type FixturePackage } from '../../support/fixture-packages.js';
import { installedCli, REPO } from '../../support/cli.js';
import { validate } from '../../support/json-schema.js';
import { copyProject, describeRun, diffTrees, installedTools, makeWorkDir, runAsUser, runWrapped, snapshotTree, user, userEnv, type WorkDir } from './support.js';
import type { Judgement } from '../../../src/judge/verdict.js';

// A canary: when its install script runs, it leaves a file in its own folder (which the
// scripts phase may write and the commit keeps) and tries one in the project root.
const canary = (name: string, deps?: Record<string, string>): FixturePackage =>
  installScriptPackage(
    name,
    {
      js: `const fs = require('fs'), path = require('path');\nfs.writeFileSync(path.join(__dirname, 'canary-ran'), 'ran\\n');\ntry { fs.writeFileSync(path.join(process.env.INIT_CWD || path.join(__dirname, '..', '..'), 'CANARY-${name}'), 'ran\\n'); } catch {}\n`,
    },
    { files: { 'index.js': 'module.exports = 1;\n' }, ...(deps ? { dependencies: deps } : {}) },
  );
const plain = (name: string, version = '1.0.0', deps?: Record<string, string>): FixturePackage => ({ name, version, files: { 'index.js': `module.exports = ${JSON.stringify(name)};\n` }, ...(deps ? { dependencies: deps } : {}) });

const FIXTURES: FixturePackage[] = [
  canary('fj-young'),
  plain('fj-mature'),
  canary('fj-evil'),
  plain('fj-app', '1.0.0', { 'fj-evil': '^1.0.0' }),
  plain('fj-vuln'),
  plain('fj-two', '1.0.0'),
  plain('fj-two', '1.1.0'),
];

const manifest = (deps: Record<string, string>, allow: string[] = []) =>
  `${JSON.stringify({ name: 'proj', version: '1.0.0', private: true, dependencies: deps, allowScripts: Object.fromEntries(allow.map((a) => [a, true])) }, null, 2)}\n`;

const HOURS = 3600_000;
const SCHEMA = JSON.parse(readFileSync(join(REPO, 'schema', 'report.schema.json'), 'utf8')) as Record<string, unknown>;

describe('the judgement of what the download phase resolved', () => {
  let registry: TestRegistry;
  let work: WorkDir;
  let cache: string;
  let reports: string;
  /** A project with a lockfile pinning fj-young@1.0.0 and fj-mature@1.0.0, no node_modules. */
  let pinned: string;
  /** The same for pnpm: a pnpm-lock.yaml pinning both. */
  let pnpmPinned: string;
  let pnpm: string;
  let n = 0;

  const env = (extra: Record<string, string> = {}) => userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: cache, npm_config_audit: 'false', ...extra });
  const wrapped = (flags: string[], args: string[], cwd: string, extra: Record<string, string> = {}) =>
    runWrapped(flags, 'npm', args, { cwd, env: env(extra), reportFile: join(reports, `run-${++n}.json`) });
  const check = (args: string[], cwd: string) => runAsUser(installedCli(), ['check', ...args], { cwd, env: env() });

  before(async () => {
    registry = await startRegistry();
    await registry.publishFixtures(FIXTURES);
    work = makeWorkDir('judge');
    cache = work.userDir('cache');
    reports = work.userDir('reports');
    pinned = work.project('pinned', { 'package.json': manifest({ 'fj-young': '1.0.0', 'fj-mature': '1.0.0' }, ['fj-young']) });
    // The lockfile, written by bare npm while every version is still old.
    const lock = await runAsUser('npm', ['install', '--package-lock-only', '--ignore-scripts'], { cwd: pinned, env: env() });
    assert.equal(lock.status, 0, describeRun('bare npm install --package-lock-only', lock));
    pnpm = join(installedTools(['pnpm', 'yarn'], { pnpm: '../pnpm/bin/pnpm.cjs', yarn: '../yarn/bin/yarn.js' }), '.bin', 'pnpm');
    pnpmPinned = work.project('pnpm-pinned', {
      'package.json': `${JSON.stringify({ name: 'proj', version: '1.0.0', private: true, dependencies: { 'fj-young': '1.0.0', 'fj-mature': '1.0.0' }, pnpm: { onlyBuiltDependencies: ['fj-young'] } }, null, 2)}\n`,
    });
    const pnpmLock = await runAsUser(pnpm, ['install', '--lockfile-only'], { cwd: pnpmPinned, env: env({ npm_config_store_dir: join(work.userDir('bare-store'), 's') }) });
    assert.equal(pnpmLock.status, 0, describeRun('bare pnpm install --lockfile-only', pnpmLock));
    // Now fj-young@1.0.0 was published two hours ago, and fj-two@1.1.0 three.
    await registry.setPublishTime('fj-young', '1.0.0', new Date(Date.now() - 2 * HOURS));
    await registry.setPublishTime('fj-two', '1.1.0', new Date(Date.now() - 3 * HOURS));
  });

  after(async () => {
    await registry?.stop();
    work?.remove();
  });

  test('npm ci of a lockfile pinning a version published 2h ago: refused, its script never ran, the project is untouched', async () => {
    const beforeRun = snapshotTree(pinned, { mtime: true });
    const r = await wrapped([], ['ci'], pinned);
    assert.equal(r.status, 4, describeRun('safe-package npm ci', r));
    assert.match(r.stderr, /judgement: refused/);
    assert.match(r.stderr, /fj-young@1\.0\.0 was published 2h( \d+m)? ago .*less than the minimum release age of 1d \(default\)/);
    assert.match(r.stderr, /to let it through: --min-release-age-exclude fj-young/);
    assert.doesNotMatch(r.stderr, /fj-mature@1\.0\.0 was published/);
    const j = r.report?.judgement;
    assert.ok(j, 'the report has a judgement');
    assert.equal(j.verdict, 'refused');
    assert.deepEqual(j.refused.map((x) => [x.name, x.version, x.reason]), [['fj-young', '1.0.0', 'young']]);
    assert.ok(j.lockfiles.includes('package-lock.json'));
    assert.deepEqual(validate(SCHEMA, r.report), [], 'the report matches schema/report.schema.json');
    // Only the download phase ran: no scripts phase, no commit.
    assert.deepEqual([...new Set(r.report!.steps.map((s) => s.phase))], ['install']);
    assert.equal(r.report!.writes.committed.length, 0);
    assert.ok(!existsSync(join(pinned, 'node_modules')), 'node_modules was committed');
    assert.ok(!existsSync(join(pinned, 'CANARY-fj-young')));
    assert.equal(diffTrees(beforeRun, snapshotTree(pinned, { mtime: true }), ['before', 'after']), '', 'the project changed');
  });

  test('the same under the landlock backend, whose shadow holds what the jail wrote', async () => {
    const dir = join(work.root, 'landlock-pinned', 'proj');
    copyProject(pinned, dir);
    const beforeRun = snapshotTree(dir, { mtime: true });
    const r = await wrapped(['--backend', 'landlock'], ['ci'], dir);
    assert.equal(r.status, 4, describeRun('safe-package --backend landlock npm ci', r));
    assert.equal(r.report?.backend, 'landlock');
    assert.deepEqual(r.report?.judgement?.refused.map((x) => `${x.name}@${x.version}`), ['fj-young@1.0.0']);
    assert.ok(!existsSync(join(dir, 'node_modules')));
    assert.equal(diffTrees(beforeRun, snapshotTree(dir, { mtime: true }), ['before', 'after']), '', 'the project changed');
  });

  test("pnpm install --frozen-lockfile of a pnpm-lock.yaml pinning the young version: refused, nothing committed", async () => {
    const beforeRun = snapshotTree(pnpmPinned, { mtime: true });
    const r = await runWrapped([], pnpm, ['install', '--frozen-lockfile'], { cwd: pnpmPinned, env: env(), reportFile: join(reports, 'pnpm-frozen.json') });
    assert.equal(r.status, 4, describeRun('safe-package pnpm install --frozen-lockfile', r));
    assert.match(r.stderr, /fj-young@1\.0\.0 was published 2h/);
    assert.ok(r.report?.judgement?.lockfiles.includes('pnpm-lock.yaml'));
    assert.deepEqual(r.report?.judgement?.refused.map((x) => x.name), ['fj-young']);
    assert.ok(!existsSync(join(pnpmPinned, 'node_modules')));
    assert.equal(diffTrees(beforeRun, snapshotTree(pnpmPinned, { mtime: true }), ['before', 'after']), '', 'the project changed');
  });

  test('an exclude lets it through, and then its install script runs', async () => {
    const r = await wrapped(['--min-release-age-exclude', 'fj-y*'], ['ci'], pinned);
    assert.equal(r.status, 0, describeRun('safe-package --min-release-age-exclude fj-y* npm ci', r));
    assert.equal(r.report?.judgement?.verdict, 'pass');
    assert.deepEqual(r.report?.judgement?.min_release_age.excluded, ['fj-young@1.0.0']);
    assert.match(r.stderr, /judgement: passed — 2 package version\(s\)/);
    assert.ok(existsSync(join(pinned, 'node_modules', 'fj-young', 'canary-ran')), 'the canary did not run: the proof above proves nothing');
    assert.ok(r.report!.steps.some((s) => s.phase === 'scripts' && s.package === 'fj-young'));
  });

  test('--min-release-age below the version\'s age lets it through too; 0 turns the check off', async () => {
    for (const age of ['90m', '0']) {
      const dir = work.project(`age-${age}`, { 'package.json': readFileSync(join(pinned, 'package.json'), 'utf8'), 'package-lock.json': readFileSync(join(pinned, 'package-lock.json'), 'utf8') });
      const r = await wrapped(['--min-release-age', age], ['ci', '--ignore-scripts'], dir);
      assert.equal(r.status, 0, describeRun(`--min-release-age ${age}`, r));
      assert.equal(r.report?.judgement?.verdict, 'pass');
      assert.equal(r.report?.judgement?.min_release_age.minutes, age === '0' ? 0 : 90);
    }
  });

  test('a dependency flagged as malware deep in the tree: refused whatever its age, nothing committed; ordinary advisories are counted', async () => {
    await registry.setAdvisories({
      'fj-evil': [{ id: 9001, url: 'https://github.com/advisories/GHSA-fjev-il00-0000', title: 'Malware in fj-evil', severity: 'critical', vulnerable_versions: '>= 0', cwe: ['CWE-506'] }],
      'fj-vuln': [{ id: 9002, url: 'https://github.com/advisories/GHSA-fjvu-ln00-0000', title: 'Regular Expression Denial of Service in fj-vuln', severity: 'moderate', vulnerable_versions: '<2.0.0', cwe: ['CWE-1333'] }],
    });
    try {
      const dir = work.project('malware', { 'package.json': manifest({}, ['fj-evil']) });
      const beforeRun = snapshotTree(dir, { mtime: true });
      const r = await wrapped([], ['install', 'fj-app'], dir);
      assert.equal(r.status, 4, describeRun('safe-package npm install fj-app', r));
      assert.match(r.stderr, /fj-evil@1\.0\.0 is known malware: Malware in fj-evil \(https:\/\/github\.com\/advisories\/GHSA-fjev-il00-0000\)/);
      assert.deepEqual(r.report?.judgement?.refused.map((x) => [x.name, x.reason]), [['fj-evil', 'malware']]);
      assert.ok(!existsSync(join(dir, 'node_modules')));
      assert.ok(!existsSync(join(dir, 'package-lock.json')));
      assert.equal(diffTrees(beforeRun, snapshotTree(dir, { mtime: true }), ['before', 'after']), '', 'the project changed');

      const v = work.project('vuln', { 'package.json': manifest({}) });
      const ok = await wrapped([], ['install', 'fj-vuln'], v);
      assert.equal(ok.status, 0, describeRun('safe-package npm install fj-vuln', ok));
      assert.equal(ok.report?.judgement?.advisories.vulnerabilities, 1);
      assert.deepEqual(ok.report?.judgement?.advisories.by_severity, { moderate: 1 });
      assert.deepEqual(validate(SCHEMA, ok.report), []);
      assert.match(ok.stderr, /1 known vulnerability \(1 moderate\): not refused/);
      assert.ok(existsSync(join(v, 'node_modules', 'fj-vuln', 'index.js')));
    } finally {
      await registry.setAdvisories({});
    }
  });

  test('a registry without the advisory endpoint: a warning; with --strict, refused with nothing committed', async () => {
    await registry.setAdvisories({}, { endpoint: false });
    try {
      const dir = work.project('no-endpoint', { 'package.json': manifest({}) });
      const r = await wrapped([], ['install', 'fj-mature'], dir);
      assert.equal(r.status, 0, describeRun('safe-package npm install fj-mature', r));
      assert.match(r.stderr, /warning: known malware was not checked: .*HTTP 404/);
      assert.equal(r.report?.judgement?.advisories.state, 'unavailable');
      assert.equal(r.report?.judgement?.warnings.length, 1);
      assert.ok(existsSync(join(dir, 'node_modules', 'fj-mature')));

      const strictDir = work.project('no-endpoint-strict', { 'package.json': manifest({}) });
      const beforeRun = snapshotTree(strictDir, { mtime: true });
      const s = await wrapped(['--strict'], ['install', 'fj-mature'], strictDir);
      assert.equal(s.status, 4, describeRun('safe-package --strict npm install fj-mature', s));
      assert.match(s.stderr, /--strict refuses an install whose advisories could not be checked/);
      assert.equal(diffTrees(beforeRun, snapshotTree(strictDir, { mtime: true }), ['before', 'after']), '', 'the project changed');
    } finally {
      await registry.setAdvisories({});
    }
  });

  test("the judgement's own requests go through the user's proxy (HTTP_PROXY, a loopback CONNECT proxy)", async () => {
    const tunnels: string[] = [];
    const proxy = createHttpServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, client, head) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = netConnect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const r = await runAsUser(installedCli(), ['check', '--json'], { cwd: pinned, env: env({ HTTP_PROXY: `http://127.0.0.1:${port}`, XDG_CACHE_HOME: work.userDir('cache-proxy') }) });
      assert.equal(r.status, 4, describeRun('HTTP_PROXY=… safe-package check', r));
      const registryHost = new URL(registry.url).host;
      assert.ok(tunnels.length >= 2 && tunnels.every((t) => t === registryHost), `tunnels: ${tunnels.join(', ')}`);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((ok) => proxy.close(() => ok()));
    }
  });

  test('safe-package check --report FILE writes the judgement to the file', async () => {
    const file = join(reports, 'check-report.json');
    const r = await check(['--report', file], pinned);
    assert.equal(r.status, 4, describeRun('safe-package check --report', r));
    assert.ok(existsSync(file), 'check --report wrote no file');
    const written = JSON.parse(readFileSync(file, 'utf8')) as { schema: string; judgement: Judgement };
    assert.equal(written.schema, 'safe-package/check@1');
    assert.equal(written.judgement.verdict, 'refused');
    assert.deepEqual(written.judgement.refused.map((x) => `${x.name}@${x.version}`), ['fj-young@1.0.0']);
  });

  test('safe-package check: non-zero on a young lockfile entry, 0 when everything is mature; metadata comes from the cache the second time', async () => {
    const young = await check([], pinned);
    assert.equal(young.status, 4, describeRun('safe-package check', young));
    assert.match(young.stdout, /judgement: refused/);
    assert.match(young.stdout, /fj-young@1\.0\.0 was published 2h/);
    assert.match(young.stdout, /--min-release-age-exclude fj-young/);
    const excluded = await check(['--min-release-age-exclude', 'fj-young'], pinned);
    assert.equal(excluded.status, 0, describeRun('safe-package check --min-release-age-exclude fj-young', excluded));

    const mature = work.project('mature', { 'package.json': manifest({ 'fj-mature': '1.0.0', 'fj-app': '1.0.0' }) });
    const lock = await runAsUser('npm', ['install', '--package-lock-only', '--ignore-scripts'], { cwd: mature, env: env() });
    assert.equal(lock.status, 0, describeRun('bare npm install --package-lock-only', lock));
    const first = await check(['--json'], mature);
    assert.equal(first.status, 0, describeRun('safe-package check --json', first));
    const j1 = JSON.parse(first.stdout) as Judgement;
    assert.equal(j1.verdict, 'pass');
    assert.equal(j1.packages, 3);
    const second = JSON.parse((await check(['--json'], mature)).stdout) as Judgement;
    assert.deepEqual([second.metadata.fetched, second.metadata.cached], [0, 3]);
    // A local directory of OSV records, laid out as ossf/malicious-packages publishes them.
    const db = work.userDir('osv/malicious/npm/fj-mature');
    writeFileSync(join(db, 'MAL-2026-0001.json'), JSON.stringify({ id: 'MAL-2026-0001', summary: 'Malicious code in fj-mature (npm)', affected: [{ package: { ecosystem: 'npm', name: 'fj-mature' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }] }));
    const flagged = await check(['--malware-db', join(work.root, 'osv')], mature);
    assert.equal(flagged.status, 4, describeRun('safe-package check --malware-db', flagged));
    assert.match(flagged.stdout, /fj-mature@1\.0\.0 is known malware: Malicious code in fj-mature \(npm\) \(MAL-2026-0001, from the malware_db directory\)/);
    const noLock = await check([], work.project('no-lock', { 'package.json': manifest({}) }));
    assert.equal(noLock.status, 125);
    assert.match(noLock.stderr, /no lockfile to check/);
  });

  test('passed down to npm: a fresh install resolves the newest mature version, not the one published 3h ago', async () => {
    const dir = work.project('resolve', { 'package.json': manifest({}) });
    const r = await wrapped([], ['install', 'fj-two'], dir);
    assert.equal(r.status, 0, describeRun('safe-package npm install fj-two', r));
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules', 'fj-two', 'package.json'), 'utf8')) as { version: string };
    assert.equal(installed.version, '1.0.0');
    assert.equal(r.report?.judgement?.verdict, 'pass');
  });

  test("metadata is fetched with the user's token from their npmrc; the token appears in no output or report", async () => {
    const locked = await startRegistry({ auth: true });
    try {
      await locked.publishFixture(plain('fj-private'));
      const npmrc = join(work.userDir('auth-home'), 'npmrc');
      await locked.writeNpmrc(npmrc, { owner: { uid: user.uid, gid: user.gid } });
      const dir = work.project('auth', { 'package.json': manifest({}) });
      const reportFile = join(reports, 'auth.json');
      const r = await runWrapped([], 'npm', ['install', 'fj-private'], { cwd: dir, env: userEnv({ npm_config_userconfig: npmrc, XDG_CACHE_HOME: cache }), reportFile });
      assert.equal(r.status, 0, describeRun('safe-package npm install fj-private (registry needs a token)', r));
      assert.equal(r.report?.judgement?.verdict, 'pass');
      assert.equal(r.report?.judgement?.advisories.state, 'ok');
      for (const text of [r.stdout, r.stderr, readFileSync(reportFile, 'utf8')]) assert.ok(!text.includes(locked.token), 'the token leaked');
      const cached = JSON.stringify(readCacheTree(cache));
      assert.ok(!cached.includes(locked.token), 'the token reached the metadata cache');
    } finally {
      await locked.stop();
    }
  });
});

function readCacheTree(dir: string): string[] {
  const out: string[] = [];
  const r = snapshotTree(dir);
  for (const [rel] of r) {
    try {
      out.push(readFileSync(join(dir, rel), 'utf8'));
    } catch {
      /* a directory */
    }
  }
  return out;
}
