// One run of a Policy: prepare the host, start the proxy, run each phase in the jail,
// then review and commit the staged writes. Returns what happened as data; main.ts turns
// it into the report and the exit status.

import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Policy } from '../policy/types.js';
import type { Phase } from '../policy/phases.js';
import { planScriptSteps, type ScriptStep } from './script-steps.js';
import { artifactsArgument, artifactsEntry, buildArtifacts, INTEGRITY_FILE, INTEGRITY_PROGRAM, versionIn, walkMtimes } from './yarn-integrity.js';
import { findProgram } from '../host/which.js';
import { PNPM_REBUILD_PROGRAM } from './pnpm-rebuild.js';
import type { RunningProxy } from '../net/proxy.js';
import type { BlockedConnection, ContactedHost, StepRecord, WriteRecord } from '../report/report.js';
import { redactArgs } from '../profiles/npmrc.js';
import { launch, type Outcome } from './launch.js';
import { prepareBackend } from '../backends/index.js';
import { checkReportWritable } from '../host/preflight.js';
import { planJson, type PlanJson } from '../plan/explain.js';
import { createStage, stagingChoice, keepFreshIfUsed, removeStage, stagedNothing, startFresh, upperOf } from '../stage/stage-dirs.js';
import { backgroundWriteback } from './writeback.js';
import { checkStepBinds } from '../stage/step-binds.js';
import { gitBuildSteps, gitFetchSteps, inBuilds } from './git-deps.js';
import { removeGitBuilds } from '../stage/git-builds.js';
import type { LandlockRun } from '../backends/landlock/shadow-run.js';
import type { TcpFront } from './network.js';

export interface RunResult {
  /** The last phase that ran (the first that failed, if any failed). */
  readonly outcome: Outcome;
  /** Every jail that ran, in order. */
  readonly steps: readonly StepRecord[];
  readonly blocked: readonly BlockedConnection[];
  readonly contacted: readonly ContactedHost[];
  readonly writes?: { staged: true; committed: WriteRecord[]; discarded: WriteRecord[]; commit_ms: number };
  /** Staged writes could not be committed (the project is unchanged); why. */
  readonly commitError?: string;
  readonly notes: readonly string[];
}

interface Step {
  readonly command: { path: string; args: string[] };
  /** Project paths the step may write; undefined: the whole project. */
  readonly writable?: readonly string[];
  /** The package whose scripts this step runs (to name it when it reaches for a host). */
  readonly package?: string;
}

/**
 * What a phase runs, step by step; empty when it has nothing to do. `replaced`: project
 * directories an earlier phase replaced wholesale (their old content is not in the jail's
 * view).
 */
export function phaseSteps(p: Policy, phase: Phase, runDir: string | undefined, replaced: readonly string[] = [], shadow?: LandlockRun): Iterable<Step> {
  const user: Step = { command: { path: p.command.path, args: [...p.command.args] } };
  // After the download, the git dependencies to build are fetched (run/git-deps.ts).
  if (phase.program === 'user') return phase.name === 'install' && runDir ? withGitFetch(p, user, runDir, shadow) : [user];
  const tool = p.rebuildTool!;
  if (!runDir) return [];
  const rootScripts = phase.scripts?.kind === 'all';
  // The landlock backend's shadow holds the whole tree the jail sees: what this run wrote
  // is what differs from what was made before the first step.
  const steps = shadow
    ? planScriptSteps({ upperDir: shadow.shadow.dir, projectDir: shadow.shadow.dir, rootScripts, replaced: ['node_modules'], touched: shadow.touched })
    : planScriptSteps({ upperDir: upperOf(runDir), projectDir: p.project.dir, rootScripts, replaced });
  const flags = phase.carriedFlags ?? [];
  const root = (event: string): Step => ({ command: { path: tool, args: ['run', event, ...flags] } });
  if (p.profile.name === 'pnpm') {
    // pnpm keeps its packages in node_modules/.pnpm behind symlinks and decides itself
    // which may build (onlyBuiltDependencies): one `pnpm rebuild --pending` with
    // node_modules writable, still not the rest of the project.
    const events = steps.flatMap((s) => (s.kind === 'root' ? [s.event] : []));
    const names = steps.flatMap((s) => (s.kind === 'package' ? [s.name] : []));
    // --pending: exactly the builds the install phase skipped, as pnpm recorded them.
    return [
      ...events.filter((e) => e === 'preinstall').map(root),
      ...(names.length ? [{ command: pnpmRebuild(p, tool, ['rebuild', '--pending', ...flags]), writable: ['node_modules'] }] : []),
      ...events.filter((e) => e !== 'preinstall').map(root),
    ];
  }
  const tree = shadow ? shadow.shadow.dir : upperOf(runDir);
  const git = gitBuildSteps(p, tree, runDir, shadow?.touched, flags);
  const all = [...git, ...steps.map((s) => (s.kind === 'root' ? root(s.event) : { command: { path: tool, args: ['rebuild', s.name, ...flags] }, writable: s.writable, package: s.name }))];
  // yarn's integrity file, rewritten as bare yarn leaves it once the packages are built (run/yarn-integrity.ts).
  return p.profile.name === 'yarn' ? withYarnIntegrity(p, all, steps, tree) : all;
}

