// What a lockfile resolved: the registry packages, by name and version. Pure readers of
// text; the files are found by judge/tree.ts.
//
//   package-lock.json / npm-shrinkwrap.json / node_modules/.package-lock.json (npm's
//   record of what is on disk): `packages` entries with a `version` and a registry
//   `resolved` URL. Links, workspace folders, bundled dependencies (they come inside
//   their parent's tarball), `file:` and git sources are not registry versions.
//   pnpm-lock.yaml (v5 to v9): the keys of the top-level `packages:` map.

export interface ResolvedPackage {
  readonly name: string;
  readonly version: string;
}

export class LockfileError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A package's name from its place in the tree: `node_modules/a/node_modules/@s/b` → `@s/b`. */
export function nameFromLockPath(path: string): string | undefined {
  const i = path.lastIndexOf('node_modules/');
  if (i === -1) return undefined;
  const name = path.slice(i + 'node_modules/'.length);
  return /^(@[^/]+\/)?[^/@]+$/.test(name) ? name : undefined;
}

/**
 * A registry version: its `resolved` is a tarball URL (not a git, file or link source),
 * or absent (`omit-lockfile-registry-resolved=true` leaves registry URLs out) with a
 * plain version number.
 */
function fromRegistry(resolved: unknown, version: string): boolean {
  if (resolved === undefined) return /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version);
  return typeof resolved === 'string' && /^https?:\/\//i.test(resolved);
}

/** npm's lockfile (v1 `dependencies` too, for old projects). Throws LockfileError when it is not JSON. */
export function npmLockPackages(text: string, file = 'package-lock.json'): ResolvedPackage[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new LockfileError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new LockfileError(`${file} is not a JSON object`);
  const out: ResolvedPackage[] = [];
  if (isObject(doc.packages)) {
    for (const [path, entry] of Object.entries(doc.packages)) {
      if (path === '' || !isObject(entry)) continue;
      if (entry.link === true || entry.inBundle === true) continue;
      if (typeof entry.version !== 'string' || !fromRegistry(entry.resolved, entry.version)) continue;
      const name = typeof entry.name === 'string' ? entry.name : nameFromLockPath(path);
      if (name) out.push({ name, version: entry.version });
    }
    return out;
  }
  // lockfileVersion 1: nested `dependencies`.
  const walk = (deps: unknown) => {
    if (!isObject(deps)) return;
    for (const [name, entry] of Object.entries(deps)) {
      if (!isObject(entry)) continue;
      if (entry.bundled !== true && typeof entry.version === 'string' && fromRegistry(entry.resolved, entry.version)) out.push({ name, version: entry.version });
      walk(entry.dependencies);
    }
  };
  walk(doc.dependencies);
  return out;
}

/**
 * pnpm-lock.yaml: the keys of `packages:` (`/name@1.0.0`, `/@s/n@1.0.0(peer@2)`, v5's
 * `/name/1.0.0`, v9's `name@1.0.0`). Entries whose resolution is a tarball URL outside
 * the registry, a directory or git are left out by their key (`name@file:`, `name@https:`).
 */
export function pnpmLockPackages(text: string): ResolvedPackage[] {
  const out: ResolvedPackage[] = [];
  let inPackages = false;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\S/.test(raw)) {
      inPackages = /^packages:\s*$/.test(raw);
      continue;
    }
    if (!inPackages) continue;
    const m = /^ {2}(['"]?)(\S.*?)\1:\s*$/.exec(raw);
    if (!m) continue;
    const p = pnpmKey(m[2]!);
    if (p) out.push(p);
  }
  return out;
}

/** One pnpm `packages:` key as name and version; undefined for non-registry sources. Pure. */
export function pnpmKey(key: string): ResolvedPackage | undefined {
  let k = key.replace(/\(.*$/, ''); // peer suffixes
  if (k.startsWith('/')) k = k.slice(1);
  // v9/v6: name@version
  const at = k.lastIndexOf('@');
  if (at > 0) {
    const name = k.slice(0, at);
    const version = k.slice(at + 1);
    if (/^\d+\.\d+\.\d+/.test(version) && /^(@[^/]+\/)?[^/@]+$/.test(name)) return { name, version: version.replace(/_.*$/, '') };
    return undefined;
  }
  // v5: name/version
  const m = /^((?:@[^/]+\/)?[^/@]+)\/(\d+\.\d+\.\d+[^/]*)$/.exec(k);
  return m ? { name: m[1]!, version: m[2]!.replace(/_.*$/, '') } : undefined;
}

/** One entry per name@version, in a stable order. */
export function uniquePackages(list: readonly ResolvedPackage[]): ResolvedPackage[] {
  const seen = new Map<string, ResolvedPackage>();
  for (const p of list) seen.set(`${p.name}@${p.version}`, p);
  return [...seen.values()].sort((a, b) => (a.name === b.name ? (a.version < b.version ? -1 : 1) : a.name < b.name ? -1 : 1));
}

/**
 * yarn.lock (v1): each entry's header names its specs (`"a@^1", a@~1.2:`), then
 * `  version "1.2.3"` and `  resolved "https://…"`. Entries without a registry
 * `resolved` URL (file:, git, workspaces) are left out. Yarn 2+'s lockfile (YAML with
 * `resolution: "a@npm:1.2.3"`) is read through the same fields.
 */
export function yarnLockPackages(text: string): ResolvedPackage[] {
  const out: ResolvedPackage[] = [];
  let name: string | undefined;
  let version: string | undefined;
  let registry = false;
  const flush = () => {
    if (name && version && registry) out.push({ name, version });
    name = version = undefined;
    registry = false;
  };
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    if (/^\S/.test(raw)) {
      flush();
      const first = raw.replace(/:\s*$/, '').split(',')[0]!.trim().replace(/^"|"$/g, '');
      const at = first.indexOf('@', 1);
      name = at > 0 ? first.slice(0, at) : undefined;
      continue;
    }
    const v = /^\s+version:?\s+"?([^"\s]+)"?\s*$/.exec(raw);
    if (v) version = v[1];
    const r = /^\s+resolved:?\s+"?([^"\s]+)"?\s*$/.exec(raw);
    if (r && /^https?:\/\//i.test(r[1]!)) registry = true;
    const res = /^\s+resolution:\s+"?(.+?)@npm:([^"\s]+)"?\s*$/.exec(raw);
    if (res) {
      name = res[1];
      version = res[2];
      registry = true;
    }
  }
  flush();
  return out;
}
