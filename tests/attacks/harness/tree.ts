// Watching host directories: a snapshot of a tree (type, mode, owner, content), the
// difference between two snapshots, and putting a tree back as a snapshot had it. The
// fixture home and the workspace around the projects are small, so snapshots keep the
// bytes of every file: restoring needs nothing else.

import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly data?: Buffer;
  readonly target?: string;
  /** Access and modification times: not compared, but put back by restoreTree. */
  readonly atime: Date;
  readonly mtime: Date;
}

/** Relative path ('' is the root) → entry. */
export type Tree = ReadonlyMap<string, TreeEntry>;

export interface SnapshotOptions {
  /** Relative paths not to descend into (their own existence is still recorded). */
  readonly opaque?: (rel: string) => boolean;
  /** Relative paths left out entirely. */
  readonly skip?: (rel: string) => boolean;
}

export function snapshot(root: string, options: SnapshotOptions = {}): Tree {
  const out = new Map<string, TreeEntry>();
  const visit = (rel: string) => {
    const abs = rel === '' ? root : join(root, rel);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      return;
    }
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, atime: st.atime, mtime: st.mtime };
    if (st.isSymbolicLink()) out.set(rel, { type: 'symlink', ...base, target: readlinkSync(abs) });
    else if (st.isFile()) out.set(rel, { type: 'file', ...base, data: readFileSync(abs) });
    else if (st.isDirectory()) {
      out.set(rel, { type: 'dir', ...base });
      if (rel !== '' && options.opaque?.(rel)) return;
      for (const name of readdirSync(abs).sort()) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (!options.skip?.(child)) visit(child);
      }
    } else out.set(rel, { type: 'other', ...base });
  };
  visit('');
  return out;
}

export interface TreeChange {
  readonly path: string;
  readonly change: 'added' | 'removed' | 'modified';
}

function same(a: TreeEntry, b: TreeEntry): boolean {
  if (a.type !== b.type || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.type === 'file') return a.data!.equals(b.data!);
  if (a.type === 'symlink') return a.target === b.target;
  return true;
}

/** What changed from `before` to `after`, top-down. Pure. */
export function diffTrees(before: Tree, after: Tree): TreeChange[] {
  const changes: TreeChange[] = [];
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const path of paths) {
    const a = before.get(path);
    const b = after.get(path);
    if (a && !b) changes.push({ path, change: 'removed' });
    else if (!a && b) changes.push({ path, change: 'added' });
    else if (a && b && !same(a, b)) changes.push({ path, change: 'modified' });
  }
  // A change under an added or removed directory says nothing more.
  return changes.filter((c) => !changes.some((o) => o !== c && o.change !== 'modified' && c.path.startsWith(o.path + '/')));
}

/** Makes the tree at root equal to `wanted` again (for the paths the snapshot covered). */
export function restoreTree(root: string, wanted: Tree, options: SnapshotOptions = {}): TreeChange[] {
  const now = snapshot(root, options);
  const changes = diffTrees(wanted, now);
  const abs = (rel: string) => (rel === '' ? root : join(root, rel));
  // Remove first (deepest first), then recreate top-down.
  for (const c of [...changes].reverse()) {
    if (c.change === 'added') rmSync(abs(c.path), { recursive: true, force: true });
    if (c.change === 'modified' && (wanted.get(c.path)!.type !== now.get(c.path)!.type || wanted.get(c.path)!.type === 'symlink')) {
      rmSync(abs(c.path), { recursive: true, force: true });
    }
  }
  const put = (rel: string) => {
    const e = wanted.get(rel)!;
    const p = abs(rel);
    if (e.type === 'dir') mkdirSync(p, { recursive: true });
    else if (e.type === 'file') writeFileSync(p, e.data!);
    else if (e.type === 'symlink') {
      rmSync(p, { force: true });
      symlinkSync(e.target!, p);
      lchownSync(p, e.uid, e.gid);
      return;
    } else return;
    chownSync(p, e.uid, e.gid);
    chmodSync(p, e.mode);
  };
  for (const c of changes) {
    if (c.change === 'added') continue;
    // a removed directory: put it back with everything that was under it
    const under = [...wanted.keys()].filter((k) => k === c.path || (c.change === 'removed' && k.startsWith(c.path + '/'))).sort();
    for (const rel of under) put(rel);
  }
  // Times last, deepest first (writing into a directory changes its mtime).
  if (changes.length > 0) {
    const after = snapshot(root, options);
    for (const [rel, e] of [...wanted].reverse()) {
      const cur = after.get(rel);
      if (!cur || cur.type !== e.type || e.type === 'symlink' || e.type === 'other') continue;
      if (cur.mtime.getTime() !== e.mtime.getTime() || cur.atime.getTime() !== e.atime.getTime()) utimesSync(abs(rel), e.atime, e.mtime);
    }
  }
  return changes;
}