/** The pnpm rebuild, run by the program that puts back the bin shims it rewrites (run/pnpm-rebuild.ts); bare when there is no node to run it. */
function pnpmRebuild(p: Policy, tool: string, args: string[]): { path: string; args: string[] } {
  const node = findProgram('node', p.env.vars.PATH ?? '', p.cwd);
  return node.found ? { path: node.path, args: ['-e', PNPM_REBUILD_PROGRAM, tool, ...args] } : { path: tool, args };
}

/** The scripts phase's steps with, after the last package's, the step that rewrites yarn's integrity file. */
function* withYarnIntegrity(p: Policy, all: readonly Step[], steps: readonly ScriptStep[], tree: string): Generator<Step> {
  const node = findProgram('node', p.env.vars.PATH ?? '', p.cwd);
  const integrity = lstatSync(join(tree, INTEGRITY_FILE), { throwIfNoEntry: false });
  if (!node.found || !integrity?.isFile()) return yield* all;
  // Before any script runs: what each package folder holds (yarn walks them then too).
  const built = steps.flatMap((s) => (s.kind === 'package' ? s.writable.map((rel) => ({ name: s.name, rel, before: walkMtimes(join(tree, rel)) })) : []));
  // After the root's preinstall and the packages' builds, before the root's other scripts, as yarn saves it.
  const at = all.length - steps.length + steps.reduce((last, s, i) => (s.kind === 'package' || (s.kind === 'root' && s.event === 'preinstall') ? i + 1 : last), 0);
  for (let i = 0; i <= all.length; i++) {
    if (i === at) {
      const entry = artifactsEntry(built.map((b) => ({ name: b.name, version: versionIn(join(tree, b.rel)) ?? '', artifacts: buildArtifacts(b.before, walkMtimes(join(tree, b.rel))) })));
      yield { command: { path: node.path, args: ['-e', INTEGRITY_PROGRAM, artifactsArgument(entry)] }, writable: ['node_modules'] };
    }
    if (i < all.length) yield all[i]!;
  }
}

/** The user's command, then (looked at once it has run) the fetches of the git dependencies it installed. */
function* withGitFetch(p: Policy, user: Step, runDir: string, shadow: LandlockRun | undefined): Generator<Step> {
  yield user;
  yield* gitFetchSteps(p, shadow ? shadow.shadow.dir : upperOf(runDir), runDir, shadow?.touched);
}

/** Identity of a refusal in the proxy's ledger (it merges repeats into a count). */
const blockKey = (b: { host: string; port: number; method?: string; reason: string }) => `${b.host}|${b.port}|${b.method ?? ''}|${b.reason}`;

/** A step that did not succeed ends the run: later phases never run after a failure. */
function stopped(o: Outcome): boolean {
  return o.setupFailed || o.spawnError !== undefined || o.timedOut || o.status !== 0;
}

