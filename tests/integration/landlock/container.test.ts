// A CI container reproduced on the test host (docs/promises.md#p3-backends): root, with the
// capabilities Docker leaves (no CAP_SYS_ADMIN) and Docker's refusals that decide whether
// a jail can be built (unshare, setns, mount, umount2, pivot_root, clone with namespace
// flags; clone3 answered ENOSYS), set up by tests/support/native/docker-default.c and
// setpriv. There bubblewrap cannot start; `safe-package npm install` and `npm ci` in a
// root-owned checkout, with no flags, must work through the landlock backend, with the
// install script confined: run as nobody, the host's secrets unreadable, nothing written
// outside the project, no TCP or UDP out, no process left behind, and the files that land
// owned by the project's owner.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { baseEnv, installedCli, runProcess } from '../../support/cli.js';
import { buildDockerHarness, inContainer, startLoopbackSinks, type LoopbackSinks } from '../../support/docker-default.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

const tag = randomBytes(4).toString('hex');

describe('in a container with Docker\'s default security settings', () => {
  let registry: TestRegistry;
  let work: string;
  let harness: string;
  let sinks: LoopbackSinks;
  const canary = `canary-${tag}`;
  const canaryFile = join('/root', `.sp-container-canary-${tag}`);
  const outside = join('/tmp', `sp-container-outside-${tag}`);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sp-container-'));
    chmodSync(work, 0o755);
    harness = buildDockerHarness(work);
    writeFileSync(canaryFile, canary, { mode: 0o600 });
    sinks = await startLoopbackSinks();
    const { tcpPort, udpPort } = sinks;
    registry = await startRegistry();
    // The install script of a package that would do harm in a CI job.
    const script = [
      'const fs = require("fs"), net = require("net"), dgram = require("dgram"), cp = require("child_process");',
      'const out = [];',
      `try { out.push("canary:" + fs.readFileSync(${JSON.stringify(canaryFile)}, "utf8")); } catch (e) { out.push("canary:" + e.code); }`,
      `try { fs.writeFileSync(${JSON.stringify(outside)}, "x"); out.push("outside:written"); } catch (e) { out.push("outside:" + e.code); }`,
      'out.push("uid:" + process.getuid());',
      `cp.spawn("/bin/sh", ["-c", "exec -a sp-container-daemon-${tag} sleep 300"], { detached: true, stdio: "ignore" }).unref();`,
      `const s = net.connect(${tcpPort}, "127.0.0.1"); s.on("error", () => {});`,
      `const u = dgram.createSocket("udp4"); u.on("error", () => {}); u.send("x", ${udpPort}, "127.0.0.1", () => u.close());`,
      'fs.writeFileSync(__dirname + "/ran.txt", out.join("\\n") + "\\n");',
      'setTimeout(() => process.exit(0), 300);',
    ].join('\n');
    await registry.publishFixtures([
      { name: 'ci-helper', version: '1.0.0', scripts: { postinstall: 'node install.js' }, files: { 'index.js': 'module.exports = 1;\n', 'install.js': script } },
      { name: 'ci-leaf', version: '1.0.0', files: { 'index.js': 'module.exports = 2;\n' } },
    ]);
  });

  after(async () => {
    spawnSync('pkill', ['-KILL', '-f', `sp-container-daemon-${tag}`]);
    await registry?.stop();
    sinks?.close();
    rmSync(canaryFile, { force: true });
    rmSync(outside, { force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const checkout = (name: string, manifest: Record<string, unknown>, extra: Record<string, string> = {}) => {
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    for (const [rel, content] of Object.entries(extra)) writeFileSync(join(dir, rel), content);
    return dir; // owned by root, as CI checkouts are
  };
  const env = () => ({ ...baseEnv(), npm_config_registry: registry.url, npm_config_audit: 'false', npm_config_fund: 'false' });

  test('bubblewrap cannot build a jail there (so the test reproduces the container)', async () => {
    const r = await runProcess(inContainer(['bwrap', '--ro-bind', '/', '/', 'true'], harness)[0]!, inContainer(['bwrap', '--ro-bind', '/', '/', 'true'], harness).slice(1), { cwd: work, env: baseEnv() });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Operation not permitted/);
  });

  test('doctor there: the sandbox fails with a fix that is not --cap-add, and auto uses the landlock backend', async () => {
    const argv = inContainer([installedCli(), 'doctor'], harness);
    const r = await runProcess(argv[0]!, argv.slice(1), { cwd: work, env: baseEnv() });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /^FAIL user, PID and network namespaces/m);
    assert.match(r.stdout, /^ok   landlock backend \(no namespaces needed\): a confined no-op jail runs as nobody/m);
    assert.match(r.stdout, /auto uses the landlock backend/);
    assert.doesNotMatch(r.stdout, /fix: .*--cap-add SYS_ADMIN(?! is not)/);
  });

  test('safe-package npm install with no flags: the landlock backend, the script confined, the files the checkout owner\'s', async () => {
    const proj = checkout('install', { name: 'ci-proj', version: '1.0.0', private: true, allowScripts: { 'ci-helper': true } }, { '.env': `SECRET=${canary}\n` });
    const argv = inContainer([installedCli(), 'npm', 'install', 'ci-helper', 'ci-leaf'], harness);
    const r = await runProcess(argv[0]!, argv.slice(1), { cwd: proj, env: env(), timeoutMs: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /using the landlock backend/);
    assert.match(r.stderr, /\[landlock, nobody/);
    const ran = readFileSync(join(proj, 'node_modules/ci-helper/ran.txt'), 'utf8');
    assert.match(ran, /^uid:65534$/m, 'the install script ran as nobody, not as root');
    assert.match(ran, /^canary:EACCES$/m, "root's files are out of reach");
    assert.match(ran, /^outside:EACCES$/m, 'nothing is written outside the project');
    assert.equal(existsSync(outside), false);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(sinks.tcpHits(), 0, 'no TCP connection reached a host port other than the proxy');
    assert.equal(sinks.udpHits(), 0, 'no UDP datagram left the jail');
    const left = spawnSync('pgrep', ['-f', `sp-container-daemon-${tag}`], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', 'the daemon the script started is gone');
    for (const rel of ['node_modules', 'node_modules/ci-helper/ran.txt', 'node_modules/ci-leaf/index.js', 'package-lock.json']) {
      const st = lstatSync(join(proj, rel));
      assert.equal(st.uid, 0, `${rel} belongs to the checkout's owner`);
    }
    assert.match(readFileSync(join(proj, 'package.json'), 'utf8'), /"ci-leaf"/);
  });

  test('safe-package npm ci with no flags over an existing node_modules: the lockfile\'s tree, nothing else', async () => {
    const first = join(work, 'install');
    const proj = checkout('ci', JSON.parse(readFileSync(join(first, 'package.json'), 'utf8')) as Record<string, unknown>, { 'package-lock.json': readFileSync(join(first, 'package-lock.json'), 'utf8') });
    mkdirSync(join(proj, 'node_modules/stale'), { recursive: true });
    writeFileSync(join(proj, 'node_modules/stale/index.js'), 'stale\n');
    const argv = inContainer([installedCli(), 'npm', 'ci'], harness);
    const r = await runProcess(argv[0]!, argv.slice(1), { cwd: proj, env: env(), timeoutMs: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(join(proj, 'node_modules/stale')), false, 'npm ci replaced node_modules');
    assert.equal(readFileSync(join(proj, 'node_modules/ci-leaf/index.js'), 'utf8'), 'module.exports = 2;\n');
    assert.ok(existsSync(join(proj, 'node_modules/ci-helper/ran.txt')), 'the install script ran in the scripts phase');
  });
});
