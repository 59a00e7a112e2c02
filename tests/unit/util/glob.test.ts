import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlobs, matchName, compileGlob } from '../../../src/util/glob.js';

const anchored = { basenameAnywhere: false };
const anywhere = { basenameAnywhere: true };

test('`node_modules/**` covers everything below node_modules and nothing beside it', () => {
  const m = compileGlobs(['node_modules/**'], anchored);
  assert.equal(m('node_modules/a/index.js'), true);
  assert.equal(m('node_modules/.bin/x'), true);
  assert.equal(m('node_modules_evil/a'), false);
  assert.equal(m('src/node_modules/a'), false);
});

test('an anchored name matches only at the top', () => {
  const m = compileGlobs(['package.json'], anchored);
  assert.equal(m('package.json'), true);
  assert.equal(m('sub/package.json'), false);
  assert.equal(m('package.jsonx'), false);
});

test('a basename pattern hides the file at any depth, like .gitignore', () => {
  const m = compileGlobs(['.env', '.env.*', '*.pem', 'id_rsa*'], anywhere);
  assert.equal(m('.env'), true);
  assert.equal(m('config/.env'), true);
  assert.equal(m('.env.production'), true);
  assert.equal(m('deep/a/b/server.pem'), true);
  assert.equal(m('keys/id_rsa.pub'), true);
  assert.equal(m('.envrc'), false);
  assert.equal(m('pem'), false);
});

test('`*` never crosses a directory separator', () => {
  assert.equal(compileGlob('*.js', anchored).test('a/b.js'), false);
  assert.equal(compileGlob('a/*/c', anchored).test('a/b/x/c'), false);
  assert.equal(compileGlob('a/**/c', anchored).test('a/b/x/c'), true);
  assert.equal(compileGlob('a/**/c', anchored).test('a/c'), true);
});

test('regular-expression characters in a pattern are literal', () => {
  assert.equal(compileGlob('a.b', anchored).test('axb'), false);
  assert.equal(compileGlob('(x)', anchored).test('(x)'), true);
});

test('environment globs such as LC_*', () => {
  assert.equal(matchName('LC_*', 'LC_ALL'), true);
  assert.equal(matchName('LC_*', 'XLC_ALL'), false);
  assert.equal(matchName('HTTPS_PROXY', 'HTTPS_PROXY'), true);
  assert.equal(matchName('HTTPS_PROXY', 'HTTPS_PROXY2'), false);
});

test('a hostile pattern cannot stall start-up: many `**/` against a deep path stay fast (no backtracking)', () => {
  // Ten `**/` took 6.7 s on one deep path with the regular expression this replaced.
  const pattern = `${'**/'.repeat(12)}x*y*z*q`;
  const deep = `${Array.from({ length: 60 }, (_, i) => `d${i}`).join('/')}/xaybzc`;
  const started = process.hrtime.bigint();
  const m = compileGlobs([pattern, `${'*a'.repeat(30)}b`], anywhere);
  for (let i = 0; i < 200; i++) assert.equal(m(deep), false);
  assert.equal(m(`${'a'.repeat(60)}`), false);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.equal(m('d/e/xqyqzqq'), true);
});

test('`**` as a whole segment is any depth; inside a segment it is `*`; a trailing `dir/**` is below dir only', () => {
  assert.equal(compileGlob('a/**', anchored).test('a'), false);
  assert.equal(compileGlob('a/**', anchored).test('a/b/c'), true);
  assert.equal(compileGlob('**', anchored).test('a/b'), true);
  assert.equal(compileGlob('a**b', anchored).test('axxb'), true);
  assert.equal(compileGlob('a**b', anchored).test('ax/xb'), false);
  assert.equal(compileGlob('**/.npmrc', anchored).test('.npmrc'), true);
  assert.equal(compileGlob('*/**/.npmrc', anchored).test('.npmrc'), false);
  assert.equal(compileGlob('*/**/.npmrc', anchored).test('pkg/.npmrc'), true);
  assert.equal(compileGlob('*/**/.npmrc', anchored).test('a/b/c/.npmrc'), true);
});
