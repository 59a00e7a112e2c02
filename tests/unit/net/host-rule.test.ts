import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHost, type Host } from '../../../src/net/host.js';
import { HostRuleError, matchRules, parseHostRule, parseHostRules, ruleFromUrl } from '../../../src/net/host-rule.js';

function h(raw: string): Host {
  const r = parseHost(raw);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function allows(rules: string[], host: string, port: number): boolean {
  return matchRules(parseHostRules(rules), h(host), port).matched;
}

test('a rule without a port allows 443 and 80, and nothing else', () => {
  const r = parseHostRule('registry.npmjs.org');
  assert.deepEqual(r.ports, [443, 80]);
  assert.equal(r.explicitPort, false);
  assert.equal(allows(['registry.npmjs.org'], 'registry.npmjs.org', 443), true);
  assert.equal(allows(['registry.npmjs.org'], 'registry.npmjs.org', 80), true);
  assert.equal(allows(['registry.npmjs.org'], 'registry.npmjs.org', 22), false);
});

test('a rule with a port allows only that port', () => {
  assert.equal(allows(['registry.npmjs.org:443'], 'registry.npmjs.org', 443), true);
  assert.equal(allows(['registry.npmjs.org:443'], 'registry.npmjs.org', 80), false);
  assert.equal(allows(['127.0.0.1:4873'], '127.0.0.1', 4873), true);
  assert.equal(allows(['127.0.0.1:4873'], '127.0.0.1', 4874), false);
});

test('rules and requests are compared case-insensitively, without the trailing dot, in punycode', () => {
  assert.equal(allows(['Registry.NPMJS.org.'], 'registry.npmjs.org', 443), true);
  assert.equal(allows(['registry.npmjs.org'], 'REGISTRY.npmjs.ORG.', 443), true);
  assert.equal(allows(['bücher.example'], 'xn--bcher-kva.example', 443), true);
  assert.equal(allows(['xn--bcher-kva.example'], 'BÜCHER.example', 443), true);
});

test('a wildcard matches names below the domain at any depth, never the domain itself', () => {
  const rules = ['*.example.com'];
  assert.equal(allows(rules, 'a.example.com', 443), true);
  assert.equal(allows(rules, 'a.b.example.com', 443), true);
  assert.equal(allows(rules, 'example.com', 443), false);
  assert.equal(allows(rules, 'evilexample.com', 443), false);
  assert.equal(allows(rules, 'example.com.evil.net', 443), false);
  assert.equal(allows(['*.example.com:8443'], 'a.example.com', 8443), true);
  assert.equal(allows(['*.example.com:8443'], 'a.example.com', 443), false);
});

test('allowlist confusion: look-alike names are not the allowed host', () => {
  const rules = ['allowed.host'];
  for (const evil of ['evil.allowed.host.attacker.com', 'allowed.host.evil.com', 'allowedXhost', 'xallowed.host', 'allowed.hostx', 'sub.allowed.host']) {
    assert.equal(allows(rules, evil, 443), false, evil);
  }
  assert.equal(parseHost('allowed.host@evil.com').ok, false);
});

test('IP literals match only an exact rule for that address', () => {
  assert.equal(allows(['127.0.0.1:4873'], '2130706433', 4873), true, 'the same address spelled as a number');
  assert.equal(allows(['127.0.0.1:4873'], '[::ffff:127.0.0.1]', 4873), false, 'another address family is another rule');
  assert.equal(allows(['*.example.com'], '93.184.216.34', 443), false);
  assert.equal(allows(['[::1]:4873'], '[0::1]', 4873), true);
  assert.equal(allows(['localhost:4873'], '127.0.0.1', 4873), false, 'a name rule does not allow the address it resolves to');
});

test('an exact rule with a port outranks the others (it is what may reach internal addresses)', () => {
  const m = matchRules(parseHostRules(['*.corp.example', 'npm.corp.example', 'npm.corp.example:443']), h('npm.corp.example'), 443);
  assert.ok(m.matched);
  assert.equal(m.rule.text, 'npm.corp.example:443');
  const w = matchRules(parseHostRules(['*.corp.example']), h('npm.corp.example'), 443);
  assert.ok(w.matched && w.rule.wildcard);
});

test('a host allowed on another port is reported as a port problem', () => {
  const m = matchRules(parseHostRules(['allowed.host:443']), h('allowed.host'), 22);
  assert.ok(!m.matched);
  assert.equal(m.portRules.length, 1);
});

test('malformed rules are refused with a message that says what to write', () => {
  const cases: [string, RegExp][] = [
    ['*', /every host/],
    ['*:443', /every host/],
    ['*.com', /top-level domain/],
    ['*example.com', /whole label/],
    ['a.*.example.com', /first label/],
    ['*.*.example.com', /first label/],
    ['*.127.0.0.1', /IP address/],
    ['https://registry.npmjs.org/', /write "registry\.npmjs\.org:443"/],
    ['registry.npmjs.org/path', /"\/"/],
    ['user@registry.npmjs.org', /user information/],
    ['registry.npmjs.org:0', /not a port/],
    ['registry.npmjs.org:99999', /not a port/],
    ['registry.npmjs.org:https', /not a port/],
    ['::1', /brackets/],
    ['', /empty/],
    ['bad host', /not allowed/],
    ['a..b', /empty label/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseHostRule(text),
      (err: unknown) => err instanceof HostRuleError && message.test(err.message) && err.message.includes(`"${text}"`),
      `${text} should fail with ${message}`,
    );
  }
});

test('a registry URL becomes an exact host:port rule', () => {
  const r = ruleFromUrl('https://registry.npmjs.org/');
  assert.equal(r.text, 'registry.npmjs.org:443');
  assert.equal(r.explicitPort, true);
  assert.equal(ruleFromUrl('http://127.0.0.1:4873/').text, '127.0.0.1:4873');
  assert.equal(ruleFromUrl('http://[::1]/').text, '[::1]:80');
  assert.throws(() => ruleFromUrl('file:///srv/index'), HostRuleError);
});
