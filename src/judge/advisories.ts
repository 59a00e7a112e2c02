// Known malware and other advisories: what the registry's bulk advisory endpoint (the
// one `npm audit` uses) and a local directory of OSV records say about each resolved
// version. The decisions are pure; loading the OSV directory is the one edge here.
//
// The rule for "malware" (docs in README, *Judgement*): an advisory is malware when
//   - its title says so: "Malware in <pkg>" (GitHub's malware advisories), or it names
//     malicious code or a malicious package/version ("Malicious Package", "Embedded
//     Malicious Code"), or
//   - its CWEs include CWE-506 (Embedded Malicious Code), or
//   - its id or URL is an OSV malicious-packages record (MAL-YYYY-…).
// Every other advisory is an ordinary vulnerability: counted, never refused.

import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, parseVersion, satisfies } from './semver.js';
import type { ResolvedPackage } from './lockfile.js';

/** One advisory as the bulk endpoint returns it (fields npm audit reads). */
export interface BulkAdvisory {
  readonly id?: number | string;
  readonly url?: string;
  readonly title?: string;
  readonly severity?: string;
  readonly vulnerable_versions?: string;
  readonly cwe?: readonly string[] | string;
  readonly github_advisory_id?: string;
}

export interface AdvisoryHit {
  readonly name: string;
  readonly version: string;
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly url?: string;
  readonly malware: boolean;
  /** Where it came from: the registry, or the OSV directory. */
  readonly source: 'registry' | 'osv';
}

/** Is this advisory malware (see the rule above)? Pure. */
export function isMalwareAdvisory(a: { readonly title?: string; readonly summary?: string; readonly cwe?: readonly string[] | string; readonly url?: string; readonly id?: number | string }): boolean {
  const title = `${a.title ?? ''} ${a.summary ?? ''}`;
  if (/^\s*malware in\b/i.test(title) || /\bmalware\b/i.test(title)) return true;
  if (/\bmalicious\s+(code|package|version|software)\b/i.test(title)) return true;
  const cwes = Array.isArray(a.cwe) ? a.cwe : typeof a.cwe === 'string' ? [a.cwe] : [];
  if (cwes.some((c) => /^CWE-506$/i.test(String(c).trim()))) return true;
  if (/(^|\/)MAL-\d{4}-/.test(String(a.id ?? '')) || /(^|\/)MAL-\d{4}-/.test(a.url ?? '')) return true;
  return false;
}

/** The body of the bulk request: `{name: [versions]}`. Pure. */
export function bulkRequestBody(packages: readonly ResolvedPackage[]): Record<string, string[]> {
  const body: Record<string, string[]> = {};
  for (const p of packages) (body[p.name] ??= []).includes(p.version) || body[p.name]!.push(p.version);
  return body;
}

/**
 * The bulk endpoint's answer turned into hits: which of our versions each advisory
 * covers. A range that cannot be read counts as covering (the safe side). Pure.
 */
export function bulkHits(response: unknown, packages: readonly ResolvedPackage[]): AdvisoryHit[] {
  if (typeof response !== 'object' || response === null || Array.isArray(response)) return [];
  const hits: AdvisoryHit[] = [];
  for (const p of packages) {
    const list = (response as Record<string, unknown>)[p.name];
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      if (typeof raw !== 'object' || raw === null) continue;
      const a = raw as BulkAdvisory;
      const range = typeof a.vulnerable_versions === 'string' ? a.vulnerable_versions : '*';
      if (satisfies(p.version, range) === false) continue;
      hits.push({
        name: p.name,
        version: p.version,
        id: String(a.github_advisory_id ?? a.id ?? a.url ?? 'unknown'),
        title: String(a.title ?? ''),
        severity: String(a.severity ?? 'unknown'),
        ...(typeof a.url === 'string' ? { url: a.url } : {}),
        malware: isMalwareAdvisory(a),
        source: 'registry',
      });
    }
  }
  return hits;
}

// ---------------------------------------------------------------------------------------
// OSV records (https://ossf.github.io/osv-schema/), as ossf/malicious-packages publishes them.

export interface OsvEvent {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly last_affected?: string;
  readonly limit?: string;
}

export interface OsvRecord {
  readonly id: string;
  readonly summary?: string;
  readonly details?: string;
  readonly affected?: readonly {
    readonly package?: { readonly ecosystem?: string; readonly name?: string };
    readonly versions?: readonly string[];
    readonly ranges?: readonly { readonly type?: string; readonly events?: readonly OsvEvent[] }[];
  }[];
}

/**
 * Is `version` inside one OSV range's events? Events are read in order: `introduced`
 * opens an interval ("0" is the beginning), `fixed` closes it before that version,
 * `last_affected` closes it at that version; an interval left open runs to the end.
 * Undefined when a version cannot be read. Pure.
 */
