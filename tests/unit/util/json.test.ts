import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson, toPlain, JsonSyntaxError } from '../../../src/util/json.js';

function errorAt(text: string): { line: number; column: number; message: string } {
  try {
    parseJson(text);
  } catch (e) {
    assert.ok(e instanceof JsonSyntaxError);
    return { ...e.pos, message: e.message };
  }
  throw new Error('parsed');
}

test('parses what JSON.parse parses', () => {
  const text = '{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}}';
  assert.deepEqual(JSON.parse(JSON.stringify(toPlain(parseJson(text)))), JSON.parse(text));
});

test('objects have no prototype; nesting is bounded', () => {
  const v = toPlain(parseJson('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), null);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.match(errorAt('['.repeat(300) + ']'.repeat(300)).message, /nested deeper than 256/);
});

test('errors carry line and column', () => {
  assert.deepEqual(errorAt('{\n  "exe": "npm",\n  "user" "x"\n}').line, 3);
  const e = errorAt('{\n  "exe": "npm",\n  "user" "x"\n}');
  assert.equal(e.column, 10);
  assert.match(e.message, /expected ':'/);
  assert.deepEqual(errorAt('{"a": 1,}').column, 9);
  assert.match(errorAt('{"a": 1').message, /end of file/);
  assert.match(errorAt('{"a": "x\ny"}').message, /inside a string/);
});

test('a key given twice is refused, pointing at the second', () => {
  const e = errorAt('{"user": "nobody",\n "user": "root"}');
  assert.equal(e.line, 2);
  assert.match(e.message, /appears twice/);
});

test('trailing garbage is refused', () => {
  assert.match(errorAt('{} {}').message, /after the end/);
});
