import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backgroundWriteback } from '../../../src/backends/writeback.js';

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

test('a jail that wrote something starts one sync of the run directory; settled() waits for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-writeback-'));
  try {
    const upper = join(dir, 'upper');
    mkdirSync(upper);
    writeFileSync(join(upper, 'f'), 'x');
    const wb = backgroundWriteback();
    wb.kick(dir, upper);
    wb.kick(dir, upper); // still running: not a second process
    assert.equal(children().length, 1);
    await wb.settled();
    assert.deepEqual(children(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a jail that wrote nothing starts no process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-writeback-'));
  try {
    const upper = join(dir, 'upper');
    mkdirSync(upper);
    const wb = backgroundWriteback();
    wb.kick(dir, upper);
    wb.kick(dir, join(dir, 'missing'));
    assert.deepEqual(children(), []);
    await wb.settled();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
