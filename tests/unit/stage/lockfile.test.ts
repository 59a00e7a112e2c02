import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLockfile } from '../../../src/stage/lockfile.js';
import { foreignHost } from '../../../src/stage/hosts.js';

const hosts = ['registry.npmjs.org'];
const lock = (resolved: string) =>
  JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/a': { resolved, funding: { url: 'https://github.com/sponsors/x' } } } });

test('a package-lock whose packages come from the registry passes (funding URLs do not count)', () => {
  assert.deepEqual(checkLockfile('package-lock.json', lock('https://registry.npmjs.org/a/-/a-1.0.0.tgz'), hosts), { ok: true });
});

test('a redirected resolved URL is refused and the host named', () => {
  const v = checkLockfile('package-lock.json', lock('https://evil.example/a-1.0.0.tgz'), hosts);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /evil\.example/);
});

test('lockfile v1 nesting is walked too', () => {
  const v1 = JSON.stringify({ lockfileVersion: 1, dependencies: { a: { resolved: 'https://registry.npmjs.org/a.tgz', dependencies: { b: { resolved: 'http://10.0.0.1/b.tgz' } } } } });
  assert.match((checkLockfile('npm-shrinkwrap.json', v1, hosts) as { reason: string }).reason, /10\.0\.0\.1/);
});

test('local and workspace entries are not hosts', () => {
  const ws = JSON.stringify({ packages: { 'node_modules/w': { resolved: 'packages/w', link: true }, 'node_modules/f': { resolved: 'file:../f.tgz' } } });
  assert.deepEqual(checkLockfile('package-lock.json', ws, hosts), { ok: true });
});

test('a lockfile that is not valid JSON is refused', () => {
  assert.equal(checkLockfile('package-lock.json', '{"packages": ', hosts).ok, false);
});

test('yarn.lock and pnpm-lock.yaml URLs are checked', () => {
  const yarn = 'a@^1:\n  version "1.0.0"\n  resolved "https://evil.example/a.tgz#abc"\n';
  assert.equal(checkLockfile('yarn.lock', yarn, hosts).ok, false);
  assert.equal(checkLockfile('yarn.lock', yarn.replace('evil.example', 'registry.npmjs.org'), hosts).ok, true);
  const pnpm = "packages:\n  a@1.0.0:\n    resolution: {integrity: sha512-x, tarball: https://evil.example/a.tgz}\n";
  assert.equal(checkLockfile('pnpm-lock.yaml', pnpm, hosts).ok, false);
});

test('host matching: ports, credentials in URLs, case', () => {
  assert.equal(foreignHost('https://Registry.NPMJS.org/a', hosts), null);
  assert.equal(foreignHost('https://registry.npmjs.org:8443/a', ['registry.npmjs.org:443']), 'registry.npmjs.org:8443');
  assert.equal(foreignHost('https://registry.npmjs.org/a', ['registry.npmjs.org:443']), null);
  assert.equal(foreignHost('https://user:pw@registry.npmjs.org/a', hosts), 'registry.npmjs.org', 'userinfo is a smell, not a registry URL');
  assert.equal(foreignHost('https://registry.npmjs.org.evil.example/a', hosts), 'registry.npmjs.org.evil.example');
});

test('pnpm git dependencies (`repo:`) are checked too, in every form pnpm writes', () => {
  const pnpm = (repo: string) => `packages:\n  evil@git+x:\n    resolution: {commit: abc, repo: ${repo}, type: git}\n`;
  for (const repo of ['https://evil.example/x/y.git', 'git+ssh://git@evil.example/x/y.git', 'git@evil.example:x/y.git', 'evil.example/x/y']) {
    const v = checkLockfile('pnpm-lock.yaml', pnpm(repo), hosts);
    assert.equal(v.ok, false, repo);
    assert.match((v as { reason: string }).reason, /evil\.example/, repo);
  }
  assert.equal(checkLockfile('pnpm-lock.yaml', pnpm('https://registry.npmjs.org/x'), hosts).ok, true);
});

test('with no registry host at all (--network none), any remote URL in a lockfile is foreign', () => {
  assert.equal(checkLockfile('package-lock.json', lock('https://registry.npmjs.org/a/-/a-1.0.0.tgz'), []).ok, false);
});
