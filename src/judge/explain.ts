// The judgement's settings as --explain shows them (text and --json): the minimum
// release age and where it came from, the excludes, the sources of known malware, what
// is passed down to the package manager. No credentials: index and registry URLs only,
// without user:password. Pure.

import { formatMinutes } from './duration.js';
import { shownUrl } from './registry.js';
import type { JudgeContext } from './host.js';
import type { PipJudgeContext } from './pip-judge.js';

export interface JudgementExplain {
  readonly tool: string;
  readonly min_release_age: { readonly minutes: number; readonly from: string; readonly exclude: readonly string[] };
  readonly malware_sources: readonly string[];
  readonly strict: boolean;
}

export function explainJudgement(ctx: JudgeContext | PipJudgeContext | undefined): JudgementExplain | undefined {
  if (!ctx) return undefined;
  const s = ctx.settings;
  const sources: string[] = [];
  if (ctx.tool === 'pip') {
    if (!s.malwareDb) sources.push(`none: ${ctx.indexes.map((i) => shownUrl(i.url)).join(', ')} offer(s) no bulk advisory endpoint (set malware_db)`);
  } else if (s.advisories) sources.push(`${shownUrl(ctx.registry.registry)}-/npm/v1/security/advisories/bulk (and each scope's registry)`);
  if (s.malwareDb) sources.push(`malware_db ${s.malwareDb}`);
  return { tool: ctx.tool, min_release_age: { minutes: s.minAgeMinutes, from: s.minAgeFrom, exclude: s.excludes }, malware_sources: sources, strict: s.strict };
}

export function explainJudgementText(j: JudgementExplain | undefined): string {
  if (!j) return '';
  const out = ['', `judgement of what ${j.tool} resolves (before any install script runs and before the commit):`];
  out.push(`  minimum release age: ${j.min_release_age.minutes > 0 ? `${formatMinutes(j.min_release_age.minutes)} (${j.min_release_age.from})` : `off (${j.min_release_age.from})`}`);
  out.push(`  excluded from the age check: ${j.min_release_age.exclude.length ? j.min_release_age.exclude.join(', ') : 'none'}`);
  out.push(`  known malware from: ${j.malware_sources.join('; ')}`);
  out.push(`  without advisories: ${j.strict ? 'refused (--strict)' : 'a warning'}`);
  return `${out.join('\n')}\n`;
}
