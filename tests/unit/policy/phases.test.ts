import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePhases, scriptsPhaseFlags } from '../../../src/policy/phases.js';
import { classifyCommand, isPackageName } from '../../../src/profiles/commands.js';

const decide = (args: string[], over: Partial<Parameters<typeof decidePhases>[0]> = {}) =>
  decidePhases({ profile: 'npm', args, twoPhase: true, ...over }).phases.map((p) => p.name);

test('installs run in two phases; other commands in one', () => {
  assert.deepEqual(decide(['install']), ['install', 'scripts']);
  assert.deepEqual(decide(['i', 'left-pad']), ['install', 'scripts']);
  assert.deepEqual(decide(['ci']), ['install', 'scripts']);
  assert.deepEqual(decide(['update']), ['install', 'scripts']);
  assert.deepEqual(decide(['run', 'build']), ['run']);
  assert.deepEqual(decide(['test']), ['run']);
  assert.deepEqual(decide(['exec', 'x']), ['run']);
  assert.deepEqual(decide([]), ['run']);
});

test('uninstall and --ignore-scripts need no scripts phase', () => {
  assert.deepEqual(decide(['uninstall', 'x']), ['install']);
  assert.deepEqual(decide(['install', '--ignore-scripts']), ['install']);
  assert.deepEqual(decide(['install', '--ignore-scripts', '--no-ignore-scripts']), ['install', 'scripts']);
});

test('only the install phase gets credentials and the writable cache', () => {
  const [install, scripts] = decidePhases({ profile: 'npm', args: ['ci'], twoPhase: true }).phases;
  assert.equal(install!.credentials, true);
  assert.equal(install!.env.npm_config_ignore_scripts, 'true');
  assert.equal(scripts!.credentials, false);
  assert.equal(scripts!.network, 'allowed-hosts-only');
  assert.equal(scripts!.cacheWritable, false);
  assert.deepEqual(scripts!.scripts, { kind: 'all' });
  const single = decidePhases({ profile: 'npm', args: ['run', 'x'], twoPhase: true }).phases[0]!;
  assert.equal(single.credentials, false);
});

test('installing named packages runs only their scripts, not the project\'s', () => {
  const [, scripts] = decidePhases({ profile: 'npm', args: ['install', 'a'], twoPhase: true }).phases;
  assert.deepEqual(scripts!.scripts, { kind: 'changed' });
});

test('pnpm and yarn: bare command means install', () => {
  assert.deepEqual(decide([], { profile: 'pnpm' }), ['install', 'scripts']);
  assert.deepEqual(decide(['add', 'x'], { profile: 'yarn' }), ['install', 'scripts']);
  assert.equal(classifyCommand('npm', ['--prefix', 'x', 'install']).kind, 'other');
});

test('package names never read as options', () => {
  assert.equal(isPackageName('left-pad'), true);
  assert.equal(isPackageName('@scope/pkg'), true);
  assert.equal(isPackageName('--registry=http://evil'), false);
  assert.equal(isPackageName('-x'), false);
  assert.equal(isPackageName('a/../b'), false);
});

test('npm ci starts its install phase from an empty node_modules; nothing else does', () => {
  const fresh = (args: string[], profile: 'npm' | 'pnpm' | 'yarn' = 'npm') =>
    decidePhases({ profile, args, twoPhase: true }).phases.map((p) => p.freshDirs ?? []);
  assert.deepEqual(fresh(['ci']), [['node_modules'], []]);
  assert.deepEqual(fresh(['clean-install', '--no-audit']), [['node_modules'], []]);
  assert.deepEqual(fresh(['ci', '--ignore-scripts']), [['node_modules']]);
  // A dry run or another prefix leaves the fresh directory empty: the run drops it then.
  assert.deepEqual(fresh(['ci', '--dry-run']), [['node_modules'], []]);
  assert.deepEqual(fresh(['install']), [[], []]);
  assert.deepEqual(fresh(['install', 'left-pad']), [[], []]);
  assert.deepEqual(fresh(['update']), [[], []]);
  assert.deepEqual(fresh(['uninstall', 'x']), [[]]);
  assert.deepEqual(fresh(['run', 'build']), [[]]);
  assert.deepEqual(fresh(['install'], 'pnpm'), [[], []]);
  assert.deepEqual(fresh(['ci'], 'yarn'), [[]]);
  assert.match(decidePhases({ profile: 'npm', args: ['ci'], twoPhase: true }).phases[0]!.describe, /starts from an empty node_modules/);
});

test('the download phase runs no code the project chooses: pnpmfile ignored (when there is one), yarn-path ignored', async () => {
  const { installPhaseEnv } = await import('../../../src/policy/phases.js');
  assert.equal(installPhaseEnv('pnpm', true).pnpm_config_ignore_pnpmfile, 'true');
  assert.equal(installPhaseEnv('pnpm', false).pnpm_config_ignore_pnpmfile, undefined, 'pnpm records the choice: only when there is a pnpmfile');
  assert.equal(installPhaseEnv('yarn', false).YARN_IGNORE_PATH, '1');
  assert.equal(installPhaseEnv('npm', true).npm_config_ignore_scripts, 'true');
  const { phases } = decidePhases({ profile: 'pnpm', args: ['install'], twoPhase: true, pnpmfile: true });
  assert.equal(phases[0]!.env.pnpm_config_ignore_pnpmfile, 'true');
  assert.equal(phases[1]!.env.pnpm_config_ignore_pnpmfile, undefined);
});

test('the scripts phase repeats the user\'s output and log-level flags, and nothing that names a program or a path', () => {
  assert.deepEqual(scriptsPhaseFlags('npm', ['install', '--foreground-scripts', 'x', '--loglevel', 'verbose', '--script-shell', '/bin/evil', '--prefix=/tmp']), ['--foreground-scripts', '--loglevel', 'verbose']);
  assert.deepEqual(scriptsPhaseFlags('npm', ['ci', '--loglevel=silly', '--foreground-scripts=false', '-dd', '--color', 'always']), ['--loglevel=silly', '--foreground-scripts=false', '-dd', '--color', 'always']);
  assert.deepEqual(scriptsPhaseFlags('npm', ['install', '--', '--foreground-scripts']), []);
  assert.deepEqual(scriptsPhaseFlags('pnpm', ['install', '--reporter', 'append-only', '--foreground-scripts']), ['--reporter', 'append-only']);
  const scripts = decidePhases({ profile: 'npm', args: ['install', '--foreground-scripts', 'x'], twoPhase: true }).phases[1]!;
  assert.deepEqual(scripts.carriedFlags, ['--foreground-scripts']);
  assert.equal(decidePhases({ profile: 'npm', args: ['install', 'x'], twoPhase: true }).phases[1]!.carriedFlags, undefined);
});
