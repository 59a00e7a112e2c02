import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminalFilter } from '../../../src/run/terminal-filter.js';

function run(...chunks: (string | Buffer)[]): string {
  const f = new TerminalFilter();
  return chunks.map((c) => f.push(Buffer.isBuffer(c) ? c : Buffer.from(c))).join('') + f.end();
}

test('text, colours and progress-bar movement pass', () => {
  assert.equal(run('added 3 packages\r\n'), 'added 3 packages\r\n');
  assert.equal(run('\x1b[32mok\x1b[0m \x1b[2K\x1b[1G'), '\x1b[32mok\x1b[0m \x1b[2K\x1b[1G');
  assert.equal(run('\x1b[?25l spinning \x1b[?25h'), '\x1b[?25l spinning \x1b[?25h');
});

test('OSC 52 (clipboard), window titles and links are shown, not obeyed', () => {
  assert.equal(run('\x1b]52;c;Y3VybCBldmlsfHNo\x07'), '\\x1b]52;c;Y3VybCBldmlsfHNo\\x07');
  assert.equal(run('\x1b]0;pwned\x1b\\'), '\\x1b]0;pwned\\x1b\\');
  assert.doesNotMatch(run('\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\'), /\x1b/);
});

test('sequences that make the terminal answer, or reset it, are neutralised', () => {
  assert.doesNotMatch(run('\x1b[6n'), /\x1b/); // cursor position report
  assert.doesNotMatch(run('\x1b[21t'), /\x1b/); // window title report
  assert.doesNotMatch(run('\x1bc'), /\x1b/); // full reset
  assert.doesNotMatch(run('\x1bP$q"p\x1b\\'), /\x1b/); // DECRQSS
  assert.doesNotMatch(run('\x1b[?1049h'), /\x1b/); // alternate screen
  assert.equal(run('\x9b31m'), '\\x9b31m'); // 8-bit CSI
});

test('a sequence split across chunks is judged whole; UTF-8 split across chunks survives', () => {
  assert.equal(run('a\x1b', '[3', '2mb'), 'a\x1b[32mb');
  assert.equal(run('a\x1b', ']0;x\x07'), 'a\\x1b]0;x\\x07');
  const euro = Buffer.from('€');
  assert.equal(run(euro.subarray(0, 1), euro.subarray(1)), '€');
  assert.equal(run('end\x1b'), 'end\\x1b');
});

test('other control characters become visible; bidi overrides too', () => {
  assert.equal(run('bell\x07'), 'bell\\x07');
  assert.equal(run('\u202eevil'), '\\u202eevil');
});

test('cursor up (and so erasing lines printed before) is shown, not obeyed', () => {
  assert.equal(run('warn: 3 vulnerabilities\n\x1b[1A\x1b[2Kall good\n'), 'warn: 3 vulnerabilities\n\\x1b[1A\x1b[2Kall good\n');
  assert.doesNotMatch(run('\x1b[A\x1b[5A\x1b[F\x1bM'), /\x1b/);
});
