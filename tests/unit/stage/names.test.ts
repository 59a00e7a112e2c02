import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameProblem, printable, relPathProblem } from '../../../src/stage/names.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('ordinary package file names pass, including dots and unicode', () => {
  for (const n of ['index.js', '.bin', '...', '..foo', 'a..b', '@scope', 'naïve.js', '日本.txt', 'x y']) {
    assert.equal(nameProblem(Buffer.from(n)), null, n);
  }
});

test('a `..` segment is refused, also hidden behind backslashes for Windows tools', () => {
  assert.match(nameProblem(b('..'))!, /'\.\.'/);
  assert.match(nameProblem(b('..\\..\\evil'))!, /'\.\.' segment/);
  assert.match(nameProblem(b('a\\..'))!, /'\.\.' segment/);
  assert.equal(nameProblem(b('a\\b')), null);
});

test('an ANSI escape sequence in a name is refused (it would drive the terminal that shows the report)', () => {
  assert.match(nameProblem(b('red\x1b[31m'))!, /ANSI escape/);
  assert.match(nameProblem(Buffer.from('csi\u009b31m'))!, /ANSI escape/);
});

test('control characters and bidirectional overrides are refused', () => {
  assert.match(nameProblem(b('new\nline'))!, /control character/);
  assert.match(nameProblem(b('bell\x07'))!, /control character/);
  assert.match(nameProblem(b('del\x7f'))!, /control character/);
  assert.match(nameProblem(Buffer.from('evil\u202egnp.js'))!, /bidirectional/);
});

test('a name that is not valid UTF-8 is refused, not silently mangled', () => {
  assert.match(nameProblem(b('bad\xff'))!, /not valid UTF-8/);
  assert.match(nameProblem(Buffer.from([0xc3]))!, /not valid UTF-8/);
  assert.match(nameProblem(Buffer.from([0xed, 0xa0, 0x80]))!, /not valid UTF-8/); // a surrogate
});

test('printable shows hostile bytes escaped and leaves ordinary text alone', () => {
  assert.equal(printable(b('red\x1b[31m')), 'red\\x1b[31m');
  assert.equal(printable(b('bad\xff.js')), 'bad\\xff.js');
  assert.equal(printable(Buffer.from('naïve\\x')), 'naïve\\\\x');
  assert.equal(printable(Buffer.from('a\u202eb')), 'a\\u{202e}b');
  assert.equal(printable(Buffer.from('c\u009bd')), 'c\\u{9b}d');
  assert.doesNotMatch(printable(b('\x1b]0;title\x07')), /[\x00-\x1f]/);
});

test('relative paths: absolute, empty segments and `..` are refused', () => {
  assert.equal(relPathProblem('node_modules/a/index.js'), null);
  assert.ok(relPathProblem('/etc/passwd'));
  assert.ok(relPathProblem('node_modules/../.git/config'));
  assert.ok(relPathProblem('a//b'));
  assert.ok(relPathProblem(''));
});
