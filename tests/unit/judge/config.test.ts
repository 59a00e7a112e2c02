// The judgement's configuration keys and options: validation, layering (a project may
// only raise the age), the command line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/config/load.js';
import { overlay, overlayUntrusted } from '../../../src/config/layer.js';
import { parseArgs } from '../../../src/cli/args.js';

const parse = (text: string) => parseConfigText(text, 'c.json', 'user').values;

test('min_release_age: minutes or a duration; malformed values name the place', () => {
  assert.equal(parse('{"min_release_age": 1440}').min_release_age, 1440);
  assert.equal(parse('{"min_release_age": "12h"}').min_release_age, 720);
  assert.equal(parse('{"min_release_age": 0}').min_release_age, 0);
  assert.throws(() => parse('{"min_release_age": "soon"}'), /c\.json:1:\d+: "min_release_age" must be minutes/);
  assert.throws(() => parse('{"min_release_age": true}'), /must be minutes/);
  assert.deepEqual(parse('{"min_release_age_exclude": ["@acme/*", "left-pad"]}').min_release_age_exclude, ['@acme/*', 'left-pad']);
  assert.throws(() => parse('{"min_release_age_exclude": "left-pad"}'), /list of strings/);
  assert.equal(parse('{"malware_db": "/srv/osv"}').malware_db, '/srv/osv');
  assert.throws(() => parse('{"min_release_ages": 1}'), /did you mean "min_release_age"/);
});

test('layers: excludes stack; an untrusted project may raise the age, never lower it or exclude', () => {
  assert.deepEqual(overlay({ min_release_age_exclude: ['a'] }, { min_release_age_exclude: ['b', 'a'] }).min_release_age_exclude, ['a', 'b']);
  const raised = overlayUntrusted({}, { min_release_age: 2880 }, {});
  assert.equal(raised.values.min_release_age, 2880);
  const lowered = overlayUntrusted({ min_release_age: 1440 }, { min_release_age: 10, min_release_age_exclude: ['evil'], malware_db: '/x' }, {});
  assert.equal(lowered.values.min_release_age, 1440);
  assert.equal(lowered.values.min_release_age_exclude, undefined);
  assert.equal(lowered.values.malware_db, undefined);
  assert.deepEqual(lowered.ignored.map((i) => i.key).sort(), ['malware_db', 'min_release_age', 'min_release_age_exclude']);
  // Below the default (one day) is lowering even when no layer set the key.
  assert.equal(overlayUntrusted({}, { min_release_age: 60 }, {}).values.min_release_age, undefined);
});

test('options: --min-release-age, --min-release-age-exclude (repeatable), --malware-db; check is a command', () => {
  const o = parseArgs(['--min-release-age', '2d', '--min-release-age-exclude', 'a', '--min-release-age-exclude=@s/*', '--malware-db', '/db', 'npm', 'ci']);
  assert.equal(o.config.min_release_age, 2880);
  assert.deepEqual(o.config.min_release_age_exclude, ['a', '@s/*']);
  assert.equal(o.config.malware_db, '/db');
  assert.deepEqual(o.positionals, ['npm', 'ci']);
  assert.throws(() => parseArgs(['--min-release-age', 'tomorrow', 'npm']), /--min-release-age: expected minutes or a duration/);
  const c = parseArgs(['check', '--strict']);
  assert.equal(c.command, 'check');
  assert.deepEqual(c.positionals, ['--strict']);
});
