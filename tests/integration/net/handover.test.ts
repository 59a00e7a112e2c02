// The bridge's handover (src/net/bridge-handover.ts): each connection the bridge accepts
// is passed to the proxy as a descriptor and served there. Everything the proxy protects
// must hold for these connections exactly as for those made to its socket: the
// allowlist and its ledger, the SNI check, the connection limit, the header timeout. And
// in a real run, the jail inherits neither the channel nor its variables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseHostRules } from '../../../src/net/host-rule.js';
import { startProxy, type ProxyLimits, type RunningProxy } from '../../../src/net/proxy.js';
import { curl, once, openTunnel, startBridge, startEcho, startHttpUpstream, tempDir } from './fixtures.js';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';
import { bridgeProgramPath } from '../../../src/confine/helper.js';
import { spawn } from 'node:child_process';

interface Ctx {
  proxy: RunningProxy;
  bridgePort: number;
  echo: Awaited<ReturnType<typeof startEcho>>;
  httpPort: number;
}

/** The native bridge as the build makes it (src/confine/helper.ts); the Node bridge is the other kind. */
const NATIVE = bridgeProgramPath();
const KINDS: readonly { name: string; program?: string }[] = [{ name: 'the Node bridge' }, { name: 'the native bridge', program: NATIVE! }];

async function withHandover(limits: Partial<ProxyLimits>, body: (cx: Ctx) => Promise<void>, program?: string): Promise<void> {
  const dir = tempDir();
  const echo = await startEcho();
  const http = await startHttpUpstream();
  const proxy = await startProxy({ socketPath: join(dir.path, 'proxy.sock'), policy: { allow: parseHostRules([`allowed.test:${echo.port}`, `127.0.0.1:${http.port}`]) }, resolve: async () => ['127.0.0.1'], limits });
  // A bridge with no way to the socket: whatever it serves, it serves by handing over.
  const bridge = await startBridge(join(dir.path, 'no-such.sock'), undefined, (s) => proxy.adopt(s), program);
  try {
    await body({ proxy, bridgePort: bridge.port, echo, httpPort: http.port });
  } finally {
    bridge.child.stdin.end();
    bridge.child.disconnect();
    await bridge.exited;
    await proxy.close();
    await Promise.all([echo.close(), http.close()]);
    dir.remove();
  }
}

for (const kind of KINDS) {
  test(`${kind.name}, handed over: an allowed GET is served, a host outside the allowlist is refused and recorded`, async () => {
    await withHandover({}, async ({ proxy, bridgePort, httpPort }) => {
      const ok = await curl(['--proxy', `http://127.0.0.1:${bridgePort}`, `http://127.0.0.1:${httpPort}/through-the-handover`]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /upstream says hello to GET \/through-the-handover/);
      const refused = await curl(['--proxy', `http://127.0.0.1:${bridgePort}`, '-i', 'http://example.com/']);
      assert.match(refused.stdout, /^HTTP\/1\.1 403 /);
      assert.deepEqual(proxy.blocked().map((b) => [b.host, b.port, b.method]), [['example.com', 80, 'GET']]);
      assert.deepEqual(proxy.contacted().map((c) => [c.host, c.port, c.count]), [['127.0.0.1', httpPort, 1]]);
    }, kind.program);
  });

  test(`${kind.name}, handed over: a TLS ClientHello for another host than the CONNECT is refused before any byte goes upstream`, async () => {
    await withHandover({}, async ({ proxy, bridgePort, echo }) => {
      const { connect: tlsConnect } = await import('node:tls');
      const t = await openTunnel({ port: bridgePort }, `allowed.test:${echo.port}`);
      assert.equal(t.status, 200);
      const closed = once(t.socket, 'close');
      const tls = tlsConnect({ socket: t.socket, servername: 'evil.example', rejectUnauthorized: false });
      tls.on('error', () => undefined);
      await closed;
      assert.equal(echo.received(), 0, 'the upstream received nothing');
      assert.match(proxy.blocked().at(-1)?.reason ?? '', /SNI\) "evil\.example" is not the host of the CONNECT/);
    }, kind.program);
  });

  test(`${kind.name}, handed over: connections count against the limit (503 beyond it), and the proxy serves again once they go`, async () => {
    await withHandover({ maxConnections: 3 }, async ({ bridgePort, httpPort }) => {
      const held: Socket[] = [];
      for (let i = 0; i < 3; i++) {
        const s = connect({ port: bridgePort, host: '127.0.0.1' });
        s.on('error', () => undefined);
        await once(s, 'connect');
        held.push(s);
      }
      await new Promise((r) => setTimeout(r, 100));
      const over = await curl(['--proxy', `http://127.0.0.1:${bridgePort}`, '-i', `http://127.0.0.1:${httpPort}/over`]);
      assert.match(over.stdout, /^HTTP\/1\.1 503 /);
      assert.match(over.stdout, /too many connections \(limit 3\)/);
      for (const s of held) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const later = await curl(['--proxy', `http://127.0.0.1:${bridgePort}`, `http://127.0.0.1:${httpPort}/later`]);
      assert.equal(later.code, 0, later.stderr);
    }, kind.program);
  });

  test(`${kind.name}, handed over: a client that trickles its request head is cut off (slowloris)`, async () => {
    await withHandover({ headersTimeoutMs: 400 }, async ({ bridgePort }) => {
      const s = connect({ port: bridgePort, host: '127.0.0.1' });
      s.on('error', () => undefined);
      await once(s, 'connect');
      const started = Date.now();
      let answer = '';
      s.on('data', (d: Buffer) => (answer += d.toString()));
      s.write('GET http://127.0.0.1/ HTTP/1.1\r\n');
      const drip = setInterval(() => s.writable && s.write('X-Drip: 1\r\n'), 100);
      await once(s, 'close', 5000);
      clearInterval(drip);
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.ok(Date.now() - started < 3500, `closed after ${Date.now() - started} ms`);
    }, kind.program);
  });
}

