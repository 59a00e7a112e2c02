// Where the start-up time of `safe-package -- true` goes: Node's own boot, loading
// safe-package's code (the bundle, or the module tree tsc emits), safe-package's work
// before the jail (configuration, policy, the sandbox probe, planning), the jail itself
// (bubblewrap, its helpers, `true`), and what follows (report, summary, exit).
//
// The external times are ordinary timed runs. The phases come from timing-hook.ts,
// loaded into the safe-package process with --import: the process's own clock.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from './proc.js';
import { readJson } from './report.js';
import type { Scenario, ScenarioResult } from './runner.js';
import { median } from './stats.js';
import type { ChildTiming, TimingRecord } from './timing-hook.js';
import { benchEnv, type Workspace } from './workspace.js';

export const PHASES = [
  ['boot', 'Node boot (process start → first module)'],
  ['load', 'loading safe-package (launcher + CLI code)'],
  ['work', 'safe-package work before the jail (config, policy, plan)'],
  ['probe', 'sandbox probe (a throw-away bwrap run)'],
  ['otherSync', 'other synchronous child processes'],
  ['jail', 'the jail: bwrap + setup + `true`, spawn → exit'],
  ['after', 'after the jail (review, report, summary)'],
  ['teardown', 'process exit (exit event → parent sees it)'],
] as const;

export type Phase = (typeof PHASES)[number][0];

const isProbe = (c: ChildTiming) => c.kind === 'sync' && c.args.includes('--unshare-user') && c.args.includes('/usr/bin/true');

/** Splits one hooked run into phases (ms). Pure. */
export function phasesOf(record: TimingRecord, wallMs: number): Partial<Record<Phase, number>> {
  const p: Partial<Record<Phase, number>> = { boot: record.hookAt };
  const done = (c: ChildTiming) => (c.end ?? c.start) - c.start;
  const jail = record.children.find((c) => c.kind === 'async');
  const probes = record.children.filter(isProbe);
  const others = record.children.filter((c) => c.kind === 'sync' && !isProbe(c));
  p.probe = probes.reduce((s, c) => s + done(c), 0);
  p.otherSync = others.reduce((s, c) => s + done(c), 0);
  if (record.mainAt !== undefined) {
    p.load = record.mainAt - record.hookAt;
    if (jail !== undefined) p.work = jail.start - record.mainAt - p.probe - p.otherSync;
  }
  if (jail?.end !== undefined) {
    p.jail = jail.end - jail.start;
    if (record.exitAt !== undefined) p.after = record.exitAt - jail.end;
  }
  if (record.exitAt !== undefined) p.teardown = wallMs - record.exitAt;
  return p;
}

export interface StartupBreakdown {
  readonly entry: 'bundle' | 'modules';
  readonly runs: number;
  /** Median of each phase, ms. */
  readonly phases: Partial<Record<Phase, number>>;
  /** Median wall time of the hooked runs (slightly above the plain runs: the hook). */
  readonly wallMs: number | undefined;
}

export function startupScenario(ws: Workspace, reps: number): Scenario {
  const env = benchEnv(ws, undefined);
  const cwd = ws.ownedDir(join(ws.dir, 'startup-project'));
  const emptyModule = join(ws.dir, 'hooks', 'empty.mjs');
  writeFileSync(emptyModule, '');
  const node = process.execPath;
  const cmd = (argv: string[]): Command => ({ argv, cwd, env });
  const hooked = (launcher: string, tag: string, rep: number): Command => {
    const hook = pathToFileURL(ws.hooks.timing);
    hook.searchParams.set('out', join(ws.reports, `timing-${tag}-${rep}.json`));
    return cmd([node, '--import', hook.href, launcher, '--', 'true']);
  };
  return {
    id: 'startup',
    title: 'start-up of safe-package -- true, taken apart',
    reps,
    warmups: 2,
    variants: [
      { id: 'node', label: 'node -e 0', side: 'reference', command: () => cmd([node, '-e', '0']) },
      { id: 'node-esm', label: 'node empty.mjs (ES module entry)', side: 'reference', command: () => cmd([node, emptyModule]) },
      { id: 'version-bundle', label: 'safe-package --version (bundle)', side: 'wrapped', command: () => cmd([ws.safePackage, '--version']) },
      { id: 'version-modules', label: 'safe-package --version (modules)', side: 'wrapped', command: () => cmd([ws.safePackageModules, '--version']) },
      { id: 'true-bundle', label: 'safe-package -- true (bundle)', side: 'wrapped', command: () => cmd([ws.safePackage, '--', 'true']) },
      { id: 'true-modules', label: 'safe-package -- true (modules)', side: 'wrapped', command: () => cmd([ws.safePackageModules, '--', 'true']) },
      { id: 'hooked-bundle', label: 'safe-package -- true (bundle, timing hook)', side: 'wrapped', command: (rep) => hooked(ws.safePackage, 'bundle', rep) },
      { id: 'hooked-modules', label: 'safe-package -- true (modules, timing hook)', side: 'wrapped', command: (rep) => hooked(ws.safePackageModules, 'modules', rep) },
    ],
  };
}

export function breakdownOf(ws: Workspace, result: ScenarioResult, entry: 'bundle' | 'modules'): StartupBreakdown {
  const variant = result.variants[`hooked-${entry}`];
  const per: Partial<Record<Phase, number[]>> = {};
  variant?.samplesMs.forEach((wall, rep) => {
    const record = readJson(join(ws.reports, `timing-${entry}-${rep}.json`)) as TimingRecord | undefined;
    if (record === undefined) return;
    for (const [phase, ms] of Object.entries(phasesOf(record, wall)) as [Phase, number][]) (per[phase] ??= []).push(ms);
  });
  const phases: Partial<Record<Phase, number>> = {};
  for (const [phase, list] of Object.entries(per) as [Phase, number[]][]) {
    const m = median(list);
    if (m !== undefined) phases[phase] = Math.round(m * 100) / 100;
  }
  return { entry, runs: variant?.samplesMs.length ?? 0, phases, wallMs: variant?.medianMs };
}
