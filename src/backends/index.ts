// The backends by name. A run asks for its backend once and holds on to what it gathered.

import type { BackendName, Policy } from '../policy/types.js';
import type { Backend, Planned, RunPaths, StepSpec } from './backend.js';
import { sandboxBackend } from './sandbox/index.js';
import { landlockBackend } from './landlock/index.js';
import { chrootBackend } from './chroot/index.js';
import { noneBackend } from './none/index.js';

export type { Backend, Planned, RunPaths, StepSpec } from './backend.js';

const BACKENDS: { readonly [N in BackendName]: Backend<any> } = {
  sandbox: sandboxBackend,
  landlock: landlockBackend,
  chroot: chrootBackend,
  none: noneBackend,
};

export function backendFor(name: BackendName): Backend<unknown> {
  return BACKENDS[name];
}

/** Whether a policy's project writes are staged and reviewed: its backend decides, here only. */
export function isStaged(p: Policy): boolean {
  return backendFor(p.backend).stages(p);
}

/**
 * A policy bound to its backend and the host facts it gathered: what a run (or
 * --explain) plans every step from. The facts are read once, when this is made.
 */
export interface BackendRun {
  readonly policy: Policy;
  readonly backend: Backend<unknown>;
  readonly staged: boolean;
  /** One jail as plain data: the same function for --explain and for the run. */
  planStep(paths: RunPaths, step: StepSpec): Planned;
}

function bind(p: Policy, backend: Backend<unknown>, host: unknown): BackendRun {
  return { policy: p, backend, staged: backend.stages(p), planStep: (paths, step) => backend.planStep(p, host, paths, step) };
}

/** For a run: the host checked and prepared (fails closed with a fix), then its facts read. */
export function prepareBackend(p: Policy): BackendRun {
  const backend = backendFor(p.backend);
  return bind(p, backend, backend.prepare(p));
}

/** For --explain: the host's facts read; nothing is made, checked or started. */
export function describeBackend(p: Policy): BackendRun {
  const backend = backendFor(p.backend);
  return bind(p, backend, backend.gather(p));
}
