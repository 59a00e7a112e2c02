import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseAccounts, npmrcCafile, renderGroup, renderNsswitch, renderPasswd, stripNpmrcAuth } from '../../../src/jail/etc-files.js';

test('passwd and group hold root, nobody and the extra users only', () => {
  const accts = [...baseAccounts('nogroup'), { name: 'sp-test', uid: 1001, gid: 1001, group: 'sp-test', home: '/home/sp-test' }];
  assert.equal(
    renderPasswd(accts),
    'root:x:0:0:root:/root:/usr/sbin/nologin\nsp-test:x:1001:1001:sp-test:/home/sp-test:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  );
  assert.equal(renderGroup(accts), 'root:x:0:\nsp-test:x:1001:\nnogroup:x:65534:\n');
});

test('a name that would add a field or a line to passwd is refused', () => {
  assert.throws(() => renderPasswd([{ name: 'evil:x:0:0::/:/bin/sh\nroot2', uid: 5, gid: 5, group: 'g', home: '/' }]), /cannot go into/);
  assert.throws(() => renderGroup([{ name: 'u', uid: 5, gid: 5, group: 'g:x:0:', home: '/' }]), /cannot go into/);
});

test('nsswitch uses only sources built into glibc', () => {
  const text = renderNsswitch();
  for (const line of text.split('\n').filter((l) => /^\w+:/.test(l))) {
    const sources = line.split(/\s+/).slice(1);
    assert.ok(sources.every((s) => s === 'files' || s === 'dns'), line);
  }
});

test('npmrc: every credential is removed, the rest (cafile, registry) kept', () => {
  const input = [
    'cafile=/etc/ssl/certs/ca-certificates.crt',
    'registry=https://registry.example.com/',
    '//registry.example.com/:_authToken=npm_SECRET1',
    '_auth = c2VjcmV0',
    '//r.example/:_password=SECRET2',
    '//r.example/:username=bob',
    'email=bob@example.com',
    '@corp:registry=https://bob:SECRET3@npm.corp.example/',
    'keyfile=/home/bob/key.pem',
    '; comment',
  ].join('\n');
  const { text, removed } = stripNpmrcAuth(input);
  for (const secret of ['SECRET1', 'c2VjcmV0', 'SECRET2', 'bob:', 'key.pem', 'username']) assert.ok(!text.includes(secret), `${secret} left in:\n${text}`);
  assert.match(text, /^cafile=\/etc\/ssl\/certs\/ca-certificates.crt$/m);
  assert.match(text, /^registry=https:\/\/registry.example.com\/$/m);
  assert.match(text, /^@corp:registry=https:\/\/npm.corp.example\/$/m);
  assert.equal(removed, 7);
  assert.equal(npmrcCafile(text), '/etc/ssl/certs/ca-certificates.crt');
  assert.equal(npmrcCafile('registry=x\n'), undefined);
});
