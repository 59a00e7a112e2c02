// Glob patterns used across policy: `write` rules, `hide` rules and `keep_env` names.
//
// One small matcher rather than a dependency: the semantics are few and must be exact,
// because a pattern that matches more than the user meant is a hole in the jail.
//
//   *    any run of characters except '/'
//   **   any run of characters including '/' (as a whole path segment: `a/**`, `**/b`)
//   ?    one character except '/'
//   every other character matches itself (no classes, no braces, no negation)
//
// Paths are relative, '/'-separated, without a leading './'.

export interface GlobOptions {
  /**
   * When true, a pattern without '/' matches the base name at any depth, the way a
   * .gitignore line does (`.env` hides `config/.env` too). When false, every pattern
   * is anchored at the root (`package.json` is only the top-level manifest).
   */
  readonly basenameAnywhere: boolean;
}

export type Matcher = (relPath: string) => boolean;

/** One compiled glob: `test(path)` says whether it matches. */
export interface Glob {
  test(relPath: string): boolean;
}

// Patterns come from untrusted places (a project's config file, for `hide`), so matching
// must never backtrack exponentially: a regular expression built from `**/**/**/...`
// did (ten of them took seconds on one deep path). Here a pattern is a list of segments;
// `**` segments are matched by a table over (pattern segment, path segment), so the work
// is at most segments × segments, and a segment with `*` and `?` by a table over its
// characters. No regular expression is ever built from a pattern.

type Segment = { readonly kind: 'any-depth' } | { readonly kind: 'name'; readonly glob: string };

const cache = new Map<string, Glob>();

/** `*` and `?` within one path segment, linear-space dynamic programming. Pure. */
export function matchSegment(glob: string, name: string): boolean {
  // prev[j]: glob[0..i) matches name[0..j).
  let prev = new Array<boolean>(name.length + 1).fill(false);
  prev[0] = true;
  for (let i = 0; i < glob.length; i++) {
    const g = glob[i]!;
    const cur = new Array<boolean>(name.length + 1).fill(false);
    if (g === '*') {
      cur[0] = prev[0]!;
      for (let j = 1; j <= name.length; j++) cur[j] = prev[j]! || cur[j - 1]!;
    } else {
      for (let j = 1; j <= name.length; j++) cur[j] = prev[j - 1]! && (g === '?' || g === name[j - 1]);
    }
    prev = cur;
  }
  return prev[name.length]!;
}

function segmentsOf(pattern: string): Segment[] {
  const parts = pattern.split('/');
  return parts.map((part) => {
    // `**` is "any depth" only as a whole segment; elsewhere it is `*` (as globstar does).
    if (part === '**') return { kind: 'any-depth' as const };
    return { kind: 'name' as const, glob: part.replace(/\*\*+/g, '*') };
  });
}

/** Compiles one glob. Anchored at the root unless `basenameAnywhere` and it has no '/'. */
export function compileGlob(pattern: string, options: GlobOptions): Glob {
  const key = `${options.basenameAnywhere ? 'b' : 'a'}:${pattern}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const source = options.basenameAnywhere && !pattern.includes('/') ? `**/${pattern}` : pattern;
  const segs = segmentsOf(source);
  const trailingAnyDepth = segs.length > 1 && segs[segs.length - 1]!.kind === 'any-depth';
  const glob: Glob = {
    test(relPath: string): boolean {
      const path = relPath.split('/');
      const memo = new Map<number, boolean>();
      const go = (pi: number, si: number): boolean => {
        const key = pi * (path.length + 1) + si;
        const known = memo.get(key);
        if (known !== undefined) return known;
        let r: boolean;
        if (pi === segs.length) r = si === path.length;
        else {
          const seg = segs[pi]!;
          if (seg.kind === 'any-depth') {
            // A trailing `dir/**` is everything below dir (at least one segment), never dir itself.
            const last = pi === segs.length - 1;
            if (last && trailingAnyDepth) r = si < path.length;
            else {
              r = false;
              for (let k = si; k <= path.length && !r; k++) r = go(pi + 1, k);
            }
          } else r = si < path.length && matchSegment(seg.glob, path[si]!) && go(pi + 1, si + 1);
        }
        memo.set(key, r);
        return r;
      };
      return go(0, 0);
    },
  };
  cache.set(key, glob);
  return glob;
}

export function compileGlobs(patterns: readonly string[], options: GlobOptions): Matcher {
  const globs = patterns.map((p) => compileGlob(p, options));
  return (relPath: string) => globs.some((g) => g.test(relPath));
}

/** For flat names such as environment variables: `LC_*`, `npm_config_?ache`. */
export function matchName(pattern: string, name: string): boolean {
  return matchSegment(pattern.replace(/\*\*+/g, '*'), name) && !name.includes('/');
}

/** True when a glob has a wildcard in it (used to tell literal keep_env names from globs). */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}
