import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { realUidOf, tasksOf, threadsOf } from '../../../src/host/tasks.js';

test('status parsing: real uid and thread count', () => {
  const status = 'Name:\tnode\nUid:\t1001\t0\t0\t0\nGid:\t1001\t1001\t1001\t1001\nThreads:\t7\n';
  assert.equal(realUidOf(status), 1001);
  assert.equal(threadsOf(status), 7);
  assert.equal(threadsOf('Name:\tx\n'), undefined);
});

test("tasksOf counts this process's threads among its user's", () => {
  const uid = process.getuid!();
  // Every thread of this process is the user's; other processes of theirs add to it.
  assert.ok(tasksOf(uid) >= readdirSync(`/proc/${process.pid}/task`).length);
  // A uid that runs nothing runs no tasks.
  assert.equal(tasksOf(2 ** 31 - 7), 0);
});
