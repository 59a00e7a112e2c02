// The commit journal: what a commit is about to do, written and flushed to disk before
// the first change to the project, and the state machine that says how an interrupted
// commit is finished. Pure: the file I/O is in journal-file.ts, the undo actions are
// carried out by recover.ts.
//
// Phases, each recorded (appended and flushed) only once everything before it is on disk:
//   prepared  the operations are listed; copies into the project may be under way
//   staged    every source an operation moves (temporary copies, upper entries) exists
//   applied   every operation is done: the commit point
//   done      backups removed; the journal is deleted next
//
// Recovery rolls BACK anything before `applied` and rolls FORWARD (removes backups) from
// `applied` on. Rolling back is the safer way for an unfinished commit: it needs nothing
// but the journal and the backups, which sit beside their originals on the project's own
// file system, so it cannot fail for want of the staging area, and it returns the user to
// a state they had. Rolling forward would need the staged sources to still be there and
// still be what the review approved. Once `applied` is on disk, the project already is in
// the new state and only backups are left to delete, so going forward loses nothing.
//
// Every operation is undone by looking at the file system, not at progress records, so
// a crash between an operation and any note about it is harmless:
//   - a placed entry is recognised by its inode (the upper entry's, recorded in the
//     journal, or the temporary copy's, which exists until it is placed);
//   - a backup name is fresh and random: it exists only if the backup happened.
//
// A backup of a replaced or deleted entry is moved to the trash (trash.ts) when the
// trash is on the project's mount: the old tree leaves the project with one rename, and
// once `done` is recorded and the journal deleted it is garbage, removed by a detached
// cleaner or by the next sweep. Until then it belongs to the commit: rolled back, it is
// renamed back into the project; rolled forward, it is removed.

export type Tree = 'project' | 'upper';

export type Op =
  /** Copy the reviewed upper entry (file, symlink or whole directory) to a temporary name. */
  | { readonly kind: 'copy'; readonly from: string; readonly temp: string }
  /** Hard-link the project entry to a backup name (files and symlinks: stays in place). */
  | { readonly kind: 'backup-link'; readonly path: string; readonly backup: string; readonly base: string }
  /**
   * Rename the project entry away to a backup name (directories, deletions): beside it, or
   * with `inTrash`, to the name `backup` in the header's `trashDir` (see trash.ts).
   */
  | { readonly kind: 'backup-move'; readonly path: string; readonly backup: string; readonly base: string; readonly inTrash?: boolean }
  /** Rename `src` over the existing `dst` (atomic replacement of a file or symlink). */
  | { readonly kind: 'place-over'; readonly src: string; readonly srcTree: Tree; readonly srcId?: string; readonly dst: string }
  /** Put `src` at the free name `dst` (link+unlink for files, rename for directories). */
  | {
      readonly kind: 'place-new';
      readonly src: string;
      readonly srcTree: Tree;
      readonly srcId?: string;
      readonly dst: string;
      readonly isDir: boolean;
    }
  /** Change a kept directory's permission bits. */
  | { readonly kind: 'chmod'; readonly path: string; readonly from: number; readonly to: number; readonly base: string };

export type Phase = 'prepared' | 'staged' | 'applied' | 'done';
const ORDER: readonly Phase[] = ['prepared', 'staged', 'applied', 'done'];

export interface JournalHeader {
  readonly version: 1;
  readonly id: string;
  /** The committing process, so recovery leaves a live commit alone. */
  readonly pid: number;
  /** Its start time (field 22 of /proc/PID/stat), so a reused PID is not mistaken for it. */
  readonly pidStart: string;
  readonly projectDir: string;
  readonly upperDir: string;
  readonly transfer: 'rename' | 'copy';
  /** Where `inTrash` backups go: the state directory's trash, on the project's mount. */
  readonly trashDir?: string;
  readonly ops: readonly Op[];
}

export type JournalState =
  | { readonly ok: true; readonly header: JournalHeader; readonly phase: Phase }
  | { readonly ok: false; readonly reason: string };

export function serializeHeader(h: JournalHeader): string {
  return `${JSON.stringify(h)}\n`;
}

