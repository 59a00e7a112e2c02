import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAuthority, formatHost, parseAuthority, parseHost, printable, type Host } from '../../../src/net/host.js';

function host(raw: string): Host {
  const r = parseHost(raw);
  assert.ok(r.ok, `expected ${raw} to parse: ${r.ok ? '' : r.error}`);
  return r.value;
}

function refused(raw: string): string {
  const r = parseHost(raw);
  assert.ok(!r.ok, `expected ${raw} to be refused, got ${r.ok ? JSON.stringify(r.value) : ''}`);
  return r.error;
}

test('names are lower-cased, lose one trailing dot, and IDN becomes punycode', () => {
  assert.deepEqual(host('Registry.NPMJS.org'), { kind: 'name', name: 'registry.npmjs.org' });
  assert.deepEqual(host('registry.npmjs.org.'), { kind: 'name', name: 'registry.npmjs.org' });
  assert.deepEqual(host('Bücher.Example'), { kind: 'name', name: 'xn--bcher-kva.example' });
  assert.deepEqual(host('xn--bcher-kva.example'), { kind: 'name', name: 'xn--bcher-kva.example' });
  assert.deepEqual(host('localhost'), { kind: 'name', name: 'localhost' });
  assert.deepEqual(host('_acme.example.com'), { kind: 'name', name: '_acme.example.com' });
});

test('every spelling the URL parser reads as an IPv4 address is that address', () => {
  for (const raw of ['127.0.0.1', '2130706433', '0x7f.1', '0177.0.0.1', '127.1', '0x7f000001', '127.0.0.1.']) {
    assert.deepEqual(host(raw), { kind: 'ip', address: '127.0.0.1', family: 4 }, raw);
  }
  assert.deepEqual(host('169.254.43518'), { kind: 'ip', address: '169.254.169.254', family: 4 });
});

test('IPv6 literals are canonical and bracketed only when printed', () => {
  assert.deepEqual(host('[::ffff:127.0.0.1]'), { kind: 'ip', address: '::ffff:7f00:1', family: 6 });
  assert.deepEqual(host('[0:0:0:0:0:0:0:1]'), { kind: 'ip', address: '::1', family: 6 });
  assert.deepEqual(host('[FE80::A]'), { kind: 'ip', address: 'fe80::a', family: 6 });
  assert.equal(formatHost(host('[::1]')), '[::1]');
  assert.equal(formatAuthority(host('[::1]'), 443), '[::1]:443');
});

test('hosts that could be read two ways are refused', () => {
  assert.match(refused('allowed.host@evil.com'), /user information/);
  assert.match(refused('%65vil.com'), /not allowed/);
  assert.match(refused('evil.com/allowed.host'), /not allowed/);
  assert.match(refused('evil.com\\allowed.host'), /not allowed/);
  assert.match(refused('evil.com#allowed.host'), /not allowed/);
  assert.match(refused('evil.com?allowed.host'), /not allowed/);
  assert.match(refused('a b.com'), /not allowed/);
  assert.match(refused('a\tb.com'), /not allowed/);
  assert.match(refused('::1'), /brackets/);
  assert.match(refused('[::1'), /closed/);
  assert.match(refused('[127.0.0.1]'), /not an IPv6/);
  assert.match(refused('[fe80::1%25eth0]'), /not allowed/);
  refused('');
  refused('1.2.3.256');
  refused('1.2.3.4.5');
  refused('a..b.com');
  refused('example.com..');
  refused('-a.com');
  refused('a!b.com');
  refused(`${'a'.repeat(64)}.com`);
  refused('x'.repeat(300));
});

test('authorities: the port is 1-65535, digits only, and IPv6 needs brackets', () => {
  const a = parseAuthority('registry.npmjs.org:443');
  assert.ok(a.ok);
  assert.equal(a.value.port, 443);
  assert.deepEqual(parseAuthority('[::1]:4873'), { ok: true, value: { host: { kind: 'ip', address: '::1', family: 6 }, port: 4873 } });
  const d = parseAuthority('example.com', 80);
  assert.ok(d.ok && d.value.port === 80);
  for (const bad of ['example.com', 'example.com:', 'example.com:0', 'example.com:65536', 'example.com:+1', 'example.com:0x50', 'example.com: 80', '::1:443', '[::1]443', 'a:b:c']) {
    assert.equal(parseAuthority(bad).ok, false, bad);
  }
});

test('text from the network is made printable before it is shown', () => {
  assert.equal(printable("evil\u001b[31m.com"), "evil\\x1b[31m.com");
  assert.equal(printable('a'.repeat(300)).length, 203);
});
