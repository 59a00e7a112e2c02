import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDump } from '../../../src/stage/overlay-xattrs.js';

test('getfattr dump: opaque directories are found, escaped names decoded', () => {
  const out = [
    '# file: ./node_modules', 'user.overlay.opaque="y"', '',
    '# file: ./keep', 'user.overlay.impure="y"', '',
    '# file: ./caf\u00c3\u00a9\\134x', 'trusted.overlay.opaque="y"', '',
    '# file: ./not', 'user.overlay.opaque="x"', '',
  ].join('\n');
  assert.deepEqual(parseDump(out), ['./node_modules', './café\\x']);
});
