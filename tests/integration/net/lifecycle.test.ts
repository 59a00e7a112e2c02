// Limits, timeouts and teardown of the proxy, and the life cycle of the jail bridge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, linkSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseHostRules } from '../../../src/net/host-rule.js';
import { startProxy, type ProxyLimits } from '../../../src/net/proxy.js';
import { BRIDGE_SCRIPT, curl, freePort, once, openTunnel, rawExchange, startBridge, startEcho, startHttpUpstream, tempDir } from './fixtures.js';

async function withProxy(limits: Partial<ProxyLimits>, body: (ctx: { socketPath: string; echoPort: number; httpPort: number; echo: Awaited<ReturnType<typeof startEcho>>; proxy: Awaited<ReturnType<typeof startProxy>> }) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const echo = await startEcho();
  const http = await startHttpUpstream();
  const socketPath = join(dir.path, 'proxy.sock');
  const proxy = await startProxy({ socketPath, policy: { allow: parseHostRules([`127.0.0.1:${echo.port}`, `127.0.0.1:${http.port}`]) }, limits });
  try {
    await body({ socketPath, echoPort: echo.port, httpPort: http.port, echo, proxy });
  } finally {
    await proxy.close();
    await Promise.all([echo.close(), http.close()]);
    dir.remove();
  }
}

function openSilent(path: string): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect({ path }, () => resolve(s));
    s.on('error', () => undefined);
  });
}

test('connections beyond the limit are answered 503 and closed; the proxy serves again once they go', async () => {
  await withProxy({ maxConnections: 5 }, async ({ socketPath, httpPort }) => {
    const held = await Promise.all(Array.from({ length: 5 }, () => openSilent(socketPath)));
    await new Promise((r) => setTimeout(r, 50));
    const answer = await rawExchange(socketPath, `GET http://127.0.0.1:${httpPort}/ HTTP/1.1\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /too many connections \(limit 5\)/);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const later = await rawExchange(socketPath, `GET http://127.0.0.1:${httpPort}/ HTTP/1.1\r\nConnection: close\r\n\r\n`);
    assert.match(later, /^HTTP\/1\.1 200 /);
  });
});

test('a client that trickles its request head is cut off (slowloris)', async () => {
  await withProxy({ headersTimeoutMs: 400 }, async ({ socketPath }) => {
    const s = await openSilent(socketPath);
    const started = Date.now();
    let answer = '';
    let answeredAt = 0;
    s.on('data', (d: Buffer) => {
      answer += d.toString();
      answeredAt ||= Date.now();
    });
    s.write('GET http://127.0.0.1/ HTTP/1.1\r\n');
    const drip = setInterval(() => s.writable && s.write('X-Drip: 1\r\n'), 100);
    await once(s, 'close', 5000);
    clearInterval(drip);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(answeredAt - started < 1500, `answered after ${answeredAt - started} ms`);
    assert.ok(Date.now() - started < 3500, `closed after ${Date.now() - started} ms`);
  });
});

test('an idle tunnel is closed on both sides', async () => {
  await withProxy({ idleTimeoutMs: 300 }, async ({ socketPath, echoPort, echo }) => {
    const t = await openTunnel({ path: socketPath }, `127.0.0.1:${echoPort}`);
    assert.equal(t.status, 200);
    t.socket.resume();
    assert.equal(echo.open(), 1);
    await once(t.socket, 'close', 3000);
    for (let i = 0; i < 50 && echo.open() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(echo.open(), 0, 'the upstream side was closed too');
  });
});

test('close() tears down open tunnels and client connections, and removes the socket', async () => {
  const dir = tempDir();
  const echo = await startEcho();
  const socketPath = join(dir.path, 'proxy.sock');
  const proxy = await startProxy({ socketPath, policy: { allow: parseHostRules([`127.0.0.1:${echo.port}`]) } });
  try {
    const tunnels = await Promise.all([1, 2, 3].map(() => openTunnel({ path: socketPath }, `127.0.0.1:${echo.port}`)));
    for (const t of tunnels) {
      assert.equal(t.status, 200);
      t.socket.resume();
      t.socket.write('hello');
    }
    const idle = await openSilent(socketPath);
    for (let i = 0; i < 50 && echo.received() < 15; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(echo.open(), 3);
    assert.equal(echo.received(), 15);
    const closed = Promise.all([...tunnels.map((t) => once(t.socket, 'close')), once(idle, 'close')]);
    await proxy.close();
    await closed;
    for (let i = 0; i < 50 && echo.open() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(echo.open(), 0, 'every upstream connection is gone');
    assert.equal(existsSync(socketPath), false);
    const c = proxy.contacted().find((h) => h.port === echo.port);
    assert.equal(c?.count, 3);
    assert.equal(c?.bytesOut, 15);
    assert.equal(c?.bytesIn, 15);
  } finally {
    await proxy.close();
    await echo.close();
    dir.remove();
  }
});

test('the proxy refuses to take over an existing path', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'taken');
    copyFileSync(BRIDGE_SCRIPT, path);
    await assert.rejects(startProxy({ socketPath: path, policy: { allow: [] } }), /already exists/);
    assert.equal(readFileSync(path, 'utf8'), readFileSync(BRIDGE_SCRIPT, 'utf8'), 'the file is untouched');
  } finally {
    dir.remove();
  }
});

test('the bridge is standalone: copied alone as .mjs, it prints exactly "ready" and exits when stdin closes', async () => {
  await withProxy({}, async ({ socketPath, httpPort }) => {
    const alone = tempDir('sp-bridge-');
    try {
      const script = join(alone.path, 'bridge.mjs');
      copyFileSync(BRIDGE_SCRIPT, script);
      const bridge = await startBridge(socketPath, script);
      assert.equal(bridge.stdout(), 'ready\n');
      const r = await curl(['--proxy', `http://127.0.0.1:${bridge.port}`, `http://127.0.0.1:${httpPort}/via-copied-bridge`]);
      assert.equal(r.stdout, 'upstream says hello to GET /via-copied-bridge\n');
      bridge.child.stdin.end();
      assert.equal(await bridge.exited, 0);
    } finally {
      alone.remove();
    }
  });
});

test('the bridge exits when the proxy socket is removed', async () => {
  const dir = tempDir();
  const socketPath = join(dir.path, 'proxy.sock');
  const proxy = await startProxy({ socketPath, policy: { allow: [] } });
  const bridge = await startBridge(socketPath);
  let stderr = '';
  bridge.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await proxy.close();
  const code = await Promise.race([bridge.exited, new Promise((r) => setTimeout(() => r('still running'), 3000))]);
  assert.equal(code, 1);
  assert.match(stderr, /the proxy is gone \(socket removed\)/);
  dir.remove();
});

test('the bridge exits at the first refused connection when its socket file stays (a bind mount)', async () => {
  const dir = tempDir();
  const socketPath = join(dir.path, 'proxy.sock');
  const bound = join(dir.path, 'bound.sock');
  const proxy = await startProxy({ socketPath, policy: { allow: [] } });
  linkSync(socketPath, bound); // a second name for the same socket, as a bind mount would be
  const bridge = await startBridge(bound);
  let stderr = '';
  bridge.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await proxy.close();
  assert.ok(existsSync(bound));
  const r = await curl(['--proxy', `http://127.0.0.1:${bridge.port}`, 'http://example.com/'], 5000);
  assert.notEqual(r.code, 0);
  assert.equal(await bridge.exited, 1);
  assert.match(stderr, /the proxy is gone \(ECONNREFUSED\)/);
  dir.remove();
});

test('the bridge refuses bad arguments', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [BRIDGE_SCRIPT, '/nonexistent.sock', 'eighty'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: jail-bridge SOCKET_PATH PORT/);
});

