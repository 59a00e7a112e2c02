import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNpmAuditPath, refuseMethod } from '../../../src/net/method-policy.js';

test('reads pass', () => {
  for (const m of ['GET', 'HEAD', 'OPTIONS', 'get']) assert.equal(refuseMethod(m, '/react'), undefined, m);
});

test('npm publish, unpublish, dist-tag and login (PUT, DELETE) are refused', () => {
  assert.match(refuseMethod('PUT', '/my-package')!, /published/);
  assert.match(refuseMethod('PUT', '/-/user/org.couchdb.user:alice')!, /login/);
  assert.match(refuseMethod('PUT', '/-/package/my-package/dist-tags/latest')!, /PUT/);
  assert.match(refuseMethod('DELETE', '/my-package/-rev/3-abc')!, /DELETE/);
  assert.match(refuseMethod('PATCH', '/x')!, /PATCH/);
  assert.match(refuseMethod('TRACE', '/x')!, /TRACE/);
});

test('POST passes only to the npm audit endpoints', () => {
  assert.equal(refuseMethod('POST', '/-/npm/v1/security/advisories/bulk'), undefined);
  assert.equal(refuseMethod('POST', '/-/npm/v1/security/audits/quick'), undefined);
  assert.equal(refuseMethod('POST', '/artifactory/api/npm/npm-remote/-/npm/v1/security/audits/quick?x=1'), undefined);
  assert.match(refuseMethod('POST', '/legacy/')!, /PyPI/);
  assert.match(refuseMethod('POST', '/-/npm/v1/tokens')!, /POST/);
  assert.match(refuseMethod('POST', '/-/v1/login')!, /POST/);
});

test('an audit path cannot be walked out of with dot segments or escapes', () => {
  assert.equal(isNpmAuditPath('/-/npm/v1/security/../../../-/user/org.couchdb.user:x'), false);
  assert.equal(isNpmAuditPath('/-/npm/v1/security/%2e%2e/%2e%2e/tokens'), false);
  assert.equal(isNpmAuditPath('/-/npm/v1/security/./audits'), false);
  assert.equal(isNpmAuditPath('/../-/npm/v1/security/audits'), false);
  assert.equal(isNpmAuditPath('/-/npm/v1/security'), false);
  assert.equal(isNpmAuditPath('/-/npm/v1/security//audits'), false);
  assert.equal(isNpmAuditPath('/x/-/npm/v1/securityX/audits'), false);
  assert.equal(isNpmAuditPath('/-/npm/v1/security/audits\\..\\tokens'), false);
});
