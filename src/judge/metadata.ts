// Publish times from the registry's package metadata (`GET <registry>/<name>`, field
// `time[version]`), fetched outside the jail, cached on disk. A version's publish time
// never changes once it is published, so a cached time is good forever; a version the
// cache does not know sends one request for the whole document again.
//
// Cache: <dir>/meta/<sha256 of registry + name>.json, mode 600, in a directory the jail
// never sees (safe-package's own cache, not the profile caches bound into the jail).

import { pool, requestJson } from './http.js';
import { packumentUrl, registryFor, type RegistryConfig } from './registry.js';
import type { ResolvedPackage } from './lockfile.js';
import type { PublishFact } from './verdict.js';
import { timeCache } from './time-cache.js';

export const METADATA_CONCURRENCY = 8;

export interface TimesResult {
  readonly published: Map<string, PublishFact>;
  readonly fetched: number;
  readonly cached: number;
}


/** The `time` map of a packument, versions only (not `created`/`modified`). Pure. */
export function versionTimes(packument: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof packument !== 'object' || packument === null) return out;
  const time = (packument as { time?: unknown }).time;
  const versions = (packument as { versions?: unknown }).versions;
  if (typeof time !== 'object' || time === null) return out;
  for (const [k, v] of Object.entries(time as Record<string, unknown>)) {
    if (k === 'created' || k === 'modified' || typeof v !== 'string') continue;
    if (typeof versions === 'object' && versions !== null && !(k in versions)) continue;
    out[k] = v;
  }
  return out;
}

/** Publish times of every package, by `name@version`. Errors become facts, never exceptions. */
export async function publishTimes(packages: readonly ResolvedPackage[], config: RegistryConfig, cacheDir: string | undefined): Promise<TimesResult> {
  const byName = new Map<string, string[]>();
  for (const p of packages) (byName.get(p.name) ?? byName.set(p.name, []).get(p.name)!).push(p.version);
  const published = new Map<string, PublishFact>();
  let fetched = 0;
  let cached = 0;
  await pool([...byName.entries()], METADATA_CONCURRENCY, async ([name, versions]) => {
    const registry = registryFor(config, name);
    const cache = cacheDir ? timeCache(cacheDir, 'meta') : undefined;
    let times = cache?.read(registry, name);
    if (times && versions.every((v) => times![v] !== undefined)) {
      cached++;
    } else {
      fetched++;
      try {
        const r = await requestJson(packumentUrl(registry, name), { method: 'GET', config });
        if (r.status !== 200) {
          for (const v of versions) published.set(`${name}@${v}`, { error: `HTTP ${r.status} from ${registry} for ${name}` });
          return;
        }
        times = versionTimes(JSON.parse(r.body.toString('utf8')));
        if (cache) cache.write(registry, name, times);
      } catch (err) {
        for (const v of versions) published.set(`${name}@${v}`, { error: (err as Error).message });
        return;
      }
    }
    for (const v of versions) {
      const t = times[v];
      published.set(`${name}@${v}`, t !== undefined ? { time: t } : { error: `${registry} lists no publish time for ${name}@${v}` });
    }
  });
  return { published, fetched, cached };
}
