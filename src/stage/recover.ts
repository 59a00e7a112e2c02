// Finishing an interrupted commit (docs/promises.md#p5-staged-writes, `safe-package recover`). Run first by every
// safe-package start: before `applied` the commit is rolled back, from `applied` on it is
// rolled forward (see journal.ts for why). Each undo step looks at the file system, so
// running recovery twice, or after a crash during recovery, is harmless.

import { spawnSync } from 'node:child_process';
import { unlinkSync } from 'node:fs';
import { basename, join, posix, resolve } from 'node:path';
import { parentOf, PinnedTree, renameAt } from './fs-at.js';
import {
  parseJournal,
  recoveryFor,
  undoAction,
  type JournalHeader,
  type Observed,
  type Op,
} from './journal.js';
import { sweepTrash, trashDirOf } from './trash.js';
import { listJournals, processStart, readJournal, setAside, syncDir, journalDir } from './journal-file.js';
import type { RecoveredCommit, RecoveryResult } from './types.js';

/**
 * Puts the project back as it was before the commit. Returns the backups that could not
 * be put back because something else now occupies their place (kept, never deleted).
 * `upper` is null when the staging directory no longer exists.
 */
export function rollBack(
  header: JournalHeader,
  project: PinnedTree,
  upper: PinnedTree | null,
  /** `staged` was recorded: operations other than copies may have run. */
  applyStarted: boolean,
  /** The header's trashDir, opened (null when the journal names none or it is gone). */
  trash: PinnedTree | null = null,
): string[] {
  const keptAside: string[] = [];
  /** Where a backup-move's backup is. */
  const backupTree = (op: Op): PinnedTree | null => (op.kind === 'backup-move' && op.inTrash ? trash : project);
  const tree = (t: 'project' | 'upper'): PinnedTree | null => (t === 'project' ? project : upper);
  // Before `staged`, a temporary copy may be missing because it was never made, so its
  // absence proves nothing: only copies can have happened, and only they are undone.
  const ops = applyStarted ? header.ops : header.ops.filter((op) => op.kind === 'copy');
  for (const op of [...ops].reverse()) {
    project.trim();
    upper?.trim();
    let o: Observed;
    try {
      o = observe(op, project, op.kind === 'place-new' || op.kind === 'place-over' ? tree(op.srcTree) : backupTree(op));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ELOOP' && code !== 'ENOTDIR') throw e;
      // A directory on the way was replaced by a symlink or a file since: nothing of ours
      // can be reached through it, and nothing is ever written through it. A backup made
      // before the swap moved with the real directory; say where to look.
      if (op.kind === 'backup-link' || op.kind === 'backup-move') keptAside.push(join(header.projectDir, op.backup));
      continue;
    }
    const action = undoAction(op, o);
    switch (action) {
      case 'nothing':
        break;
      case 'unlink-dst':
        project.unlink(dstOf(op));
        break;
      case 'move-dst-back': {
        const src = op.kind === 'place-new' || op.kind === 'place-over' ? op : null;
        const srcTree = src ? tree(src.srcTree) : null;
        let moved = false;
        if (src && srcTree) {
          try {
            renameAt(project, src.dst, srcTree, src.src);
            moved = true;
          } catch {
            // The staging area is gone or changed: the placed entry is staged content, not
            // the user's, so it may simply be removed.
          }
        }
        if (!moved) project.removeTree(dstOf(op));
        break;
      }
      case 'restore-backup':
        if (op.kind === 'backup-link' || op.kind === 'backup-move') renameAt(backupTree(op)!, op.backup, project, op.path);
        break;
      case 'drop-backup':
        if (op.kind === 'backup-link') project.unlink(op.backup);
        break;
      case 'keep-backup-aside':
        if (op.kind === 'backup-move' && op.inTrash) {
          // Not left in the trash, which is swept: beside its place in the project, where
          // the user can see it.
          // A name no other operation uses (rename would replace an entry already there).
          let aside = posix.join(parentOf(op.path), `.safe-package-${header.id}-kept-${header.ops.indexOf(op)}`);
          for (let k = 1; project.exists(aside); k++) aside = posix.join(parentOf(op.path), `.safe-package-${header.id}-kept-${header.ops.indexOf(op)}-${k}`);
          renameAt(trash!, op.backup, project, aside);
          keptAside.push(join(header.projectDir, aside));
        } else if (op.kind === 'backup-link' || op.kind === 'backup-move') keptAside.push(join(header.projectDir, op.backup));
        break;
      case 'restore-mode':
        if (op.kind === 'chmod') project.chmod(op.path, op.from, true);
        break;
      case 'remove-temp':
        if (op.kind === 'copy') project.removeTree(op.temp);
        break;
    }
  }
  return keptAside;
}

/** Past the commit point: only the backups (and any stray temporary copy) are left. */
export function rollForward(header: JournalHeader, project: PinnedTree, trash: PinnedTree | null = null): void {
  for (const op of header.ops) {
    project.trim();
    trash?.trim();
    if (op.kind === 'backup-move' && op.inTrash) trash?.removeTree(op.backup);
    else if (op.kind === 'backup-link' || op.kind === 'backup-move') project.removeTree(op.backup);
    if (op.kind === 'copy') project.removeTree(op.temp);
  }
}

function dstOf(op: Op): string {
  if (op.kind === 'place-new' || op.kind === 'place-over') return op.dst;
  throw new Error(`no destination for a ${op.kind} operation`);
}

