// Lockfiles decide what the next install downloads without asking: a `resolved` URL
// pointed at another host, or another package manager's lockfile dropped next to the
// project's, changes what the user's next plain install runs.

import { foreignHost } from './hosts.js';
import { isJsonObject, parseStrictJson, type JsonValue } from './strict-json.js';

/** Lockfile names package managers read from the project root. */
export const KNOWN_LOCKFILES: readonly string[] = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
];

export function isKnownLockfile(path: string): boolean {
  return KNOWN_LOCKFILES.includes(path);
}

export type LockfileVerdict = { ok: true } | { ok: false; reason: string };

/** Checks the URLs a lockfile resolves packages to against the registry hosts. */
export function checkLockfile(name: string, text: string, registryHosts: readonly string[]): LockfileVerdict {
  let urls: string[];
  if (name.endsWith('.json')) {
    const parsed = parseStrictJson(text);
    if (!parsed.ok) return { ok: false, reason: `${name} is not valid JSON: ${parsed.error}` };
    urls = [];
    collectResolved(parsed.value, urls);
  } else if (name === 'yarn.lock') {
    urls = [...text.matchAll(/^\s+resolved:?\s+"?([^"\s]+)"?\s*$/gm)].map((m) => m[1]!);
  } else if (name === 'pnpm-lock.yaml') {
    // Registry packages carry only an integrity; others a tarball URL, or (git
    // dependencies) a repo, which may be written without a scheme (git@host:owner/repo).
    urls = [
      ...[...text.matchAll(/tarball:\s*['"]?([^'"\s,}]+)/g)].map((m) => m[1]!),
      ...[...text.matchAll(/\brepo:\s*['"]?([^'"\s,}]+)/g)].map((m) => repoUrl(m[1]!)),
    ];
  } else {
    urls = [...text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s"',}]+/gi)].map((m) => m[0]);
  }
  const foreign = new Set<string>();
  for (const url of urls) {
    // A local path, or a local git repository (git+file:, a path the user named).
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url) || /^(git\+)?file:/i.test(url)) continue;
    const host = foreignHost(url, registryHosts);
    if (host) foreign.add(host);
  }
  if (foreign.size > 0) {
    return {
      ok: false,
      reason: `${name} resolves packages from ${[...foreign].sort().slice(0, 5).join(', ')}, not from the registry (${registryHosts.join(', ')})`,
    };
  }
  return { ok: true };
}

/** A pnpm `repo:` as a URL whose host can be checked: scp-like and bare forms included. Pure. */
export function repoUrl(repo: string): string {
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.*)$/.exec(repo);
  if (scp && !/^[a-z][a-z0-9+.-]*$/i.test(scp[1]!) ) return `ssh://${scp[1]}/${scp[2]}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(repo)) return repo;
  return `https://${repo}`;
}

function collectResolved(v: JsonValue, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) collectResolved(x, out);
  } else if (isJsonObject(v)) {
    for (const k of Object.keys(v)) {
      const x = v[k]!;
      if (k === 'resolved' && typeof x === 'string') out.push(x);
      else collectResolved(x, out);
    }
  }
}
