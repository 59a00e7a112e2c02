import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRatioWithRange, pairedRatios, rotation } from '../../../bench/lib/stats.js';

test('paired ratios: one per repetition, only when both sides have every sample', () => {
  assert.deepEqual(pairedRatios([110, 240, 330], [100, 200, 300], 3), [1.1, 1.2, 1.1]);
  // A drifting machine: both sides slow down together; the pairs stay put.
  const bare = [100, 150, 200, 250];
  const wrapped = bare.map((b) => b * 1.2);
  assert.deepEqual(pairedRatios(wrapped, bare, 4)?.map((r) => r.toFixed(2)), ['1.20', '1.20', '1.20', '1.20']);
  assert.equal(pairedRatios([110, 240], [100, 200, 300], 3), undefined, 'a side that stopped after a failure');
  assert.equal(pairedRatios([110], [100], 1), undefined, 'one sample is not a range');
  assert.equal(pairedRatios([1, 2], [0, 2], 2), undefined);
});

test('the ratio cell shows the range of the pairs when there is one', () => {
  assert.equal(formatRatioWithRange(1.15, [1.03, 1.31, 1.1]), '1.15× (1.03–1.31)');
  assert.equal(formatRatioWithRange(1.15, undefined), '1.15×');
  assert.equal(formatRatioWithRange(undefined, [1, 2]), '—');
});

test('variants alternate: no side always runs first', () => {
  assert.deepEqual([0, 1, 2].map((rep) => rotation(['b', 'w'], rep).join('')), ['bw', 'wb', 'bw']);
});
