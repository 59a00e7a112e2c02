import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../../src/cli/args.js';

test('options stop at the first positional: package-manager flags pass through untouched', () => {
  const o = parseArgs(['-k', 'HTTPS_PROXY', 'npm', 'install', '--save-dev', '-k', 'x']);
  assert.deepEqual(o.config.keep_env, ['HTTPS_PROXY']);
  assert.deepEqual(o.positionals, ['npm', 'install', '--save-dev', '-k', 'x']);
});

test('the seed\'s short options, attached and separate values, and long forms', () => {
  const o = parseArgs(['-eNPM', '-r', '/jail', '-k=A', '--keep-env', 'B', '--keep-env=LC_*', '-u', 'nobody', '--', 'install']);
  assert.equal(o.config.exe, 'NPM');
  assert.equal(o.config.root_dir, '/jail');
  assert.deepEqual(o.config.keep_env, ['A', 'B', 'LC_*']);
  assert.equal(o.config.user, 'nobody');
  assert.deepEqual(o.positionals, ['install']);
});

test('-- ends options even before something that looks like one', () => {
  assert.deepEqual(parseArgs(['--', '--version']).positionals, ['--version']);
  assert.equal(parseArgs(['--', '--version']).version, false);
});

test('reserved words are commands only as the first positional without --', () => {
  assert.equal(parseArgs(['doctor']).command, 'doctor');
  assert.equal(parseArgs(['--', 'doctor']).command, undefined);
  assert.deepEqual(parseArgs(['--', 'doctor']).positionals, ['doctor']);
  assert.deepEqual(parseArgs(['jail', 'create', 'x']).positionals, ['create', 'x']);
  assert.equal(parseArgs(['npm', 'doctor']).command, undefined);
});

test('flag clusters, help and version', () => {
  const o = parseArgs(['-qV']);
  assert.equal(o.quiet, true);
  assert.equal(o.version, true);
  assert.equal(parseArgs(['-h']).help, true);
});

test('new options validate their values with a hint', () => {
  assert.equal(parseArgs(['--backend', 'chroot', 'x']).config.backend, 'chroot');
  assert.deepEqual(parseArgs(['--allow-host', 'a:1', '--allow-host=b', 'x']).config.allow_hosts, ['a:1', 'b']);
  assert.throws(() => parseArgs(['--backend', 'sandbx']), /did you mean "sandbox"/);
  assert.throws(() => parseArgs(['--network', 'open']), UsageError);
});

test('unknown options and missing values are usage errors', () => {
  assert.throws(() => parseArgs(['--exe']), /needs a value/);
  assert.throws(() => parseArgs(['-k']), /needs a value/);
  assert.throws(() => parseArgs(['--keep-envv', 'A']), /did you mean --keep-env/);
  assert.throws(() => parseArgs(['-x']), /unknown option -x/);
  assert.throws(() => parseArgs(['--strict=yes']), /takes no value/);
});
