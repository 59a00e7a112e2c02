import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canAdvance,
  parseJournal,
  recoveryFor,
  serializeHeader,
  serializePhase,
  undoAction,
  type JournalHeader,
  type Op,
} from '../../../src/stage/journal.js';
import { buildOps, comparePaths, planUnits } from '../../../src/stage/plan.js';
import type { Change } from '../../../src/stage/types.js';

const header: JournalHeader = {
  version: 1, id: 'abc', pid: 1, pidStart: '1', projectDir: '/p', upperDir: '/u', transfer: 'rename', ops: [],
};

test('phases advance one step at a time', () => {
  assert.equal(canAdvance('prepared', 'staged'), true);
  assert.equal(canAdvance('staged', 'applied'), true);
  assert.equal(canAdvance('prepared', 'applied'), false);
  assert.equal(canAdvance('applied', 'staged'), false);
});

test('before the commit point recovery rolls back; from it on, forward', () => {
  assert.equal(recoveryFor('prepared'), 'roll-back');
  assert.equal(recoveryFor('staged'), 'roll-back');
  assert.equal(recoveryFor('applied'), 'roll-forward');
  assert.equal(recoveryFor('done'), 'roll-forward');
});

test('a journal is read up to its last complete line; a torn line counts as not written', () => {
  const h = serializeHeader(header);
  assert.deepEqual(parseJournal(h), { ok: true, header, phase: 'prepared' });
  assert.equal((parseJournal(h + serializePhase('staged')) as { phase: string }).phase, 'staged');
  assert.equal((parseJournal(h + serializePhase('staged') + '{"pha') as { phase: string }).phase, 'staged');
  assert.deepEqual(parseJournal(h.slice(0, 20)), { ok: false, reason: 'no complete header line' });
  assert.equal(parseJournal('').ok, false);
  assert.equal(parseJournal(h + serializePhase('applied')).ok, false, 'a skipped phase is corruption');
  assert.equal(parseJournal('{"version":2}\n').ok, false);
});

const placeNew: Op = { kind: 'place-new', src: 'a', srcTree: 'upper', srcId: '1:2', dst: 'a', isDir: false };
const placeOver: Op = { kind: 'place-over', src: 'a', srcTree: 'upper', srcId: '1:2', dst: 'a' };
const backupLink: Op = { kind: 'backup-link', path: 'a', backup: '.b', base: 'x' };
const backupMove: Op = { kind: 'backup-move', path: 'a', backup: '.b', base: 'x' };

test('undo of a placement: only what is provably ours is touched', () => {
  assert.equal(undoAction(placeNew, { srcExists: true, dstExists: false, dstIsOurs: false }), 'nothing');
  assert.equal(undoAction(placeNew, { srcExists: true, dstExists: true, dstIsOurs: true }), 'unlink-dst', 'linked, not yet unlinked');
  assert.equal(undoAction(placeNew, { srcExists: false, dstExists: true, dstIsOurs: true }), 'move-dst-back');
  assert.equal(undoAction(placeNew, { srcExists: false, dstExists: true, dstIsOurs: false }), 'nothing', 'someone else’s file is left alone');
  assert.equal(undoAction(placeOver, { srcExists: true, dstExists: true, dstIsOurs: false }), 'nothing');
  assert.equal(undoAction(placeOver, { srcExists: false, dstExists: true, dstIsOurs: true }), 'move-dst-back');
});

test('undo of a backup: restore it, or drop the second name, or keep it aside when the place is taken', () => {
  assert.equal(undoAction(backupLink, { backupExists: false }), 'nothing');
  assert.equal(undoAction(backupLink, { backupExists: true, dstExists: true, pathIsBackup: true }), 'drop-backup');
  assert.equal(undoAction(backupLink, { backupExists: true, dstExists: false, pathIsBackup: false }), 'restore-backup');
  assert.equal(undoAction(backupLink, { backupExists: true, dstExists: true, pathIsBackup: false }), 'keep-backup-aside');
  assert.equal(undoAction(backupMove, { backupExists: true, dstExists: false }), 'restore-backup');
  assert.equal(undoAction(backupMove, { backupExists: true, dstExists: true }), 'keep-backup-aside');
  assert.equal(undoAction(backupMove, { backupExists: false, dstExists: true }), 'nothing');
  assert.equal(undoAction({ kind: 'copy', from: 'a', temp: '.t' }, { srcExists: true }), 'remove-temp');
  assert.equal(undoAction({ kind: 'chmod', path: 'd', from: 0o755, to: 0o700, base: 'x' }, { dstExists: true }), 'restore-mode');
});

