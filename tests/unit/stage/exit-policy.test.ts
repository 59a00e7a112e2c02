import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyExitPolicy, decideOnExit } from '../../../src/stage/exit-policy.js';
import type { Review } from '../../../src/stage/types.js';

const review: Review = {
  changes: [
    { path: 'node_modules/a/index.js', kind: 'added', type: 'file', verdict: 'commit', reason: 'allowed' },
    { path: '.npmrc', kind: 'added', type: 'file', verdict: 'discard', reason: 'not covered' },
  ],
};

test('a successful install commits what the review allowed', () => {
  assert.deepEqual(decideOnExit({ code: 0 }), { commit: true });
  assert.equal(applyExitPolicy(review, { code: 0 }), review);
});

test('a failed install commits nothing and says why', () => {
  const r = applyExitPolicy(review, { code: 1 });
  assert.ok(r.changes.every((c) => c.verdict === 'discard'));
  assert.match(r.changes[0]!.reason, /exited with status 1: nothing is committed/);
  assert.equal(r.changes[1]!.reason, 'not covered', 'discards keep their own reason');
});

test('an install killed by a signal commits nothing', () => {
  const d = decideOnExit({ code: null, signal: 'SIGKILL' });
  assert.deepEqual(d, { commit: false, reason: 'the package manager was killed by SIGKILL: nothing is committed' });
});
