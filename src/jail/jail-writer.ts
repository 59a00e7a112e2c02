// Writing into a jail as root, without ever being led out of it.
//
// `jail create` runs as root and the jail may already exist. If any write followed a
// symlink found in the jail, a symlink planted there (say /usr/bin -> /usr/bin on the host,
// or /etc -> /etc) would make root overwrite host files. So:
//
// - Host paths are copied by walking them one component at a time from "/" (mirror()). A
//   component that is a symlink on the host is recreated in the jail as the same symlink,
//   and the walk restarts from the symlink's target: the jail gets the host's layout
//   (/lib -> usr/lib, /lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/...), and the
//   directories we write into are, by induction, real directories we created or lstat-ed
//   in the jail, never symlinks. A jail entry that differs from the host (a symlink where
//   the host has a directory) stops the run.
// - Files are never opened for writing in place (an existing jail file might be a hard link
//   to a host file): each copy is written to a new O_EXCL file beside it and renamed over.
// - Modes are sanitised on the way in: setuid, setgid and sticky bits and group/other write
//   are dropped, everything is owned by root:root. A setuid binary in a jail is an escape.
// - Sources are opened with O_NOFOLLOW|O_NONBLOCK and checked to be regular files, so a
//   source swapped for a symlink or a FIFO after we looked at it is not read.
//
// Device nodes: Node.js has no mknod(2), so /usr/bin/mknod is spawned with an argument array.

import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  chmodSync,
  chownSync,
  existsSync,
  type Stats,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomHex } from '../util/crypto.js';
import { posix } from 'node:path';
import { onlyRootCanChange, openRegular } from './host-files.js';
import type { AddedKind, JailAddition } from './types.js';
import { shellQuote } from '../util/shell-quote.js';
import { JailError } from './errors.js';

export { JailError };

const MAX_SYMLINK_HOPS = 40;
const COPY_CHUNK = 1 << 20;

/** What a file's permission bits become in the jail. */
export function sanitizeMode(hostMode: number): number {
  return hostMode & 0o755;
}

export interface MirrorResult {
  /** The host path with every symlink resolved (also the path of the copy inside the jail). */
  readonly real: string;
  readonly type: 'file' | 'dir';
}

function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

export class JailWriter {
  readonly added: JailAddition[] = [];
  readonly updated: string[] = [];
  unchanged = 0;
  readonly warnings: string[] = [];
  /** Jail-relative directories known to be real directories in the jail (created or lstat-ed). */
  private readonly verifiedDirs = new Set<string>(['/']);
  private readonly copiedTrees = new Set<string>();
  private readonly copiedFiles = new Set<string>();

  constructor(readonly root: string) {}

  /** Host path of a jail-relative path. Only meaningful for paths below verified directories. */
  hostPathOf(rel: string): string {
    return rel === '/' ? this.root : this.root + rel;
  }

  private record(rel: string, kind: AddedKind, size = 0): void {
    this.added.push({ rel, kind, size });
  }

  private requireVerifiedParent(rel: string): void {
    const parent = posix.dirname(rel);
    if (!this.verifiedDirs.has(parent)) throw new Error(`internal: ${parent} was not verified before writing ${rel}`);
  }

  private conflict(rel: string, found: string, wanted: string): JailError {
    return new JailError(
      `the jail has ${found} at ${rel} where the host has ${wanted}; the jail was not built from this host's layout or was changed. ` +
        `Remove ${shellQuote(this.hostPathOf(rel))} or build a new jail in an empty directory.`,
    );
  }

