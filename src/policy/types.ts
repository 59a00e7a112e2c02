// Policy: everything decided about one run, as plain data. Built by resolve.ts from
// configuration, the profile and facts about the host; consumed by plan/.

import type { LimitsConfig, NetworkMode, ResolvedConfig } from '../config/types.js';
import type { Profile } from '../profiles/types.js';
import type { JailFile } from '../profiles/tool-config.js';
import type { JailEnvironment } from './environment.js';
import type { Phase } from './phases.js';

export type BackendName = 'sandbox' | 'landlock' | 'chroot' | 'none';

export interface JailUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly groupName: string;
  /** HOME inside the jail (an empty tmpfs in the sandbox). */
  readonly home: string;
}

export interface ChrootSetup {
  /** unshare works here: PID, mount, IPC, UTS (and network) namespaces, so mounts too. */
  readonly namespaces: boolean;
  /** The kernel's Landlock ABI (0: none): the network rule where there is no network namespace. */
  readonly landlockAbi: number;
  /** The working directory as the jail sees it. */
  readonly cwd: string;
  /** The project lies outside the jail root and is bound at its own path inside it. */
  readonly bindProject: boolean;
}

export interface Invoker {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
  readonly home: string;
}

export interface Policy {
  readonly invokedAs: string;
  readonly cwd: string;
  readonly invoker: Invoker;
  readonly command: {
    /** As the user gave it. */
    readonly exe: string;
    /** Absolute path (on the host; inside root_dir for the chroot backend). */
    readonly path: string;
    readonly args: readonly string[];
  };
  readonly profile: Profile;
  readonly backend: BackendName;
  readonly backendReason: string;
  /** The kernel's Landlock ABI, for the landlock backend. */
  readonly landlockAbi?: number;
  readonly user: JailUser;
  /** True when safe-package runs as root and the jail runs as another user. */
  readonly dropPrivileges: boolean;
  readonly rootDir?: string;
  /** The chroot backend: what this host lets it use, decided by trying (resolve.ts). */
  readonly chroot?: ChrootSetup;
  readonly env: JailEnvironment;
  readonly network: {
    readonly mode: NetworkMode;
    /** host[:port] rules for the proxy: registry hosts plus allow_hosts. */
    readonly allow: readonly string[];
    readonly registries: readonly string[];
    /** Hosts the user allowed by name (allow_hosts): the only ones the scripts phase may reach. */
    readonly userAllowed: readonly string[];
    /** The jail reaches the network through the proxy (registry mode with something allowed). */
    readonly proxied: boolean;
  };
  readonly project: {
    /** The directory the package manager may change (the current directory). */
    readonly dir: string;
    readonly hide: readonly string[];
    readonly write: readonly string[];
    /** Workspace directories, relative (their package.json files are reviewed as the root's). */
    readonly workspaces?: readonly string[];
    /** package.json sections this command may change besides dependencies (`npm install-scripts approve`: allowScripts). */
    readonly manifestExtraKeys?: readonly string[];
  };
  /** safe-package's own cache directory on the host (bound into the sandbox). */
  readonly cacheDir: string;
  /**
   * Paths outside the project the user named (a tarball on the command line, a `file:`
   * dependency, a requirements file): read-only at their own path in the jail.
   */
  readonly namedPaths: readonly string[];
  /** Host paths bound read-only at the same place (the tool's installation, cafile, ...). */
  readonly readOnlyPaths: readonly string[];
  /** Credential-free configuration files placed inside the jail. */
  readonly files: readonly JailFile[];
  /**
   * The user's registry credentials, for the install phase only (docs/promises.md#p7-two-phase-installs): original
   * configuration files (replacing their sanitized copies) and referenced variables.
   * Secrets: never printed, logged or reported.
   */
  readonly credentials: { readonly files: readonly JailFile[]; readonly env: Readonly<Record<string, string>> };
  /** The phases of this run, in order (one, or install + scripts). */
  readonly phases: readonly Phase[];
  /** The program that runs install scripts in the scripts phase (`npm`/`pnpm` rebuild). */
  readonly rebuildTool?: string;
  readonly removedCredentials: readonly string[];
  readonly limits: Required<LimitsConfig>;
  /**
   * RLIMIT_NPROC for the jail: `limits.processes` beyond what the jail user already runs
   * (the kernel counts every process and thread of the uid, not only the jail's).
   */
  readonly processRlimit: number;
  readonly output: { readonly report?: string; readonly strict: boolean; readonly quiet: boolean };
  readonly warnings: readonly string[];
  readonly config: ResolvedConfig;
}
