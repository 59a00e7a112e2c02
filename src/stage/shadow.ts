// Staged writes without overlayfs (docs/promises.md#p5-staged-writes), for the landlock
// backend, which runs where mounts are refused.
//
// Before the jail: a shadow of the project, in the run directory, is what the jail works
// in. Parts the package manager writes (the profile's write set: node_modules,
// package.json, the lockfile) are copied; a directory that starts fresh (npm ci's
// node_modules) is empty; other files are hard links where the jail user cannot write
// them (root running the jail as nobody over a root-owned checkout: no copying), copies
// otherwise; hidden files (.env) are simply not there. Git's own directory is linked to,
// entry by entry, and readable through the jail's Landlock rules (read-only), with its
// hidden config left out. Real directories everywhere else, so that a script's
// realpath() never leads out of the shadow into the project.
//
// After the jail: the shadow is compared with what was made (inode and ctime of every
// entry made, names of every directory made), and the differences become an overlay-style
// upper directory: changed and new entries moved there, deletions as 0:0 character
// devices, a directory that replaced the project's as an opaque one. The review and commit
// of src/stage/ then apply unchanged, as for the sandbox.

import { spawnSync } from 'node:child_process';
import {
  constants,
  copyFileSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  closeSync,
  ftruncateSync,
  openSync,
  readFileSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import { join, relative } from 'node:path';

export type Made =
  | { readonly kind: 'dir'; readonly ino: bigint; readonly children: readonly string[]; readonly fresh?: boolean }
  | { readonly kind: 'entry'; readonly ino: bigint; readonly ctimeNs: bigint };

export interface ShadowInput {
  readonly projectDir: string;
  /** An empty directory of ours, on the same file system as the upper directory made later. */
  readonly shadowDir: string;
  /** The working directory (inside the project). */
  readonly cwd: string;
  /** Top-level names copied (the write set), or 'all' when a write glob starts with a wildcard. */
  readonly copied: readonly string[] | 'all';
  /** Top-level directories that start empty (npm ci replaces node_modules). */
  readonly fresh: readonly string[];
  /** Absolute paths of hidden project entries: left out of the shadow. */
  readonly hidden: readonly string[];
  /** Project-relative files whose content the jail sees instead (the project .npmrc without credentials). */
  readonly replaced: ReadonlyMap<string, string>;
  /** Owner of everything made (the jail user), when root runs the jail as someone else. */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

export interface Shadow {
  readonly dir: string;
  /** Where the jail starts: the working directory's place in the shadow. */
  readonly cwd: string;
  /** Project entries the shadow links to (inside .git): the jail's read-only Landlock rules. */
  readonly readable: readonly string[];
  readonly made: ReadonlyMap<string, Made>;
}

/** The top-level names a list of write globs can touch: 'all' when one starts with a wildcard. Pure. */
export function copiedTops(writeGlobs: readonly string[]): string[] | 'all' {
  const tops = new Set<string>();
  for (const g of writeGlobs) {
    const first = g.split('/')[0]!;
    if (/[*?[{]/.test(first)) return 'all';
    tops.add(first);
  }
  return [...tops];
}

const within = (path: string, dir: string) => path === dir || path.startsWith(dir + '/');

export function createShadow(input: ShadowInput): Shadow {
  const made = new Map<string, Made>();
  const readable: string[] = [];
  const hidden = new Set(input.hidden);
  const cwdRel = relative(input.projectDir, input.cwd);
  const own = (path: string) => {
    if (input.owner) lchownSync(path, input.owner.uid, input.owner.gid);
  };
  const recordEntry = (rel: string) => {
    const st = lstatSync(join(input.shadowDir, rel), { bigint: true });
    made.set(rel, { kind: 'entry', ino: st.ino, ctimeNs: st.ctimeNs });
  };
  const makeDir = (rel: string, mode: number) => {
    const path = join(input.shadowDir, rel);
    if (rel !== '') mkdirSync(path, { mode: 0o700 });
    chmodSync(path, mode & 0o777);
    own(path);
  };
  const recordDir = (rel: string, children: string[], fresh = false) => {
    const st = lstatSync(join(input.shadowDir, rel), { bigint: true });
    made.set(rel, { kind: 'dir', ino: st.ino, children, ...(fresh ? { fresh } : {}) });
  };

  // A file whose content the jail sees instead of the project's (the .npmrc without credentials).
  const place = (rel: string, content: string) => {
    const to = join(input.shadowDir, rel);
    writeFileSync(to, content, { mode: 0o600 });
    own(to);
    recordEntry(rel);
  };

  // A full copy of a project entry, hidden entries left out; setuid and setgid bits dropped.
  const copy = (rel: string): boolean => {
    const from = join(input.projectDir, rel);
    if (hidden.has(from)) return false;
    const to = join(input.shadowDir, rel);
    const st = lstatSync(from);
    if (st.isDirectory()) {
      makeDir(rel, st.mode);
      const children = readdirSync(from).filter((name) => copy(join(rel, name)));
      recordDir(rel, children);
    } else if (st.isFile()) {
      copyFileSync(from, to, constants.COPYFILE_FICLONE);
      chmodSync(to, st.mode & 0o777);
      own(to);
      recordEntry(rel);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
      own(to);
      recordEntry(rel);
    } else return false; // devices, sockets, fifos: never part of an install
    return true;
  };

  // A file the jail user cannot write (by owner and mode) can be a hard link: the jail can
  // rename or delete its name in the shadow, never change its content. Others are copied.
  const linkable = (st: { uid: number; gid: number; mode: number }) =>
    input.owner !== undefined && st.uid !== input.owner.uid && !(st.gid === input.owner.gid && st.mode & 0o020) && !(st.mode & 0o002) && !(st.mode & 0o6000);

  // A project directory seen through the shadow: each entry copied, hard-linked, or (git's
  // own files, which no install reads code from) linked to and readable through a rule.
  const mirror = (rel: string, inGit: boolean): string[] => {
    const children: string[] = [];
    for (const name of readdirSync(join(input.projectDir, rel))) {
      const childRel = rel ? join(rel, name) : name;
      const from = join(input.projectDir, childRel);
      const to = join(input.shadowDir, childRel);
      const replacement = input.replaced.get(childRel);
      if (replacement !== undefined) {
        place(childRel, replacement);
        children.push(name);
        continue;
      }
      if (hidden.has(from)) continue;
      const st = lstatSync(from);
      const top = rel === '';
      const git = inGit || (top && name === '.git');
      if (top && input.fresh.includes(name) && st.isDirectory()) {
        makeDir(childRel, st.mode);
        recordDir(childRel, [], true);
      } else if (!git && (input.copied === 'all' || (top && input.copied.includes(name)))) {
        if (!copy(childRel)) continue;
      } else if (st.isSymbolicLink()) {
        // The project's own link, as it is: what it points to is readable only if another rule says so.
        symlinkSync(readlinkSync(from), to);
        own(to);
        recordEntry(childRel);
      } else if (git && !(st.isDirectory() && [...hidden].some((h) => within(h, from)))) {
        if (!st.isDirectory() && !st.isFile()) continue;
        symlinkSync(from, to);
        own(to);
        recordEntry(childRel);
        readable.push(from);
      } else if (st.isDirectory()) {
        makeDir(childRel, st.mode);
        recordDir(childRel, mirror(childRel, git));
      } else if (st.isFile()) {
        let linked = false;
        if (linkable(st)) {
          try {
            linkSync(from, to);
            linked = true;
          } catch {
            /* another file system, or not allowed: copy */
          }
        }
        if (!linked && !copy(childRel)) continue;
        if (linked) recordEntry(childRel);
      } else continue;
      children.push(name);
    }
    return children;
  };

  makeDir('', lstatSync(input.projectDir).mode);
  const top = mirror('', false);
  for (const [rel, content] of input.replaced) {
    if (rel.includes('/') || made.has(rel)) continue;
    place(rel, content);
    top.push(rel);
  }
  recordDir('', top);
  return { dir: input.shadowDir, cwd: join(input.shadowDir, cwdRel), readable, made };
}

/**
 * A copy of a path the user named outside the project, for the landlock backend's jail
 * to read where a path relative to the shadow leads (policy/named-paths.ts shadowLayout),
 * hidden entries left out. Nothing of it is ever committed: it is outside the shadow, and
 * the jail's Landlock rules let it only read there. `at` does not exist yet; its parent
 * is ours.
 *
 * When root runs the jail as another user, the copy is made by that user (`cp` with its
 * uid and gid, no supplementary groups): the named tree may be theirs to change while it
 * is copied, and root following a link planted there would put a file only root may read
 * into the jail's view. Otherwise (the jail runs as you) it is made as the shadow is:
 * real directories, the files copied.
 */
export function mirrorNamed(from: string, at: string, hidden: readonly string[], owner?: { readonly uid: number; readonly gid: number }): void {
  const st = lstatSync(from);
  if (!st.isDirectory() && !st.isFile()) return;
  if (!owner) {
    if (st.isDirectory()) {
      mkdirSync(at, { mode: 0o700 });
      createShadow({ projectDir: from, shadowDir: at, cwd: from, copied: [], fresh: [], hidden, replaced: new Map() });
    } else {
      copyFileSync(from, at, constants.COPYFILE_FICLONE);
      chmodSync(at, st.mode & 0o777);
    }
    return;
  }
  // The place is made by us and given to the user; the user fills it.
  if (st.isDirectory()) mkdirSync(at, { mode: 0o700 });
  else writeFileSync(at, '', { mode: 0o600, flag: 'wx' });
  lchownSync(at, owner.uid, owner.gid);
  const as = { uid: owner.uid, gid: owner.gid, stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[], encoding: 'utf8' as const, env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' } };
  const cp = spawnSync('/bin/cp', ['-dR', '--preserve=mode,timestamps', '--reflink=auto', '--', st.isDirectory() ? `${from}/.` : from, at], as);
  if (cp.status !== 0) throw new Error(`copying ${from} for the jail failed: ${(cp.stderr || cp.error?.message || '').trim()}`);
  const inCopy = hidden.filter((h) => h.startsWith(`${from}/`)).map((h) => join(at, h.slice(from.length + 1)));
  for (let i = 0; i < inCopy.length; i += 500) {
    const rm = spawnSync('/bin/rm', ['-rf', '--', ...inCopy.slice(i, i + 500)], as);
    if (rm.status !== 0) throw new Error(`leaving the hidden entries of ${from} out of its copy failed: ${(rm.stderr || rm.error?.message || '').trim()}`);
  }
}

function sameEntry(m: Made, st: BigIntStats): boolean {
  if (m.ino !== st.ino) return false;
  return m.kind === 'dir' ? st.isDirectory() : m.ctimeNs === st.ctimeNs;
}

/** True when the jail created or changed `rel` (a package folder written by this run). */
export function shadowTouched(shadow: Shadow, rel: string): boolean {
  const m = shadow.made.get(rel);
  if (!m) return true;
  try {
    if (!sameEntry(m, lstatSync(join(shadow.dir, rel), { bigint: true }))) return true;
    const manifest = shadow.made.get(join(rel, 'package.json'));
    return !manifest || !sameEntry(manifest, lstatSync(join(shadow.dir, rel, 'package.json'), { bigint: true }));
  } catch {
    return true;
  }
}

export interface UpperTools {
  /** sp-confine, which makes the 0:0 character devices that mark deletions. */
  readonly whiteout: string;
  readonly setfattr: string;
}

export interface UpperResult {
  readonly moved: number;
  readonly deleted: number;
}

/**
 * Turns what the jail did to the shadow into an overlay-style upper directory. `shadowDir`
 * must be out of the jail user's reach (secured) and `upperDir` an empty directory of ours
 * on the same file system.
 */
export function shadowToUpper(shadowDir: string, made: ReadonlyMap<string, Made>, projectDir: string, upperDir: string, tools: UpperTools): UpperResult {
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  let moved = 0;
  const ensureParent = (rel: string) => {
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = join(upperDir, ...parts.slice(0, i));
      try {
        mkdirSync(dir, { mode: lstatSync(join(shadowDir, ...parts.slice(0, i))).mode & 0o777 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  };
  const lowerIsDir = (rel: string) => {
    try {
      return lstatSync(join(projectDir, rel)).isDirectory();
    } catch {
      return false;
    }
  };
  const move = (rel: string, isDir: boolean) => {
    ensureParent(rel);
    renameSync(join(shadowDir, rel), join(upperDir, rel));
    // A directory that is not the one we made replaces the project's whole.
    if (isDir && lowerIsDir(rel)) opaque.push(join(upperDir, rel));
    moved++;
  };
  const walk = (rel: string, m: Extract<Made, { kind: 'dir' }>) => {
    const now = readdirSync(join(shadowDir, rel));
    if (m.fresh) {
      if (now.length > 0) move(rel, true);
      return;
    }
    for (const name of now) {
      const childRel = rel ? join(rel, name) : name;
      const st = lstatSync(join(shadowDir, childRel), { bigint: true });
      const rec = made.get(childRel);
      if (rec && sameEntry(rec, st)) {
        if (rec.kind === 'dir') walk(childRel, rec);
        continue;
      }
      move(childRel, st.isDirectory());
    }
    const present = new Set(now);
    for (const name of m.children) {
      if (present.has(name)) continue;
      const childRel = rel ? join(rel, name) : name;
      ensureParent(childRel);
      whiteouts.push(join(upperDir, childRel));
    }
  };
  const root = made.get('');
  if (!root || root.kind !== 'dir') throw new Error('the shadow has no record of its root');
  walk('', root);
  for (let i = 0; i < whiteouts.length; i += 500) {
    const r = spawnSync(tools.whiteout, ['--whiteout', ...whiteouts.slice(i, i + 500)], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot record deletions for review: ${(r.stderr || r.error?.message || '').trim()}`);
  }
  for (const dir of opaque) {
    const r = spawnSync(tools.setfattr, ['-h', '-n', 'user.overlay.opaque', '-v', 'y', '--', dir], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { LC_ALL: 'C' } });
    if (r.status !== 0) throw new Error(`cannot mark ${dir} as replacing the project's directory (setfattr): ${(r.stderr || r.error?.message || '').trim()}`);
  }
  return { moved, deleted: whiteouts.length };
}

/**
 * The jail worked in the shadow, at another path than the project's: package managers
 * that write the project's absolute path into generated launchers (pnpm's `.bin` shims
 * set NODE_PATH) wrote the shadow's. In the upper directory (ours, out of the jail's reach)
 * every regular file in a `.bin` directory under node_modules that names the shadow is
 * rewritten to name the project, as bare pnpm would have written it. Nothing else is
 * changed (docs/promises.md#p3-backends lists what still names the shadow). Returns the
 * files rewritten.
 */
export function rewriteShadowPaths(upperDir: string, shadowPath: string, projectDir: string): string[] {
  const rewritten: string[] = [];
  const walk = (rel: string, inNodeModules: boolean) => {
    let names: string[];
    try {
      names = readdirSync(join(upperDir, rel));
    } catch {
      return;
    }
    for (const name of names) {
      const childRel = rel ? join(rel, name) : name;
      const st = lstatSync(join(upperDir, childRel));
      if (st.isDirectory()) {
        if (name === '.bin' && inNodeModules) rewriteBin(childRel);
        else walk(childRel, inNodeModules || name === 'node_modules');
      }
    }
  };
  const rewriteBin = (rel: string) => {
    for (const name of readdirSync(join(upperDir, rel))) {
      const path = join(upperDir, rel, name);
      const st = lstatSync(path);
      if (!st.isFile() || st.nlink !== 1 || st.size > 1 << 20) continue;
      const fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
      try {
        const text = readFileSync(fd, 'latin1');
        if (!text.includes(shadowPath)) continue;
        const fixed = Buffer.from(text.split(shadowPath).join(projectDir), 'latin1');
        ftruncateSync(fd, 0);
        writeSync(fd, fixed, 0, fixed.length, 0);
        rewritten.push(join(rel, name));
      } finally {
        closeSync(fd);
      }
    }
  };
  walk('', false);
  return rewritten;
}
