// docs/promises.md#p5-staged-writes commit: carry the committed changes of a review into the project, all or
// nothing, surviving a crash at any instant (see journal.ts for the protocol).
//
// 1. prepare  (the project is not touched): check every staged entry is the one the
//    review approved; in the upper directory, drop what was not approved, give each
//    multiply-linked file its own copy, strip setuid/setgid/sticky and group/world write,
//    set the owner. In copy mode nothing in the upper directory changes.
// 2. journal  written and flushed: the list of operations.
// 3. copies   (copy mode) into temporary names beside their targets; flushed; `staged`.
// 4. apply    backups (hard link or rename to a name beside the original), then each
//    entry renamed (or linked) into place; flushed; `applied` — the commit point.
// 5. cleanup  backups removed; `done`; journal deleted. Backups of moved-away entries
//    (a replaced node_modules) are in the trash when it is on the project's mount
//    (trash.ts): not removed here, but by sweepTrash after the run.
// Any failure before the commit point rolls back what was done (recover.ts) and throws.
//
// The upper directory is consumed: entries are moved out of it. Delete it afterwards.

import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { safeMode, stagedIdentity, type NodeFacts } from './classify.js';
import {
  closeSync,
  copyFd,
  fchmodSync,
  fchownSync,
  linkAt,
  moveNoReplace,
  parentOf,
  PinnedTree,
  renameAt,
} from './fs-at.js';
import type { JournalHeader, Op } from './journal.js';
import { ensureJournalDir, JournalWriter, processStart } from './journal-file.js';
import { nameProblem } from './names.js';
import { buildOps, committedBelow, planUnits, type Unit } from './plan.js';
import { barrier, rollBack } from './recover.js';
import type { Change, CommitOptions, CommitResult } from './types.js';
import { ensureTrashDir } from './trash.js';
import { nodeFacts } from './walk.js';
import { randomHex } from '../util/crypto.js';

