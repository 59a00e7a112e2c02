// `jail check`: gathers lstat data about a jail and its ancestors (never following a
// symlink inside it), then asks the pure rules in check-rules.ts. The chroot backend calls
// checkJail before every run.

import { existsSync, lstatSync, readdirSync, realpathSync, type Stats } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { posix, resolve } from 'node:path';
import { judgeJail } from './check-rules.js';
import type { AncestorEntry, EntryType, JailEntry, JailProblem, JailScan, JailTarget, StatLite } from './types.js';
import { mountPointsUnder, readMountinfo } from '../host/mountinfo.js';
export { mountPointsUnder, parseMountinfo } from '../host/mountinfo.js';

export function statLite(st: Stats): StatLite {
  const type: EntryType = st.isSymbolicLink()
    ? 'symlink'
    : st.isDirectory()
      ? 'dir'
      : st.isFile()
        ? 'file'
        : st.isCharacterDevice()
          ? 'char'
          : st.isBlockDevice()
            ? 'block'
            : st.isFIFO()
              ? 'fifo'
              : 'socket';
  const base = { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (type !== 'char' && type !== 'block') return base;
  return { ...base, ...decodeRdev(st.rdev) };
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor), without 32-bit shifts. */
export function decodeRdev(rdev: number): { rdevMajor: number; rdevMinor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev % 2 ** 32;
  const rdevMajor = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const rdevMinor = (lo & 0xff) | ((lo >>> 12) & 0xfff00) | ((hi & 0xfff) << 20);
  return { rdevMajor: rdevMajor >>> 0, rdevMinor: rdevMinor >>> 0 };
}


/** lstat of "/", "/a", "/a/b", ... up to `p` inclusive. Stops at the first missing prefix. */
export function ancestorChain(p: string): AncestorEntry[] {
  const parts = p.split('/').filter((s) => s !== '');
  const chain: AncestorEntry[] = [];
  let cur = '/';
  for (let i = -1; i < parts.length; i++) {
    if (i >= 0) cur = posix.join(cur, parts[i]!);
    try {
      chain.push({ path: cur, ...statLite(lstatSync(cur)) });
    } catch {
      return [];
    }
  }
  return chain;
}


function mountsUnder(root: string): Set<string> {
  // Without /proc the st_dev comparison below still catches mounts of other file systems.
  return new Set(mountPointsUnder((readMountinfo() ?? []).map((m) => m.mountPoint), root));
}

/**
 * `project`: a directory inside the jail (path relative to the jail, e.g. "/work/app")
 * that the jail user owns by design (the chroot backend's project where no mounts can bind
 * it): it is not scanned or judged; the directories above it are.
 */
export function scanJail(dir: string, project?: string): JailScan {
  const abs = resolve(dir);
  let root: string;
  try {
    root = realpathSync(abs);
  } catch {
    return { dir: abs, root: abs, ancestorChains: [], entries: [], mounts: [] };
  }
  const chains = [ancestorChain(abs)];
  if (root !== abs) chains.push(ancestorChain(root));
  if (chains.some((c) => c.length === 0)) return { dir: abs, root, ancestorChains: [], entries: [], mounts: [] };
  const last = chains[chains.length - 1]!;
  if (last[last.length - 1]!.type !== 'dir') return { dir: abs, root, ancestorChains: chains, entries: [], mounts: [] };

  const mountSet = mountsUnder(root);
  const rootDev = lstatSync(root).dev;
  const entries: JailEntry[] = [];
  const mounts: string[] = [];
  const stack: string[] = ['/'];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    const hostDir = rel === '/' ? root : root + rel;
    let names: string[];
    try {
      names = readdirSync(hostDir);
    } catch {
      continue; // vanished while scanning; nothing left to judge
    }
    for (const name of names) {
      const childRel = rel === '/' ? `/${name}` : `${rel}/${name}`;
      const hostPath = root + childRel;
      let st: Stats;
      try {
        st = lstatSync(hostPath);
      } catch {
        continue;
      }
      if (childRel === project) continue;
      entries.push({ rel: childRel, ...statLite(st) });
      if (st.isDirectory()) {
        if (mountSet.has(hostPath) || st.dev !== rootDev) mounts.push(childRel);
        else stack.push(childRel);
      }
    }
  }
  // A mount on a path we never reach as a directory (e.g. a file bind mount) still counts.
  for (const m of mountSet) {
    const rel = m.slice(root === '/' ? 0 : root.length);
    if (!mounts.includes(rel)) mounts.push(rel);
  }
  entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  mounts.sort();
  const executables = entries.filter((e) => e.type === 'file' && (e.mode & 0o111) !== 0).map((e) => e.rel);
  const capabilities = filesWithCapabilities(root, executables);
  return { dir: abs, root, ancestorChains: chains, entries, mounts, ...(capabilities !== undefined ? { capabilities } : {}) };
}

/** getfattr's "# file: " lines, with its octal escapes undone. Pure. */
export function parseGetfattrFiles(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('# file: '))
    .map((l) => Buffer.from(l.slice(8).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1').toString('utf8'));
}

/**
 * Which of these jail files carry security.capability. Node has no xattr API, so getfattr
 * (Debian package attr) is spawned with an argument array, in batches, never following
 * symlinks. Returns undefined when getfattr is not installed.
 */
function filesWithCapabilities(root: string, rels: readonly string[]): string[] | undefined {
  const getfattr = ['/usr/bin/getfattr', '/bin/getfattr'].find((p) => existsSync(p));
  if (getfattr === undefined) return undefined;
  const out: string[] = [];
  for (let i = 0; i < rels.length; i += 500) {
    const batch = rels.slice(i, i + 500).map((r) => root + r);
    const r = spawnSync(getfattr, ['--no-dereference', '--absolute-names', '--match=^security\\.capability$', '--dump', '--', ...batch], {
      encoding: 'latin1',
      env: {},
      maxBuffer: 16 << 20,
    });
    if (r.error) return undefined;
    for (const p of parseGetfattrFiles(r.stdout)) if (p.startsWith(`${root}/`)) out.push(p.slice(root.length));
  }
  return out.sort();
}

/**
 * Checks that `dir` is safe to chroot into and run an untrusted program as `target`.
 * Returns every problem found (empty: safe). Reads the file system, changes nothing.
 */
export async function checkJail(dir: string, target: JailTarget): Promise<JailProblem[]> {
  return judgeJail(scanJail(dir), target);
}
