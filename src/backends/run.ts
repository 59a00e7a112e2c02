// One run of a Policy: prepare the host, start the proxy, run each phase in the jail,
// then review and commit the staged writes. Returns what happened as data; main.ts turns
// it into the report and the exit status.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Policy } from '../policy/types.js';
import { changedPackages, type Phase } from '../policy/phases.js';
import { isPackageName } from '../profiles/commands.js';
import type { RunningProxy } from '../net/proxy.js';
import type { BlockedConnection, ContactedHost, WriteRecord } from '../report/report.js';
import { launch, type Outcome } from './launch.js';
import { makePlan, prepare } from './plan-for.js';
import { createStage, removeStage } from './stage-dirs.js';

/** Project writes are staged and reviewed (SPEC §5); --root-dir keeps the seed's direct writes. */
export function isStaged(p: Policy): boolean {
  return p.backend === 'sandbox' && p.rootDir === undefined;
}

export interface PhaseRecord {
  readonly name: string;
  readonly describe: string;
  readonly command: string;
  readonly status: number;
  readonly durationMs: number;
}

export interface RunResult {
  /** The last phase that ran (the first that failed, if any failed). */
  readonly outcome: Outcome;
  readonly phases: readonly PhaseRecord[];
  readonly blocked: readonly BlockedConnection[];
  readonly contacted: readonly ContactedHost[];
  readonly writes?: { staged: true; committed: WriteRecord[]; discarded: WriteRecord[]; commit_ms: number };
  /** Staged writes could not be committed (the project is unchanged); why. */
  readonly commitError?: string;
  readonly notes: readonly string[];
}

/** Relative paths of directories in the staging layer's node_modules trees (no symlinks followed). */
function stagedNodeModules(upper: string): string[] {
  const out: string[] = [];
  const walk = (rel: string, depth: number) => {
    if (depth > 16 || out.length > 100_000) return;
    let entries;
    try {
      entries = readdirSync(join(upper, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const r = `${rel}/${e.name}`;
      out.push(`${r}/`);
      walk(r, depth + 1);
    }
  };
  walk('node_modules', 0);
  return out;
}

/** The program a phase runs, or undefined when it has nothing to do. */
export function phaseCommand(p: Policy, phase: Phase, runDir: string | undefined): { path: string; args: string[] } | undefined {
  if (phase.program === 'user') return { path: p.command.path, args: [...p.command.args] };
  const tool = p.rebuildTool!;
  if (phase.scripts?.kind === 'all') return { path: tool, args: ['rebuild'] };
  const names = runDir ? changedPackages(stagedNodeModules(join(runDir, 'upper'))).filter(isPackageName) : [];
  return names.length === 0 ? undefined : { path: tool, args: ['rebuild', ...names] };
}

export async function runPolicy(p: Policy): Promise<RunResult> {
  const staged = isStaged(p);
  const notes: string[] = [];
  const prepared = prepare(p, staged);
  const staging = staged ? await import('./staging.js') : undefined;
  // A commit a crash interrupted is finished or undone before anything touches the project.
  if (staging) notes.push(...(await staging.recoverInterrupted(p)));
  const runDir = p.backend === 'sandbox' ? createStage(p) : undefined;
  // One proxy per network scope, started when a phase first needs it.
  const proxies = new Map<Phase['network'], RunningProxy>();
  const net = p.network.proxied ? await import('./network.js') : undefined;
  const proxyFor = async (scope: Phase['network']): Promise<RunningProxy | undefined> => {
    if (!runDir || !net) return undefined;
    let proxy = proxies.get(scope);
    if (!proxy) proxies.set(scope, (proxy = await net.startJailProxy(p, runDir, scope)));
    return proxy;
  };
  const closeProxies = () => Promise.all([...proxies.values()].map((x) => x.close()));
  try {
    const started = Date.now();
    const phases: PhaseRecord[] = [];
    let outcome: Outcome | undefined;
    for (const phase of p.phases) {
      const steps: { path: string; args: string[] }[] = [];
      const main = phaseCommand(p, phase, runDir);
      if (main) steps.push(main);
      if (phase.prepare && p.rebuildTool) steps.push({ path: p.rebuildTool, args: ['run', 'prepare'] });
      for (const command of steps) {
        const proxy = await proxyFor(phase.network);
        const bridge = proxy && net ? net.bridgeSpec(proxy.socketPath) : undefined;
        const { plan } = makePlan(p, { ...prepared, ...(runDir ? { runDir } : {}), staged: staged && runDir !== undefined, ...(bridge ? { bridge } : {}) }, phase, command);
        const remaining = Math.max(1, p.limits.timeout - (Date.now() - started) / 1000);
        // When launch returns, every process of the jail is gone.
        outcome = await launch(plan, { timeoutSeconds: remaining });
        phases.push({ name: phase.name, describe: phase.describe, command: [command.path, ...command.args].join(' '), status: outcome.status, durationMs: outcome.durationMs });
        if (outcome.setupFailed || outcome.spawnError || outcome.timedOut || outcome.status !== 0) break;
      }
      if (outcome && (outcome.setupFailed || outcome.spawnError || outcome.timedOut || outcome.status !== 0)) break;
    }
    await closeProxies();
    if (!outcome) throw new Error('no phase ran');
    const total: Outcome = { ...outcome, durationMs: Date.now() - started };
    const records = { blocked: [] as BlockedConnection[], contacted: [] as ContactedHost[] };
    for (const [scope, proxy] of proxies) {
      const r = net!.networkRecords(proxy, scope === 'policy' ? undefined : 'scripts');
      records.blocked.push(...r.blocked);
      records.contacted.push(...r.contacted);
    }
    const base = { outcome: total, phases, ...records, notes };
    if (!staging || !runDir || total.setupFailed || total.spawnError) return base;
    try {
      const r = await staging.reviewAndCommit(p, runDir, total);
      return { ...base, writes: { staged: true, committed: r.committed, discarded: r.discarded, commit_ms: r.commitMs } };
    } catch (err) {
      return { ...base, commitError: (err as Error).message };
    }
  } finally {
    await closeProxies();
    if (runDir) removeStage(runDir);
  }
}