/**
 * Called after each phase with where the jail's writes can be read (the judgement,
 * src/judge/): true stops the run there, before any later phase and the commit.
 */
export type AfterPhase = (phase: Phase, seen: { readonly upper?: string; readonly lower: string }) => Promise<boolean>;

export async function runPolicy(p: Policy, afterPhase?: AfterPhase): Promise<RunResult> {
  // Fails closed before anything is made; the backend's host facts are read once, here.
  checkReportWritable(p.output.report);
  const backend = prepareBackend(p);
  const staged = backend.staged;
  const notes: string[] = [];
  if (p.namedPaths.length) notes.push(`note: read-only in the jail, as you named them: ${p.namedPaths.join(', ')}`);
  if (staged) {
    const where = stagingChoice(p);
    if (where.ok && where.note) notes.push(`note: ${where.note}`);
  }
  // The project as it is now: the commit writes into this directory or into none.
  const { dev, ino } = lstatSync(p.project.dir);
  const staging = staged ? await import('../stage/staging.js') : undefined;
  // A commit a crash interrupted is finished or undone before anything touches the project.
  if (staging) notes.push(...(await staging.recoverInterrupted(p)));
  const runDir = backend.backend.needsRunDir(p) ? createStage(p) : undefined;
  const landlock = p.backend === 'landlock' && runDir ? await import('../backends/landlock/shadow-run.js') : undefined;
  // The landlock backend: fresh directories (npm ci's node_modules) start empty in the shadow.
  const shadow = landlock ? landlock.prepareLandlockRun(p, runDir!, p.phases.flatMap((ph) => ph.freshDirs ?? [])) : undefined;
  const fronts = new Map<Phase['network'], TcpFront>();
  // One proxy per network scope, started when a phase first needs it.
  const proxies = new Map<Phase['network'], RunningProxy>();
  const net = p.network.proxied ? await import('./network.js') : undefined;
  const proxyFor = async (scope: Phase['network']): Promise<RunningProxy | undefined> => {
    if (!runDir || !net) return undefined;
    let proxy = proxies.get(scope);
    if (!proxy) proxies.set(scope, (proxy = await net.startJailProxy(p, runDir, scope)));
    return proxy;
  };
  const closeProxies = async () => {
    await Promise.all([...fronts.values()].map((f) => f.close()));
    fronts.clear();
    await Promise.all([...proxies.values()].map((x) => x.close()));
  };
  const frontFor = async (scope: Phase['network'], proxy: RunningProxy | undefined): Promise<number | undefined> => {
    // Backends without a network namespace reach the proxy over loopback TCP.
    if ((!shadow && p.backend !== 'chroot') || !proxy || !net) return undefined;
    let front = fronts.get(scope);
    if (!front) fronts.set(scope, (front = await net.startTcpFront(proxy)));
    return front.port;
  };
  const writeback = backgroundWriteback();
  try {
    const started = Date.now();
    const steps: StepRecord[] = [];
    const attributed = new Map<string, string>();
    let outcome: Outcome | undefined;
    const replaced: string[] = [];
    let held = false;
    for (const phase of p.phases) {
      const fresh = staged && runDir && !shadow ? (phase.freshDirs ?? []).filter((rel) => startFresh(p, runDir, rel)) : [];
      for (const { command, writable, package: pkg } of phaseSteps(p, phase, runDir, replaced, shadow)) {
        const proxy = await proxyFor(phase.network);
        const before = new Map((proxy?.blocked() ?? []).map((b) => [blockKey(b), b.count]));
        const bridge = proxy && net && p.backend === 'sandbox' ? net.bridgeSpec(proxy.socketPath, p.dropPrivileges) : undefined;
        const proxyPort = await frontFor(phase.network, proxy);
        const paths = {
          ...(runDir ? { runDir } : {}),
          ...(bridge ? { bridge } : {}),
          ...(shadow ? { landlock: shadow.stepDirs(phase) } : {}),
          ...(proxyPort !== undefined ? { proxyPort } : {}),
        };
        // A package's folders, looked at again now: earlier steps changed the tree.
        let jail: PlanJson | undefined;
        const binds = writable && runDir && !shadow ? checkStepBinds(upperOf(runDir), p.project.dir, writable) : undefined;
        if (binds && !binds.ok) {
          outcome = { status: 125, setupFailed: true, timedOut: false, forwarded: [], durationMs: 0, setupProblem: `the scripts of ${pkg ?? 'a package'} were not run: ${binds.problem}` };
        } else {
          // A git build's own node_modules is the build's, not other packages' copies.
          const readOnlyInside = binds?.ok ? binds.readOnlyInside.filter((rel) => !inBuilds(runDir!, rel)) : [];
          const { plan, seccomp } = backend.planStep(paths, { phase, command, ...(writable ? { writable } : {}), ...(readOnlyInside.length ? { readOnlyInside } : {}) });
          // The plan as the report records it (steps[].jail): only a written report shows it.
          if (p.output.report) jail = planJson(plan, seccomp, bridge?.code);
          const remaining = Math.max(1, p.limits.timeout - (Date.now() - started) / 1000);
          // When launch returns, every process of the jail is gone.
          outcome = await launch(plan, { timeoutSeconds: remaining, ...(proxy ? { adopt: (s) => proxy.adopt(s) } : {}) });
        }
        // What the jail staged goes to disk while the next jail or the review runs. sync
        // holds the directory it is given open: the run directory, never the upper
        // directory inside it, which review refuses to look at while anything holds it.
        if (staged && runDir && !stagedNothing(runDir)) writeback.kick(runDir);
        // Refusals new during this step are this package's doing.
        if (pkg && proxy) for (const b of proxy.blocked()) if ((before.get(blockKey(b)) ?? 0) < b.count) attributed.set(blockKey(b), pkg);
        steps.push({
          phase: phase.name,
          argv: redactArgs([command.path, ...command.args]),
          ...(pkg ? { package: pkg } : {}),
          status: outcome.status,
          duration_ms: outcome.durationMs,
          ...(jail ? { jail } : {}),
        });
        if (stopped(outcome)) break;
      }
      if (runDir) for (const rel of fresh) if (keepFreshIfUsed(runDir, rel)) replaced.push(rel);
      if (outcome && stopped(outcome)) break;
      if (afterPhase && (held = await afterPhase(phase, shadow ? { upper: shadow.shadow.dir, lower: shadow.shadow.dir } : { ...(staged && runDir ? { upper: upperOf(runDir) } : {}), lower: p.project.dir }))) break;
    }
    await closeProxies();
    if (!outcome) throw new Error('no phase ran');
    const total: Outcome = { ...outcome, durationMs: Date.now() - started };
    const records = { blocked: [] as BlockedConnection[], contacted: [] as ContactedHost[] };
    for (const [scope, proxy] of proxies) {
      const r = net!.networkRecords(proxy, scope === 'policy' ? undefined : 'scripts');
      records.blocked.push(...r.blocked.map((b) => (attributed.has(blockKey(b)) ? { ...b, package: attributed.get(blockKey(b))! } : b)));
      records.contacted.push(...r.contacted);
    }
    const base = { outcome: total, steps, ...records, notes };
    if (!staging || !runDir || total.setupFailed || total.spawnError || held) return base;
    try {
      removeGitBuilds(shadow ? shadow.shadow.dir : upperOf(runDir), runDir);
      if (shadow && landlock) await landlock.shadowToStage(p, shadow);
      const r = await staging.reviewAndCommit(p, runDir, total, { dev, ino });
      return { ...base, writes: { staged: true, committed: r.committed, discarded: r.discarded, commit_ms: r.commitMs } };
    } catch (err) {
      return { ...base, commitError: (err as Error).message };
    }
  } finally {
    await closeProxies();
    await writeback.settled();
    if (runDir) removeStage(runDir);
  }
}
