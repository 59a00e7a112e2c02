// Can a given user reach and write a path? Decided from stat data with the user's uid
// and primary gid only (the jail clears supplementary groups). Pure.

export interface StatLike {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

export function permits(st: StatLike, uid: number, gid: number, want: 'r' | 'w' | 'x'): boolean {
  if (uid === 0) return want !== 'x' || (st.mode & 0o111) !== 0;
  const bit = want === 'r' ? 4 : want === 'w' ? 2 : 1;
  if (st.uid === uid) return ((st.mode >> 6) & bit) !== 0;
  if (st.gid === gid) return ((st.mode >> 3) & bit) !== 0;
  return (st.mode & bit) !== 0;
}

/**
 * Why the user cannot write into `dir`, or undefined when they can: every ancestor must
 * be searchable and the directory itself writable and searchable.
 */
export function writeBlocker(chain: readonly { path: string; st: StatLike }[], uid: number, gid: number): string | undefined {
  for (let i = 0; i < chain.length; i++) {
    const { path, st } = chain[i]!;
    if (!permits(st, uid, gid, 'x')) return `${path} is not searchable by uid ${uid}`;
    if (i === chain.length - 1 && !permits(st, uid, gid, 'w')) return `${path} is not writable by uid ${uid}`;
  }
  return undefined;
}
