// The chroot backend inside a CI container (docs/promises.md#p3-backends): root with
// Docker's default capabilities and seccomp refusals (tests/support/docker-default.ts),
// where unshare and mounts are refused. The original's own command,
// `safe-package -r JAIL -u nobody -- npm install x`, must work as typed with the project
// inside the jail, the registry reached through the proxy over loopback TCP (Landlock's
// rule), the install script confined; and a setup it cannot do is exit 125 with the
// reason and a fix, never the program's status.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { baseEnv, installedCli, runCli, runProcess } from '../../support/cli.js';
import { buildDockerHarness, inContainer, startLoopbackSinks, type LoopbackSinks } from '../../support/docker-default.js';
import { startRegistry, type TestRegistry } from '../../support/registry.js';

const tag = randomBytes(4).toString('hex');
const NOBODY = 65534;

describe('the chroot backend in a container with Docker\'s default security settings', () => {
  let registry: TestRegistry;
  let work: string;
  let jail: string;
  let harness: string;
  let sinks: LoopbackSinks;
  const canary = `canary-${tag}`;
  const canaryFile = join('/root', `.sp-chroot-canary-${tag}`);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'sp-chroot-ct-'));
    chmodSync(work, 0o755);
    harness = buildDockerHarness(work);
    writeFileSync(canaryFile, canary, { mode: 0o600 });
    sinks = await startLoopbackSinks();
    const { tcpPort, udpPort } = sinks;
    jail = join(work, 'jail');
    const made = await runCli(['jail', 'create', jail, ...['/usr/bin/node', '/usr/bin/npm', '/bin/sh', '/usr/bin/sleep'].flatMap((t) => ['--with', t])], { cwd: work });
    assert.equal(made.status, 0, made.stderr + made.stdout);
    mkdirSync(join(jail, 'work'), { mode: 0o755 });
    registry = await startRegistry();
    const script = [
      'const fs = require("fs"), net = require("net"), dgram = require("dgram"), cp = require("child_process");',
      'const out = [];',
      `try { out.push("canary:" + fs.readFileSync(${JSON.stringify(canaryFile)}, "utf8")); } catch (e) { out.push("canary:" + e.code); }`,
      'out.push("uid:" + process.getuid());',
      `cp.spawn("/bin/sh", ["-c", "exec -a sp-chroot-daemon-${tag} sleep 300"], { detached: true, stdio: "ignore" }).unref();`,
      `const s = net.connect(${tcpPort}, "127.0.0.1"); s.on("error", (e) => {});`,
      `const u = dgram.createSocket("udp4"); u.on("error", () => {}); try { u.send("x", ${udpPort}, "127.0.0.1", () => u.close()); } catch (e) { out.push("udp:" + e.code); }`,
      'fs.writeFileSync(__dirname + "/ran.txt", out.join("\\n") + "\\n");',
      'setTimeout(() => process.exit(0), 300);',
    ].join('\n');
    await registry.publishFixtures([
      { name: 'ct-helper', version: '1.0.0', scripts: { postinstall: 'node install.js' }, files: { 'index.js': 'module.exports = 1;\n', 'install.js': script } },
    ]);
  });

  after(async () => {
    spawnSync('pkill', ['-KILL', '-f', `sp-chroot-daemon-${tag}`]);
    await registry?.stop();
    sinks?.close();
    rmSync(canaryFile, { force: true });
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * A project inside the jail, owned by the jail user (it writes there directly). Removed
   * when the test ends: the jail check allows one such project, the run's own.
   */
  const project = (t: { after(fn: () => void): void }, name: string, extra: Record<string, string> = {}, owner = NOBODY) => {
    const dir = join(jail, 'work', name);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, allowScripts: { 'ct-helper': true } }, null, 2) + '\n');
    for (const [rel, content] of Object.entries(extra)) writeFileSync(join(dir, rel), content);
    if (owner !== 0) for (const e of ['', 'package.json', ...Object.keys(extra)]) chownSync(join(dir, e), owner, owner);
    return dir;
  };
  const env = () => ({ ...baseEnv(), npm_config_registry: registry.url, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' });
  const run = async (args: string[], cwd: string) => {
    const argv = inContainer([installedCli(), ...args], harness);
    return runProcess(argv[0]!, argv.slice(1), { cwd, env: env(), timeoutMs: 180_000 });
  };

  test('the original\'s command as typed: auto takes the chroot backend, the install works, the script is confined', async (t) => {
    const proj = project(t, 'typed');
    const r = await run(['-r', jail, '-u', 'nobody', '--', 'npm', 'install', 'ct-helper'], proj);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /using the chroot backend|\[chroot, nobody/);
    const ran = readFileSync(join(proj, 'node_modules/ct-helper/ran.txt'), 'utf8');
    assert.match(ran, /^uid:65534$/m);
    assert.match(ran, /^canary:ENOENT$/m, "root's files are not in the jail");
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(sinks.tcpHits(), 0, 'TCP reached only the proxy (Landlock)');
    assert.equal(sinks.udpHits(), 0, 'no UDP datagram left the jail');
    assert.equal(spawnSync('pgrep', ['-f', `sp-chroot-daemon-${tag}`], { encoding: 'utf8' }).stdout.trim(), '', 'the daemon the script started is gone');
    assert.match(readFileSync(join(proj, 'package.json'), 'utf8'), /"ct-helper"/);
  });

  test('network none without a network namespace: Landlock refuses every TCP connection', async (t) => {
    const proj = project(t, 'offline');
    const port = sinks.tcpPort;
    const hits = sinks.tcpHits();
    const probe = `const s = require("net").connect(${port}, "127.0.0.1"); s.on("connect", () => { console.log("connected"); process.exit(0); }); s.on("error", (e) => { console.log("refused:" + e.code); process.exit(0); });`;
    const r = await run(['--backend', 'chroot', '-r', jail, '--network', 'none', '--', '/usr/bin/node', '-e', probe], proj);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^refused:EACCES$/m);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(sinks.tcpHits(), hits);
  });

  test('doctor tries unshare there instead of trusting the binary: refused, and says what the chroot backend still does', async () => {
    const argv = inContainer([installedCli(), 'doctor'], harness);
    const r = await runProcess(argv[0]!, argv.slice(1), { cwd: work, env: baseEnv() });
    assert.match(r.stdout, /^note chroot backend namespaces: unshare is refused here \(.*Operation not permitted.*\): the chroot backend still runs, but only in a project inside the jail root/m);
  });

  test('a project outside the jail: 125, with the reason and where to put it', async () => {
    const outside = mkdtempSync(join(work, 'outside-'));
    writeFileSync(join(outside, 'package.json'), '{"name":"o","version":"1.0.0"}\n');
    const r = await run(['--backend', 'chroot', '-r', jail, '--', 'npm', 'install'], outside);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /outside the jail/);
    assert.match(r.stderr, new RegExp(`fix: .*${join(jail, 'work').replace(/[/.]/g, '\\$&')}`));
  });

  test('hidden files that cannot be covered without mounts: refused before anything runs', async (t) => {
    const proj = project(t, 'secret', { '.env': `TOKEN=${canary}\n` });
    const r = await run(['--backend', 'chroot', '-r', jail, '--', '/bin/sh', '-c', 'cat .env; echo ran > ran.txt'], proj);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /\.env/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(canary));
    assert.equal(existsSync(join(proj, 'ran.txt')), false);
  });

  test('a project the jail user cannot write: 125 with a fix, not npm\'s EACCES', async (t) => {
    const proj = project(t, 'rootowned', {}, 0);
    const r = await run(['--backend', 'chroot', '-r', jail, '--', 'npm', 'install', 'ct-helper'], proj);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /cannot write the project/);
  });
});
