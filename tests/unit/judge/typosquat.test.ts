import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addedName, established, loadPopularNames, lookalikeOf, oneEditApart, squatMessage, swapApart } from '../../../src/judge/typosquat.js';
import { nameFacts } from '../../../src/judge/typosquat-check.js';

const popular = new Set(['express', 'lodash', 'lodash.merge', 'react', 'preact', 'axios', 'chalk', '@types/node', 'ms']);

test('one edit, one swap, one separator change', () => {
  assert.equal(oneEditApart('expresss', 'express'), true);
  assert.equal(oneEditApart('expres', 'express'), true);
  assert.equal(oneEditApart('exprass', 'express'), true);
  assert.equal(oneEditApart('express', 'express'), false);
  assert.equal(oneEditApart('exprxss2', 'express'), false);
  assert.equal(swapApart('lodahs', 'lodash'), true);
  assert.equal(swapApart('ldoahs', 'lodash'), false);
});

test('lookalikes of used names are found; used names, short names and unrelated names are not', () => {
  assert.equal(lookalikeOf('expresss', popular), 'express');
  assert.equal(lookalikeOf('lodahs', popular), 'lodash');
  assert.equal(lookalikeOf('lodash-merge', popular), 'lodash.merge');
  assert.equal(lookalikeOf('axois', popular), 'axios');
  assert.equal(lookalikeOf('@types/nodee', popular), '@types/node');
  assert.equal(lookalikeOf('preact', popular), undefined, 'a used name is what the user meant');
  assert.equal(lookalikeOf('mss', popular), undefined, 'short names are not compared');
  assert.equal(lookalikeOf('left-pad', popular), undefined);
});

test('only names are checked, never paths, URLs, git or aliases; versions and ranges are stripped', () => {
  assert.equal(addedName('expresss@^4.0.0'), 'expresss');
  assert.equal(addedName('@types/nodee@20'), '@types/nodee');
  for (const a of ['../x.tgz', './lib', 'file:../lib', 'git+https://x/y.git', 'github:a/b', 'https://e.com/a.tgz', 'npm:lodash@4', 'user/repo', '--save-dev']) assert.equal(addedName(a), undefined, a);
});

test('an established package (a year old, several releases) is not a typosquat', () => {
  const now = Date.parse('2026-12-03T00:00:00Z');
  const old = nameFacts({ versions: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} }, time: { created: '2020-01-01T00:00:00Z' } }, now);
  assert.equal(established(old), true);
  const young = nameFacts({ versions: { '1.0.0': {}, '1.0.1': {}, '1.0.2': {} }, time: { created: '2026-11-30T00:00:00Z' } }, now);
  assert.equal(young.createdDaysAgo, 3);
  assert.equal(established(young), false);
  assert.equal(established(nameFacts({ versions: { '1.0.0': {} }, time: { created: '2020-01-01T00:00:00Z' } }, now)), false, 'one release');
  assert.equal(established({ exists: false }), false);
  assert.match(squatMessage({ name: 'expresss', meant: 'express', facts: { exists: false } }), /did you mean express\?.*--allow-name expresss/);
});

test('the shipped list of used names has the names typosquats aim at', () => {
  const names = loadPopularNames();
  assert.ok(names.size > 1000, `${names.size} names`);
  for (const n of ['express', 'lodash', 'react', 'axios', 'chalk', 'webpack', 'typescript']) assert.ok(names.has(n), n);
  assert.equal(lookalikeOf('expresss', names), 'express');
});
