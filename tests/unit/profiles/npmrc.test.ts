import { test } from 'node:test';
import assert from 'node:assert/strict';
import { npmrcRegistries, parseNpmrc, sanitizeNpmrc, stripUrlCredentials } from '../../../src/profiles/npmrc.js';
import { parsePipConf, sanitizePipConf } from '../../../src/profiles/pipconf.js';

const NPMRC = `
; comment
registry=https://npm.corp.example/
@acme:registry=https://acme.example/npm/
//npm.corp.example/:_authToken=npm_SECRET
//acme.example/npm/:_auth=c2VjcmV0
_password=hunter2
username=me
email=me@example.com
cafile=/etc/ssl/corp.pem
strict-ssl=true
always-auth=true
//other.example/:certfile=/home/me/cert.pem
token-url=https://user:pw@mirror.example/npm/
node-token=\${NPM_TOKEN}
`;

test('every credential is removed from an npmrc, settings stay', () => {
  const s = sanitizeNpmrc(NPMRC);
  assert.doesNotMatch(s.text, /SECRET|c2VjcmV0|hunter2|username|email|certfile|user:pw|NPM_TOKEN/);
  assert.match(s.text, /registry=https:\/\/npm.corp.example\//);
  assert.match(s.text, /@acme:registry=/);
  assert.match(s.text, /cafile=\/etc\/ssl\/corp.pem/);
  assert.match(s.text, /strict-ssl=true/);
  assert.match(s.text, /token-url=https:\/\/mirror.example\/npm\//);
  assert.ok(s.removed.includes('//npm.corp.example/:_authToken'));
  assert.ok(s.removed.every((r) => !r.includes('SECRET')));
});

test('registries include scoped ones', () => {
  assert.deepEqual(npmrcRegistries(parseNpmrc(NPMRC)), ['https://npm.corp.example/', 'https://acme.example/npm/']);
});

test('credentials in URLs are cut out', () => {
  assert.equal(stripUrlCredentials('https://u:p@h.example/x'), 'https://h.example/x');
  assert.equal(stripUrlCredentials('https://h.example/x'), 'https://h.example/x');
  assert.equal(stripUrlCredentials('not a url'), 'not a url');
});

test('pip.conf: index urls, extra and find-links; credentials removed', () => {
  const text = '[global]\nindex-url = https://u:tok@pypi.corp.example/simple\nextra-index-url =\n    https://extra.example/simple\nfind-links = /opt/wheels\n[other]\nindex-url = https://ignored/\n';
  const s = parsePipConf(text);
  assert.equal(s.indexUrl, 'https://u:tok@pypi.corp.example/simple');
  assert.deepEqual(s.extraIndexUrls, ['https://extra.example/simple']);
  assert.deepEqual(s.findLinks, ['/opt/wheels']);
  assert.doesNotMatch(sanitizePipConf(text).text, /tok/);
});

test('a project .npmrc keeps only settings that run nothing: git=, script-shell=, node-options= and the like are dropped and named', async () => {
  const { projectNpmrcForJail } = await import('../../../src/profiles/npmrc.js');
  const r = projectNpmrcForJail(
    'registry=https://r.example/\n@acme:registry=https://a.example/\nsave-exact=true\ngit=./worm.sh\nscript-shell=./sh\nnode-options=--require ./x.js\n' +
      'onload-script=./o.js\nuserconfig=./u\n//r.example/:_authToken=SECRET\nlegacy-peer-deps=true\npnpmfile=./p.cjs\nnode-linker=hoisted\n',
  );
  assert.equal(r.text, 'registry=https://r.example/\n@acme:registry=https://a.example/\nsave-exact=true\nlegacy-peer-deps=true\nnode-linker=hoisted\n');
  assert.deepEqual(r.dropped, ['git', 'script-shell', 'node-options', 'onload-script', 'userconfig', 'pnpmfile']);
  assert.ok(!r.text.includes('SECRET') && !r.dropped.join().includes('SECRET'));
});
