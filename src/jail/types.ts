// Data shared by `jail create`, `jail check` and the chroot backend.

/** Which check a problem comes from; stable, for programs (the chroot backend, tests). */
export type JailRule =
  | 'missing' // the jail directory does not exist or is not a directory
  | 'ancestor-owner' // the jail or a directory above it is not owned by root
  | 'ancestor-writable' // the jail or a directory above it is writable by group/others
  | 'owner' // something inside is not owned by root
  | 'device-missing' // a device node every package manager opens (/dev/null, ...) is not there
  | 'writable' // something inside is writable by group/others
  | 'setuid' // a setuid or setgid file
  | 'file-capabilities' // a file with security.capability (setuid's modern form)
  | 'device' // a device node other than null, zero, full, random, urandom, tty
  | 'special-file' // a FIFO or Unix socket outside /tmp
  | 'mount' // a file system is mounted inside the jail
  | 'mount-point-symlink' // /proc, /dev, /tmp, /sys or /run is a symlink
  | 'tmp' // /tmp is world-writable without the sticky bit
  | 'root-target'; // the jail would be used by root, which can leave a chroot

/** One reason the jail is unsafe. `path` is a host path; `fix` is a command or an instruction. */
export interface JailProblem {
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
  readonly rule: JailRule;
}

/** Who will run inside the jail (after the chroot backend dropped privileges). */
export interface JailTarget {
  readonly uid: number;
  readonly gid: number;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** lstat data of one path, as the checks need it (so they can run on synthetic data). */
export interface StatLite {
  readonly type: EntryType;
  /** Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** For device nodes. */
  readonly rdevMajor?: number;
  readonly rdevMinor?: number;
}

/** A path inside the jail, written as the jailed process sees it ("/usr/bin/env"). */
export interface JailEntry extends StatLite {
  readonly rel: string;
}

/** A directory on the way to the jail, host path. */
export interface AncestorEntry extends StatLite {
  readonly path: string;
}

/** Everything `checkJail` looked at, gathered first so the judgement is a pure function. */
export interface JailScan {
  /** The jail directory as given (absolute). */
  readonly dir: string;
  /** Its real path (symlinks resolved): what chroot(2) will use. */
  readonly root: string;
  /** lstat of every prefix of `dir` and of `root`, from "/" down, each chain ending at the jail. */
  readonly ancestorChains: readonly (readonly AncestorEntry[])[];
  readonly entries: readonly JailEntry[];
  /** Mount points strictly inside the jail (jail-relative, e.g. "/proc"). */
  readonly mounts: readonly string[];
  /** Executable files carrying file capabilities (jail-relative); undefined when they could
   *  not be read (getfattr, Debian package attr, missing). */
  readonly capabilities?: readonly string[];
}

export interface JailCreateOptions {
  /** Users (name or uid) to add to the jail's /etc/passwd besides root and nobody. */
  readonly users?: readonly string[];
  /** PATH used to find an EXE given without a slash (default: this process's PATH). */
  readonly searchPath?: string;
  /** PATH the jailed program will have; `#!/usr/bin/env prog` is resolved on it (default JAIL_PATH). */
  readonly jailPath?: string;
  /** Progress lines (what is being added). */
  readonly log?: (line: string) => void;
}

export type AddedKind = 'file' | 'dir' | 'symlink' | 'device';

export interface JailAddition {
  /** As seen inside the jail. */
  readonly rel: string;
  readonly kind: AddedKind;
  /** Bytes, for files. */
  readonly size: number;
}

/** What one --with brought in. */
export interface ExecutableReport {
  /** As given on the command line. */
  readonly requested: string;
  /** The path it was found at (before following symlinks). */
  readonly path: string;
  /** elf, script, or other (copied but not analysed). */
  readonly kind: 'elf' | 'script' | 'other';
  /** Interpreters reached through shebangs and PT_INTERP, and programs env runs. */
  readonly programs: readonly string[];
  /** Shared libraries (host paths where they were found). */
  readonly libraries: readonly string[];
  /** Directory trees copied whole (npm packages, Python library directories). */
  readonly trees: readonly string[];
}

export interface JailCreateResult {
  /** Real path of the jail. */
  readonly dir: string;
  readonly executables: readonly ExecutableReport[];
  /** New paths in the jail, sorted. */
  readonly added: readonly JailAddition[];
  /** Paths whose content was replaced because the host file changed. */
  readonly updated: readonly string[];
  /** Files already present and identical. */
  readonly unchanged: number;
  /** Things that may stop a program from working in the jail (a library not found, ...). */
  readonly warnings: readonly string[];
  /** Total size of the files in the jail after this run. */
  readonly totalBytes: number;
  readonly elapsedMs: number;
}

/** PATH inside the jail (and the PATH `#!/usr/bin/env prog` is resolved on). */
export const JAIL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Name of the file that marks a directory as built by `jail create`. */
export const JAIL_MARKER = '.safe-package-jail';
