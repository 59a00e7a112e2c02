// The judgement's inputs: lockfile readers, settings from every place they are said,
// the user's registry configuration and credentials, what is passed down to npm.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nameFromLockPath, npmLockPackages, pnpmKey, pnpmLockPackages, uniquePackages, yarnLockPackages, LockfileError } from '../../../src/judge/lockfile.js';
import { pnpmWorkspaceAge, resolveJudgeSettings } from '../../../src/judge/settings.js';
import { authFor, packumentUrl, registryConfig, registryFor } from '../../../src/judge/registry.js';
import { passDownEnv } from '../../../src/judge/host.js';
import { versionTimes } from '../../../src/judge/metadata.js';
import { readTree } from '../../../src/judge/tree.js';
import { parseNpmrc } from '../../../src/profiles/npmrc.js';

const LOCK = JSON.stringify({
  name: 'p',
  lockfileVersion: 3,
  packages: {
    '': { name: 'p', dependencies: { a: '^1' } },
    'node_modules/a': { version: '1.0.0', resolved: 'http://r/a/-/a-1.0.0.tgz' },
    'node_modules/a/node_modules/@s/b': { version: '2.0.0', resolved: 'http://r/@s/b/-/b-2.0.0.tgz' },
    'node_modules/alias': { name: 'real', version: '3.0.0', resolved: 'http://r/real/-/real-3.0.0.tgz' },
    'node_modules/linked': { resolved: 'packages/linked', link: true },
    'node_modules/bundled': { version: '1.0.0', inBundle: true },
    'node_modules/git': { version: '1.0.0', resolved: 'git+ssh://git@github.com/x/y.git#abc' },
    'node_modules/local': { version: '1.0.0', resolved: 'file:../local' },
    // omit-lockfile-registry-resolved=true: registry versions without a URL.
    'node_modules/no-url': { version: '4.0.0', integrity: 'sha512-x' },
    'node_modules/workspace': { version: 'file:packages/w' },
  },
});

test('npm lockfile: registry versions only, names from paths or aliases', () => {
  assert.deepEqual(npmLockPackages(LOCK), [
    { name: 'a', version: '1.0.0' },
    { name: '@s/b', version: '2.0.0' },
    { name: 'real', version: '3.0.0' },
    { name: 'no-url', version: '4.0.0' },
  ]);
  assert.equal(nameFromLockPath('node_modules/a/node_modules/@s/b'), '@s/b');
  assert.equal(nameFromLockPath('packages/x'), undefined);
  assert.throws(() => npmLockPackages('{'), LockfileError);
  const v1 = JSON.stringify({ lockfileVersion: 1, dependencies: { a: { version: '1.0.0', resolved: 'https://r/a.tgz', dependencies: { b: { version: '2.0.0', resolved: 'https://r/b.tgz' } } } } });
  assert.deepEqual(npmLockPackages(v1), [{ name: 'a', version: '1.0.0' }, { name: 'b', version: '2.0.0' }]);
});

test('pnpm lockfile: v5, v6 and v9 keys, peer suffixes; non-registry sources left out', () => {
  assert.deepEqual(pnpmKey('/a/1.0.0'), { name: 'a', version: '1.0.0' });
  assert.deepEqual(pnpmKey('/@s/b@2.0.0(react@18.0.0)'), { name: '@s/b', version: '2.0.0' });
  assert.deepEqual(pnpmKey('c@3.1.0'), { name: 'c', version: '3.1.0' });
  assert.equal(pnpmKey('d@file:../d'), undefined);
  const text = "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-x}\n\n  '@s/b@2.0.0':\n    resolution: {integrity: sha512-y}\n\nsnapshots:\n\n  a@1.0.0: {}\n";
  assert.deepEqual(pnpmLockPackages(text), [{ name: 'a', version: '1.0.0' }, { name: '@s/b', version: '2.0.0' }]);
});

test('yarn.lock v1: entries with a registry resolved URL', () => {
  const text = '# yarn lockfile v1\n\n"@s/b@^2.0.0":\n  version "2.0.0"\n  resolved "https://r/@s/b/-/b-2.0.0.tgz#abc"\n\na@^1.0.0, a@~1.0.0:\n  version "1.0.0"\n  resolved "https://r/a/-/a-1.0.0.tgz"\n\nlocal@file:../local:\n  version "1.0.0"\n';
  assert.deepEqual(uniquePackages(yarnLockPackages(text)), [{ name: '@s/b', version: '2.0.0' }, { name: 'a', version: '1.0.0' }]);
});

