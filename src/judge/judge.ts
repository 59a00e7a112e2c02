// The judgement of one resolved tree, end to end: publish times and advisories fetched
// (the edges: metadata.ts, the bulk endpoint, the OSV directory), then the pure verdict.

import { bulkHits, bulkRequestBody, loadOsvDirectory, osvHits, type AdvisoryHit } from './advisories.js';
import { requestJson } from './http.js';
import { publishTimes } from './metadata.js';
import { registryFor, shownUrl, type RegistryConfig } from './registry.js';
import { isExcluded, judge, key, type AdvisoryStatus, type Judgement, type PublishFact } from './verdict.js';
import type { ResolvedPackage } from './lockfile.js';
import type { JudgeSettings } from './settings.js';

export interface JudgeInput {
  readonly packages: readonly ResolvedPackage[];
  readonly lockfiles: readonly string[];
  readonly settings: JudgeSettings;
  readonly registry: RegistryConfig;
  /** Metadata cache directory (safe-package's own, outside every jail); none: no cache. */
  readonly cacheDir?: string;
  readonly now?: number;
}

const ADVISORY_PATH = '-/npm/v1/security/advisories/bulk';

/** Asks each registry in use for advisories on its packages. */
export async function fetchAdvisories(packages: readonly ResolvedPackage[], config: RegistryConfig): Promise<{ hits: AdvisoryHit[]; status: AdvisoryStatus }> {
  const byRegistry = new Map<string, ResolvedPackage[]>();
  for (const p of packages) {
    const r = registryFor(config, p.name);
    (byRegistry.get(r) ?? byRegistry.set(r, []).get(r)!).push(p);
  }
  const registries = [...byRegistry.keys()].map(shownUrl);
  const hits: AdvisoryHit[] = [];
  const missing: string[] = [];
  const failed: string[] = [];
  for (const [registry, list] of byRegistry) {
    try {
      const r = await requestJson(`${registry}${ADVISORY_PATH}`, { method: 'POST', body: bulkRequestBody(list), config });
      if (r.status === 404 || r.status === 405 || r.status === 501) {
        missing.push(`${shownUrl(registry)} answers HTTP ${r.status} to ${ADVISORY_PATH}`);
        continue;
      }
      if (r.status !== 200) {
        failed.push(`${shownUrl(registry)} answered HTTP ${r.status} to ${ADVISORY_PATH}`);
        continue;
      }
      hits.push(...bulkHits(JSON.parse(r.body.toString('utf8')), list));
    } catch (err) {
      failed.push((err as Error).message);
    }
  }
  const state = failed.length ? 'failed' : missing.length ? 'unavailable' : 'ok';
  const detail = [...missing, ...failed].join('; ');
  return { hits, status: { state, registries, ...(detail ? { detail } : {}) } };
}

export async function judgeTree(input: JudgeInput): Promise<Judgement> {
  const started = Date.now();
  const s = input.settings;
  const now = input.now ?? Date.now();
  let published = new Map<string, PublishFact>();
  let fetched = 0;
  let cached = 0;
  const aged = s.minAgeMinutes > 0 ? input.packages.filter((p) => !isExcluded(p.name, s.excludes)) : [];
  const [times, advisories] = await Promise.all([
    aged.length ? publishTimes(aged, input.registry, input.cacheDir) : Promise.resolve(undefined),
    s.advisories && input.packages.length
      ? fetchAdvisories(input.packages, input.registry)
      : Promise.resolve({ hits: [] as AdvisoryHit[], status: { state: s.advisories ? 'ok' : 'off', registries: [] } as AdvisoryStatus }),
  ]);
  if (times) ({ published, fetched, cached } = times);
  const hits = [...advisories.hits];
  let malwareDb: { path: string; problems: string[] } | undefined;
  if (s.malwareDb) {
    const db = loadOsvDirectory(s.malwareDb);
    hits.push(...osvHits(db.records, input.packages));
    malwareDb = { path: s.malwareDb, problems: db.problems.slice(0, 5) };
  }
  return judge({
    packages: input.packages,
    lockfiles: input.lockfiles,
    settings: s,
    now,
    published,
    hits,
    advisories: advisories.status,
    ...(malwareDb ? { malwareDb } : {}),
    metadata: { fetched, cached, duration_ms: Date.now() - started },
  });
}

export { key };
