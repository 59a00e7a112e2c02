// From a review to the operations of a commit. Pure.
//
// A committed directory that is new (or replaces one) is moved as one unit: a fresh
// node_modules of ten thousand files is two renames, not ten thousand. Inside a directory
// the project keeps (a merge), each committed entry is its own unit.

import { posix } from 'node:path';
import { parentOf } from './fs-at.js';
import type { Op } from './journal.js';
import { relPathProblem } from './names.js';
import type { Change, EntryType } from './types.js';

export type Unit =
  | { readonly kind: 'delete'; readonly change: Change }
  | { readonly kind: 'chmod'; readonly change: Change }
  | {
      readonly kind: 'put';
      readonly change: Change;
      /** 'none': the name is free; 'over': atomic replacement of a file or symlink;
       *  'move': what is there (a directory, or anything replaced by one) is moved away. */
      readonly replace: 'none' | 'over' | 'move';
    };

/**
 * Orders paths so that a directory comes before everything below it: component by
 * component, a shorter component first. That is code-unit order with '/' below every
 * other character, compared here without splitting (the sort of a fresh node_modules
 * makes about 80 000 comparisons).
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === SLASH) return -1;
    if (y === SLASH) return 1;
    return x - y;
  }
  return a.length - b.length;
}
const SLASH = 0x2f;

export function planUnits(changes: readonly Change[]): Unit[] {
  const committed = changes.filter((c) => c.verdict === 'commit').sort((a, b) => comparePaths(a.path, b.path));
  const seen = new Set<string>();
  for (const c of committed) {
    // The review is data from our own process, but the commit checks what it relies on.
    const problem = relPathProblem(c.path);
    if (problem) throw new Error(`commit: refusing the path ${JSON.stringify(c.path)}: ${problem}`);
    if (seen.has(c.path)) throw new Error(`commit: ${c.path} appears twice in the review`);
    seen.add(c.path);
  }
  const movedDirs = new Set<string>();
  const units: Unit[] = [];
  for (const c of committed) {
    if (hasAncestorIn(c.path, movedDirs)) continue; // carried along with its directory
    switch (c.kind) {
      case 'deleted':
        requireBase(c);
        units.push({ kind: 'delete', change: c });
        break;
      case 'metadata':
        requireBase(c);
        units.push({ kind: 'chmod', change: c });
        break;
      case 'added':
        units.push({ kind: 'put', change: c, replace: 'none' });
        break;
      case 'modified':
      case 'replaced-dir': {
        requireBase(c);
        const dirInvolved = c.type === 'dir' || c.was === 'dir' || c.kind === 'replaced-dir';
        units.push({ kind: 'put', change: c, replace: dirInvolved ? 'move' : 'over' });
        break;
      }
    }
    if (c.kind !== 'deleted' && c.kind !== 'metadata' && c.type === 'dir') movedDirs.add(c.path);
    if (c.kind !== 'deleted' && c.type !== 'dir' && c.type !== 'file' && c.type !== 'symlink') {
      throw new Error(`commit: ${c.path} is of type ${c.type}, which is never committed`);
    }
  }
  return units;
}

/** The committed changes below a directory unit, by path. */
export function committedBelow(changes: readonly Change[], dir: string): Map<string, Change> {
  const out = new Map<string, Change>();
  for (const c of changes) {
    if (c.verdict === 'commit' && c.path.startsWith(`${dir}/`)) out.set(c.path, c);
  }
  return out;
}

function hasAncestorIn(path: string, dirs: ReadonlySet<string>): boolean {
  for (let p = parentOf(path); p !== ''; p = parentOf(p)) if (dirs.has(p)) return true;
  return false;
}

function requireBase(c: Change): void {
  if (!c.base) throw new Error(`commit: the review has no identity for the project's ${c.path}`);
}

export interface OpsInput {
  readonly units: readonly Unit[];
  readonly transfer: 'rename' | 'copy';
  /** Random, so that temporary and backup names cannot be guessed or collide. */
  readonly id: string;
  /** Identity (`dev:ino`) of each upper entry a rename moves, after preparation. */
  readonly upperIds: ReadonlyMap<string, string>;
  /** For chmod units: the mode the project directory has now and the one it gets. */
  readonly modes: ReadonlyMap<string, { from: number; to: number }>;
  /** Backups of moved-away entries go to the trash (trash.ts) instead of beside them. */
  readonly trash?: boolean;
}

/** Names for temporary copies and backups: beside the target, so on its file system. */
export function scratchName(path: string, id: string, n: number): string {
  return posix.join(parentOf(path), `.safe-package-${id}-${n}`);
}

/** The name of a commit's n-th backup in the trash (trash.ts). */
export function trashName(id: string, n: number): string {
  return `${id}-${n}`;
}

export function buildOps(input: OpsInput): { copies: Op[]; apply: Op[] } {
  const copies: Op[] = [];
  const apply: Op[] = [];
  let n = 0;
  const fresh = (path: string): string => scratchName(path, input.id, n++);
  const moveAway = (c: Change): Op =>
    input.trash
      ? { kind: 'backup-move', path: c.path, backup: trashName(input.id, n++), base: c.base!, inTrash: true }
      : { kind: 'backup-move', path: c.path, backup: fresh(c.path), base: c.base! };
  for (const u of input.units) {
    const c = u.change;
    if (u.kind === 'delete') {
      apply.push(moveAway(c));
      continue;
    }
    if (u.kind === 'chmod') {
      const m = input.modes.get(c.path);
      if (!m) throw new Error(`commit: no mode prepared for ${c.path}`);
      apply.push({ kind: 'chmod', path: c.path, from: m.from, to: m.to, base: c.base! });
      continue;
    }
    let src: { src: string; srcTree: 'project' | 'upper'; srcId?: string };
    if (input.transfer === 'copy') {
      const temp = fresh(c.path);
      copies.push({ kind: 'copy', from: c.path, temp });
      src = { src: temp, srcTree: 'project' };
    } else {
      const srcId = input.upperIds.get(c.path);
      if (!srcId) throw new Error(`commit: no identity prepared for the staged ${c.path}`);
      src = { src: c.path, srcTree: 'upper', srcId };
    }
    const isDir = (c.type as EntryType) === 'dir';
    if (u.replace === 'over') {
      apply.push({ kind: 'backup-link', path: c.path, backup: fresh(c.path), base: c.base! });
      apply.push({ kind: 'place-over', ...src, dst: c.path });
    } else {
      if (u.replace === 'move') apply.push(moveAway(c));
      apply.push({ kind: 'place-new', ...src, dst: c.path, isDir });
    }
  }
  return { copies, apply };
}
