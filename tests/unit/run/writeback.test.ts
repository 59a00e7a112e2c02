import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backgroundWriteback } from '../../../src/run/writeback.js';
import { stagedNothing, upperOf } from '../../../src/stage/stage-dirs.js';

/**
 * The child processes of this one. A child stays listed (a zombie at worst) until this
 * process reaps it, which happens only when the event loop runs: so, right after kick(),
 * whatever it started is seen, whether it has exec'd sync yet or already exited.
 */
function children(): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test('a writeback is one sync of the directory at a time; settled() waits for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-writeback-'));
  try {
    const wb = backgroundWriteback();
    wb.kick(dir);
    wb.kick(dir); // still running: not a second process
    assert.equal(children().length, 1);
    await wb.settled();
    assert.deepEqual(children(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run whose jails wrote nothing is told apart from one that wrote something', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-writeback-'));
  try {
    mkdirSync(upperOf(dir));
    assert.equal(stagedNothing(dir), true);
    writeFileSync(join(upperOf(dir), 'f'), 'x');
    assert.equal(stagedNothing(dir), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
