// File operations pinned to directories, for writing into a tree another user controls.
//
// Committing as root into a project owned by someone else is the classic symlink race:
// check that `node_modules/a` is a directory, the owner swaps it for a link to /etc,
// then the rename lands in /etc. Node has no openat()/renameat(), but Linux resolves
// `/proc/self/fd/N/name` from the directory open as fd N, whatever its path has become
// since: the same guarantee as the *at() calls. Every directory is opened one component
// at a time with O_NOFOLLOW|O_DIRECTORY, so a symlink anywhere on the way is refused
// (ELOOP/ENOTDIR), and every operation names its target as `/proc/self/fd/<dir>/<name>`.
// rename, link, unlink, rmdir, mkdir, symlink, lstat and lchown never follow the last
// component; files are opened with O_NOFOLLOW and changed through the descriptor.

import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import { posix } from 'node:path';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK, O_NOCTTY } = constants;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const MAX_CACHED_DIRS = 256;

export class PinnedTree {
  readonly rootFd: number;
  private readonly dirs = new Map<string, number>();

  /**
   * `root` itself is opened following links: it is the path the user gave. With `expect`,
   * it must still be that directory (device and inode recorded before the run): a project
   * renamed away and replaced by a link (or another directory) is refused.
   */
  constructor(
    readonly root: string,
    expect?: { readonly dev: number; readonly ino: number },
  ) {
    try {
      this.rootFd = openSync(root, O_RDONLY | O_DIRECTORY);
    } catch (e) {
      throw new Error(`cannot open ${root}: ${(e as Error).message}`);
    }
    if (expect) {
      const st = fstatSync(this.rootFd);
      if (st.dev !== expect.dev || st.ino !== expect.ino) {
        closeSync(this.rootFd);
        throw Object.assign(new Error(`${root} is not the directory the run started in (it was moved or replaced meanwhile); refusing to write into it`), { code: 'ESTALE' });
      }
    }
  }