export class CommitError extends Error {
  constructor(
    message: string,
    /** True when the project was restored to its state before the commit. */
    readonly restored: boolean,
    readonly keptAside: readonly string[] = [],
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export async function commitReview(
  review: { readonly changes: readonly Change[] },
  opts: CommitOptions,
): Promise<CommitResult> {
  const t0 = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - t0) / 1e6;
  const discarded = review.changes.filter((c) => c.verdict !== 'commit').length;
  const units = planUnits(review.changes);
  if (units.length === 0) {
    return { committed: 0, discarded, transfer: 'none', operations: 0, cleanupPending: false, trashed: 0, durationMs: elapsedMs() };
  }
  const journalDir = ensureJournalDir(opts.stateDir);
  const project = new PinnedTree(opts.projectDir, opts.projectIdentity);
  const upper = new PinnedTree(opts.upperDir);
  const byPath = new Map(review.changes.filter((c) => c.verdict === 'commit').map((c) => [c.path, c]));
  let trash: PinnedTree | null = null;
  try {
    trash = opts.trash === false ? null : openTrash(opts.stateDir, project);
    const ctx: Ctx = { changes: review.changes, byPath, opts, project, upper, trash, verifyStaged: true };
    let transfer: 'rename' | 'copy' =
      opts.transfer === 'copy' || mountId(project.rootFd) !== mountId(upper.rootFd) ? 'copy' : 'rename';
    let run: { operations: number; cleanupPending: boolean; trashed: number };
    try {
      run = runCommit(ctx, units, transfer, journalDir);
    } catch (e) {
      // Same file system but not the same mount (a bind mount): renames cannot cross it.
      // The first attempt was rolled back; its preparation already checked (and, in the
      // upper directory, changed) the staged entries.
      if (!(e instanceof CommitError && e.restored && (e.cause as NodeJS.ErrnoException)?.code === 'EXDEV')) throw e;
      // Without the trash too: the EXDEV may have been the move into it.
      transfer = 'copy';
      run = runCommit({ ...ctx, trash: null, verifyStaged: false }, units, transfer, journalDir);
    }
    const committed = review.changes.length - discarded;
    return { committed, discarded, transfer, ...run, durationMs: elapsedMs() };
  } finally {
    project.close();
    upper.close();
    trash?.close();
  }
}

/** The trash, when it is on the project's mount (a rename cannot cross mounts); else null. */
function openTrash(stateDir: string, project: PinnedTree): PinnedTree | null {
  let trash: PinnedTree;
  try {
    trash = new PinnedTree(ensureTrashDir(stateDir));
  } catch {
    return null;
  }
  if (mountId(trash.rootFd) === mountId(project.rootFd)) return trash;
  trash.close();
  return null;
}

interface Ctx {
  readonly changes: readonly Change[];
  /** The committed changes, by path. */
  readonly byPath: ReadonlyMap<string, Change>;
  readonly opts: CommitOptions;
  readonly project: PinnedTree;
  readonly upper: PinnedTree;
  /** Where moved-away entries go (null: beside them in the project). */
  readonly trash: PinnedTree | null;
  /** Check each staged entry is the inode the review saw (off only for a retry). */
  readonly verifyStaged: boolean;
}

function runCommit(
  ctx: Ctx,
  units: readonly Unit[],
  transfer: 'rename' | 'copy',
  journalDir: string,
): { operations: number; cleanupPending: boolean; trashed: number } {
  const { opts, project, upper, trash } = ctx;
  const id = randomHex(8);
  const prep = prepare(ctx, units, transfer);
  const { copies, apply } = buildOps({ units, transfer, id, upperIds: prep.upperIds, modes: prep.modes, trash: trash !== null });
  const header: JournalHeader = {
    version: 1,
    id,
    pid: process.pid,
    pidStart: processStart(process.pid) ?? '',
    projectDir: opts.projectDir,
    upperDir: opts.upperDir,
    transfer,
    ...(trash ? { trashDir: trash.root } : {}),
    ops: [...copies, ...apply],
  };
  const journal = JournalWriter.create(journalDir, header);
  let applyStarted = false;
  try {
    for (const op of copies) {
      if (op.kind !== 'copy') continue;
      const c = ctx.byPath.get(op.from);
      if (!c) throw new Error(`${op.from} is not in the review`);
      copyEntry(ctx, c, below(ctx, c), op.temp);
    }
    barrier(opts.projectDir);
    journal.mark('staged');
    applyStarted = true;
    for (const op of apply) {
      project.trim();
      upper.trim();
      trash?.trim();
      applyOp(op, project, upper, trash);
    }
    barrier(opts.projectDir);
    journal.mark('applied');
  } catch (cause) {
    let keptAside: string[];
    try {
      keptAside = rollBack(header, project, upper, applyStarted, trash);
      barrier(opts.projectDir);
    } catch (undoError) {
      journal.close();
      throw new CommitError(
        `commit failed: ${describe(cause)}; rolling back also failed: ${describe(undoError)}. ` +
          `The journal ${journal.path} is kept: run \`safe-package recover\` to finish the roll-back.`,
        false,
        [],
        cause,
      );
    }
    journal.remove();
    const aside = keptAside.length ? ` Kept aside (something else took their place): ${keptAside.join(', ')}.` : '';
    throw new CommitError(
      `commit failed: ${describe(cause)}. Nothing was committed: the project is as it was before.${aside}`,
      true,
      keptAside,
      cause,
    );
  }
  // Past the commit point: the project is in its new state; only backups remain. If
  // removing them fails, the commit still stands: the journal stays at `applied` and the
  // next recovery removes them. Backups in the trash are left for sweepTrash: once the
  // journal is gone, they are nobody's.
  const trashed = apply.filter((op) => op.kind === 'backup-move' && op.inTrash).length;
  try {
    for (const op of apply) {
      project.trim();
      if (op.kind === 'backup-move' && op.inTrash) continue;
      if (op.kind === 'backup-link' || op.kind === 'backup-move') project.removeTree(op.backup);
    }
    journal.mark('done');
    journal.remove();
    return { operations: header.ops.length, cleanupPending: false, trashed };
  } catch {
    journal.close();
    return { operations: header.ops.length, cleanupPending: true, trashed };
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The committed changes below a directory (none for anything else). */
function below(ctx: Ctx, c: Change): ReadonlyMap<string, Change> {
  return c.type === 'dir' ? committedBelow(ctx.changes, c.path) : new Map();
}

function checkStaged(ctx: Ctx, c: Change, facts: NodeFacts): void {
  if (ctx.verifyStaged && stagedIdentity(facts) !== c.staged) {
    throw new CommitError(`commit: the staged ${c.path} changed after it was reviewed; review again`, true);
  }
}

interface Prepared {
  readonly upperIds: Map<string, string>;
  readonly modes: Map<string, { from: number; to: number }>;
}

function prepare(ctx: Ctx, units: readonly Unit[], transfer: 'rename' | 'copy'): Prepared {
  const { project, upper } = ctx;
  const upperIds = new Map<string, string>();
  const modes = new Map<string, { from: number; to: number }>();
  for (const u of units) {
    const c = u.change;
    if (u.kind === 'delete') continue;
    upper.trim();
    const st = upper.lstat(c.path);
    if (!st) throw new CommitError(`commit: the staged ${c.path} is gone`, true);
    const facts = nodeFacts(st);
    checkStaged(ctx, c, facts);
    if (u.kind === 'chmod') {
      const now = project.lstat(c.path);
      if (!now?.isDirectory()) throw new CommitError(`commit: ${c.path} is no longer a directory in the project`, true);
      modes.set(c.path, { from: Number(now.mode & 0o7777n), to: safeMode('dir', facts.mode) });
      continue;
    }
    if (transfer === 'rename') {
      sanitizeUpper(ctx, c, below(ctx, c));
      const after = upper.lstat(c.path)!;
      upperIds.set(c.path, `${after.dev}:${after.ino}`);
    }
  }
  return { upperIds, modes };
}

/**
 * Makes the upper entry at `c.path` exactly what may be committed, in place: what was not
 * approved is removed, modes are made safe, links broken, owner set.
 */
function sanitizeUpper(ctx: Ctx, c: Change, under: ReadonlyMap<string, Change>): void {
  const { upper, opts } = ctx;
  upper.trim();
  const st = upper.lstat(c.path);
  if (!st) throw new CommitError(`commit: the staged ${c.path} is gone`, true);
  const facts = nodeFacts(st);
  checkStaged(ctx, c, facts);
  if (facts.type === 'dir') {
    for (const name of upper.readdir(c.path)) {
      const childRel = nameProblem(name) ? null : `${c.path}/${name.toString('utf8')}`;
      const child = childRel === null ? undefined : under.get(childRel);
      if (!child || child.kind === 'deleted') {
        upper.removeChild(c.path, name);
        continue;
      }
      sanitizeUpper(ctx, child, under);
    }
  } else if (facts.type === 'file' && facts.nlink > 1) {
    breakHardLink(ctx, c.path, facts.mode);
    return;
  } else if (facts.type !== 'file' && facts.type !== 'symlink') {
    throw new CommitError(`commit: the staged ${c.path} is a ${facts.type}, which is never committed`, true);
  }
  if (facts.type === 'file' || facts.type === 'dir') {
    const mode = safeMode(facts.type, facts.mode);
    if (mode !== facts.mode) upper.chmod(c.path, mode, facts.type === 'dir');
  }
  if (opts.owner && (Number(st.uid) !== opts.owner.uid || Number(st.gid) !== opts.owner.gid)) {
    upper.lchown(c.path, opts.owner.uid, opts.owner.gid);
  }
}

/** pnpm hard-links from its store; a committed file must not share its inode with anything. */
function breakHardLink(ctx: Ctx, rel: string, mode: number): void {
  const { upper, opts } = ctx;
  const temp = posix.join(parentOf(rel), `.safe-package-link-${randomHex(8)}`);
  const { fd: src } = upper.openFileForReading(rel);
  try {
    const dst = upper.createFile(temp);
    try {
      copyFd(src, dst);
      fchmodSync(dst, safeMode('file', mode));
      if (opts.owner) fchownSync(dst, opts.owner.uid, opts.owner.gid);
    } finally {
      closeSync(dst);
    }
  } finally {
    closeSync(src);
  }
  renameAt(upper, temp, upper, rel);
}

/** Copy mode: builds the approved entry (a whole tree for a directory) at `temp`. */
function copyEntry(ctx: Ctx, c: Change, under: ReadonlyMap<string, Change>, temp: string): void {
  const { project, upper, opts } = ctx;
  project.trim();
  upper.trim();
  const st = upper.lstat(c.path);
  if (!st) throw new Error(`the staged ${c.path} is gone`);
  const facts = nodeFacts(st);
  checkStaged(ctx, c, facts);
  if (facts.type === 'file') {
    const { fd: src, stat } = upper.openFileForReading(c.path);
    try {
      if (`${stat.dev}:${stat.ino}` !== facts.id) throw new Error(`the staged ${c.path} changed while being copied`);
      const dst = project.createFile(temp);
      try {
        copyFd(src, dst);
        fchmodSync(dst, safeMode('file', facts.mode));
        if (opts.owner) fchownSync(dst, opts.owner.uid, opts.owner.gid);
      } finally {
        closeSync(dst);
      }
    } finally {
      closeSync(src);
    }
  } else if (facts.type === 'symlink') {
    const target = upper.readlink(c.path);
    if (c.target !== undefined && target !== c.target) throw new Error(`the staged symlink ${c.path} changed`);
    project.symlink(target, temp);
    if (opts.owner) project.lchown(temp, opts.owner.uid, opts.owner.gid);
  } else if (facts.type === 'dir') {
    project.mkdir(temp, 0o700);
    for (const name of upper.readdir(c.path)) {
      if (nameProblem(name)) continue;
      const child = under.get(`${c.path}/${name.toString('utf8')}`);
      if (!child || child.kind === 'deleted') continue;
      copyEntry(ctx, child, under, `${temp}/${name.toString('utf8')}`);
    }
    project.chmod(temp, safeMode('dir', facts.mode), true);
    if (opts.owner) project.lchown(temp, opts.owner.uid, opts.owner.gid);
  } else {
    throw new Error(`the staged ${c.path} is a ${facts.type}, which is never committed`);
  }
}

function applyOp(op: Op, project: PinnedTree, upper: PinnedTree, trash: PinnedTree | null): void {
  const tree = (t: 'project' | 'upper'): PinnedTree => (t === 'project' ? project : upper);
  switch (op.kind) {
    case 'copy':
      return;
    case 'backup-link':
    case 'backup-move': {
      expectBase(project, op.path, op.base);
      if (op.kind === 'backup-link') linkAt(project, op.path, project, op.backup);
      else if (op.inTrash) {
        if (!trash) throw new Error(`commit: no trash for the backup of ${op.path}`);
        renameAt(project, op.path, trash, op.backup);
      } else renameAt(project, op.path, project, op.backup);
      return;
    }
    case 'place-over':
      renameAt(tree(op.srcTree), op.src, project, op.dst);
      return;
    case 'place-new':
      if (op.isDir) {
        // Node has no RENAME_NOREPLACE; rename would silently replace an empty directory.
        if (project.exists(op.dst)) throw conflict(op.dst);
        renameAt(tree(op.srcTree), op.src, project, op.dst);
      } else {
        try {
          moveNoReplace(tree(op.srcTree), op.src, project, op.dst);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(op.dst);
          throw e;
        }
      }
      return;
    case 'chmod':
      expectBase(project, op.path, op.base);
      project.chmod(op.path, op.to, true);
      return;
  }
}

function expectBase(project: PinnedTree, path: string, base: string): void {
  const st = project.lstat(path);
  if (!st || nodeFacts(st).fingerprint !== base) throw conflict(path);
}

function conflict(path: string): Error {
  return new Error(
    `${path} changed in the project while the package manager ran (or since the review); ` +
      'it was not overwritten. Run the install again.',
  );
}

/** The mount an open file is on (from /proc/self/fdinfo): renames cannot cross mounts. */
function mountId(fd: number): string {
  const m = /^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return m ? m[1]! : `unknown-${fd}`;
}
