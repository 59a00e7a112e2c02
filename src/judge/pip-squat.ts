// Typosquats for pip: a project name `pip install NAME` adds that is one edit, a swap or
// a separator change from a much more used PyPI name (data/popular-pypi.txt, made by
// scripts/make-popular-pypi-names.mjs), and is not established on the user's index, is
// stopped before pip downloads anything, with "did you mean". Names compare PEP 503-
// normalised (`-`, `_`, `.` are one separator), so `python_dateutil` is python-dateutil
// itself, not a lookalike. `--allow-name NAME` lets one through.

import type { Policy } from '../policy/types.js';
import { requestJson } from './http.js';
import { normalizePipName } from './pip-dists.js';
import { pipAddedNames, pipArgsOf, type PipJudgeContext } from './pip-judge.js';
import { canonicalPipVersion, PEP691_JSON, versionOfFile } from './pip-times.js';
import { established, loadPopularNames, lookalikeOf, squatMessage, type NameFacts, type SquatSuspect } from './typosquat.js';

/** What a PEP 691 project page says about a project: how many versions, since when. Pure. */
export function pipNameFacts(page: unknown, project: string, now: number): NameFacts {
  const files = (page as { files?: unknown } | null)?.files;
  const versions = new Set<string>();
  let first: number | undefined;
  for (const f of Array.isArray(files) ? files : []) {
    const { filename, 'upload-time': at } = (f ?? {}) as { filename?: unknown; 'upload-time'?: unknown };
    if (typeof filename !== 'string') continue;
    const v = versionOfFile(filename, project);
    if (v !== undefined) versions.add(canonicalPipVersion(v));
    const t = typeof at === 'string' ? Date.parse(at) : NaN;
    if (Number.isFinite(t) && (first === undefined || t < first)) first = t;
  }
  const listed = (page as { versions?: unknown } | null)?.versions;
  const count = Array.isArray(listed) ? Math.max(listed.length, versions.size) : versions.size;
  return { exists: true, versions: count, ...(first !== undefined ? { createdDaysAgo: Math.floor((now - first) / 86_400_000) } : {}) };
}

export async function findPipSquats(p: Policy, ctx: PipJudgeContext, allowed: readonly string[], popular = loadPopularNames('popular-pypi.txt')): Promise<SquatSuspect[]> {
  const args = pipArgsOf(p.command.exe, p.command.args);
  if (!args) return [];
  const allow = new Set(allowed.map(normalizePipName));
  const suspects: SquatSuspect[] = [];
  for (const name of pipAddedNames(args).filter((n) => !allow.has(n))) {
    const meant = lookalikeOf(name, popular);
    if (!meant) continue;
    // Established on any of the user's indexes: what its users meant.
    let facts: NameFacts = { exists: false };
    for (const index of ctx.indexes) {
      const r = await requestJson(`${index.url}${encodeURIComponent(name)}/`, { method: 'GET', config: index.config, accept: PEP691_JSON });
      if (r.status === 404) continue;
      if (r.status !== 200) throw new Error(`HTTP ${r.status} from ${index.url.replace(/\/\/[^/@]*@/, '//')} for ${name}`);
      let page: unknown;
      try {
        page = JSON.parse(r.body.toString('utf8'));
      } catch {
        facts = { exists: true };
        continue;
      }
      const f = pipNameFacts(page, name, Date.now());
      if (!facts.exists || (f.versions ?? 0) > (facts.versions ?? 0)) facts = f;
    }
    if (!established(facts)) suspects.push({ name, meant, facts });
  }
  return suspects;
}

/** Lines to print for the run (main.ts stops the run when there are any). */
export async function pipSquatLines(p: Policy, ctx: PipJudgeContext): Promise<string[]> {
  try {
    return (await findPipSquats(p, ctx, p.config.values.allow_names ?? [])).map(squatMessage);
  } catch (err) {
    // The index could not be asked: the upload-time judgement after the install still applies.
    return p.output.strict ? [`the typosquat check could not ask the index: ${(err as Error).message}`] : [];
  }
}
