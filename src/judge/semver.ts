// Just enough of semantic versioning to match advisories: parse, compare, and the range
// syntax registries write in `vulnerable_versions` (`<1.2.3`, `>=1.0.0 <1.4.2 || 2.0.0`,
// `^1.2`, `~0.3.1`, `1.x`, `*`, `1.0.0 - 1.2.0`). Pure.
//
// Unlike node-semver's default, prerelease versions are matched by any range that
// contains them by order (`1.2.4-beta` is in `<1.3.0`): for a security list, matching
// more is the safe side.

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly (string | number)[];
}

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): SemVer | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const pre = m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre };
}

export function compareVersions(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  readonly op: Op;
  readonly v: SemVer;
}

const v = (major: number, minor: number, patch: number, pre: (string | number)[] = []): SemVer => ({ major, minor, patch, pre });
/** The lowest version of a release line: `<2.0.0-0` excludes 2.0.0's prereleases too. */
const floor = (major: number, minor: number, patch: number) => v(major, minor, patch, [0]);

interface Partial {
  readonly major?: number;
  readonly minor?: number;
  readonly patch?: number;
  readonly pre: (string | number)[];
}

function parsePartial(text: string): Partial | undefined {
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text);
  if (!m) return undefined;
  const num = (s: string | undefined) => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  const major = num(m[1]);
  const minor = major === undefined ? undefined : num(m[2]);
  const patch = minor === undefined ? undefined : num(m[3]);
  const pre = patch !== undefined && m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  return { ...(major !== undefined ? { major } : {}), ...(minor !== undefined ? { minor } : {}), ...(patch !== undefined ? { patch } : {}), pre };
}

function comparatorsOf(op: string, p: Partial): Comparator[] | undefined {
  const { major, minor, patch } = p;
  if (major === undefined) return op === '<' || op === '>' ? [{ op: '<', v: v(0, 0, 0, [0]) }] : [];
  const full = minor !== undefined && patch !== undefined;
  const exact = full ? v(major, minor, patch, p.pre) : undefined;
  // [low, high): the versions a partial stands for.
  const low = v(major, minor ?? 0, patch ?? 0, exact ? p.pre : []);
  const high = minor === undefined ? floor(major + 1, 0, 0) : patch === undefined ? floor(major, minor + 1, 0) : undefined;
  switch (op) {
    case '':
    case '=':
      return exact ? [{ op: '=', v: exact }] : [{ op: '>=', v: low }, { op: '<', v: high! }];
    case '>=':
      return [{ op: '>=', v: low }];
    case '>':
      return exact ? [{ op: '>', v: exact }] : [{ op: '>=', v: high! }];
    case '<':
      return [{ op: '<', v: exact ?? v(low.major, low.minor, low.patch, [0]) }];
    case '<=':
      return exact ? [{ op: '<=', v: exact }] : [{ op: '<', v: high! }];
    case '~':
    case '~>':
      return [{ op: '>=', v: low }, { op: '<', v: minor === undefined ? floor(major + 1, 0, 0) : floor(major, minor + 1, 0) }];
    case '^': {
      const upper =
        major > 0 || minor === undefined ? floor(major + 1, 0, 0) : minor > 0 || patch === undefined ? floor(0, minor + 1, 0) : floor(0, 0, patch + 1);
      return [{ op: '>=', v: low }, { op: '<', v: upper }];
    }
    default:
      return undefined;
  }
}

/** One `||` alternative as comparators; undefined when it cannot be read. */
function parseAlternative(text: string): Comparator[] | undefined {
  const t = text.trim().replace(/(<=|>=|<|>|=|\^|~>|~)\s+/g, '$1');
  if (t === '' || t === '*' || t === 'x' || t === 'X' || t === 'latest') return [];
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(t);
  if (hyphen) {
    const a = parsePartial(hyphen[1]!);
    const b = parsePartial(hyphen[2]!);
    if (!a || !b) return undefined;
    const lo = comparatorsOf('>=', a);
    const hi = comparatorsOf('<=', b);
    return lo && hi ? [...lo, ...hi] : undefined;
  }
  const out: Comparator[] = [];
  for (const part of t.split(/\s+/)) {
    const m = /^(<=|>=|<|>|=|\^|~>|~)?(.*)$/.exec(part)!;
    const p = parsePartial(m[2]!);
    if (!p) return undefined;
    const cs = comparatorsOf(m[1] ?? '', p);
    if (!cs) return undefined;
    out.push(...cs);
  }
  return out;
}

function test(c: Comparator, x: SemVer): boolean {
  const r = compareVersions(x, c.v);
  switch (c.op) {
    case '<':
      return r < 0;
    case '<=':
      return r <= 0;
    case '>':
      return r > 0;
    case '>=':
      return r >= 0;
    case '=':
      return r === 0;
  }
}

/**
 * Does `version` fall in `range`? Undefined when either cannot be read (the caller
 * decides which side to err on).
 */
export function satisfies(version: string, range: string): boolean | undefined {
  const x = parseVersion(version);
  if (!x) return undefined;
  let readable = false;
  for (const alt of range.split('||')) {
    const cs = parseAlternative(alt);
    if (!cs) continue;
    readable = true;
    if (cs.every((c) => test(c, x))) return true;
  }
  return readable ? false : undefined;
}