export function inOsvRange(version: string, events: readonly OsvEvent[]): boolean | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  let start: 'zero' | ReturnType<typeof parseVersion> | undefined;
  let open = false;
  const atLeast = (s: typeof start) => s === 'zero' || (s !== undefined && compareVersions(v, s) >= 0);
  for (const e of events) {
    if (e.introduced !== undefined) {
      const s = e.introduced === '0' ? 'zero' : parseVersion(e.introduced);
      if (s === undefined) return undefined;
      start = s;
      open = true;
    } else if (open && (e.fixed !== undefined || e.last_affected !== undefined || e.limit !== undefined)) {
      const endText = (e.fixed ?? e.last_affected ?? e.limit)!;
      const end = parseVersion(endText);
      if (!end) return undefined;
      const c = compareVersions(v, end);
      if (atLeast(start) && (e.last_affected !== undefined ? c <= 0 : c < 0)) return true;
      open = false;
    }
  }
  return open && atLeast(start) ? true : false;
}

/** An OSV ecosystem and how it spells names: PyPI compares them PEP 503-normalised. */
export type OsvEcosystem = 'npm' | 'PyPI';
const osvName = (eco: OsvEcosystem, name: string) => (eco === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name);
const osvVersion = (eco: OsvEcosystem, v: string) => (eco === 'PyPI' ? v.trim().toLowerCase().replace(/^v/, '') : v);

/** Does an OSV record cover name@version in the ecosystem (npm unless said)? Pure. */
export function osvCovers(record: OsvRecord, name: string, version: string, eco: OsvEcosystem = 'npm'): boolean {
  for (const a of record.affected ?? []) {
    if (a.package?.ecosystem?.toLowerCase() !== eco.toLowerCase() || a.package.name === undefined || osvName(eco, a.package.name) !== osvName(eco, name)) continue;
    if (a.versions?.some((v) => osvVersion(eco, v) === osvVersion(eco, version))) return true;
    // A malware record with no versions and no ranges covers every version.
    if (!a.versions?.length && !a.ranges?.length) return true;
    for (const r of a.ranges ?? []) {
      if (r.type !== undefined && r.type !== 'SEMVER' && r.type !== 'ECOSYSTEM') continue;
      if (inOsvRange(version, r.events ?? []) !== false) return true;
    }
  }
  return false;
}

/** Hits from OSV records: a MAL- record (or one the malware rule marks) is malware. Pure. */
export function osvHits(records: readonly OsvRecord[], packages: readonly ResolvedPackage[], eco: OsvEcosystem = 'npm'): AdvisoryHit[] {
  const byName = new Map<string, OsvRecord[]>();
  for (const r of records) {
    for (const a of r.affected ?? []) {
      if (!a.package?.name) continue;
      const n = osvName(eco, a.package.name);
      (byName.get(n) ?? byName.set(n, []).get(n)!).push(r);
    }
  }
  const hits: AdvisoryHit[] = [];
  for (const p of packages) {
    for (const r of new Set(byName.get(osvName(eco, p.name)) ?? [])) {
      if (!osvCovers(r, p.name, p.version, eco)) continue;
      const malware = r.id.startsWith('MAL-') || isMalwareAdvisory({ title: r.summary ?? '', id: r.id });
      hits.push({ name: p.name, version: p.version, id: r.id, title: r.summary ?? r.id, severity: malware ? 'critical' : 'unknown', malware, source: 'osv' });
    }
  }
  return hits;
}

export interface OsvLoad {
  readonly records: OsvRecord[];
  readonly files: number;
  readonly problems: string[];
}

/**
 * Reads every `*.json` under `dir` (the layout of ossf/malicious-packages:
 * osv/malicious/npm/<name>/MAL-….json, or a flat directory). Symbolic links are not
 * followed; unreadable or malformed files are named in `problems`.
 */
export function loadOsvDirectory(dir: string, maxFiles = 500_000): OsvLoad {
  const records: OsvRecord[] = [];
  const problems: string[] = [];
  let files = 0;
  const visit = (d: string, depth: number) => {
    if (depth > 12) return;
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch (err) {
      problems.push(`${d}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    for (const e of entries) {
      const path = join(d, e);
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) visit(path, depth + 1);
      else if (st.isFile() && e.endsWith('.json') && st.size < 4 * 1024 * 1024 && files < maxFiles) {
        files++;
        try {
          const doc = JSON.parse(readFileSync(path, 'utf8')) as OsvRecord;
          if (typeof doc === 'object' && doc !== null && typeof doc.id === 'string') records.push(doc);
        } catch (err) {
          problems.push(`${path}: ${(err as Error).message}`);
        }
      }
    }
  };
  visit(dir, 0);
  if (files === 0 && problems.length === 0) problems.push(`${dir}: no OSV records (*.json) found`);
  return { records, files, problems };
}