  private lstatJail(rel: string): Stats | undefined {
    try {
      return lstatSync(this.hostPathOf(rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** A real directory at `rel` (parent must be verified). `exactMode` also fixes an existing one's mode. */
  ensureDir(rel: string, mode = 0o755, exactMode = false): void {
    if (this.verifiedDirs.has(rel) && !exactMode) return;
    this.requireVerifiedParent(rel);
    const p = this.hostPathOf(rel);
    const st = this.lstatJail(rel);
    if (st === undefined) {
      mkdirSync(p, { mode: 0o700 });
      chownSync(p, 0, 0);
      chmodSync(p, mode);
      this.record(rel, 'dir');
    } else if (!st.isDirectory()) {
      throw this.conflict(rel, st.isSymbolicLink() ? `a symlink to ${readlinkSync(p)}` : 'a non-directory', 'a directory');
    } else if (exactMode && (st.mode & 0o7777) !== mode) {
      chmodSync(p, mode);
    }
    this.verifiedDirs.add(rel);
  }

  ensureSymlink(rel: string, target: string): void {
    this.requireVerifiedParent(rel);
    const p = this.hostPathOf(rel);
    const st = this.lstatJail(rel);
    if (st === undefined) {
      symlinkSync(target, p);
      lchownSync(p, 0, 0);
      this.record(rel, 'symlink');
      return;
    }
    if (st.isSymbolicLink() && readlinkSync(p) === target) return;
    throw this.conflict(rel, st.isSymbolicLink() ? `a symlink to ${readlinkSync(p)}` : 'a file or directory', `a symlink to ${target}`);
  }

  /**
   * Copies host path `hostPath` into the jail at the same path, recreating every symlink on
   * the way (see the file comment). Returns where the walk ended.
   */
  mirror(hostPath: string): MirrorResult {
    if (!hostPath.startsWith('/')) throw new JailError(`${hostPath}: not an absolute path`);
    let todo = components(hostPath);
    let cur = '/';
    let hops = 0;
    while (todo.length > 0) {
      const c = todo.shift()!;
      if (c === '..') {
        cur = posix.dirname(cur);
        continue;
      }
      const next = childPath(cur, c);
      // Kernel file systems are not copied: the jail's /proc and /dev are its own, and a
      // copy of /proc/self/... would put host process details into it.
      if (next === '/proc' || next === '/sys' || next === '/dev') {
        throw new JailError(`${hostPath}: refusing to copy from ${next}; give the program's real path`);
      }
      let st: Stats;
      try {
        st = lstatSync(next);
      } catch (e) {
        throw new JailError(`${hostPath}: ${next} ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message}`);
      }
      if (st.isSymbolicLink()) {
        const target = readlinkSync(next);
        this.ensureSymlink(next, target);
        if (++hops > MAX_SYMLINK_HOPS) throw new JailError(`${hostPath}: too many levels of symbolic links`);
        todo = [...components(target), ...todo];
        if (target.startsWith('/')) cur = '/';
        continue;
      }
      if (st.isDirectory()) {
        this.ensureDir(next);
        cur = next;
        continue;
      }
      if (st.isFile()) {
        if (todo.length > 0) throw new JailError(`${hostPath}: ${next} is a file, not a directory`);
        this.copyFile(next);
        return { real: next, type: 'file' };
      }
      throw new JailError(`${hostPath}: ${next} is a device, FIFO or socket; only files, directories and symlinks are copied into a jail`);
    }
    return { real: cur, type: 'dir' };
  }

  /** Copies one host regular file to the same path in the jail (its directory must be verified). */
  private copyFile(hostPath: string): void {
    const rel = hostPath;
    if (this.copiedFiles.has(rel)) return;
    this.requireVerifiedParent(rel);
    const src = openRegular(hostPath);
    try {
      const mode = sanitizeMode(src.mode);
      const existing = this.lstatJail(rel);
      if (existing !== undefined) {
        if (existing.isDirectory()) throw this.conflict(rel, 'a directory', 'a file');
        if (
          existing.isFile() &&
          existing.size === src.size &&
          Math.abs(existing.mtimeMs - src.mtimeMs) < 1 &&
          (existing.mode & 0o7777) === mode &&
          existing.uid === 0 &&
          existing.gid === 0
        ) {
          this.unchanged++;
          return;
        }
      }
      this.replaceWith(rel, mode, (out) => {
        const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(src.size, 1)));
        let pos = 0;
        for (;;) {
          const n = readSync(src.fd, buf, 0, buf.length, pos);
          if (n === 0) break;
          let w = 0;
          while (w < n) w += writeSync(out, buf, w, n - w);
          pos += n;
        }
        futimesSync(out, src.atimeMs / 1000, src.mtimeMs / 1000);
        return pos;
      });
      if (existing === undefined) this.record(rel, 'file', src.size);
      else this.updated.push(rel);
    } finally {
      closeSync(src.fd);
      this.copiedFiles.add(rel);
    }
  }

  /** Writes `rel` as a new file and renames it into place (never through an existing inode). */
  private replaceWith(rel: string, mode: number, fill: (fd: number) => number): void {
    const dst = this.hostPathOf(rel);
    const tmp = posix.join(posix.dirname(dst), `.sp-new-${process.pid}-${randomHex(6)}`);
    const out = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      try {
        fill(out);
        fchownSync(out, 0, 0);
        fchmodSync(out, mode);
      } finally {
        closeSync(out);
      }
      renameSync(tmp, dst);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // already renamed or never created
      }
      throw e;
    }
  }

