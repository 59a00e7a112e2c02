// The data that flows through review and commit of staged writes (docs/promises.md#p5-staged-writes).
//
// The package manager ran with the project mounted as an overlay: lower = the real
// project (read-only), upper = a staging directory. Everything it wrote is in the upper
// directory. Review turns that directory into a list of Changes, each with a verdict;
// commit carries the committed ones into the real project, crash-safely.

/** What the review looks at. All paths are absolute host paths. */
export interface ReviewInput {
  /** The overlay's upper directory, after the jail is dead (see secureStagingDir). */
  readonly upperDir: string;
  /** The real project: the overlay's lower directory. */
  readonly projectDir: string;
  /**
   * Where writes may land, relative to the project root and anchored there
   * (`node_modules/**`, `package.json`, `package-lock.json`), in the syntax of
   * src/util/glob.ts. Everything else is discarded.
   */
  readonly writeGlobs: readonly string[];
  /** The manifest compared semantically: only dependency sections may change. */
  readonly manifest?: 'package.json' | undefined;
  /** Workspace manifests (`packages/a/package.json`), compared the same way. */
  readonly workspaceManifests?: readonly string[];
  /** Paths outside the project the user named, relative to it: links to exactly them are kept. */
  readonly namedOutside?: readonly string[];
  /** Manifest sections this command may change besides the dependency sections. */
  readonly manifestExtraKeys?: readonly string[];
  /**
   * The only lockfiles whose changes pass (e.g. ['package-lock.json', 'npm-shrinkwrap.json']).
   * A change to another package manager's lockfile at the project root is discarded.
   */
  readonly lockfiles: readonly string[];
  /**
   * When given, a changed lockfile or dependency specifier whose URLs point at any other
   * host is discarded (a redirected `resolved` URL is a supply-chain attack on the next
   * install). Entries are `host` or `host:port`.
   */
  readonly registryHosts?: readonly string[] | undefined;
}

export type ChangeKind =
  /** Nothing was at this path in the project. */
  | 'added'
  /** Something was there and is replaced (a file by a file, a file by a directory, ...). */
  | 'modified'
  /** The path is removed from the project (an overlay whiteout). */
  | 'deleted'
  /**
   * A directory of the project is replaced as a whole: everything that was in it is gone
   * (an opaque upper directory, e.g. after `rm -rf node_modules && mkdir node_modules`,
   * or a non-directory where a directory was).
   */
  | 'replaced-dir'
  /** An existing directory stays, only its permission bits change. */
  | 'metadata';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface Change {
  /**
   * Relative to the project root, '/'-separated. For a name that was refused because it
   * is not printable (control characters, escape sequences, invalid UTF-8), the offending
   * bytes are shown escaped (`\x1b`), so printing a Change can never drive a terminal.
   */
  readonly path: string;
  readonly kind: ChangeKind;
  /** The type of what ends up at `path` (for 'deleted': of what was there). */
  readonly type: EntryType;
  readonly verdict: 'commit' | 'discard';
  /** Why, in words a user can act on. */
  readonly reason: string;
  /** Bytes, for regular files. */
  readonly size?: number;
  /** The link target, for symlinks (escaped like `path` when not printable). */
  readonly target?: string;
  /** What the project had at `path` before ('modified', 'deleted', 'replaced-dir'). */
  readonly was?: EntryType;
  /**
   * Identity of the project entry when reviewed (device, inode, size, mtime, mode). The
   * commit refuses to replace or delete an entry that changed since: the user may have
   * edited it while the package manager ran, and their edit must not be lost.
   */
  readonly base?: string;
  /** Identity of the staged entry when reviewed; the commit refuses a swapped one. */
  readonly staged?: string;
  /** For regular files with several hard links: committed as an independent copy. */
  readonly hardLinks?: number;
}

export interface Review {
  readonly changes: readonly Change[];
}

export interface CommitOptions {
  readonly upperDir: string;
  readonly projectDir: string;
  /**
   * Where the commit journal lives. Made if missing (mode 0700). Backups of replaced and
   * deleted entries are kept next to the entries themselves (same directory, so the same
   * file system: moving them is a rename, never a copy).
   */
  readonly stateDir: string;
  /** The project directory's identity when the run started: the commit refuses any other. */
  readonly projectIdentity?: { readonly dev: number; readonly ino: number } | undefined;
  /** Owner of everything committed (when running as root): the project's owner. */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
  /**
   * 'auto' (default): rename from the upper directory when it is on the project's file
   * system, copy otherwise. 'copy' forces copying (tests, benchmarks).
   */
  readonly transfer?: 'auto' | 'copy' | undefined;
  /**
   * Move replaced and deleted entries to the state directory's trash when it is on the
   * project's mount (default), to be removed after the run by sweepTrash; false keeps
   * them beside their originals and removes them before the commit returns.
   */
  readonly trash?: boolean | undefined;
}

export interface CommitResult {
  /** Changes carried into the project. */
  readonly committed: number;
  /** Changes left behind (verdict 'discard'). */
  readonly discarded: number;
  /** 'rename' when the upper directory was on the project's file system, else 'copy'. */
  readonly transfer: 'rename' | 'copy' | 'none';
  /** Operations in the journal (0 when nothing was to be committed). */
  readonly operations: number;
  /**
   * The commit stands, but removing the backups of what it replaced failed; they are
   * removed by the next recoverCommits (the journal is kept for it).
   */
  readonly cleanupPending: boolean;
  /** Old entries the commit moved to the trash: sweepTrash(stateDir) removes them. */
  readonly trashed: number;
  readonly durationMs: number;
}

export interface RecoveredCommit {
  readonly id: string;
  readonly projectDir: string;
  /**
   * 'rolled-back': the commit had not reached its commit point; the project is as it was
   * before. 'rolled-forward': it had; the leftover backups were removed. 'in-progress':
   * the process that owns the journal is still running, so it was left alone.
   * 'nothing-done': the journal was incomplete, so no change had been made yet.
   * 'unreadable': the journal is damaged, or its project directory is gone; it is kept
   * (path in keptAside) and nothing was touched — look at it before deleting it.
   */
  readonly action: 'rolled-back' | 'rolled-forward' | 'in-progress' | 'nothing-done' | 'unreadable';
  /**
   * Entries recovery could not put back because something else now occupies their place;
   * each is kept (never deleted) at the path given here, for the user to look at.
   */
  readonly keptAside: readonly string[];
}

export interface RecoveryResult {
  readonly commits: readonly RecoveredCommit[];
}
