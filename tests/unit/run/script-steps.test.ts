import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installEvents, orderScriptSteps, planScriptSteps, type PackageDir } from '../../../src/run/script-steps.js';

const pkg = (name: string, events: string[], dependencies: string[] = []): PackageDir => ({ rel: `node_modules/${name}`, name, events, dependencies });

test('dependencies run before their dependents; packages without scripts do not run', () => {
  const steps = orderScriptSteps(
    [pkg('app-native', ['install'], ['bindings', 'plain']), pkg('bindings', ['postinstall']), pkg('plain', [])],
    (name) => [`node_modules/${name}`],
    undefined,
  );
  assert.deepEqual(steps, [
    { kind: 'package', name: 'bindings', writable: ['node_modules/bindings'] },
    { kind: 'package', name: 'app-native', writable: ['node_modules/app-native'] },
  ]);
});

test('each package may write only its own folders, every copy of it', () => {
  const steps = orderScriptSteps([pkg('x', ['postinstall'])], () => ['node_modules/x', 'node_modules/y/node_modules/x'], undefined);
  assert.deepEqual(steps, [{ kind: 'package', name: 'x', writable: ['node_modules/x', 'node_modules/y/node_modules/x'] }]);
});

test('the project\'s own scripts: preinstall first, the others last, in npm\'s order', () => {
  const steps = orderScriptSteps([pkg('x', ['install'])], () => ['node_modules/x'], ['prepare', 'postinstall', 'preinstall']);
  assert.deepEqual(steps.map((s) => (s.kind === 'root' ? `root:${s.event}` : s.name)), ['root:preinstall', 'x', 'root:postinstall', 'root:prepare']);
});

test('a dependency cycle does not loop', () => {
  const steps = orderScriptSteps([pkg('a', ['install'], ['b']), pkg('b', ['install'], ['a'])], (n) => [`node_modules/${n}`], undefined);
  assert.equal(steps.length, 2);
});

test('install events, with node-gyp\'s implicit install for a binding.gyp', () => {
  assert.deepEqual(installEvents({ scripts: { postinstall: 'x', test: 'y' } }, false), ['postinstall']);
  assert.deepEqual(installEvents({}, true), ['install']);
  assert.deepEqual(installEvents({ scripts: { install: 'custom' } }, true), ['install']);
  assert.deepEqual(installEvents({ scripts: { preinstall: 'p' } }, true), ['preinstall']);
  assert.deepEqual(installEvents({ scripts: 'nonsense' }, false), []);
});

test('a node_modules the staging layer replaced hides the project\'s old copies of a package', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-steps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const put = (root: string, rel: string, manifest: object) => {
    mkdirSync(join(dir, root, rel), { recursive: true });
    writeFileSync(join(dir, root, rel, 'package.json'), JSON.stringify(manifest));
  };
  // The install phase staged node_modules/native; the project still has an old nested copy.
  put('upper', 'node_modules/native', { name: 'native', scripts: { postinstall: 'node build.js' } });
  put('project', 'node_modules/native', { name: 'native' });
  put('project', 'node_modules/old/node_modules/native', { name: 'native' });
  const input = { upperDir: join(dir, 'upper'), projectDir: join(dir, 'project'), rootScripts: false };
  // Merged view: the old nested copy is there, and its folder is the package's too.
  assert.deepEqual(planScriptSteps(input), [
    { kind: 'package', name: 'native', writable: ['node_modules/native', 'node_modules/old/node_modules/native'] },
  ]);
  // node_modules replaced as a whole (npm ci): only what was staged exists in the jail.
  assert.deepEqual(planScriptSteps({ ...input, replaced: ['node_modules'] }), [{ kind: 'package', name: 'native', writable: ['node_modules/native'] }]);
});