  /** Writes generated content (passwd, npmrc, ...) at `rel`, whose directory must be verified. */
  writeFile(rel: string, content: string | Buffer, mode = 0o644): void {
    this.requireVerifiedParent(rel);
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const existing = this.lstatJail(rel);
    if (existing?.isDirectory()) throw this.conflict(rel, 'a directory', 'a file');
    if (existing?.isFile() && existing.size === data.length && (existing.mode & 0o7777) === mode && existing.uid === 0) {
      const fd = openSync(this.hostPathOf(rel), constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const cur = Buffer.alloc(data.length);
        readSync(fd, cur, 0, cur.length, 0);
        if (cur.equals(data)) {
          this.unchanged++;
          return;
        }
      } finally {
        closeSync(fd);
      }
    }
    this.replaceWith(rel, mode, (fd) => {
      let w = 0;
      while (w < data.length) w += writeSync(fd, data, w, data.length - w);
      return w;
    });
    if (existing === undefined) this.record(rel, 'file', data.length);
    else this.updated.push(rel);
  }

  /** A character device made with mknod(1), mode 0666, owned by root. */
  ensureCharDevice(rel: string, major: number, minor: number): void {
    this.requireVerifiedParent(rel);
    const p = this.hostPathOf(rel);
    const st = this.lstatJail(rel);
    if (st !== undefined) {
      const want = (BigInt(major) << 8n) | BigInt(minor); // old-style dev_t is enough for majors/minors < 256
      if (st.isCharacterDevice() && BigInt(st.rdev) === want) return;
      throw this.conflict(rel, 'something else', `the character device ${major}:${minor}`);
    }
    const mknod = ['/usr/bin/mknod', '/bin/mknod'].find((m) => existsSync(m));
    if (mknod === undefined) throw new JailError('mknod(1) was not found at /usr/bin/mknod or /bin/mknod (Debian package coreutils); it makes the jail\'s /dev nodes');
    const r = spawnSync(mknod, ['-m', '0666', p, 'c', String(major), String(minor)], { encoding: 'utf8', env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.error || r.status !== 0) throw new JailError(`mknod ${p} c ${major} ${minor} failed: ${r.error?.message ?? r.stderr.trim()}`);
    lchownSync(p, 0, 0);
    this.record(rel, 'device');
  }

  /**
   * Copies a host directory tree into the jail at the same path. Symlinks inside are kept as
   * symlinks; when the tree is root's and a symlink leads to a file outside it
   * (sitecustomize.py -> /etc/python3.11/..., the certificate links), that file is mirrored
   * too. Symlinks to directories outside the tree are not followed (a link to "/" would
   * copy the host). Returns the host paths of the regular files in the tree.
   */
  copyTree(hostDir: string): { real: string; files: string[] } {
    const m = this.mirror(hostDir);
    if (m.type !== 'dir') throw new JailError(`${hostDir} is not a directory`);
    const treeRoot = m.real;
    const files: string[] = [];
    if (this.copiedTrees.has(treeRoot)) {
      this.collectFiles(treeRoot, files);
      return { real: treeRoot, files };
    }
    this.copiedTrees.add(treeRoot);
    const followOut = onlyRootCanChange(treeRoot);
    const inside = (p: string) => p === treeRoot || p.startsWith(`${treeRoot}/`);
    const stack = [treeRoot];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      for (const name of readdirSync(dir).sort()) {
        const p = childPath(dir, name);
        const st = lstatSync(p);
        if (st.isDirectory()) {
          this.ensureDir(p);
          stack.push(p);
        } else if (st.isFile()) {
          this.copyFile(p);
          files.push(p);
        } else if (st.isSymbolicLink()) {
          const target = readlinkSync(p);
          this.ensureSymlink(p, target);
          let resolved: string;
          let tst: Stats;
          try {
            resolved = realpathSync(p);
            tst = statSync(p);
          } catch {
            continue; // dangling on the host too
          }
          if (inside(resolved)) continue;
          if (tst.isFile()) {
            if (followOut) this.mirror(target.startsWith('/') ? target : `${dir}/${target}`);
            else this.warnings.push(`${p} links to ${resolved}, outside ${treeRoot}; not copied because ${treeRoot} is not root's (copy it with --with if it is needed)`);
          } else if (tst.isDirectory() && !this.copiedTrees.has(resolved)) {
            this.warnings.push(`${p} links to the directory ${resolved}, outside ${treeRoot}; not followed`);
          }
        } else {
          this.warnings.push(`${p} is a device, FIFO or socket; not copied`);
        }
      }
    }
    return { real: treeRoot, files };
  }

  private collectFiles(dir: string, out: string[]): void {
    for (const name of readdirSync(dir)) {
      const p = childPath(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) this.collectFiles(p, out);
      else if (st.isFile()) out.push(p);
    }
  }

  isTreeCopied(hostPath: string): boolean {
    for (const t of this.copiedTrees) if (hostPath === t || hostPath.startsWith(`${t}/`)) return true;
    return false;
  }
}

/** Total size of the regular files under `root` (for the report). */
export function treeBytes(root: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (const name of readdirSync(dir)) {
      const p = childPath(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) stack.push(p);
      else if (st.isFile()) {
        bytes += st.size;
        files++;
      }
    }
  }
  return { bytes, files };
}
