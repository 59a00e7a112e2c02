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

const cache = new Map<string, RegExp>();

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Translates one glob into an anchored regular expression. */
export function globToRegExp(pattern: string, options: GlobOptions): RegExp {
  const key = `${options.basenameAnywhere ? 'b' : 'a'}:${pattern}`;
  const cached = cache.get(key);
  if (cached) return cached;

  let source = pattern;
  if (options.basenameAnywhere && !pattern.includes('/')) source = `**/${pattern}`;

  let out = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '*') {
      if (source[i + 1] === '*') {
        const atStart = i === 0 || source[i - 1] === '/';
        const next = source[i + 2];
        if (atStart && next === '/') {
          // `**/` — zero or more whole directories.
          out += '(?:[^/]*/)*';
          i += 2;
          continue;
        }
        if (atStart && next === undefined) {
          // trailing `/**` — everything below (the directory itself is matched by the caller
          // asking for `dir`, see matchesOrContains).
          out += '.*';
          i += 1;
          continue;
        }
        out += '[^/]*';
        i += 1;
        continue;
      }
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else {
      out += escapeRegExp(ch);
    }
  }
  const re = new RegExp(`^${out}$`, 's');
  cache.set(key, re);
  return re;
}

export function compileGlobs(patterns: readonly string[], options: GlobOptions): Matcher {
  const res = patterns.map((p) => globToRegExp(p, options));
  return (relPath: string) => res.some((re) => re.test(relPath));
}

/** For flat names such as environment variables: `LC_*`, `npm_config_?ache`. */
export function matchName(pattern: string, name: string): boolean {
  return globToRegExp(pattern, { basenameAnywhere: false }).test(name);
}

/** True when a glob has a wildcard in it (used to tell literal keep_env names from globs). */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}
