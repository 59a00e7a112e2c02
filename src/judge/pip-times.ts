// Upload times of Python distributions, from the user's own package indexes, fetched by
// safe-package outside the jail (credentials go into an Authorization header, never the
// jail, a URL shown or a log line), cached on disk.
//
//   1. The index's project page as PEP 691 JSON (`Accept: application/vnd.pypi.simple.v1+json`):
//      each file's `upload-time` (PEP 700, simple API 1.1; PyPI serves it).
//   2. For pypi.org only, when the page carries no upload times: PyPI's JSON API,
//      `/pypi/NAME/VERSION/json`, `urls[].upload_time_iso_8601`.
//
// A version's upload time is that of its NEWEST file: a wheel added to an old release
// last night is as young as last night (PyPI lets a project add files to a release at
// any time). Several indexes (extra-index-url): the newest time any of them gives, for
// the same reason.
//
// Cache: <dir>/pypi/<sha256 of index + name>.json, mode 600, in safe-package's own cache.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pool, requestJson } from './http.js';
import { shownUrl, type RegistryConfig } from './registry.js';
import { normalizePipName } from './pip-dists.js';
import type { ResolvedPackage } from './lockfile.js';
import type { PublishFact } from './verdict.js';
import type { TimesResult } from './metadata.js';

export const PEP691_JSON = 'application/vnd.pypi.simple.v1+json';

/** One index as the judgement asks it: its URL without credentials, and the request settings (secret auth inside). */
export interface PipIndexRef {
  readonly url: string;
  readonly config: RegistryConfig;
}

const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

/** An index URL as the user configured it (maybe `https://user:token@host/simple`) → what the judgement asks. Pure. */
export function pipIndexRef(raw: string, env: Readonly<Record<string, string | undefined>> = {}): PipIndexRef | undefined {
  // pip expands ${VAR} in its configuration; the judgement does the same.
  const expanded = raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n: string) => env[n] ?? '');
  let u: URL;
  try {
    u = new URL(expanded);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const auth: Record<string, string> = {};
  if (u.username || u.password) {
    const secret = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
    u.username = '';
    u.password = '';
    // Every path of that host: the project pages and PyPI's JSON API beside them.
    auth[`//${u.host}/`] = `Basic ${secret}`;
  }
  const url = slash(u.href);
  return { url, config: { registry: url, scopes: {}, auth, insecure: false } };
}

/** The version in a distribution's file name, for the (normalised) project it belongs to. Pure. */
export function versionOfFile(filename: string, project: string): string | undefined {
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    if (parts.length < 5 || normalizePipName(parts[0]!) !== project) return undefined;
    return parts[1]!.replace(/_/g, '-');
  }
  const stem = filename.replace(/\.(tar\.gz|tar\.bz2|tgz|zip|tar)$/i, '');
  if (stem === filename) return undefined;
  // Old sdists keep the separators of the project's name: try every dash.
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    if (normalizePipName(stem.slice(0, i)) === project) return stem.slice(i + 1);
  }
  return undefined;
}

/** PEP 440 spellings that mean the same version, enough to match METADATA to file names. Pure. */
export function canonicalPipVersion(v: string): string {
  return v.trim().toLowerCase().replace(/^v/, '').replace(/_/g, '-');
}

/**
 * Upload times by version from a PEP 691 project page: the newest file's time per
 * version; a version with a file without `upload-time` maps to undefined (not known). Pure.
 */
