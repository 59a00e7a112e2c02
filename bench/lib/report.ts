// What the benchmark reads from the files a run leaves: safe-package's --report JSON,
// the RSS hook's number, npm's record of what it installed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * HOOK: where the report says how long committing the staged writes took. The report
 * schema (safe-package/report@1) has no timing yet; the staging layer measures its
 * commit (CommitResult.durationMs), and these are the places it is expected to appear.
 * Add the real one here when the report exposes it. Pure.
 */
export const COMMIT_TIME_PATHS: readonly (readonly string[])[] = [
  ['writes', 'commit_ms'],
  ['writes', 'commit', 'duration_ms'],
  ['writes', 'commit_duration_ms'],
  ['timings', 'commit_ms'],
  ['timing', 'commit_ms'],
];

export function commitMsOf(report: unknown): number | undefined {
  for (const path of COMMIT_TIME_PATHS) {
    const v = at(report, path);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** Number of committed write records, when the report lists them. Pure. */
export function committedCountOf(report: unknown): number | undefined {
  const v = at(report, ['writes', 'committed']);
  return Array.isArray(v) ? v.length : undefined;
}

export function stagedOf(report: unknown): boolean | undefined {
  const v = at(report, ['writes', 'staged']);
  return typeof v === 'boolean' ? v : undefined;
}

/** Peak RSS in kB written by rss-hook, or undefined. */
export function readRssKb(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** How many packages npm says it installed (node_modules/.package-lock.json). */
export function installedPackages(project: string): number | undefined {
  const lock = readJson(join(project, 'node_modules', '.package-lock.json'));
  const packages = at(lock, ['packages']);
  if (packages === null || typeof packages !== 'object') return undefined;
  return Object.keys(packages).filter((k) => k !== '').length;
}
