// Where staged writes may land: the profile's `write` globs, plus paths that are never
// committed whatever the globs say.

import { compileGlobs, compileGlob } from '../util/glob.js';

const anchored = { basenameAnywhere: false } as const;

/**
 * Never committed, even when a (user-configured) write glob matches them: git hooks and
 * `core.fsmonitor` in .git/config run code at the user's next git command, and
 * safe-package's own project config would weaken the next run.
 */
const NEVER_COMMITTED = new Map<string, string>([
  ['.git', 'git metadata (hooks and core.fsmonitor run code at your next git command)'],
  ['.safe-package', "safe-package's own configuration (would weaken the next run)"],
]);

/**
 * Top-level names that deserve a specific explanation when discarded, and that no
 * committed symlink may point into (a later tool writing through the link would land
 * there).
 */
const SENSITIVE = new Map<string, string>([
  ...NEVER_COMMITTED,
  ['.github', 'CI configuration (a planted workflow runs with the repository secrets)'],
  ['.gitlab', 'CI configuration'],
  ['.gitlab-ci.yml', 'CI configuration'],
  ['.husky', 'git hooks'],
  ['.vscode', 'editor configuration (tasks can run when the folder is opened)'],
  ['.idea', 'editor configuration'],
  ['.npmrc', 'package manager configuration (registry, scripts, credentials)'],
  ['.yarnrc', 'package manager configuration'],
  ['.yarnrc.yml', 'package manager configuration'],
  ['.env', 'environment file (secrets)'],
  ['.envrc', 'direnv file (runs on cd)'],
]);

export interface WriteRules {
  /** May a file, symlink or deletion land at this path? Null when yes, else why not. */
  fileRefusal(path: string): string | null;
  /** May a directory be created (or kept) at this path? */
  dirRefusal(path: string): string | null;
  /** True when every path below `dir` is writable, so a subtree need not be listed. */
  coversEverythingUnder(dir: string): boolean;
  /** True when the path is in a top-level area no symlink may point into. */
  isSensitive(path: string): boolean;
}

export function writeRules(globs: readonly string[]): WriteRules {
  const matches = compileGlobs(globs, anchored);
  const rule = globs.length === 0 ? 'this profile commits no writes; add `write` globs to allow some' : `not covered by the write rules (${globs.join(', ')})`;
  const outside = (path: string): string => {
    const top = path.split('/')[0]!;
    const why = SENSITIVE.get(top);
    return why ? `${why}: ${rule}` : rule;
  };
  const never = (path: string): string | null => {
    const why = NEVER_COMMITTED.get(path.split('/')[0]!);
    return why ? `${why}: never committed` : null;
  };
  return {
    fileRefusal(path) {
      return never(path) ?? (matches(path) ? null : outside(path));
    },
    dirRefusal(path) {
      return (
        never(path) ??
        (matches(path) || globs.some((g) => couldMatchBelow(g, path)) ? null : outside(path))
      );
    },
    coversEverythingUnder(dir) {
      if (never(dir)) return false;
      return globs.some((g) => {
        if (g === '**') return true;
        if (!g.endsWith('/**')) return false;
        const base = compileGlob(g.slice(0, -3), anchored);
        const segs = dir.split('/');
        for (let n = 1; n <= segs.length; n++) {
          if (base.test(segs.slice(0, n).join('/'))) return true;
        }
        return false;
      });
    },
    isSensitive(path) {
      return SENSITIVE.has(path.split('/')[0]!);
    },
  };
}

/** Can `pattern` match some path strictly below `dir`? (Segment-wise, like the matcher.) */
export function couldMatchBelow(pattern: string, dir: string): boolean {
  const ps = pattern.split('/');
  const ds = dir === '' ? [] : dir.split('/');
  const memo = new Map<string, boolean>();
  const go = (pi: number, di: number): boolean => {
    const key = `${pi},${di}`;
    const seen = memo.get(key);
    if (seen !== undefined) return seen;
    let r: boolean;
    if (di === ds.length) r = pi < ps.length;
    else if (pi === ps.length) r = false;
    else if (ps[pi] === '**') r = go(pi + 1, di) || go(pi, di + 1);
    else r = compileGlob(ps[pi]!, anchored).test(ds[di]!) && go(pi + 1, di + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}