function idOf(st: { dev: bigint; ino: bigint } | null): string | null {
  return st ? `${st.dev}:${st.ino}` : null;
}

/** `other`: the source's tree for a placement, the backup's for a backup-move. */
function observe(op: Op, project: PinnedTree, other: PinnedTree | null): Observed {
  const srcTree = other;
  switch (op.kind) {
    case 'copy':
      return { srcExists: project.exists(op.temp) };
    case 'place-new':
    case 'place-over': {
      const src = srcTree ? safeLstat(srcTree, op.src) : null;
      const dst = project.lstat(op.dst);
      const dstId = idOf(dst);
      let dstIsOurs: boolean;
      if (dstId === null) dstIsOurs = false;
      else if (op.srcId !== undefined) dstIsOurs = dstId === op.srcId;
      else if (src) dstIsOurs = dstId === idOf(src);
      // A temporary copy exists from `staged` until it is placed: gone means placed.
      else dstIsOurs = op.srcTree === 'project';
      return { srcExists: src !== null && idOf(src) === (op.srcId ?? idOf(src)), dstExists: dst !== null, dstIsOurs };
    }
    case 'backup-link': {
      const backup = project.lstat(op.backup);
      const path = project.lstat(op.path);
      return {
        backupExists: backup !== null,
        dstExists: path !== null,
        pathIsBackup: backup !== null && idOf(path) === idOf(backup),
      };
    }
    case 'backup-move':
      return { backupExists: other !== null && other.exists(op.backup), dstExists: project.exists(op.path) };
    case 'chmod':
      return { dstExists: project.lstat(op.path)?.isDirectory() ?? false };
  }
}

function safeLstat(tree: PinnedTree, rel: string): ReturnType<PinnedTree['lstat']> {
  try {
    return tree.lstat(rel);
  } catch {
    return null; // a parent directory is gone or is not a directory any more
  }
}

/**
 * Makes everything written so far durable before the next journal record: syncfs(2) of
 * the project's file system (`sync -f`), one call instead of an fsync per file.
 */
export function barrier(projectDir: string): void {
  const r = spawnSync('/bin/sync', ['-f', projectDir], { stdio: 'ignore' });
  if (r.status !== 0) spawnSync('/bin/sync', [], { stdio: 'ignore' });
}

/**
 * Finishes every interrupted commit recorded in `stateDir` (only those for `projectDir`
 * when given). Safe to run at any time: a commit whose process is still alive is left
 * alone.
 */
export async function recoverCommits(stateDir: string, projectDir?: string): Promise<RecoveryResult> {
  const commits: RecoveredCommit[] = [];
  const wanted = projectDir === undefined ? undefined : resolve(projectDir);
  for (const path of listJournals(stateDir)) {
    const state = parseJournal(readJournal(path));
    if (!state.ok) {
      if (state.reason === 'no complete header line') {
        // The header is flushed before the first change: without it nothing was done.
        unlinkSync(path);
        commits.push({ id: basename(path, '.journal'), projectDir: '', action: 'nothing-done', keptAside: [] });
      } else {
        commits.push({
          id: basename(path, '.journal'),
          projectDir: '',
          action: 'unreadable',
          keptAside: [setAside(path)],
        });
      }
      continue;
    }
    const { header, phase } = state;
    if (wanted !== undefined && resolve(header.projectDir) !== wanted) continue;
    if (header.pidStart !== '' && processStart(header.pid) === header.pidStart) {
      commits.push({ id: header.id, projectDir: header.projectDir, action: 'in-progress', keptAside: [] });
      continue;
    }
    let project: PinnedTree;
    try {
      project = new PinnedTree(header.projectDir);
    } catch {
      // The project itself is gone: there is nothing to restore into. Keep the journal.
      commits.push({ id: header.id, projectDir: header.projectDir, action: 'unreadable', keptAside: [setAside(path)] });
      continue;
    }
    let upper: PinnedTree | null = null;
    try {
      upper = new PinnedTree(header.upperDir);
    } catch {
      upper = null;
    }
    let trash: PinnedTree | null = null;
    if (header.trashDir !== undefined) {
      // Only our own state directory's trash: the journal is ours, but a path in it is
      // not trusted to name a place recovery may move things out of.
      if (resolve(header.trashDir) !== resolve(trashDirOf(stateDir))) {
        project.close();
        upper?.close();
        commits.push({ id: header.id, projectDir: header.projectDir, action: 'unreadable', keptAside: [setAside(path)] });
        continue;
      }
      try {
        trash = new PinnedTree(header.trashDir);
      } catch {
        trash = null;
      }
    }
    try {
      let keptAside: string[] = [];
      const action = recoveryFor(phase);
      if (action === 'roll-back') keptAside = rollBack(header, project, upper, phase !== 'prepared', trash);
      else rollForward(header, project, trash);
      barrier(header.projectDir);
      unlinkSync(path);
      syncDir(journalDir(stateDir));
      commits.push({
        id: header.id,
        projectDir: header.projectDir,
        action: action === 'roll-back' ? 'rolled-back' : 'rolled-forward',
        keptAside,
      });
    } finally {
      project.close();
      upper?.close();
      trash?.close();
    }
  }
  // What finished commits left in the trash (their cleaner was killed, or never ran).
  sweepTrash(stateDir);
  return { commits };
}
