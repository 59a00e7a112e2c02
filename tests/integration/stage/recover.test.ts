// Recovery of commits interrupted in ways the crash test does not reach by chance:
// damaged journals, a commit still running, a place taken while the commit was down.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recoverCommits } from '../../../src/stage/index.js';
import { ensureJournalDir, JournalWriter, processStart } from '../../../src/stage/journal-file.js';
import type { JournalHeader } from '../../../src/stage/journal.js';
import { makeLayout, removeLayout, snapshot, writeTree } from './support.js';

function deadPid(): number {
  const r = spawnSync('/bin/true');
  return r.pid!;
}

function header(project: string, upper: string, extra: Partial<JournalHeader> = {}): JournalHeader {
  return { version: 1, id: 'a1b2c3', pid: deadPid(), pidStart: 'gone', projectDir: project, upperDir: upper, transfer: 'rename', ops: [], ...extra };
}

test('a journal with a torn header means nothing was done: it is dropped', async () => {
  const l = makeLayout('torn');
  try {
    const dir = ensureJournalDir(join(l.root, 'state'));
    writeFileSync(join(dir, 'x.journal'), '{"version":1,"id":"x","op');
    const r = await recoverCommits(join(l.root, 'state'));
    assert.deepEqual(r.commits.map((c) => c.action), ['nothing-done']);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    removeLayout(l);
  }
});

test('a damaged journal is kept for inspection and nothing is touched', async () => {
  const l = makeLayout('damaged');
  try {
    const dir = ensureJournalDir(join(l.root, 'state'));
    writeFileSync(join(dir, 'y.journal'), '{"version":1,"id":"y","ops":[]}\nnot json\n');
    const r = await recoverCommits(join(l.root, 'state'));
    assert.equal(r.commits[0]!.action, 'unreadable');
    assert.deepEqual(readdirSync(dir), ['y.journal.unreadable']);
  } finally {
    removeLayout(l);
  }
});

test('the journal of a commit that is still running is left alone', async () => {
  const l = makeLayout('live');
  try {
    const state = join(l.root, 'state');
    JournalWriter.create(ensureJournalDir(state), header(l.lower, l.upper, { pid: process.pid, pidStart: processStart(process.pid)! })).close();
    const r = await recoverCommits(state);
    assert.deepEqual(r.commits.map((c) => c.action), ['in-progress']);
    assert.equal(readdirSync(join(state, 'commits')).length, 1);
  } finally {
    removeLayout(l);
  }
});

test('recovery for one project leaves the journals of others alone', async () => {
  const l = makeLayout('filter');
  try {
    const state = join(l.root, 'state');
    JournalWriter.create(ensureJournalDir(state), header(l.lower, l.upper)).close();
    assert.deepEqual((await recoverCommits(state, join(l.root, 'another'))).commits, []);
    assert.deepEqual((await recoverCommits(state, l.lower)).commits.map((c) => c.action), ['rolled-back']);
  } finally {
    removeLayout(l);
  }
});

test('a backup whose place was taken while the commit was down is kept, never deleted', async () => {
  const l = makeLayout('aside');
  try {
    writeTree(l.lower, { 'node_modules/a.js': 'mine\n' });
    // The commit had moved node_modules to its backup name, then died; meanwhile
    // something else created node_modules again.
    renameSync(join(l.lower, 'node_modules'), join(l.lower, '.safe-package-a1b2c3-0'));
    writeTree(l.lower, { 'node_modules/other.js': 'other\n' });
    const state = join(l.root, 'state');
    const w = JournalWriter.create(
      ensureJournalDir(state),
      header(l.lower, l.upper, { ops: [{ kind: 'backup-move', path: 'node_modules', backup: '.safe-package-a1b2c3-0', base: 'x' }] }),
    );
    w.mark('staged');
    w.close();
    const r = await recoverCommits(state);
    assert.equal(r.commits[0]!.action, 'rolled-back');
    assert.deepEqual(r.commits[0]!.keptAside, [join(l.lower, '.safe-package-a1b2c3-0')]);
    assert.equal(readFileSync(join(l.lower, '.safe-package-a1b2c3-0/a.js'), 'utf8'), 'mine\n');
    assert.equal(readFileSync(join(l.lower, 'node_modules/other.js'), 'utf8'), 'other\n');
  } finally {
    removeLayout(l);
  }
});

test('past the commit point recovery keeps the new state and removes the backups', async () => {
  const l = makeLayout('forward');
  try {
    writeTree(l.lower, { 'node_modules/new.js': 'new\n', '.safe-package-a1b2c3-0/old.js': 'old\n' });
    const state = join(l.root, 'state');
    mkdirSync(state);
    const w = JournalWriter.create(
      ensureJournalDir(state),
      header(l.lower, l.upper, {
        ops: [
          { kind: 'backup-move', path: 'node_modules', backup: '.safe-package-a1b2c3-0', base: 'x' },
          { kind: 'place-new', src: 'node_modules', srcTree: 'upper', srcId: '0:0', dst: 'node_modules', isDir: true },
        ],
      }),
    );
    w.mark('staged');
    w.mark('applied');
    w.close();
    const r = await recoverCommits(state);
    assert.equal(r.commits[0]!.action, 'rolled-forward');
    assert.deepEqual(snapshot(l.lower), ['node_modules dir 0755', 'node_modules/new.js file 0644 nlink=1 "new\\n"']);
    assert.equal(existsSync(join(state, 'commits', 'a1b2c3.journal')), false);
  } finally {
    removeLayout(l);
  }
});
