// Which file system a path lives on, and whether overlayfs can keep its upper layer there.
// overlayfs refuses an upper directory on another overlayfs (a container's root file
// system), on NFS and on FUSE; staging there fails with a message about the kernel that
// misleads (docs/promises.md#p5-staged-writes).

import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/** statfs(2) f_type values (linux/magic.h) of the file systems that matter here. */
const NAMES: ReadonlyMap<number, string> = new Map([
  [0x794c7630, 'overlay'],
  [0x01021994, 'tmpfs'],
  [0xef53, 'ext4'],
  [0x9123683e, 'btrfs'],
  [0x58465342, 'xfs'],
  [0x2fc12fc1, 'zfs'],
  [0x6969, 'nfs'],
  [0x65735546, 'fuse'],
]);

export interface FsInfo {
  readonly name: string;
  /** Bytes free for an unprivileged writer. */
  readonly free: number;
}

/** The file system of `path`, or of its nearest existing ancestor. */
export function fsInfo(path: string): FsInfo {
  for (let p = path; ; p = dirname(p)) {
    try {
      const s = statfsSync(p);
      return { name: NAMES.get(s.type) ?? `0x${s.type.toString(16)}`, free: s.bavail * s.bsize };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || p === '/') throw err;
    }
  }
}

/** Can overlayfs use a directory on this file system as its upper layer? Pure. */
export function holdsUpperLayer(fs: string): boolean {
  return fs !== 'overlay' && fs !== 'nfs' && fs !== 'fuse';
}

/** Space a tmpfs must have free to be worth staging a real install on. */
export const MIN_TMPFS_FREE = 1024 * 1024 * 1024;

export type StageChoice =
  | { readonly ok: true; readonly root: string; readonly note?: string }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

/**
 * Where overlay staging goes: the usual place when its file system can hold an upper
 * layer, else a tmpfs with room to spare, else nowhere (the run is refused with a fix
 * rather than failing half-way). Pure.
 */
export function chooseStageRoot(usual: string, usualFs: FsInfo, tmpfs: { root: string; fs: FsInfo | undefined }): StageChoice {
  if (holdsUpperLayer(usualFs.name)) return { ok: true, root: usual };
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (tmpfs.fs?.name === 'tmpfs' && tmpfs.fs.free >= MIN_TMPFS_FREE) {
    return { ok: true, root: tmpfs.root, note: `staging in ${tmpfs.root} (tmpfs, ${gib(tmpfs.fs.free)} free): ${usual} is on ${usualFs.name}, which cannot hold an overlay's upper layer` };
  }
  return {
    ok: false,
    reason: `staged writes need a directory whose file system can hold an overlay's upper layer: ${usual} is on ${usualFs.name}${tmpfs.fs ? `, and ${tmpfs.root.split('/').slice(0, 3).join('/')} is ${tmpfs.fs.name === 'tmpfs' ? `a tmpfs with only ${gib(tmpfs.fs.free)} free` : `on ${tmpfs.fs.name}`}` : ''}`,
    fix: `mount a volume or a tmpfs at ${usual} (for example docker run --tmpfs ${usual}:exec,size=4g, or -v a host directory there), or use the landlock backend (--backend landlock), which stages without overlayfs`,
  };
}
