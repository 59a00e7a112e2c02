import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEnvironment, SANE_PATH } from '../../../src/policy/environment.js';

const hostEnv = {
  PATH: '/home/u/bin:/usr/bin',
  HOME: '/home/u',
  TERM: 'xterm',
  LANG: 'C.UTF-8',
  LC_ALL: 'C',
  LC_TIME: 'C',
  NPM_TOKEN: 'npm_secret',
  AWS_SECRET_ACCESS_KEY: 'aws_secret',
  HTTPS_PROXY: 'http://proxy:3128',
  NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
  SSL_CERT_FILE: 'relative.pem',
  PIP_CERT: '/missing.pem',
};

const base = { hostEnv, keep: [] as string[], home: '/home/u', userName: 'u', pathPrefix: [] as string[], profileEnv: {}, pathExists: (p: string) => p !== '/missing.pem' };

test('starts empty: secrets are withheld and named', () => {
  const e = buildEnvironment(base);
  assert.equal(e.vars.NPM_TOKEN, undefined);
  assert.equal(e.vars.AWS_SECRET_ACCESS_KEY, undefined);
  assert.ok(e.withheld.includes('NPM_TOKEN'));
  assert.ok(e.withheld.includes('AWS_SECRET_ACCESS_KEY'));
  assert.equal(e.vars.PATH, SANE_PATH);
  assert.equal(e.vars.HOME, '/home/u');
  assert.equal(e.vars.TERM, 'xterm');
  assert.equal(e.vars.LANG, 'C.UTF-8');
});

test('trust variables pass when they name an existing absolute path', () => {
  const e = buildEnvironment(base);
  assert.equal(e.vars.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt');
  assert.deepEqual(e.trustPaths, ['/etc/ssl/certs/ca-certificates.crt']);
  assert.equal(e.vars.SSL_CERT_FILE, undefined);
  assert.equal(e.vars.PIP_CERT, undefined);
});

test('keep list: exact names and globs; unset names are reported', () => {
  const e = buildEnvironment({ ...base, keep: ['HTTPS_PROXY', 'LC_*', 'NOT_SET'] });
  assert.equal(e.vars.HTTPS_PROXY, 'http://proxy:3128');
  assert.equal(e.vars.LC_ALL, 'C');
  assert.equal(e.vars.LC_TIME, 'C');
  assert.deepEqual(e.keptButUnset, ['NOT_SET']);
  assert.ok(!e.withheld.includes('LC_ALL'));
});

test('HOME is always the jail\'s, even when kept; profile variables win over keep', () => {
  const e = buildEnvironment({ ...base, keep: ['HOME', 'HTTPS_PROXY'], home: '/nonexistent', profileEnv: { HTTPS_PROXY: 'http://127.0.0.1:3128' } });
  assert.equal(e.vars.HOME, '/nonexistent');
  assert.equal(e.vars.HTTPS_PROXY, 'http://127.0.0.1:3128');
});

test('PATH prefix for a tool outside the system directories', () => {
  const e = buildEnvironment({ ...base, pathPrefix: ['/home/u/.nvm/versions/node/v20/bin'] });
  assert.equal(e.vars.PATH, `/home/u/.nvm/versions/node/v20/bin:${SANE_PATH}`);
});