test('in a real run the jail inherits neither the channel nor its variables, and the proxy still serves it', { skip: process.getuid?.() !== 0 ? 'needs root for the fixture user' : false }, async () => {
  const user = fixtureUser('sp-test');
  const served: string[] = [];
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', (d: Buffer) => {
      served.push(d.toString('latin1').split('\r\n')[0]!);
      s.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const cwd = makeProject(user);
    // fds: each open descriptor's number and target; env: the channel's variables, if any.
    const script = 'for f in /proc/self/fd/*; do echo "fd $(basename $f) $(readlink $f)"; done; env | grep "^NODE_CHANNEL" || true; curl -sS --max-time 10 http://127.0.0.1:' + port + '/x';
    const r = await runCli(['--allow-host', `127.0.0.1:${port}`, '--', 'sh', '-c', script], { cwd, user });
    assert.equal(r.status, 0, r.stderr);
    const fds = r.stdout.split('\n').filter((l) => l.startsWith('fd '));
    // 0-2 and the descriptor of the /proc/self/fd listing itself; no socket, no pipe beyond stdio.
    for (const l of fds) {
      const [, n, target] = l.split(' ');
      if (Number(n) <= 2) continue;
      assert.doesNotMatch(target ?? '', /socket:|pipe:/, `inherited: ${l}`);
    }
    assert.doesNotMatch(r.stdout, /NODE_CHANNEL/);
    assert.match(r.stdout, /ok\n?$/);
    assert.deepEqual(served, ['GET /x HTTP/1.1']);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('the native bridge refuses bad arguments and a missing channel, and exits when its channel closes', async () => {
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<number | null>((resolve) => {
      const c = spawn(NATIVE!, args, { stdio: 'ignore', env });
      c.on('exit', (code) => resolve(code));
    });
  assert.equal(await run(['bridge', '/x.sock'], { NODE_CHANNEL_FD: '3' }), 2);
  assert.equal(await run(['bridge', '/x.sock', '70000'], { NODE_CHANNEL_FD: '3' }), 2);
  assert.equal(await run(['bridge', '/x.sock', '3128'], {}), 2, 'without a channel it never serves');
  const dir = tempDir();
  try {
    const bridge = await startBridge(join(dir.path, 'no-such.sock'), undefined, (s) => s.destroy(), NATIVE);
    assert.equal(bridge.stdout(), 'ready\n');
    bridge.child.disconnect();
    assert.equal(await bridge.exited, 0);
  } finally {
    dir.remove();
  }
});
