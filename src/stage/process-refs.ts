// Which processes still hold something inside a directory tree: an open file or
// directory, a working directory or root, or a file mapped into memory. A writable
// descriptor opened before a chown or a move keeps working after it, and a shared
// mapping keeps working after its descriptor is closed, so only "nobody holds anything"
// proves that nobody can still change the tree.

import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export interface Holder {
  readonly pid: number;
  /** The process name, made printable. */
  readonly name: string;
  /** What it holds: `fd 5`, `cwd`, `root`, `mmap`. */
  readonly what: string;
}

/**
 * @param uid when given, only processes running as this user are examined: the user the
 *   jail ran as is the only one besides root who could write the tree, and scanning every
 *   process on a busy host costs tens of milliseconds.
 */
export function holdersOf(dir: string, uid?: number): Holder[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const inside = (p: string): boolean => p === dir || p.startsWith(prefix);
  const holders: Holder[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (uid !== undefined && ownerOf(pid) !== uid) continue;
    const found: string[] = [];
    for (const link of ['cwd', 'root']) {
      const t = readlinkQuiet(`/proc/${pid}/${link}`);
      if (t !== null && inside(stripDeleted(t))) found.push(link);
    }
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      // Gone, or not ours to look at (then it cannot be a process of the jail's user
      // when we are root, and when we are not root it is not one we could stop anyway).
    }
    for (const fd of fds) {
      const t = readlinkQuiet(`/proc/${pid}/fd/${fd}`);
      if (t !== null && inside(stripDeleted(t))) found.push(`fd ${fd}`);
    }
    try {
      const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
      for (const line of maps.split('\n')) {
        const path = line.split(/\s+/).slice(5).join(' ');
        if (path.startsWith('/') && inside(stripDeleted(path))) {
          found.push('mmap');
          break;
        }
      }
    } catch {
      // as above
    }
    if (found.length > 0) holders.push({ pid, name: processName(pid), what: found.join(', ') });
  }
  return holders;
}

/** The process's effective uid, as the owner of its /proc directory. */
function ownerOf(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

function readlinkQuiet(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}

function stripDeleted(p: string): string {
  return p.endsWith(' (deleted)') ? p.slice(0, -' (deleted)'.length) : p;
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().replace(/[^\x20-\x7e]/g, '?');
  } catch {
    return '?';
  }
}
