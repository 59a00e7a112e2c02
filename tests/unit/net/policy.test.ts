import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHost, type Host } from '../../../src/net/host.js';
import { parseHostRules } from '../../../src/net/host-rule.js';
import { decideAddresses, decideHost, type NetPolicy } from '../../../src/net/policy.js';

function h(raw: string): Host {
  const r = parseHost(raw);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
const policy = (...rules: string[]): NetPolicy => ({ allow: parseHostRules(rules) });

function addresses(p: NetPolicy, host: string, port: number, resolved: string[]) {
  const d = decideHost(p, h(host), port);
  assert.ok(d.allowed, `${host}:${port} should pass the host check`);
  return decideAddresses(h(host), port, d, resolved);
}

test('a refused host gets a reason naming it and the exact option that would allow it', () => {
  const d = decideHost(policy('registry.npmjs.org'), h('secret.attacker.example'), 443);
  assert.ok(!d.allowed);
  assert.equal(d.reason, 'secret.attacker.example:443 is not in the allowlist; to allow it: --allow-host secret.attacker.example:443');
  const p = decideHost(policy('allowed.host:443'), h('allowed.host'), 22);
  assert.ok(!p.allowed);
  assert.match(p.reason, /^port 22 is not allowed for allowed\.host \(allowed: 443\); to allow it: --allow-host allowed\.host:22$/);
});

test('an allowed name that resolves to loopback, LAN or metadata is refused (rebinding to the host)', () => {
  for (const internal of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '::1', '::ffff:127.0.0.1', 'fd00::1', '100.64.1.1']) {
    const r = addresses(policy('registry.npmjs.org'), 'registry.npmjs.org', 443, [internal]);
    assert.ok(!r.allowed, internal);
    assert.match(r.reason, new RegExp(`registry\\.npmjs\\.org resolves to ${internal.replace(/[.:]/g, '\\$&')}, which is an internal address`));
    assert.match(r.reason, /--allow-host registry\.npmjs\.org:443$/);
  }
});

test('a wildcard rule, even with a port, never reaches internal addresses', () => {
  const r = addresses(policy('*.corp.example:443'), 'npm.corp.example', 443, ['10.0.0.5']);
  assert.equal(r.allowed, false);
});

test('an exact host:port rule reaches internal addresses (a local or LAN registry)', () => {
  assert.deepEqual(addresses(policy('npm.corp.example:443'), 'npm.corp.example', 443, ['10.0.0.5']), { allowed: true, addresses: ['10.0.0.5'] });
  assert.deepEqual(addresses(policy('127.0.0.1:4873'), '127.0.0.1', 4873, ['127.0.0.1']), { allowed: true, addresses: ['127.0.0.1'] });
  assert.deepEqual(addresses(policy('localhost:4873'), 'localhost', 4873, ['::1', '127.0.0.1']), { allowed: true, addresses: ['::1', '127.0.0.1'] });
});

test('an IP literal allowed without a port is still refused when internal', () => {
  const r = addresses(policy('127.0.0.1'), '127.0.0.1', 443, ['127.0.0.1']);
  assert.ok(!r.allowed);
  assert.match(r.reason, /^127\.0\.0\.1 is an internal address \(127\.0\.0\.0\/8 loopback/);
  assert.match(r.reason, /--allow-host 127\.0\.0\.1:443$/);
  assert.ok(addresses(policy('8.8.8.8'), '8.8.8.8', 443, ['8.8.8.8']).allowed);
});

test('when a name resolves to public and internal addresses, only the public ones are used', () => {
  assert.deepEqual(addresses(policy('registry.npmjs.org'), 'registry.npmjs.org', 443, ['127.0.0.1', '104.16.1.1', '10.0.0.1', '2606:4700::1']), {
    allowed: true,
    addresses: ['104.16.1.1', '2606:4700::1'],
  });
});

test('no address, or junk from a resolver, is refused', () => {
  assert.equal(addresses(policy('a.example'), 'a.example', 443, []).allowed, false);
  assert.equal(addresses(policy('a.example'), 'a.example', 443, ['not-an-ip']).allowed, false);
});
