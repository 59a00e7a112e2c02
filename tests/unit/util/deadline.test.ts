import { test } from 'node:test';
import assert from 'node:assert/strict';
import { armDeadline } from '../../../src/util/deadline.js';

test('a deadline beyond what setTimeout holds (700 hours) does not fire at once', async () => {
  let fired = false;
  const d = armDeadline(700 * 3600 * 1000, () => (fired = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fired, false, 'setTimeout alone would have fired after 1 ms');
  d.clear();
});

test('a short deadline fires; a cleared one does not', async () => {
  let fired = 0;
  armDeadline(5, () => fired++);
  const cleared = armDeadline(5, () => fired++);
  cleared.clear();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(fired, 1);
});
