// Where the resolved tree is written down, and reading it from what the jail left: the
// staging layer's upper directory over the project (sandbox), the landlock backend's
// shadow, or the project itself (`safe-package check`). Files are opened without
// following a symbolic link, must be regular files, and are read up to a limit.

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LockfileError, npmLockPackages, pnpmLockPackages, uniquePackages, yarnLockPackages, type ResolvedPackage } from './lockfile.js';

const MAX_LOCKFILE = 256 * 1024 * 1024;

/** Where to look: `upper` (what this run wrote) over `lower` (the project before it). */
export interface TreeView {
  readonly upper?: string;
  readonly lower: string;
}

type Found = { state: 'file'; text: string } | { state: 'absent' } | { state: 'deleted' };

function readFileNoFollow(dir: string, rel: string): Found {
  // Every directory on the way must be a real directory, not a link.
  let d = dirname(join(dir, rel));
  while (d.length > dir.length) {
    try {
      if (!lstatSync(d).isDirectory()) return { state: 'absent' };
    } catch {
      return { state: 'absent' };
    }
    d = dirname(d);
  }
  let fd: number;
  try {
    fd = openSync(join(dir, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { state: 'absent' } : { state: 'deleted' };
  }
  try {
    const st = fstatSync(fd);
    // An overlay whiteout (a character device) means the file was deleted.
    if (!st.isFile()) return { state: 'deleted' };
    if (st.size > MAX_LOCKFILE) throw new LockfileError(`${rel} is larger than ${MAX_LOCKFILE} bytes`);
    return { state: 'file', text: readWhole(fd, st.size).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

function lookup(view: TreeView, rel: string, upperOnly = false): string | undefined {
  if (view.upper !== undefined) {
    const u = readFileNoFollow(view.upper, rel);
    if (u.state === 'file') return u.text;
    if (u.state === 'deleted' || upperOnly) return undefined;
  }
  if (upperOnly) return undefined;
  const l = readFileNoFollow(view.lower, rel);
  return l.state === 'file' ? l.text : undefined;
}

export interface ReadTree {
  readonly packages: ResolvedPackage[];
  readonly lockfiles: string[];
}

/**
 * The registry versions of the tree: the lockfile the package manager wrote, and its
 * record of what is on disk (npm's node_modules/.package-lock.json, pnpm's
 * node_modules/.pnpm/lock.yaml). With an upper directory, only what the run wrote there
 * counts as on disk (the project's old node_modules is not what this install installed).
 */
export function readTree(view: TreeView, tool: 'npm' | 'pnpm' | 'yarn'): ReadTree {
  const all: ResolvedPackage[] = [];
  const lockfiles: string[] = [];
  const take = (rel: string, parse: (t: string) => ResolvedPackage[], upperOnly = false) => {
    const text = lookup(view, rel, upperOnly);
    if (text === undefined) return false;
    all.push(...parse(text));
    lockfiles.push(rel);
    return true;
  };
  const onDisk = view.upper !== undefined;
  if (tool === 'npm') {
    if (!take('npm-shrinkwrap.json', (t) => npmLockPackages(t, 'npm-shrinkwrap.json'))) take('package-lock.json', (t) => npmLockPackages(t));
    take('node_modules/.package-lock.json', (t) => npmLockPackages(t, 'node_modules/.package-lock.json'), onDisk);
  } else if (tool === 'pnpm') {
    take('pnpm-lock.yaml', pnpmLockPackages);
    take('node_modules/.pnpm/lock.yaml', pnpmLockPackages, onDisk);
  } else {
    take('yarn.lock', yarnLockPackages);
    take('node_modules/.yarn-integrity', () => [], onDisk);
  }
  return { packages: uniquePackages(all), lockfiles: lockfiles.filter((l) => l !== 'node_modules/.yarn-integrity') };
}

/** The whole of an open regular file of `size` bytes (less if it shrank while read). */
export function readWhole(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}
