import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/config/load.js';
import { parseSizeText, parseDurationText } from '../../../src/config/schema.js';

const parse = (text: string) => parseConfigText(text, '/p/config.json', 'user');

test('seed keys are read as in the original', () => {
  const l = parse('{"exe": "/usr/bin/npm", "root_dir": "/cellblock/npm", "keep_env": ["HTTPS_PROXY"], "user": "nobody"}');
  assert.deepEqual(l.values, { exe: '/usr/bin/npm', root_dir: '/cellblock/npm', keep_env: ['HTTPS_PROXY'], user: 'nobody' });
  assert.equal(l.where.user, '/p/config.json:1:84');
});

test('a numeric user is a uid', () => {
  assert.equal(parse('{"user": 65534}').values.user, '65534');
});

test('unknown keys are errors with a did-you-mean hint and a position', () => {
  assert.throws(() => parse('{\n  "keep-env": []\n}'), /\/p\/config.json:2:3: unknown key "keep-env" \(did you mean "keep_env"\?\)/);
  assert.throws(() => parse('{"limits": {"timout": 5}}'), /unknown key "limits.timout" \(did you mean "timeout"\?\)/);
});

test('wrong types name the place and the expected form', () => {
  assert.throws(() => parse('{"keep_env": "HOME"}'), /1:14: "keep_env" must be a list of strings \(write \["HOME"\]\)/);
  assert.throws(() => parse('{"network": "open"}'), /"network" must be one of/);
  assert.throws(() => parse('{"strict": "yes"}'), /true or false/);
  assert.throws(() => parse('[1]'), /must be a JSON object/);
  assert.throws(() => parse('{"limits": {"file_size": "lots"}}'), /size in bytes/);
});

test('limits accept units', () => {
  assert.deepEqual(parse('{"limits": {"file_size": "2G", "timeout": "30m", "processes": 64}}').values.limits, {
    file_size: 2 * 1024 ** 3,
    timeout: 1800,
    processes: 64,
  });
  assert.equal(parseSizeText('512M'), 512 * 1024 * 1024);
  assert.equal(parseSizeText('-1'), undefined);
  assert.equal(parseDurationText('2h'), 7200);
  assert.equal(parseDurationText('0'), undefined);
});

test('malformed JSON is reported with file, line and column', () => {
  assert.throws(() => parse('{\n "exe": "npm"\n "user": "x"}'), /^Error: \/p\/config.json:3:2: malformed JSON: expected ',' or '}'/);
});
