// The run's report (docs/promises.md#p9-report): built from the policy and the outcome as plain data,
// written as JSON with --report FILE, summarised on stderr. Names, never values: no
// variable value, token or credential is ever part of a report.

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { Policy } from '../policy/types.js';
import type { Outcome } from '../run/launch.js';
import { redactArgs } from '../profiles/npmrc.js';
import type { Judgement } from '../judge/verdict.js';
import type { PlanJson } from '../plan/explain.js';

export const REPORT_SCHEMA = 'safe-package/report@1';

export interface BlockedConnection {
  readonly host: string;
  readonly port: number;
  readonly method?: string;
  readonly reason: string;
  /** How many identical attempts were merged into this record. */
  readonly count?: number;
  /** The phase that tried: 'scripts' means an install script. */
  readonly phase?: string;
  readonly package?: string;
  readonly suggestion?: string;
}

export interface ContactedHost {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly bytes_in: number;
  readonly bytes_out: number;
}

export interface WriteRecord {
  readonly path: string;
  readonly kind: string;
  readonly reason: string;
  /** For a discarded write: the narrowest way to keep it, when there is one. */
  readonly suggestion?: string;
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly safe_package_version: string;
  readonly started_at: string;
  readonly duration_ms: number;
  readonly command: { readonly exe: string; readonly args: readonly string[]; readonly profile: string };
  readonly backend: string;
  readonly user: { readonly name: string; readonly uid: number };
  readonly phases: readonly string[];
  /** Each jail the run started, in order: which phase, what ran, how it ended, how long it took. */
  readonly steps: readonly StepRecord[];
  readonly exit: { readonly status: number; readonly signal: string | null; readonly timed_out: boolean; readonly setup_failed: boolean };
  readonly network: {
    readonly mode: string;
    readonly allowed: readonly string[];
    readonly contacted: readonly ContactedHost[];
    readonly blocked: readonly BlockedConnection[];
  };
  readonly writes: {
    readonly staged: boolean;
    readonly committed: readonly WriteRecord[];
    readonly discarded: readonly WriteRecord[];
    /** Time to review and commit, in ms. */
    readonly commit_ms?: number;
  };
  readonly environment: { readonly passed: readonly string[]; readonly withheld: readonly string[] };
  readonly limits_hit: readonly string[];
  readonly warnings: readonly string[];
  readonly strict: { readonly enabled: boolean; readonly violations: readonly string[] };
  /**
   * The judgement of the resolved tree between the download phase and the scripts phase
   * (src/judge/): release ages and advisories. Absent when nothing was judged.
   */
  readonly judgement?: Judgement;
}

export interface StepRecord {
  readonly phase: string;
  /** The program and its arguments (credentials in URLs removed). */
  readonly argv: readonly string[];
  /** The package whose install scripts the step ran, for a package's step. */
  readonly package?: string;
  readonly status: number;
  readonly duration_ms: number;
  /** The jail the step ran in, exactly as `--explain --json` prints a plan (src/plan/explain.ts planJson). */
  readonly jail?: PlanJson;
}

export interface ReportExtras {
  readonly steps?: readonly StepRecord[];
  readonly contacted?: readonly ContactedHost[];
  readonly blocked?: readonly BlockedConnection[];
  readonly committed?: readonly WriteRecord[];
  readonly discarded?: readonly WriteRecord[];
  readonly staged?: boolean;
  readonly commit_ms?: number;
  readonly judgement?: Judgement;
}

/** What --strict counts as a violation. Pure. */
export function strictViolations(r: Pick<Report, 'network' | 'writes' | 'limits_hit'>): string[] {
  const v: string[] = [];
  if (r.network.blocked.length) v.push(`${r.network.blocked.length} connection(s) blocked`);
  if (r.writes.discarded.length) v.push(`${r.writes.discarded.length} write(s) discarded`);
  for (const l of r.limits_hit) v.push(`limit hit: ${l}`);
  return v;
}

export function buildReport(p: Policy, o: Outcome, version: string, startedAt: Date, extras: ReportExtras = {}): Report {
  const limitsHit = o.timedOut ? [`timeout (${p.limits.timeout}s)`] : [];
  const base = {
    network: { mode: p.backend === 'none' ? 'host' : p.network.mode, allowed: p.network.allow, contacted: extras.contacted ?? [], blocked: extras.blocked ?? [] },
    writes: {
      staged: extras.staged ?? false,
      committed: extras.committed ?? [],
      discarded: extras.discarded ?? [],
      ...(extras.commit_ms !== undefined ? { commit_ms: extras.commit_ms } : {}),
    },
    limits_hit: limitsHit,
  };
  return {
    schema: REPORT_SCHEMA,
    safe_package_version: version,
    started_at: startedAt.toISOString(),
    duration_ms: o.durationMs,
    command: { exe: p.command.exe, args: redactArgs(p.command.args), profile: p.profile.name },
    backend: p.backend,
    user: { name: p.user.name, uid: p.user.uid },
    // A phase of several steps (one per package) is named once.
    phases: extras.steps?.length ? [...new Set(extras.steps.map((st) => st.phase))] : ['run'],
    steps: extras.steps ?? [],
    exit: { status: o.status, signal: o.signal ?? null, timed_out: o.timedOut, setup_failed: o.setupFailed },
    ...base,
    environment: { passed: Object.keys(p.env.vars).sort(), withheld: p.env.withheld },
    warnings: p.warnings,
    strict: { enabled: p.output.strict, violations: p.output.strict ? strictViolations(base) : [] },
    ...(extras.judgement ? { judgement: extras.judgement } : {}),
  };
}

/** Writes the report atomically, mode 600 (it lists what ran and what was refused). */
export function writeReport(file: string, report: Report): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(report, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