  /** Descriptor of the directory at `rel` ('' = root), opened without following links. */
  dirFd(rel: string): number {
    if (rel === '' || rel === '.') return this.rootFd;
    const cached = this.dirs.get(rel);
    if (cached !== undefined) return cached;
    const parent = this.dirFd(parentOf(rel));
    let fd: number;
    try {
      fd = openSync(`/proc/self/fd/${parent}/${posix.basename(rel)}`, DIR_FLAGS);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENOTDIR') {
        throw Object.assign(
          new Error(`${posix.join(this.root, rel)} is not a directory any more (a symlink or file took its place); refusing to write through it`),
          { code },
        );
      }
      throw e;
    }
    this.dirs.set(rel, fd);
    return fd;
  }

  /**
   * Closes cached descriptors beyond the cache size. Only between operations: a path
   * from at() names a descriptor number, which must not be closed (and reused) while
   * the path is in use.
   */
  trim(): void {
    for (const [key, fd] of this.dirs) {
      if (this.dirs.size <= MAX_CACHED_DIRS) return;
      this.dirs.delete(key);
      closeSync(fd);
    }
  }

  /** A path naming `rel` inside its pinned parent directory. */
  at(rel: string): string {
    return `/proc/self/fd/${this.dirFd(parentOf(rel))}/${posix.basename(rel)}`;
  }

  /** Drops cached descriptors at or below `rel` (after it moved or went away). */
  forget(rel: string): void {
    for (const [key, fd] of this.dirs) {
      if (key === rel || key.startsWith(`${rel}/`)) {
        this.dirs.delete(key);
        closeSync(fd);
      }
    }
  }

  close(): void {
    for (const fd of this.dirs.values()) closeSync(fd);
    this.dirs.clear();
    closeSync(this.rootFd);
  }

  lstat(rel: string): BigIntStats | null {
    try {
      return lstatSync(this.at(rel), { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      throw e;
    }
  }

  exists(rel: string): boolean {
    return this.lstat(rel) !== null;
  }

  readdir(rel: string): Buffer[] {
    return readdirSync(`/proc/self/fd/${this.dirFd(rel)}`, { encoding: 'buffer' }) as Buffer[];
  }

  readlink(rel: string): string {
    return readlinkSync(this.at(rel), 'utf8');
  }

  mkdir(rel: string, mode: number): void {
    mkdirSync(this.at(rel), { mode });
  }

  symlink(target: string, rel: string): void {
    symlinkSync(target, this.at(rel));
  }

  unlink(rel: string): void {
    unlinkSync(this.at(rel));
  }

  rmdir(rel: string): void {
    this.forget(rel);
    rmdirSync(this.at(rel));
  }

  lchown(rel: string, uid: number, gid: number): void {
    lchownSync(this.at(rel), uid, gid);
  }

  /** chmod without following a link: through a descriptor opened O_NOFOLLOW. */
  chmod(rel: string, mode: number, isDir: boolean): void {
    const fd = openSync(this.at(rel), isDir ? DIR_FLAGS : O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    try {
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
  }

  /** Creates a new file (never an existing one, never through a link). Returns its fd. */
  createFile(rel: string): number {
    return openSync(this.at(rel), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0o600);
  }

  /** Opens a regular file for reading, refusing links and anything that is not a file. */
  openFileForReading(rel: string): { fd: number; stat: BigIntStats } {
    const fd = openSync(this.at(rel), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    const stat = fstatSync(fd, { bigint: true });
    if (!stat.isFile()) {
      closeSync(fd);
      throw new Error(`${posix.join(this.root, rel)} is not a regular file any more`);
    }
    return { fd, stat };
  }

  /**
   * Removes `rel` and everything below it without ever following a link: each directory
   * is opened O_NOFOLLOW before it is listed, and its entries are removed through it.
   */
  removeTree(rel: string): void {
    if (!this.exists(rel)) return;
    this.forget(rel);
    removeEntry(Buffer.from(this.at(rel)));
  }

  /** Removes the entry `name` (raw bytes: it may not be valid UTF-8) of directory `dirRel`. */
  removeChild(dirRel: string, name: Buffer): void {
    if (!name.includes(0x2f)) {
      const nameText = name.toString('utf8');
      if (Buffer.from(nameText).equals(name)) this.forget(dirRel === '' ? nameText : `${dirRel}/${nameText}`);
    }
    removeEntry(Buffer.concat([Buffer.from(`/proc/self/fd/${this.dirFd(dirRel)}/`), name]));
  }
}

export function parentOf(rel: string): string {
  const d = posix.dirname(rel);
  return d === '.' ? '' : d;
}

/** Removes one entry, named through a pinned directory, and everything below it. */
function removeEntry(p: Buffer): void {
  for (let attempt = 0; ; attempt++) {
    try {
      // unlink first: it never follows a link and refuses a directory (EISDIR), which
      // saves an lstat per file in trees of ten thousand.
      unlinkSync(p);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EISDIR' && code !== 'EPERM') throw e;
    }
    try {
      const fd = openSync(p, DIR_FLAGS);
      try {
        // Read-only directories (kept from a package, or a non-root owner's backup)
        // must be made writable to be emptied.
        const mode = fstatSync(fd).mode;
        if ((mode & 0o700) !== 0o700) fchmodSync(fd, (mode & 0o7777) | 0o700);
        const base = Buffer.from(`/proc/self/fd/${fd}/`);
        for (const name of readdirSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' }) as Buffer[]) {
          removeEntry(Buffer.concat([base, name]));
        }
      } finally {
        closeSync(fd);
      }
      rmdirSync(p);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // The entry changed type under us (a race): look again.
      if (attempt < 3 && (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOTEMPTY')) continue;
      // A directory of ours that we may not open (overlayfs leaves its work/work mode 000):
      // made enterable, then emptied like any other. Only when not root (root opens it
      // anyway), where everything below is the user's own and nobody else's link can be
      // in it; the lstat refuses what is not a directory of ours.
      if (attempt < 3 && code === 'EACCES' && unlockOwnDir(p)) continue;
      throw e;
    }
  }
}

/** chmod 0700 of a directory the (non-root) caller owns; false when it is not one. */
function unlockOwnDir(p: Buffer): boolean {
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return false;
  const st = lstatSync(p);
  if (!st.isDirectory() || st.uid !== uid) return false;
  chmodSync(p, (st.mode & 0o7777) | 0o700);
  return true;
}

let copyBuffer: Buffer | undefined;

/** Copies an open file's content into another open file. */
export function copyFd(src: number, dst: number): void {
  copyBuffer ??= Buffer.allocUnsafe(1 << 20);
  const buf = copyBuffer;
  for (;;) {
    const n = readSync(src, buf, 0, buf.length, null);
    if (n === 0) return;
    let off = 0;
    while (off < n) off += writeSync(dst, buf, off, n - off);
  }
}

/** `link` then `unlink`: puts an entry at a new name without ever replacing one. */
export function moveNoReplace(from: PinnedTree, fromRel: string, to: PinnedTree, toRel: string): void {
  linkSync(from.at(fromRel), to.at(toRel));
  unlinkSync(from.at(fromRel));
}

export function renameAt(from: PinnedTree, fromRel: string, to: PinnedTree, toRel: string): void {
  from.forget(fromRel);
  to.forget(toRel);
  renameSync(from.at(fromRel), to.at(toRel));
}

export function linkAt(from: PinnedTree, fromRel: string, to: PinnedTree, toRel: string): void {
  linkSync(from.at(fromRel), to.at(toRel));
}

export { fchmodSync, fchownSync, closeSync };
