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

/** How long reviewing and committing the staged writes took: `writes.commit_ms` (report@1). Pure. */
export function commitMsOf(report: unknown): number | undefined {
  const v = at(report, ['writes', 'commit_ms']);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Time spent in the jails of one phase (`steps[].duration_ms`, report@1), and how many jails. Pure. */
export function phaseOf(report: unknown, phase: string): { ms: number; jails: number } | undefined {
  const steps = at(report, ['steps']);
  if (!Array.isArray(steps)) return undefined;
  let ms = 0;
  let jails = 0;
  for (const s of steps) {
    if (at(s, ['phase']) !== phase) continue;
    const d = at(s, ['duration_ms']);
    if (typeof d !== 'number') return undefined;
    ms += d;
    jails++;
  }
  return { ms, jails };
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