export function uploadTimesOfPage(page: unknown, project: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const files = (page as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return out;
  for (const f of files) {
    if (typeof f !== 'object' || f === null) continue;
    const { filename, 'upload-time': at } = f as { filename?: unknown; 'upload-time'?: unknown };
    if (typeof filename !== 'string') continue;
    const v = versionOfFile(filename, project);
    if (v === undefined) continue;
    const key = canonicalPipVersion(v);
    const t = typeof at === 'string' && Number.isFinite(Date.parse(at)) ? at : undefined;
    if (out.has(key) && out.get(key) === undefined) continue;
    if (t === undefined) out.set(key, undefined);
    else {
      const prev = out.get(key);
      out.set(key, prev === undefined || Date.parse(t) > Date.parse(prev) ? t : prev);
    }
  }
  return out;
}

/** The newest `upload_time_iso_8601` of PyPI's JSON API answer for one version. Pure. */
export function uploadTimeOfPypiJson(doc: unknown): string | undefined {
  const urls = (doc as { urls?: unknown } | null)?.urls;
  if (!Array.isArray(urls) || urls.length === 0) return undefined;
  let newest: string | undefined;
  for (const u of urls) {
    const t = (u as { upload_time_iso_8601?: unknown } | null)?.upload_time_iso_8601;
    if (typeof t !== 'string' || !Number.isFinite(Date.parse(t))) return undefined;
    if (newest === undefined || Date.parse(t) > Date.parse(newest)) newest = t;
  }
  return newest;
}

const isPypi = (index: string) => {
  try {
    return new URL(index).hostname === 'pypi.org';
  } catch {
    return false;
  }
};

interface CacheEntry {
  readonly v: 1;
  readonly index: string;
  readonly name: string;
  readonly time: Record<string, string>;
}

function cacheFile(dir: string, index: string, name: string): string {
  return join(dir, 'pypi', `${createHash('sha256').update(`${index}\0${name}`).digest('hex')}.json`);
}

function readCache(file: string, index: string, name: string): Record<string, string> | undefined {
  try {
    const e = JSON.parse(readFileSync(file, 'utf8')) as CacheEntry;
    if (e.v === 1 && e.index === index && e.name === name && typeof e.time === 'object' && e.time !== null) return e.time;
  } catch {
    /* absent or damaged: ask again */
  }
  return undefined;
}

function writeCache(dir: string, file: string, entry: CacheEntry): void {
  try {
    mkdirSync(join(dir, 'pypi'), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    /* a cache that cannot be written only costs time */
  }
}

/** What one index says about one project's versions: times, or why not. */
async function askIndex(index: PipIndexRef, name: string, versions: readonly string[]): Promise<{ times: Map<string, string | undefined>; error?: string }> {
  const r = await requestJson(`${index.url}${encodeURIComponent(name)}/`, { method: 'GET', config: index.config, accept: `${PEP691_JSON}, application/json;q=0.5` });
  if (r.status === 404) return { times: new Map() };
  if (r.status !== 200) return { times: new Map(), error: `HTTP ${r.status} from ${shownUrl(index.url)} for ${name}` };
  let times = new Map<string, string | undefined>();
  try {
    times = uploadTimesOfPage(JSON.parse(r.body.toString('utf8')), name);
  } catch {
    // An HTML page (PEP 503 only): no upload times in it.
  }
  if (isPypi(index.url)) {
    for (const v of versions) {
      if (times.get(canonicalPipVersion(v)) !== undefined) continue;
      const j = await requestJson(`https://pypi.org/pypi/${encodeURIComponent(name)}/${encodeURIComponent(v)}/json`, { method: 'GET', config: index.config });
      if (j.status !== 200) continue;
      const t = uploadTimeOfPypiJson(JSON.parse(j.body.toString('utf8')));
      if (t) times.set(canonicalPipVersion(v), t);
    }
  }
  return { times };
}

/** Upload times of every distribution, by `name@version`. Errors become facts, never exceptions. */
export async function uploadTimes(packages: readonly ResolvedPackage[], indexes: readonly PipIndexRef[], cacheDir: string | undefined): Promise<TimesResult> {
  const byName = new Map<string, string[]>();
  for (const p of packages) (byName.get(p.name) ?? byName.set(p.name, []).get(p.name)!).push(p.version);
  const published = new Map<string, PublishFact>();
  let fetched = 0;
  let cached = 0;
  const shown = indexes.map((i) => shownUrl(i.url)).join(', ') || 'no index';
  await pool([...byName.entries()], 8, async ([name, versions]) => {
    const newest = new Map<string, string>();
    const errors: string[] = [];
    for (const index of indexes) {
      const file = cacheDir ? cacheFile(cacheDir, index.url, name) : undefined;
      let known = file ? readCache(file, index.url, name) : undefined;
      if (known && versions.every((v) => known![canonicalPipVersion(v)] !== undefined)) cached++;
      else {
        fetched++;
        try {
          const a = await askIndex(index, name, versions);
          if (a.error) errors.push(a.error);
          known = {};
          for (const [v, t] of a.times) if (t !== undefined) known[v] = t;
          if (file && cacheDir && !a.error) writeCache(cacheDir, file, { v: 1, index: index.url, name, time: known });
        } catch (err) {
          errors.push((err as Error).message);
          continue;
        }
      }
      for (const [v, t] of Object.entries(known)) {
        const prev = newest.get(v);
        if (prev === undefined || Date.parse(t) > Date.parse(prev)) newest.set(v, t);
      }
    }
    for (const v of versions) {
      const t = newest.get(canonicalPipVersion(v));
      published.set(
        `${name}@${v}`,
        t !== undefined ? { time: t } : { error: errors.length ? errors.join('; ') : `no upload time for ${name}==${v} from ${shown} (the index serves no PEP 691 JSON with upload-time)` },
      );
    }
  });
  return { published, fetched, cached };
}
