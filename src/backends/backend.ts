// The backend interface: what every jail mechanism (sandbox, landlock, chroot, none)
// does for a run, in the order a run needs it. The run's orchestration (src/run/) knows
// only this interface; everything one mechanism does lives in its own folder here.
//
//   gather(policy)            facts about this host the backend plans from, read once per
//                             run (and once for --explain); no side effects
//   prepare(policy)           checks and host preparation right before the first jail,
//                             failing closed with a reason and a fix; then gather
//   describedPaths(policy)    where a run would put its directories (--explain creates none)
//   planStep(policy, host, paths, step)   one jail, as plain data (a LaunchPlan); pure
//
// Running a step is the same for every backend: src/run/launch.ts carries out the plan.

import type { Policy, BackendName } from '../policy/types.js';
import type { Phase } from '../policy/phases.js';
import type { LaunchPlan } from '../plan/types.js';
import type { BridgeSpec } from './sandbox/plan.js';
import type { LandlockDirs } from './landlock/plan.js';

export interface Planned {
  readonly plan: LaunchPlan;
  /** Human lines describing the seccomp filter, for --explain. */
  readonly seccomp?: string[];
}

/** What the run creates on the host for a step (none of it exists under --explain). */
export interface RunPaths {
  /** This run's directory (staging layers, proxy socket). */
  readonly runDir?: string;
  readonly bridge?: BridgeSpec;
  /** The landlock backend's directories for this step (shadow, HOME, TMPDIR). */
  readonly landlock?: LandlockDirs;
  /** Backends without a network namespace: the proxy's loopback port for this step. */
  readonly proxyPort?: number;
}

export interface StepSpec {
  readonly phase?: Phase;
  readonly command?: { readonly path: string; readonly args: readonly string[] };
  /** Project paths the step may write; undefined: the whole project. */
  readonly writable?: readonly string[];
  /** Paths inside the writable ones that stay read-only (links an earlier step made). */
  readonly readOnlyInside?: readonly string[];
}

export interface Backend<Host> {
  readonly name: BackendName;
  /** Whether the project's writes are staged and reviewed before they reach it (docs/promises.md#p5-staged-writes). */
  stages(p: Policy): boolean;
  /** Whether the run needs a run directory (staging layers, the proxy's socket). */
  needsRunDir(p: Policy): boolean;
  gather(p: Policy): Host;
  prepare(p: Policy): Host;
  describedPaths(p: Policy): RunPaths;
  planStep(p: Policy, host: Host, paths: RunPaths, step: StepSpec): Planned;
}
