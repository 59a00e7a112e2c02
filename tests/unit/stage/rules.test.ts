import { test } from 'node:test';
import assert from 'node:assert/strict';
import { couldMatchBelow, writeRules } from '../../../src/stage/rules.js';

const npm = writeRules(['node_modules/**', 'package.json', 'package-lock.json', 'npm-shrinkwrap.json']);

test('npm write rules: node_modules and the manifests pass, the rest of the project does not', () => {
  assert.equal(npm.fileRefusal('node_modules/a/index.js'), null);
  assert.equal(npm.fileRefusal('package.json'), null);
  assert.ok(npm.fileRefusal('src/index.js'));
  assert.ok(npm.fileRefusal('sub/package.json'));
  assert.ok(npm.fileRefusal('node_modules'), 'the directory itself is not a file path the glob matches');
});

test('planted CI workflows, editor tasks and .npmrc are refused with a reason that says why they matter', () => {
  assert.match(npm.fileRefusal('.github/workflows/x.yml')!, /CI configuration.*not covered/);
  assert.match(npm.fileRefusal('.vscode/tasks.json')!, /editor configuration/);
  assert.match(npm.fileRefusal('.npmrc')!, /package manager configuration/);
});

test('.git and .safe-package are never committed, even when a write glob covers them', () => {
  const loose = writeRules(['**']);
  assert.match(loose.fileRefusal('.git/hooks/pre-commit')!, /git metadata.*never committed/);
  assert.match(loose.fileRefusal('.git/config')!, /never committed/);
  assert.match(loose.dirRefusal('.git')!, /never committed/);
  assert.match(loose.fileRefusal('.safe-package/config.json')!, /never committed/);
  assert.equal(loose.fileRefusal('src/x.js'), null);
  assert.equal(loose.coversEverythingUnder('.git'), false);
});

test('a directory may be made when the rules could match something below it', () => {
  assert.equal(npm.dirRefusal('node_modules'), null);
  assert.equal(npm.dirRefusal('node_modules/a/b'), null);
  assert.ok(npm.dirRefusal('src'));
  assert.ok(npm.dirRefusal('.github'));
  const nested = writeRules(['packages/*/node_modules/**']);
  assert.equal(nested.dirRefusal('packages'), null);
  assert.equal(nested.dirRefusal('packages/a'), null);
  assert.equal(nested.dirRefusal('packages/a/node_modules'), null);
  assert.ok(nested.dirRefusal('packages/a/src'));
});

test('coversEverythingUnder lets a whole node_modules go without listing it', () => {
  assert.equal(npm.coversEverythingUnder('node_modules'), true);
  assert.equal(npm.coversEverythingUnder('node_modules/a'), true);
  assert.equal(npm.coversEverythingUnder('src'), false);
  assert.equal(writeRules(['node_modules/*.js']).coversEverythingUnder('node_modules'), false);
});

test('couldMatchBelow is segment-wise like the matcher', () => {
  assert.equal(couldMatchBelow('node_modules/**', 'node_modules'), true);
  assert.equal(couldMatchBelow('node_modules/**', 'node_modules_evil'), false);
  assert.equal(couldMatchBelow('package.json', ''), true);
  assert.equal(couldMatchBelow('package.json', 'package.json'), false);
  assert.equal(couldMatchBelow('**/dist/**', 'a/b'), true);
  assert.equal(couldMatchBelow('a/*/c', 'a/x'), true);
  assert.equal(couldMatchBelow('a/*/c', 'b/x'), false);
});
