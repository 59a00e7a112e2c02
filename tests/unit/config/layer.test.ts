import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlay, overlayUntrusted, resolveLayers } from '../../../src/config/layer.js';
import type { ConfigLayer } from '../../../src/config/types.js';

const layer = (kind: ConfigLayer['kind'], values: ConfigLayer['values']): ConfigLayer => ({ kind, source: kind, values, where: {} });

test('lists stack without duplicates; singletons are replaced', () => {
  const v = overlay(overlay({ keep_env: ['A', 'B'], user: 'nobody' }, { keep_env: ['B', 'C'], user: 'build' }), { keep_env: ['A'] });
  assert.deepEqual(v.keep_env, ['A', 'B', 'C']);
  assert.equal(v.user, 'build');
});

test('limits merge per field', () => {
  assert.deepEqual(overlay({ limits: { timeout: 10, processes: 5 } }, { limits: { timeout: 20 } }).limits, { timeout: 20, processes: 5 });
});

test('an untrusted project cannot loosen anything', () => {
  const r = overlayUntrusted(
    { network: 'registry', keep_env: ['LANG'] },
    {
      keep_env: ['AWS_SECRET_ACCESS_KEY'],
      allow_hosts: ['evil.example'],
      network: 'host',
      backend: 'none',
      user: 'root',
      exe: '/tmp/evil',
      root_dir: '/',
      write: ['.github/**'],
      report: '/home/u/.bashrc',
      strict: false,
      profile: 'generic',
      limits: { timeout: 999999 },
    },
    {},
  );
  assert.deepEqual(r.values, { network: 'registry', keep_env: ['LANG'] });
  assert.deepEqual(r.ignored.map((i) => i.key).sort(), ['allow_hosts', 'backend', 'exe', 'keep_env', 'limits', 'network', 'profile', 'report', 'root_dir', 'strict', 'user', 'write']);
});

test('an untrusted project can tighten', () => {
  const r = overlayUntrusted({ network: 'host', hide: ['.env'] }, { network: 'none', hide: ['secrets/**'], strict: true, backend: 'sandbox', limits: { timeout: 60 } }, {});
  assert.deepEqual(r.values, { network: 'none', hide: ['.env', 'secrets/**'], strict: true, backend: 'sandbox', limits: { timeout: 60 } });
  assert.deepEqual(r.ignored, []);
});

test('resolveLayers: trusted project applies fully; untrusted is filtered; the command line wins', () => {
  const base = {
    system: layer('system', { keep_env: ['A'], user: 'nobody' }),
    user: layer('user', { exe: '/usr/bin/npm' }),
    cli: layer('command line', { user: 'build' }),
  };
  const projectValues = { keep_env: ['TOKEN'], hide: ['x'] };
  const untrusted = resolveLayers({ ...base, project: { ...layer('project', projectValues), sha256: 'h', trusted: false, changedSinceTrust: false } });
  assert.deepEqual(untrusted.values.keep_env, ['A']);
  assert.deepEqual(untrusted.values.hide, ['x']);
  assert.equal(untrusted.values.user, 'build');
  assert.equal(untrusted.origin.user, 'command line');
  assert.equal(untrusted.ignored.length, 1);
  const trusted = resolveLayers({ ...base, project: { ...layer('project', projectValues), sha256: 'h', trusted: true, changedSinceTrust: false } });
  assert.deepEqual(trusted.values.keep_env, ['A', 'TOKEN']);
  assert.equal(trusted.ignored.length, 0);
});
