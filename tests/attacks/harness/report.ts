// The table of verdicts printed at the end of the suite, and its JSON form. Pure, apart
// from writeReport.

import { writeFileSync } from 'node:fs';
import type { Attack } from '../catalog.js';
import type { ControlRecord, RunRecord } from './suite.js';

export interface SuiteReport {
  readonly runTag: string;
  readonly durationMs: number;
  readonly attacks: ReadonlyArray<{
    readonly id: string;
    readonly category: string;
    readonly covers: string;
    readonly pending?: string;
    readonly bare?: RunRecord;
    readonly safe?: RunRecord;
  }>;
  readonly controls: readonly ControlRecord[];
}

export function buildSuiteReport(runTag: string, durationMs: number, attacks: readonly Attack[], records: readonly RunRecord[], controls: readonly ControlRecord[]): SuiteReport {
  return {
    runTag,
    durationMs,
    attacks: attacks.map((a) => ({
      id: a.id,
      category: a.category,
      covers: a.covers,
      ...(a.pending ? { pending: a.pending } : {}),
      bare: records.find((r) => r.attack === a.id && r.mode === 'bare'),
      safe: records.find((r) => r.attack === a.id && r.mode === 'safe'),
    })),
    controls,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function why(r: RunRecord | undefined): string {
  if (!r) return '';
  const e = r.evidence;
  const first = e.invalid[0] ?? e.escaped[0] ?? e.inside[0] ?? '';
  const more = e.invalid.length + e.escaped.length + e.inside.length - (first ? 1 : 0);
  return first + (more > 0 ? ` (+${more})` : '');
}

export function formatTable(report: SuiteReport): string {
  const lines: string[] = [];
  const w = Math.max(...report.attacks.map((a) => a.id.length), 10);
  lines.push(`${pad('attack', w)}  ${pad('bare npm', 10)}  ${pad('safe-package', 12)}  safe-package evidence`);
  lines.push(`${'-'.repeat(w)}  ${'-'.repeat(10)}  ${'-'.repeat(12)}  ${'-'.repeat(40)}`);
  let category = '';
  for (const a of report.attacks) {
    if (a.category !== category) {
      category = a.category;
      lines.push(`[${category}]`);
    }
    const safe = (a.safe?.verdict ?? '-') + (a.pending && a.safe?.verdict === 'SUCCEEDED' ? '*' : '');
    lines.push(`${pad(a.id, w)}  ${pad(a.bare?.verdict ?? '-', 10)}  ${pad(safe, 12)}  ${why(a.safe).slice(0, 110)}`);
  }
  lines.push('[controls]');
  for (const c of report.controls) lines.push(`${pad(`${c.control} (${c.mode})`, w + 24)}  ${c.works ? 'WORKS' : 'BROKEN'}: ${c.check}`);
  if (report.attacks.some((a) => a.pending)) lines.push('* expected for now: ' + [...new Set(report.attacks.flatMap((a) => (a.pending ? [a.pending.split(';')[0]] : [])))].join('; '));
  const count = (mode: 'bare' | 'safe', v: string) => report.attacks.filter((a) => a[mode]?.verdict === v).length;
  lines.push(
    `bare npm: ${count('bare', 'SUCCEEDED')} succeeded of ${report.attacks.length}; safe-package: ${count('safe', 'BLOCKED')} blocked, ${count('safe', 'CONTAINED')} contained, ${count('safe', 'SUCCEEDED')} succeeded, ${count('safe', 'INVALID')} invalid; ${(report.durationMs / 1000).toFixed(0)}s`,
  );
  return lines.join('\n');
}

export function writeReport(path: string, report: SuiteReport): void {
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
}
