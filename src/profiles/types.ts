// A profile is data: what a package manager needs from the jail and what it may change.

export type ProfileName = 'npm' | 'npx' | 'pnpm' | 'yarn' | 'pip' | 'generic';

/** Where registry hosts come from: the tool's own configuration, read on the host. */
export type RegistrySource = 'npm' | 'pip' | 'none';

export interface CacheSpec {
  /** Variable the tool reads for its cache location. */
  readonly env: string;
  /** Subdirectory of safe-package's own cache directory for this tool. */
  readonly dir: string;
}

export interface Profile {
  readonly name: ProfileName;
  readonly description: string;
  /** Globs, anchored at the project root, whose changes are committed after review (docs/promises.md#p5-staged-writes). */
  readonly write: readonly string[];
  /** The only lockfiles whose changes pass review. */
  readonly lockfiles: readonly string[];
  /** Manifest compared semantically (only dependency sections may change). */
  readonly manifest?: 'package.json';
  readonly caches: readonly CacheSpec[];
  /** Fixed variables the tool needs inside the jail (never secrets). */
  readonly env: Readonly<Record<string, string>>;
  readonly registry: RegistrySource;
  /** Supports the two-phase install of docs/promises.md#p7-two-phase-installs. */
  readonly twoPhase: boolean;
}
