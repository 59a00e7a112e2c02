// The shape of configuration: what a config file or the command line can say.
// Key names are the seed's (snake_case in files); see schema.ts for their validation.

export type BackendChoice = 'auto' | 'sandbox' | 'landlock' | 'chroot' | 'none';
export type NetworkMode = 'registry' | 'none' | 'host';

export interface LimitsConfig {
  /** Processes the jail may start beyond those its user already runs (RLIMIT_NPROC counts them all): stops fork bombs. */
  processes?: number;
  /** RLIMIT_FSIZE in bytes: the largest file a jailed process may write. */
  file_size?: number;
  /** RLIMIT_NOFILE. */
  open_files?: number;
  /** Wall-clock seconds before the whole jail is killed. */
  timeout?: number;
}

export interface ConfigValues {
  exe?: string;
  root_dir?: string;
  keep_env?: string[];
  user?: string;
  backend?: BackendChoice;
  network?: NetworkMode;
  allow_hosts?: string[];
  profile?: string;
  write?: string[];
  hide?: string[];
  limits?: LimitsConfig;
  report?: string;
  strict?: boolean;
  /** Minimum release age in minutes (0: not checked); see src/judge/settings.ts. */
  min_release_age?: number;
  /** Package names and globs the release age does not apply to. */
  min_release_age_exclude?: string[];
  /** Names let through the typosquat check (src/judge/typosquat.ts). */
  allow_names?: string[];
  /** A directory of OSV records (MAL-*.json) of known malware. */
  malware_db?: string;
}

export type ConfigKey = keyof ConfigValues;

export type LayerKind = 'system' | 'user' | 'project' | 'command line';

export interface ConfigLayer {
  readonly kind: LayerKind;
  /** File path, or "command line". */
  readonly source: string;
  readonly values: ConfigValues;
  /** For messages: "file:line:col" of each key. */
  readonly where: Partial<Record<ConfigKey, string>>;
}

/** A project-file key that was not applied, and why (shown as a warning and in the report). */
export interface IgnoredSetting {
  readonly key: ConfigKey;
  readonly where: string;
  readonly reason: string;
}

export interface ResolvedConfig {
  readonly values: ConfigValues;
  /** Which layer each effective value came from. */
  readonly origin: Partial<Record<ConfigKey, string>>;
  readonly ignored: readonly IgnoredSetting[];
  readonly layers: readonly ConfigLayer[];
  /** The project file, when one exists: its path, hash and whether the user trusted it. */
  readonly project?: { path: string; sha256: string; trusted: boolean; changedSinceTrust: boolean };
}
