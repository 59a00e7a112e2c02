import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlobs, matchName, globToRegExp } from '../../../src/util/glob.js';

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
  assert.equal(globToRegExp('*.js', anchored).test('a/b.js'), false);
  assert.equal(globToRegExp('a/*/c', anchored).test('a/b/x/c'), false);
  assert.equal(globToRegExp('a/**/c', anchored).test('a/b/x/c'), true);
  assert.equal(globToRegExp('a/**/c', anchored).test('a/c'), true);
});

test('regular-expression characters in a pattern are literal', () => {
  assert.equal(globToRegExp('a.b', anchored).test('axb'), false);
  assert.equal(globToRegExp('(x)', anchored).test('(x)'), true);
});

test('environment globs such as LC_*', () => {
  assert.equal(matchName('LC_*', 'LC_ALL'), true);
  assert.equal(matchName('LC_*', 'XLC_ALL'), false);
  assert.equal(matchName('HTTPS_PROXY', 'HTTPS_PROXY'), true);
  assert.equal(matchName('HTTPS_PROXY', 'HTTPS_PROXY2'), false);
});
