// The verdict on a resolved tree, from facts gathered elsewhere (publish times,
// advisories): which versions are refused and why, as report data. Pure.

import { compileGlob } from '../util/glob.js';
import { formatAge, formatMinutes } from './duration.js';
import type { AdvisoryHit } from './advisories.js';
import type { ResolvedPackage } from './lockfile.js';
import type { JudgeSettings } from './settings.js';

export type RefusalReason = 'young' | 'unknown-age' | 'malware';

export interface Refusal {
  readonly name: string;
  readonly version: string;
  readonly reason: RefusalReason;
  /** One sentence: what is wrong. */
  readonly message: string;
  /** The exact option that lets it through, when there is one. */
  readonly allow?: string;
  /** For young versions: publish time (ISO 8601) and age in minutes. */
  readonly published?: string;
  readonly age_minutes?: number;
  readonly advisory?: string;
}

export type AdvisoryState = 'ok' | 'unavailable' | 'failed' | 'off';

export interface AdvisoryStatus {
  readonly state: AdvisoryState;
  /** The registries asked (no credentials). */
  readonly registries: readonly string[];
  readonly detail?: string;
}

/** The judgement as it appears in the report (`judgement`) and in `safe-package check --json`. */
export interface Judgement {
  readonly verdict: 'pass' | 'refused';
  /** Lockfiles read, relative to the project. */
  readonly lockfiles: readonly string[];
  /** Distinct registry versions judged. */
  readonly packages: number;
  readonly min_release_age: { readonly minutes: number; readonly from: string; readonly exclude: readonly string[]; readonly excluded: readonly string[] };
  readonly refused: readonly Refusal[];
  readonly advisories: {
    readonly state: AdvisoryState;
    readonly registries: readonly string[];
    readonly detail?: string;
    readonly malware_db?: string;
    /** Ordinary vulnerabilities in the resolved tree: counted, never refused. */
    readonly vulnerabilities: number;
    readonly by_severity: Readonly<Record<string, number>>;
    readonly listed: readonly { readonly name: string; readonly version: string; readonly id: string; readonly title: string; readonly severity: string }[];
  };
  /** Reasons the tree was refused that are no one package's (--strict without advisories). */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  readonly metadata: { readonly fetched: number; readonly cached: number; readonly duration_ms: number };
}

export interface PublishFact {
  /** ISO 8601, from the registry's `time[version]`. */
  readonly time?: string;
  /** Why the time is not known (no such version, HTTP 404, a network error). */
  readonly error?: string;
}

export interface VerdictInput {
  readonly packages: readonly ResolvedPackage[];
  readonly lockfiles: readonly string[];
  readonly settings: JudgeSettings;
  readonly now: number;
  /** `name@version` → its publish time, for every package not excluded (when the age is checked). */
  readonly published: ReadonlyMap<string, PublishFact>;
  readonly hits: readonly AdvisoryHit[];
  readonly advisories: AdvisoryStatus;
  readonly malwareDb?: { readonly path: string; readonly problems: readonly string[] };
  readonly metadata?: Judgement['metadata'];
  /** How the user names the option in messages ('safe-package' or 'spm'). */
  readonly program?: string;
  /** How a version is named in messages: `name@version` (npm), `name==version` (pip). */
  readonly label?: (p: { readonly name: string; readonly version: string }) => string;
}

export const key = (p: ResolvedPackage) => `${p.name}@${p.version}`;

/** Is a package excluded from the age check by name or glob? Pure. */
export function isExcluded(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => p === name || compileGlob(p, { basenameAnywhere: false }).test(name));
}

