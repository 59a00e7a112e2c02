// LaunchPlan: exactly what will be executed for a Policy, as plain data. Printed by
// --explain; carried out by run/launch.ts. Nothing secret is in a plan: values of
// kept variables travel only in `env`, which --explain shows by name.

import type { BackendName } from '../policy/types.js';

/** An extra file descriptor of the spawned process (fd 3, 4, ... in order). */
export type FdSpec =
  /** Bytes written to a pipe that the child reads (bwrap arguments, seccomp program, files). */
  | { readonly kind: 'data'; readonly purpose: string; readonly data: Buffer }
  /** A pipe the child writes and we read: bwrap's JSON status (child pid, exit code). */
  | { readonly kind: 'status'; readonly purpose: string }
  /** A pipe the child writes "ready\n" to (the network bridge). */
  | { readonly kind: 'ready'; readonly purpose: string }
  /** A pipe we write once every 'ready' pipe has said so (bwrap --block-fd). */
  | { readonly kind: 'gate'; readonly purpose: string }
  /** A Node IPC channel to the bridge, which hands client connections over it (src/net/bridge-handover.ts). */
  | { readonly kind: 'channel'; readonly purpose: string };

export interface MountLine {
  readonly where: string;
  readonly what: 'ro-bind' | 'bind' | 'tmpfs' | 'proc' | 'dev' | 'data' | 'hidden' | 'symlink' | 'dir';
  /** Host source or a description. */
  readonly from?: string;
}

export interface LaunchPlan {
  readonly backend: BackendName;
  /** The program spawned and its arguments. */
  readonly argv: readonly string[];
  /** The full argument list handed to bubblewrap through a descriptor, for --explain. */
  readonly jailArgs?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly fds: readonly FdSpec[];
  readonly mounts: readonly MountLine[];
  readonly namespaces: readonly string[];
  readonly hardening: readonly string[];
  /**
   * How every process of the jail is known to be dead when the program exits:
   * 'pid-namespace' (the kernel kills the namespace with its init), 'supervisor' (sp-confine,
   * the child subreaper, kills every descendant; SIGALRM asks it to tear down now) or 'none'.
   */
  readonly lifetime: 'pid-namespace' | 'supervisor' | 'none';
  /** How to find the program's own pid for forwarding signals. */
  readonly mainProcess: 'spawned' | 'below-bwrap' | 'child-of-spawned';
}