const ch = (path: string, kind: Change['kind'], type: Change['type'], extra: Partial<Change> = {}): Change => ({
  path, kind, type, verdict: 'commit', reason: '', base: 'b', staged: 's', ...extra,
});

test('a new or replacing directory moves as one unit; entries of a kept directory go one by one', () => {
  const changes: Change[] = [
    ch('node_modules/a/x.js', 'added', 'file'),
    ch('node_modules', 'metadata', 'dir'),
    ch('node_modules/a', 'added', 'dir'),
    ch('node_modules/b.js', 'modified', 'file'),
    ch('node_modules/c', 'replaced-dir', 'dir'),
    ch('node_modules/c/y', 'added', 'file'),
    ch('node_modules/gone', 'deleted', 'dir'),
    { ...ch('.npmrc', 'added', 'file'), verdict: 'discard' },
  ];
  const units = planUnits(changes);
  assert.deepEqual(units.map((u) => [u.change.path, u.kind, 'replace' in u ? u.replace : '']), [
    ['node_modules', 'chmod', ''],
    ['node_modules/a', 'put', 'none'],
    ['node_modules/b.js', 'put', 'over'],
    ['node_modules/c', 'put', 'move'],
    ['node_modules/gone', 'delete', ''],
  ]);
  const ids = new Map(units.map((u) => [u.change.path, '9:9']));
  const { copies, apply } = buildOps({ units, transfer: 'rename', id: 'X', upperIds: ids, modes: new Map([['node_modules', { from: 0o755, to: 0o700 }]]) });
  assert.equal(copies.length, 0);
  assert.deepEqual(apply.map((o) => o.kind), ['chmod', 'place-new', 'backup-link', 'place-over', 'backup-move', 'place-new', 'backup-move']);
  const bl = apply[2] as { backup: string };
  assert.match(bl.backup, /^node_modules\/\.safe-package-X-\d+$/, 'backups sit beside their originals');
  const copyMode = buildOps({ units, transfer: 'copy', id: 'X', upperIds: new Map(), modes: new Map([['node_modules', { from: 0o755, to: 0o700 }]]) });
  assert.equal(copyMode.copies.length, 3);
  // With the trash: what is moved away goes there (one rename out of the project); hard
  // links of kept files stay beside them.
  const trashed = buildOps({ units, transfer: 'rename', id: 'X', upperIds: ids, modes: new Map([['node_modules', { from: 0o755, to: 0o700 }]]), trash: true });
  const moves = trashed.apply.filter((o) => o.kind === 'backup-move') as { backup: string; inTrash?: boolean }[];
  assert.equal(moves.length, 2);
  for (const m of moves) {
    assert.equal(m.inTrash, true);
    assert.match(m.backup, /^X-\d+$/, 'a trash name, no directory');
  }
  assert.match((trashed.apply[2] as { backup: string }).backup, /^node_modules\/\.safe-package-X-\d+$/);
});

test('the plan refuses a review with a path that escapes', () => {
  assert.throws(() => planUnits([ch('node_modules/../.git/config', 'added', 'file')]), /refusing the path/);
  assert.throws(() => planUnits([ch('/etc/passwd', 'added', 'file')]), /refusing the path/);
  assert.throws(() => planUnits([ch('node_modules/f', 'added', 'other')]), /never committed/);
});

test('paths order parents before children', () => {
  const paths = ['a/b', 'a-b', 'a', 'a/b/c', 'a.b'];
  assert.deepEqual(paths.sort(comparePaths), ['a', 'a/b', 'a/b/c', 'a-b', 'a.b']);
});

test('path order is component by component, shorter component first (checked against splitting)', () => {
  const bySplitting = (a: string, b: string): number => {
    const as = a.split('/');
    const bs = b.split('/');
    for (let i = 0; i < Math.min(as.length, bs.length); i++) if (as[i] !== bs[i]) return as[i]! < bs[i]! ? -1 : 1;
    return as.length - bs.length;
  };
  // Characters on both sides of '/' (0x2f), and non-ASCII.
  const alphabet = ['a', 'b', '-', '.', '!', ' ', '0', 'é', '\u{1F600}'];
  let seed = 7;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const path = () =>
    Array.from({ length: 1 + next(3) }, () => Array.from({ length: 1 + next(3) }, () => alphabet[next(alphabet.length)]).join('')).join('/');
  for (let i = 0; i < 5000; i++) {
    const a = path();
    const b = path();
    assert.equal(Math.sign(comparePaths(a, b)), Math.sign(bySplitting(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});
