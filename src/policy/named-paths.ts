// Paths the user names that lie outside the project (docs/promises.md#p5-staged-writes):
// a tarball beside it on the command line (`npm install ../x.tgz`), a `file:`/`link:`
// dependency in the manifest (`"lib": "file:../lib"`), a requirements file
// (`pip install -r ../requirements.txt`), a local git repository (`git+file:///srv/lib`). The jail sees each one read-only at its own
// path, never its parent directory, and with the hide patterns applied inside it; the
// summary says which were bound. Pure: the host's answers come in as functions.

import { isAbsolute, join, resolve, sep } from 'node:path';
import type { ProfileName } from '../profiles/types.js';

export interface NamedPathsInput {
  readonly profile: ProfileName;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly projectDir: string;
  readonly home: string;
  /** The project's package.json, when it has one. */
  readonly manifest?: string | undefined;
  /** realpath of an existing path; undefined when it does not exist. */
  readonly real: (path: string) => string | undefined;
}

export interface NamedPaths {
  /** Real, absolute paths to bind read-only, outermost only. */
  readonly bound: readonly string[];
  /** Paths named but not bound, with why (shown as warnings). */
  readonly refused: readonly string[];
}

const PATHLIKE = /^(\.{1,2}(\/|$)|\/)/;
const ARCHIVE = /\.(tgz|tar\.gz|tar|whl|zip)$/;

/** What a command line and a manifest name, as absolute paths (not yet checked). */
export function namedPathCandidates(input: Omit<NamedPathsInput, 'real'>): string[] {
  const out: string[] = [];
  const fromCwd = (p: string) => resolve(input.cwd, p);
  const node = input.profile === 'npm' || input.profile === 'pnpm' || input.profile === 'yarn';
  const args = input.args;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') continue;
    if (input.profile === 'pip') {
      const m = /^(-r|--requirement|-c|--constraint|-e|--editable)(?:=(.+))?$/.exec(a);
      if (m) {
        const value = m[2] ?? args[++i];
        // An editable install names a path or a VCS URL; requirement files are always paths.
        const editable = m[1] === '-e' || m[1] === '--editable';
        if (value !== undefined && (!editable || PATHLIKE.test(value))) out.push(fromCwd(value));
        continue;
      }
    }
    if (a.startsWith('-')) continue;
    const repo = node ? gitFilePath(a) : undefined;
    if (repo !== undefined) {
      out.push(repo);
      continue;
    }
    const value = node && /^(file|link):/.test(a) ? a.replace(/^(file|link):/, '') : a;
    if (PATHLIKE.test(value) || (ARCHIVE.test(value) && !value.includes('://'))) out.push(fromCwd(value));
  }
  if (node && input.manifest) {
    let m: Record<string, unknown> = {};
    try {
      m = JSON.parse(input.manifest) as Record<string, unknown>;
    } catch {
      /* an unreadable manifest names nothing; the package manager will say so */
    }
    for (const section of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      const deps = m[section];
      if (!deps || typeof deps !== 'object') continue;
      for (const spec of Object.values(deps as Record<string, unknown>)) {
        const repo = typeof spec === 'string' ? gitFilePath(spec) : undefined;
        if (repo !== undefined) out.push(repo);
        else if (typeof spec === 'string' && /^(file|link):/.test(spec)) {
          const path = spec.replace(/^(file|link):/, '');
          out.push(isAbsolute(path) ? path : resolve(input.projectDir, path));
        }
      }
    }
  }
  return [...new Set(out)];
}

/**
 * The repository a local git dependency names (`git+file:///srv/lib.git#main`): npm
 * clones it in the download phase, so the jail must see it. Only absolute file URLs (npm
 * accepts no other). Pure.
 */
export function gitFilePath(spec: string): string | undefined {
  const m = /^git\+file:\/\/(\/[^#]*)(?:#.*)?$/.exec(spec);
  if (!m) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  return path.split('/').some((c) => c === '..') || path.includes('\0') ? undefined : path;
}

const JAIL_OWN = ['/dev', '/proc', '/sys'];

const inside = (path: string, dir: string) => dir === '/' || path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** Which of the named paths the jail may see, and which not (with why). */
export function namedPaths(input: NamedPathsInput): NamedPaths {
  const bound: string[] = [];
  const refused: string[] = [];
  for (const candidate of namedPathCandidates(input)) {
    const real = input.real(candidate);
    if (real === undefined) continue; // the package manager reports what does not exist
    if (inside(real, input.projectDir)) continue; // the jail sees the project anyway
    // The jail has its own /dev, /proc and /sys: `curl --output /dev/null` names no file
    // to share, and binding the host's /dev/null read-only broke the write to it.
    if (JAIL_OWN.some((d) => inside(real, d))) continue;
    if (inside(input.projectDir, real) || inside(input.home, real)) {
      refused.push(`${candidate} was not made visible in the jail: it contains ${inside(input.home, real) ? 'your home directory' : 'the project'}`);
      continue;
    }
    bound.push(real);
  }
  const outermost = bound.filter((p) => !bound.some((q) => q !== p && inside(p, q)));
  return { bound: [...new Set(outermost)].sort(), refused };
}

/** How a bound path reads from the project (for the review of links such as `node_modules/lib -> ../../lib`). Pure. */
export function relativeFromProject(projectDir: string, path: string): string {
  const up: string[] = [];
  let dir = projectDir;
  while (!inside(path, dir)) {
    up.push('..');
    dir = dir.slice(0, dir.lastIndexOf('/')) || '/';
  }
  const rest = dir === '/' ? path.slice(1) : path.slice(dir.length + 1);
  return join(...up, rest);
}

export interface ShadowLayout {
  /** The shadow of the project, relative to the run directory. */
  readonly shadow: string;
  /** Each named path and where its copy goes, relative to the run directory. */
  readonly mirrors: readonly { readonly from: string; readonly at: string }[];
  /** Folders between the run directory and the shadow or a copy, outermost first (ours, made before them). */
  readonly dirs: readonly string[];
}

/**
 * Where the landlock backend puts the project's shadow and the copies of the named paths,
 * so that a path relative to the project (`npm install ../x.tgz`, `file:../common`) leads
 * from the shadow to the copy of what it names, and what npm writes relative to the
 * project (the saved `file:../x.tgz`, the link `node_modules/common -> ../../common`, the
 * lockfile's `resolved`) is what it writes bare: the shadow sits as deep below a folder
 * of the run directory as the project below the common ancestor of it and the named
 * paths, and each copy at its own place below that folder. Without named paths the
 * shadow is `shadow`, as always. Pure.
 */
export function shadowLayout(projectDir: string, named: readonly string[]): ShadowLayout {
  if (named.length === 0) return { shadow: 'shadow', mirrors: [], dirs: [] };
  const up = Math.max(...named.map((n) => relativeFromProject(projectDir, n).split('/').filter((c) => c === '..').length));
  let ancestor = projectDir;
  for (let i = 0; i < up; i++) ancestor = ancestor.slice(0, ancestor.lastIndexOf('/')) || '/';
  const under = (path: string) => join('shadow-view', ancestor === '/' ? path.slice(1) : path.slice(ancestor.length + 1));
  const shadow = under(projectDir);
  const mirrors = named.map((from) => ({ from, at: under(from) }));
  const dirs = new Set<string>(['shadow-view']);
  for (const target of [shadow, ...mirrors.map((m) => m.at)]) {
    const parts = target.split('/');
    for (let i = 2; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return { shadow, mirrors, dirs: [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b)) };
}