/** The option that lets one young version through: an exclude for that name. */
export function allowOption(name: string): string {
  return `--min-release-age-exclude ${/^[A-Za-z0-9@/._-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`}`;
}

/** Is this version younger than the minimum? `undefined` when the time cannot be read. Pure. */
export function tooYoung(publishedIso: string, now: number, minMinutes: number): { young: boolean; ageMinutes: number } | undefined {
  const t = Date.parse(publishedIso);
  if (!Number.isFinite(t)) return undefined;
  const ageMinutes = Math.floor((now - t) / 60_000);
  return { young: now - t < minMinutes * 60_000, ageMinutes };
}

export function judge(input: VerdictInput): Judgement {
  const s = input.settings;
  const shown = input.label ?? key;
  const refused: Refusal[] = [];
  const excluded: string[] = [];
  if (s.minAgeMinutes > 0) {
    for (const p of input.packages) {
      if (isExcluded(p.name, s.excludes)) {
        excluded.push(shown(p));
        continue;
      }
      const fact = input.published.get(key(p));
      const verdict = fact?.time !== undefined ? tooYoung(fact.time, input.now, s.minAgeMinutes) : undefined;
      if (!verdict) {
        refused.push({
          name: p.name,
          version: p.version,
          reason: 'unknown-age',
          message: `${shown(p)}: its publish time is unknown (${fact?.error ?? (fact?.time !== undefined ? `unreadable time "${fact.time}"` : 'not looked up')}), so its age cannot be checked`,
          allow: allowOption(p.name),
        });
      } else if (verdict.young) {
        const ageMs = input.now - Date.parse(fact!.time!);
        refused.push({
          name: p.name,
          version: p.version,
          reason: 'young',
          message: `${shown(p)} was published ${formatAge(ageMs)} ago (${fact!.time}), less than the minimum release age of ${formatMinutes(s.minAgeMinutes)} (${s.minAgeFrom})`,
          allow: allowOption(p.name),
          published: fact!.time!,
          age_minutes: Math.max(0, verdict.ageMinutes),
        });
      }
    }
  }
  const vulns: AdvisoryHit[] = [];
  const seenHit = new Set<string>();
  for (const h of input.hits) {
    const id = `${key(h)} ${h.id}`;
    if (seenHit.has(id)) continue;
    seenHit.add(id);
    if (h.malware) {
      refused.push({
        name: h.name,
        version: h.version,
        reason: 'malware',
        message: `${shown(h)} is known malware: ${h.title || h.id} (${h.url ?? h.id}${h.source === 'osv' ? ', from the malware_db directory' : ''})`,
        advisory: h.id,
      });
    } else vulns.push(h);
  }
  const bySeverity: Record<string, number> = {};
  for (const v of vulns) bySeverity[v.severity] = (bySeverity[v.severity] ?? 0) + 1;

  const warnings: string[] = [];
  const problems: string[] = [];
  const adv = input.advisories;
  if (adv.state === 'unavailable' || adv.state === 'failed') {
    const what = `known malware was not checked: ${adv.detail ?? `the registry (${adv.registries.join(', ')}) offers no advisory endpoint`}`;
    if (s.strict) problems.push(`${what}; --strict refuses an install whose advisories could not be checked`);
    else warnings.push(`${what}${s.malwareDb ? ' (the malware_db directory was checked)' : ''}`);
  }
  for (const pr of input.malwareDb?.problems ?? []) warnings.push(`malware_db: ${pr}`);
  return {
    verdict: refused.length || problems.length ? 'refused' : 'pass',
    lockfiles: input.lockfiles,
    packages: input.packages.length,
    min_release_age: { minutes: s.minAgeMinutes, from: s.minAgeFrom, exclude: s.excludes, excluded },
    refused,
    advisories: {
      state: adv.state,
      registries: adv.registries,
      ...(adv.detail ? { detail: adv.detail } : {}),
      ...(input.malwareDb ? { malware_db: input.malwareDb.path } : {}),
      vulnerabilities: vulns.length,
      by_severity: bySeverity,
      listed: vulns.map((v) => ({ name: v.name, version: v.version, id: v.id, title: v.title, severity: v.severity })),
    },
    problems,
    warnings,
    metadata: input.metadata ?? { fetched: 0, cached: 0, duration_ms: 0 },
  };
}