test('an allowed host that is down gets 502 saying so, and is not recorded as blocked', async () => {
  const dir = tempDir();
  const port = await freePort();
  const socketPath = join(dir.path, 'proxy.sock');
  const proxy = await startProxy({ socketPath, policy: { allow: parseHostRules([`127.0.0.1:${port}`]) } });
  try {
    const get = await rawExchange(socketPath, `GET http://127.0.0.1:${port}/ HTTP/1.1\r\n\r\n`);
    assert.match(get, /^HTTP\/1\.1 502 /);
    assert.match(get, new RegExp(`safe-package proxy failed on GET 127\\.0\\.0\\.1:${port}: could not connect \\(ECONNREFUSED\\)`));
    const tunnel = await rawExchange(socketPath, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\n\r\n`);
    assert.match(tunnel, /^HTTP\/1\.1 502 /);
    assert.deepEqual(proxy.blocked(), []);
  } finally {
    await proxy.close();
    dir.remove();
  }
});

test('a response the upstream cuts short reaches the client cut short, not as a complete body', async () => {
  const dir = tempDir();
  const liar = createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b');
      setTimeout(() => s.destroy(), 50);
    });
  });
  await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
  const port = (liar.address() as AddressInfo).port;
  const socketPath = join(dir.path, 'proxy.sock');
  const proxy = await startProxy({ socketPath, policy: { allow: parseHostRules([`127.0.0.1:${port}`]) } });
  try {
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ socketPath, path: `http://127.0.0.1:${port}/tarball.tgz`, headers: { host: `127.0.0.1:${port}` }, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(`complete: ${body}`));
        res.on('error', () => resolve(`cut after: ${body}`));
        res.on('aborted', () => resolve(`cut after: ${body}`));
      });
      req.on('error', () => resolve('cut before the body'));
      req.end();
    });
    assert.match(outcome, /^cut/);
  } finally {
    await proxy.close();
    await new Promise((resolve) => liar.close(resolve));
    dir.remove();
  }
});

test('the socket is private to its owner, who can be the jail user', { skip: process.getuid?.() !== 0 ? 'needs root to chown' : false }, async () => {
  const dir = tempDir();
  try {
    const socketPath = join(dir.path, 'proxy.sock');
    const proxy = await startProxy({ socketPath, policy: { allow: [] }, socketOwner: { uid: 1001, gid: 1001 } });
    const st = statSync(socketPath);
    await proxy.close();
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.uid, 1001);
    assert.equal(st.gid, 1001);
  } finally {
    dir.remove();
  }
});
