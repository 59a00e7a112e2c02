// /proc/self/mountinfo, read and parsed in one place: the jail check (mounts inside a
// jail root), the staging checks (mounts inside a project) and review (is the overlay
// still mounted) all ask it. The kernel escapes space, tab, newline, backslash (and, in
// mount options, comma and equals) as \NNN octal; values here are unescaped.

import { readFileSync } from 'node:fs';

export interface MountEntry {
  /** Where it is mounted (field 5). */
  readonly mountPoint: string;
  /** The file system type (first field after the " - " separator). */
  readonly fsType: string;
  /** The super block options, split at commas and unescaped (e.g. "upperdir=/x/upper"). */
  readonly superOptions: readonly string[];
}

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses mountinfo text. Pure. */
export function parseMountEntries(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const sep = f.indexOf('-', 6);
    out.push({
      mountPoint: unescape(f[4]!),
      fsType: sep > 0 ? unescape(f[sep + 1] ?? '') : '',
      superOptions: sep > 0 ? (f[sep + 3] ?? '').split(',').filter(Boolean).map(unescape) : [],
    });
  }
  return out;
}

/** Mount points from mountinfo text. Pure. */
export function parseMountinfo(text: string): string[] {
  return parseMountEntries(text).map((m) => m.mountPoint);
}

/** This process's mounts; undefined without /proc. */
export function readMountinfo(): MountEntry[] | undefined {
  try {
    return parseMountEntries(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Mount points strictly below `dir` (a look-alike sibling such as `dir2` is not). Pure. */
export function mountPointsUnder(points: readonly string[], dir: string): string[] {
  const prefix = dir === '/' ? '/' : `${dir}/`;
  return points.filter((m) => m.startsWith(prefix) && m !== dir);
}