export function serializePhase(p: Phase): string {
  return `${JSON.stringify({ phase: p })}\n`;
}

/**
 * Reads a journal. The header line is written and flushed before any change, so a
 * journal without a complete header means nothing was changed. A torn last phase line
 * (a crash while appending it) counts as not written.
 */
export function parseJournal(text: string): JournalState {
  const lines = text.split('\n');
  const complete = lines.slice(0, -1); // the part after the last newline is torn or empty
  if (complete.length === 0) return { ok: false, reason: 'no complete header line' };
  let header: JournalHeader;
  try {
    header = JSON.parse(complete[0]!) as JournalHeader;
  } catch {
    return { ok: false, reason: 'the header line is not valid JSON' };
  }
  if (header?.version !== 1 || typeof header.id !== 'string' || !Array.isArray(header.ops)) {
    return { ok: false, reason: 'unknown journal format' };
  }
  let phase: Phase = 'prepared';
  for (const line of complete.slice(1)) {
    let rec: { phase?: unknown };
    try {
      rec = JSON.parse(line) as { phase?: unknown };
    } catch {
      return { ok: false, reason: 'a phase line is not valid JSON' };
    }
    const next = rec.phase as Phase;
    if (!canAdvance(phase, next)) return { ok: false, reason: `phase ${String(rec.phase)} cannot follow ${phase}` };
    phase = next;
  }
  return { ok: true, header, phase };
}

export function canAdvance(from: Phase, to: Phase): boolean {
  return ORDER.indexOf(to) === ORDER.indexOf(from) + 1;
}

export type Recovery = 'roll-back' | 'roll-forward';

export function recoveryFor(phase: Phase): Recovery {
  return phase === 'applied' || phase === 'done' ? 'roll-forward' : 'roll-back';
}

/** What the file system shows about one operation, looked at during roll-back. */
export interface Observed {
  /** The operation's source exists (for 'copy': the temporary copy). */
  readonly srcExists?: boolean;
  /** Something is at the destination / the project path. */
  readonly dstExists?: boolean;
  /**
   * The destination is provably the entry this operation placed: the same inode as the
   * source, or as the upper entry recorded in the journal (`srcId`), or (for a temporary
   * copy, which exists from `staged` until it is placed) there while the copy is gone.
   */
  readonly dstIsOurs?: boolean;
  /** The backup name exists. */
  readonly backupExists?: boolean;
  /** The project path is the very same inode as the backup (link done, nothing replaced it). */
  readonly pathIsBackup?: boolean;
}

export type UndoAction =
  | 'nothing'
  /** Remove the destination's second name (place-new between link and unlink). */
  | 'unlink-dst'
  /** Move the placed entry back to its source name. */
  | 'move-dst-back'
  /** Rename the backup over the project path (restores the original atomically). */
  | 'restore-backup'
  /** The original is still in place under both names: drop the backup name. */
  | 'drop-backup'
  /** The project path is taken by something else: keep the backup where it is, report it. */
  | 'keep-backup-aside'
  | 'restore-mode'
  | 'remove-temp';

/** How to undo one operation, given what the file system shows. Always safe to repeat. */
export function undoAction(op: Op, o: Observed): UndoAction {
  switch (op.kind) {
    case 'copy':
      return o.srcExists ? 'remove-temp' : 'nothing'; // src = the temporary copy here
    case 'place-new':
      if (!o.dstExists || !o.dstIsOurs) return 'nothing';
      return o.srcExists ? 'unlink-dst' : 'move-dst-back';
    case 'place-over':
      return o.dstExists && o.dstIsOurs && !o.srcExists ? 'move-dst-back' : 'nothing';
    case 'backup-link':
      if (!o.backupExists) return 'nothing';
      if (o.pathIsBackup) return 'drop-backup';
      return o.dstExists ? 'keep-backup-aside' : 'restore-backup';
    case 'backup-move':
      if (!o.backupExists) return 'nothing';
      return o.dstExists ? 'keep-backup-aside' : 'restore-backup';
    case 'chmod':
      return o.dstExists ? 'restore-mode' : 'nothing';
  }
}
