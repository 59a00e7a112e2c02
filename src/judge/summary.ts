// The judgement's block in the summary (and the output of `safe-package check`). Pure.

import { neutralise } from '../util/untrusted-text.js';
import type { Style } from '../report/style.js';
import { formatMinutes } from './duration.js';
import type { Judgement } from './verdict.js';

const MAX = 8;

/** `quiet` keeps the block only when something was refused or warned about. */
export function judgementLines(j: Judgement, style: Style, quiet: boolean, refusedTail = 'no install script ran and nothing was committed'): string[] {
  const n = neutralise;
  if (quiet && j.verdict === 'pass' && j.warnings.length === 0) return [];
  const age = j.min_release_age.minutes > 0 ? `minimum release age ${formatMinutes(j.min_release_age.minutes)} (${n(j.min_release_age.from)})` : 'release age not checked';
  const adv =
    j.advisories.state === 'ok' && j.advisories.registries.length === 0
      ? 'no advisories asked'
      : j.advisories.state === 'ok'
      ? `advisories from ${j.advisories.registries.map(n).join(', ')}`
      : j.advisories.state === 'off'
        ? 'registry advisories not asked'
        : 'advisories unavailable';
  const db = j.advisories.malware_db ? `, malware_db ${n(j.advisories.malware_db)}` : '';
  const what = `${j.packages} package version(s)${j.lockfiles.length ? ` from ${j.lockfiles.map(n).join(', ')}` : ''}`;
  const out: string[] = [];
  if (j.verdict === 'refused') {
    out.push(style.red(`  judgement: refused — ${what}; ${age}; ${adv}${db}`));
    for (const r of j.refused.slice(0, MAX)) {
      out.push(style.red(`    ${n(r.message)}`));
      if (r.allow) out.push(style.dim(`      to let it through: ${n(r.allow)}`));
    }
    if (j.refused.length > MAX) out.push(`    … and ${j.refused.length - MAX} more (see --report)`);
    const young = j.refused.filter((r) => r.reason === 'young' || r.reason === 'unknown-age');
    if (young.length > 1) out.push(style.dim(`    or, for all of them: --min-release-age ${formatMinutes(Math.max(0, Math.min(...young.map((r) => r.age_minutes ?? 0))))} (or 0 to turn the check off)`));
    for (const p of j.problems) out.push(style.red(`    ${n(p)}`));
    out.push(style.red(`    ${refusedTail}`));
  } else if (!quiet) {
    out.push(`  judgement: passed — ${what}; ${age}${j.min_release_age.excluded.length ? ` (${j.min_release_age.excluded.length} excluded)` : ''}; ${adv}${db}`);
  }
  if (j.advisories.vulnerabilities > 0 && !quiet) {
    const sev = Object.entries(j.advisories.by_severity)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${v} ${n(k)}`)
      .join(', ');
    out.push(style.yellow(`    ${j.advisories.vulnerabilities} known vulnerabilit${j.advisories.vulnerabilities === 1 ? 'y' : 'ies'} (${sev}): not refused; see \`npm audit\``));
  }
  for (const w of j.warnings) out.push(style.yellow(`    warning: ${n(w)}`));
  return out;
}
