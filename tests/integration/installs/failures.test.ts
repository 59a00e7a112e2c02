// Failure and refusal paths of a real npm install through safe-package (docs/promises.md#p5-staged-writes, docs/promises.md#p6-network, docs/promises.md#p9-report):
// a failed install commits nothing; an install script that reaches for a host outside
// the allowlist is blocked, and the report names the host and the option that would
// allow it; --strict turns that into exit status 3 although npm itself succeeded.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { installScriptPackage, type FixturePackage } from '../../support/fixture-packages.js';
import { describeRun, diffTrees, makeWorkDir, runWrapped, snapshotTree, userEnv, type WorkDir } from './support.js';

// An install script that downloads the way real ones do (prebuilt binaries, telemetry):
// through the proxy its environment names, once as plain HTTP (absolute-form GET) and
// once as HTTPS (CONNECT). `.invalid` names never resolve anywhere (RFC 2606), so even a
// proxy that let them through would send nothing off this machine.
const PHONE_HOME_JS = String.raw`
const http = require('http');
const fs = require('fs');
const proxy = new URL(process.env.HTTP_PROXY || process.env.http_proxy || 'http://127.0.0.1:9');
function attempt(method, path) {
  return new Promise((resolve) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port, method, path, headers: { host: path.replace(/^http:\/\/|\/.*$/g, '') } });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('response', (res) => { res.resume(); resolve(method + ' ' + res.statusCode); });
    req.on('connect', (res, socket) => { socket.destroy(); resolve(method + ' ' + res.statusCode); });
    req.on('error', (e) => resolve(method + ' error ' + (e.code || e.message)));
    req.end();
  });
}
Promise.all([attempt('GET', 'http://example.invalid/payload'), attempt('CONNECT', 'downloads.example.invalid:443')])
  .then((r) => fs.writeFileSync(__dirname + '/attempts.txt', r.join('\n') + '\n'));
`;

const PHONE_HOME = installScriptPackage('fx-phone-home', { js: PHONE_HOME_JS }, { files: { 'index.js': 'module.exports = 1;\n' } });
const PLAIN: FixturePackage = { name: 'fx-plain', files: { 'index.js': 'module.exports = "plain";\n' } };

const PROJECT = {
  'package.json': `${JSON.stringify({ name: 'proj', version: '1.0.0', private: true, allowScripts: { 'fx-phone-home': true } }, null, 2)}\n`,
  'src/index.js': 'require("fx-plain");\n',
};

describe('failed and refused installs through safe-package', () => {
  let registry: TestRegistry;
  let work: WorkDir;
  let cache: string;
  let reports: string;
  let n = 0;

  before(async () => {
    registry = await startRegistry();
    await registry.publishFixtures([PLAIN, PHONE_HOME]);
    work = makeWorkDir('failures');
    cache = work.userDir('cache');
    reports = work.userDir('reports');
  });

  after(async () => {
    await registry?.stop();
    work?.remove();
  });

  const npm = (cwd: string, args: readonly string[], flags: readonly string[] = []) =>
    runWrapped(flags, 'npm', args, {
      cwd,
      env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: cache }),
      reportFile: join(reports, `run-${++n}.json`),
    });

  test('an install that fails (E404) commits nothing: the project is byte-identical to before', async () => {
    const project = work.project('e404', PROJECT);
    const first = await npm(project, ['install', 'fx-plain']);
    assert.equal(first.status, 0, describeRun('npm install fx-plain', first));
    const before = snapshotTree(project, { mtime: true });

    const r = await npm(project, ['install', 'fx-plain', 'fx-does-not-exist']);
    assert.notEqual(r.status, 0, 'npm install of a missing package succeeded');
    assert.match(r.stdout + r.stderr, /E404/);
    assert.ok(r.report, r.stderr);
    assert.deepEqual(r.report.writes.committed, []);
    assert.notEqual(r.report.exit.status, 0);
    const diff = diffTrees(before, snapshotTree(project, { mtime: true }), ['before', 'after the failed install']);
    assert.equal(diff, '', `a failed install changed the project:\n${diff}`);
  });

  test('a postinstall that reaches for a host outside the allowlist is blocked and named in the report', async (t) => {
    const project = work.project('blocked', PROJECT);
    const r = await npm(project, ['install', 'fx-phone-home']);
    assert.equal(r.status, 0, describeRun('npm install fx-phone-home', r));
    assert.ok(r.report);

    // The script ran and was refused both ways.
    const attempts = readFileSync(join(project, 'node_modules', 'fx-phone-home', 'attempts.txt'), 'utf8');
    assert.doesNotMatch(attempts, /\b(200|502)\b/, `the proxy let a request through:\n${attempts}`);
    t.diagnostic(`the script saw: ${attempts.trim().replace(/\n/g, '; ')}`);

    const blocked = r.report.network.blocked;
    const plain = blocked.find((b) => b.host === 'example.invalid');
    const tls = blocked.find((b) => b.host === 'downloads.example.invalid');
    assert.ok(plain, `example.invalid is not in the blocked list: ${JSON.stringify(blocked)}`);
    assert.ok(tls, `downloads.example.invalid is not in the blocked list: ${JSON.stringify(blocked)}`);
    assert.equal(plain.port, 80);
    assert.equal(tls.port, 443);
    for (const b of [plain, tls]) {
      const advice = `${b.suggestion ?? ''} ${b.reason}`;
      assert.match(advice, new RegExp(`--allow-host ${b.host.replace(/\./g, '\\.')}(:${b.port})?`), `no --allow-host suggestion for ${b.host}: ${JSON.stringify(b)}`);
    }
    // The summary on stderr says it too, without --report.
    assert.match(r.stderr, /example\.invalid/);
    assert.match(r.stderr, /--allow-host/);
    // Only the registry was reached.
    assert.deepEqual(r.report.network.contacted.map((c) => `${c.host}:${c.port}`), [registry.host]);
    // npm succeeded, so the install itself is committed.
    assert.ok(existsSync(join(project, 'node_modules', 'fx-phone-home', 'index.js')));
  });

  test('the blocked record names the package whose script made the attempt (docs/promises.md#p8-profiles)', async () => {
    const project = work.project('blocked-package', PROJECT);
    const r = await npm(project, ['install', 'fx-phone-home']);
    assert.equal(r.status, 0, describeRun('npm install fx-phone-home', r));
    const b = r.report?.network.blocked.find((x) => x.host === 'example.invalid');
    assert.equal(b?.package, 'fx-phone-home');
  });

  test('--strict exits 3 when something was blocked, although npm succeeded', async (t) => {
    const project = work.project('strict', PROJECT);
    const r = await npm(project, ['install', 'fx-phone-home'], ['--strict']);
    assert.equal(r.status, 3, describeRun('safe-package --strict npm install fx-phone-home', r));
    assert.ok(r.report);
    assert.equal(r.report.exit.status, 0, 'the report keeps npm\'s own status');
    assert.equal(r.report.strict.enabled, true);
    assert.ok(r.report.strict.violations.some((v) => /blocked/.test(v)), JSON.stringify(r.report.strict.violations));
    t.diagnostic(`with --strict the install is ${existsSync(join(project, 'node_modules', 'fx-phone-home')) ? 'committed' : 'not committed'} (${r.report.writes.committed.length} committed, ${r.report.writes.discarded.length} discarded)`);

    // The same install without anything to block is not a violation.
    const clean = work.project('strict-clean', PROJECT);
    const ok = await npm(clean, ['install', 'fx-plain'], ['--strict']);
    assert.equal(ok.status, 0, describeRun('safe-package --strict npm install fx-plain', ok));
  });
});