test('settings: safe-package config wins; else the user npm/pnpm setting; the project may only raise', () => {
  const npmrc = (text: string, path = '/home/u/.npmrc') => [{ path, lines: parseNpmrc(text) }];
  assert.deepEqual(
    [resolveJudgeSettings({ config: {}, npmrc: [], env: {} })].map((s) => [s.minAgeMinutes, s.minAgeFrom]),
    [[1440, 'default']],
  );
  let s = resolveJudgeSettings({ config: {}, npmrc: npmrc('min-release-age=3\nmin-release-age-exclude[]=@me/*\n'), env: {} });
  assert.equal(s.minAgeMinutes, 3 * 1440);
  assert.equal(s.minAgeFrom, '/home/u/.npmrc min-release-age');
  assert.deepEqual(s.excludes, ['@me/*']);
  s = resolveJudgeSettings({ config: {}, npmrc: npmrc('minimum-release-age=60\n'), env: {} });
  assert.equal(s.minAgeMinutes, 60);
  s = resolveJudgeSettings({ config: {}, npmrc: npmrc('min-release-age=3\n'), env: { npm_config_min_release_age: '0.5' } });
  assert.deepEqual([s.minAgeMinutes, s.minAgeFrom], [720, 'npm_config_min_release_age']);
  s = resolveJudgeSettings({ config: { min_release_age: 0, min_release_age_exclude: ['x'] }, configOrigin: '--min-release-age', npmrc: npmrc('min-release-age=3\n'), env: {} });
  assert.deepEqual([s.minAgeMinutes, s.minAgeFrom, s.excludes], [0, '--min-release-age', ['x']]);
  // The project: raising applies, lowering and excluding do not.
  s = resolveJudgeSettings({ config: {}, npmrc: [], env: {}, project: { npmrc: parseNpmrc('min-release-age=7\nmin-release-age-exclude=evil\n') } });
  assert.deepEqual([s.minAgeMinutes, s.minAgeFrom, s.excludes], [7 * 1440, "the project's .npmrc", []]);
  s = resolveJudgeSettings({ config: {}, npmrc: [], env: {}, project: { npmrc: parseNpmrc('min-release-age=0\n'), pnpmWorkspace: 'minimumReleaseAge: 10\n' } });
  assert.equal(s.minAgeMinutes, 1440);
  assert.equal(pnpmWorkspaceAge('packages:\n  - a\nminimumReleaseAge: 2880 # two days\n'), 2880);
});

test('registry configuration: scopes, tokens by longest prefix, ${VAR}, a token in npm_config_registry becomes a header', () => {
  const c = registryConfig(
    [
      { text: 'registry=https://global.example/\n' },
      { text: 'registry=https://r.example/npm/\n@s:registry=https://s.example/\n//r.example/npm/:_authToken=${TOKEN}\n//r.example/:_authToken=wrong\n//s.example/:username=u\n//s.example/:_password=cGFzcw==\n' },
    ],
    { TOKEN: 'secret-1' },
  );
  assert.equal(c.registry, 'https://r.example/npm/');
  assert.equal(registryFor(c, 'a'), 'https://r.example/npm/');
  assert.equal(registryFor(c, '@s/b'), 'https://s.example/');
  assert.equal(registryFor(c, '@other/b'), 'https://r.example/npm/');
  assert.equal(authFor(c, 'https://r.example/npm/a'), 'Bearer secret-1');
  assert.equal(authFor(c, 'https://r.example/other'), 'Bearer wrong');
  assert.equal(authFor(c, 'https://s.example/@s%2fb'), `Basic ${Buffer.from('u:pass').toString('base64')}`);
  assert.equal(authFor(c, 'https://elsewhere.example/a'), undefined);
  assert.equal(packumentUrl('https://r.example/npm/', '@s/b'), 'https://r.example/npm/@s%2Fb');
  const e = registryConfig([], { npm_config_registry: 'https://user:tok@e.example/' });
  assert.equal(e.registry, 'https://e.example/');
  assert.equal(authFor(e, 'https://e.example/a'), `Basic ${Buffer.from('user:tok').toString('base64')}`);
  assert.doesNotMatch(JSON.stringify({ registry: e.registry, scopes: e.scopes }), /tok/);
});

test('passed down: npm in days with its exclude list, pnpm in minutes', () => {
  const s = { minAgeMinutes: 2160, minAgeFrom: 'default', excludes: ['a', '@s/*'], advisories: true, strict: false };
  assert.deepEqual(passDownEnv('npm', s), { npm_config_min_release_age: '1.5', npm_config_min_release_age_exclude: 'a\n\n@s/*' });
  assert.deepEqual(passDownEnv('npm', { ...s, minAgeMinutes: 0 }), { npm_config_min_release_age: '0' });
  assert.deepEqual(passDownEnv('pnpm', s), { npm_config_minimum_release_age: '2160' });
  assert.deepEqual(passDownEnv('yarn', s), {});
});

test('packument times: versions only', () => {
  assert.deepEqual(versionTimes({ versions: { '1.0.0': {} }, time: { created: 'c', modified: 'm', '1.0.0': 't1', '0.9.0': 'unpublished' } }), { '1.0.0': 't1' });
  assert.deepEqual(versionTimes(null), {});
});

test('the tree: the upper layer over the project, a whiteout hides, links are not followed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-judge-tree-'));
  try {
    const upper = join(dir, 'upper');
    const lower = join(dir, 'lower');
    mkdirSync(join(upper, 'node_modules'), { recursive: true });
    mkdirSync(join(lower, 'node_modules'), { recursive: true });
    writeFileSync(join(lower, 'package-lock.json'), LOCK);
    const hidden = JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/z': { version: '9.0.0', resolved: 'http://r/z.tgz' } } });
    writeFileSync(join(lower, 'node_modules', '.package-lock.json'), hidden);
    // Only what the run wrote counts as on disk.
    let t = readTree({ upper, lower }, 'npm');
    assert.deepEqual(t.lockfiles, ['package-lock.json']);
    writeFileSync(join(upper, 'node_modules', '.package-lock.json'), hidden);
    t = readTree({ upper, lower }, 'npm');
    assert.deepEqual(t.lockfiles, ['package-lock.json', 'node_modules/.package-lock.json']);
    assert.equal(t.packages.length, 5);
    // A link in the upper layer is not read (nor what it points to).
    symlinkSync(join(lower, 'package-lock.json'), join(upper, 'package-lock.json'));
    t = readTree({ upper, lower }, 'npm');
    assert.deepEqual(t.lockfiles, ['node_modules/.package-lock.json']);
    // Without an upper layer (check): the project's files.
    t = readTree({ lower }, 'npm');
    assert.deepEqual(t.lockfiles, ['package-lock.json', 'node_modules/.package-lock.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
