// Reading host files for `jail create`: the first bytes of a file, its ELF headers, a
// program on a PATH, the host's ld.so.cache and Python's library directories.

import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { posix } from 'node:path';
import { type ByteSource, ElfError, type ElfInfo, parseElf } from './elf.js';
import { type LdCacheEntry, parseLdCache } from './ld-cache.js';

/** Opens for reading without following a final symlink and without blocking on a FIFO that
 *  appeared in place of the file we looked at. */
export function openRegular(path: string): { fd: number; size: number; mode: number; mtimeMs: number; atimeMs: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new Error(`${path} is not a regular file`);
  }
  return { fd, size: st.size, mode: st.mode, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs };
}

function fdSource(fd: number, size: number): ByteSource {
  return {
    size,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size) throw new ElfError(`truncated file: wanted ${length} bytes at ${offset}, file has ${size}`);
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, offset + got);
        if (n === 0) throw new ElfError(`file shrank while reading at ${offset + got}`);
        got += n;
      }
      return buf;
    },
  };
}

/** First `n` bytes of a regular file (fewer if it is shorter). */
export function readHead(path: string, n: number): Buffer {
  const f = openRegular(path);
  try {
    const buf = Buffer.alloc(Math.min(n, f.size));
    let got = 0;
    while (got < buf.length) {
      const r = readSync(f.fd, buf, got, buf.length - got, got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(f.fd);
  }
}

/** Parses the ELF headers of a host file (symlinks in `path` are followed by the caller's choice of path). */
export function readElf(path: string): ElfInfo {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ElfError(`${path} is not a regular file`);
    return parseElf(fdSource(fd, st.size));
  } finally {
    closeSync(fd);
  }
}

/** Like the loader's open_verify: the path exists, is a regular file (after symlinks) and is ELF. */
export function tryReadElf(path: string): ElfInfo | undefined {
  try {
    return readElf(path);
  } catch {
    return undefined;
  }
}

/** execvp's lookup: the first PATH entry holding an executable regular file with this name. */
export function findOnPath(name: string, pathList: string): string | undefined {
  for (const dir of pathList.split(':')) {
    if (!dir.startsWith('/')) continue; // a relative PATH entry depends on the cwd; never trust it
    const p = posix.join(dir, name);
    try {
      const st = statSync(p);
      if (st.isFile() && (st.mode & 0o111) !== 0) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function readLdCache(path = '/etc/ld.so.cache'): { entries: LdCacheEntry[]; error?: string } {
  try {
    return { entries: parseLdCache(readFileSync(path)) };
  } catch (e) {
    return { entries: [], error: `${path}: ${(e as Error).message}` };
  }
}

/** True when only root can change `path` and every directory above it. */
export function onlyRootCanChange(path: string): boolean {
  let cur = path;
  for (;;) {
    let st;
    try {
      st = lstatSync(cur);
    } catch {
      return false;
    }
    if (st.uid !== 0) return false;
    if (!st.isSymbolicLink() && (st.mode & 0o022) !== 0 && !(st.isDirectory() && (st.mode & 0o1000) !== 0)) return false;
    if (cur === '/') return true;
    cur = posix.dirname(cur);
  }
}

/**
 * The directories a Python interpreter imports from, asked of the interpreter itself
 * (`-I`: ignore PYTHON* variables and the user's site directory). Run with an empty
 * environment and an argument array. Only called for an interpreter only root can change:
 * `jail create` runs as root.
 */
export function pythonSysPath(interpreter: string): { paths: string[]; error?: string } {
  const code = 'import sys, json; print(json.dumps(sys.path))';
  const r = spawnSync(interpreter, ['-I', '-c', code], { encoding: 'utf8', env: {}, timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return { paths: [], error: `${interpreter}: ${r.error.message}` };
  if (r.status !== 0) return { paths: [], error: `${interpreter} -I -c … exited with ${r.status}: ${r.stderr.trim().slice(0, 300)}` };
  try {
    const parsed: unknown = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error('not a list of strings');
    return { paths: parsed.filter((p) => p.startsWith('/')) };
  } catch (e) {
    return { paths: [], error: `${interpreter}: could not read sys.path (${(e as Error).message})` };
  }
}
