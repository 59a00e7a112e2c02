import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectTarget, parseProxyTarget } from '../../../src/net/request-target.js';

test('CONNECT host:port is parsed; the port is required', () => {
  const r = parseConnectTarget('registry.npmjs.org:443', ['registry.npmjs.org:443']);
  assert.ok(r.ok);
  assert.deepEqual(r.target, { host: { kind: 'name', name: 'registry.npmjs.org' }, port: 443 });
  assert.equal(parseConnectTarget('registry.npmjs.org', []).ok, false);
  assert.ok(parseConnectTarget('[::1]:443', []).ok);
});

test('CONNECT with user information is refused and recorded under the host it really names', () => {
  const r = parseConnectTarget('allowed.host@evil.com:443', []);
  assert.ok(!r.ok);
  assert.equal(r.status, 403);
  assert.equal(r.asked, 'evil.com');
  assert.equal(r.port, 443);
});

test('a CONNECT whose Host header names another host is refused', () => {
  const r = parseConnectTarget('allowed.host:443', ['evil.com:443']);
  assert.ok(!r.ok);
  assert.equal(r.status, 403);
  assert.match(r.reason, /Host header/);
  assert.equal(r.asked, 'allowed.host');
  assert.equal(r.port, 443);
  assert.equal(parseConnectTarget('allowed.host:443', ['allowed.host:8443']).ok, false, 'another port is another target');
  assert.ok(parseConnectTarget('allowed.host:8443', ['allowed.host']).ok, 'a Host without port names the same host');
  assert.ok(parseConnectTarget('allowed.host:443', ['ALLOWED.host.:443']).ok);
  assert.ok(parseConnectTarget('allowed.host:443', ['allowed.host']).ok);
  assert.equal(parseConnectTarget('allowed.host:443', ['allowed.host:443', 'allowed.host:443']).ok, false, 'two Host headers');
});

test('absolute-form http:// is parsed into host, port and origin-form path', () => {
  const r = parseProxyTarget('http://Registry.NPMJS.org/react?x=1', ['registry.npmjs.org']);
  assert.ok(r.ok);
  assert.deepEqual(r.target, { host: { kind: 'name', name: 'registry.npmjs.org' }, port: 80, path: '/react?x=1' });
  const q = parseProxyTarget('http://127.0.0.1:4873?x', []);
  assert.ok(q.ok);
  assert.equal(q.target.path, '/?x');
  assert.equal(q.target.port, 4873);
  const n = parseProxyTarget('HTTP://a.example', []);
  assert.ok(n.ok && n.target.path === '/');
});

test('IP literals in URLs become addresses whatever their spelling', () => {
  for (const url of ['http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://127.1/']) {
    const r = parseProxyTarget(url, []);
    assert.ok(r.ok, url);
    assert.deepEqual(r.target.host, { kind: 'ip', address: '127.0.0.1', family: 4 }, url);
  }
  const v6 = parseProxyTarget('http://[::ffff:127.0.0.1]:8080/', []);
  assert.ok(v6.ok);
  assert.deepEqual(v6.target.host, { kind: 'ip', address: '::ffff:7f00:1', family: 6 });
});

test('allowlist confusion in URLs is refused', () => {
  const userinfo = parseProxyTarget('http://allowed.host@evil.com/', ['evil.com']);
  assert.ok(!userinfo.ok);
  assert.equal(userinfo.status, 403);
  assert.equal(userinfo.asked, 'evil.com');
  assert.equal(parseProxyTarget('http://user:pass@allowed.host/', []).ok, false);
  const mismatch = parseProxyTarget('http://allowed.host/', ['evil.com']);
  assert.ok(!mismatch.ok);
  assert.equal(mismatch.status, 403);
  assert.equal(mismatch.asked, 'allowed.host');
  assert.equal(mismatch.port, 80);
  assert.equal(parseProxyTarget('http://allowed.host/', ['allowed.host:8080']).ok, false);
  assert.ok(parseProxyTarget('http://allowed.host/', ['allowed.host:80']).ok);
  assert.equal(parseProxyTarget('http://allowed.host/', ['allowed.host', 'evil.com']).ok, false);
  assert.equal(parseProxyTarget('http://%61llowed.host/', []).ok, false);
  assert.equal(parseProxyTarget('http://allowed.host\\@evil.com/', []).ok, false);
});

test('origin-form and other schemes are not proxied', () => {
  const origin = parseProxyTarget('/index.html', ['allowed.host']);
  assert.ok(!origin.ok);
  assert.equal(origin.status, 400);
  assert.match(origin.reason, /absolute-form/);
  const https = parseProxyTarget('https://allowed.host/', []);
  assert.ok(!https.ok);
  assert.match(https.reason, /CONNECT/);
  assert.equal(parseProxyTarget('ftp://allowed.host/', []).ok, false);
});
