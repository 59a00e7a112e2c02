// Two-phase installs (docs/promises.md#p7-two-phase-installs): registry credentials never meet third-party code.
//
//   phase 1 "install": the user's command with lifecycle scripts disabled; the registry
//            through the proxy; the user's credentials; the cache writable.
//   phase 2 "scripts": the dependencies' and the project's install scripts; no network
//            but the hosts the user allowed by name (allow_hosts, e.g. for a prebuilt
//            binary; never the registry by default), no credentials, the cache read-only
//            (a script cannot poison later installs). Refused attempts are still recorded,
//            so the summary can say what a script tried and how to allow it.
//
// Anything that is not an install runs in one phase without credentials. Pure.

import type { ProfileName } from '../profiles/types.js';
import { classifyCommand, type ClassifiedCommand } from '../profiles/commands.js';

export type PhaseName = 'install' | 'scripts' | 'run';

/** Whose scripts phase 2 runs (run/script-steps.ts finds them once phase 1 has run). */
export type ScriptsTarget =
  /** The packages phase 1 added or changed, and the project's own lifecycle scripts (npm ci, bare install). */
  | { readonly kind: 'all' }
  /** Only the packages phase 1 added or changed. */
  | { readonly kind: 'changed' };

export interface Phase {
  readonly name: PhaseName;
  /** Program and arguments; for 'scripts' the program is the rebuild tool. */
  readonly program: 'user' | 'rebuild';
  /**
   * 'policy': the run's network policy (the registry and allow_hosts through the proxy);
   * 'allowed-hosts-only': through the proxy, but only the user's allow_hosts.
   */
  readonly network: 'policy' | 'allowed-hosts-only';
  readonly credentials: boolean;
  readonly cacheWritable: boolean;
  /** Variables set for this phase only. */
  readonly env: Readonly<Record<string, string>>;
  readonly scripts?: ScriptsTarget;
  /**
   * The user's own flags that shape how install scripts run and what the user sees of
   * them, carried to the scripts phase's commands (`npm rebuild NAME --foreground-scripts`).
   */
  readonly carriedFlags?: readonly string[];
  /**
   * Project directories this phase starts empty, relative to the project: `npm ci`
   * removes everything in node_modules before it installs anything, so the jail is given
   * an empty one from the start (an opaque directory in the staging layer) instead of
   * deleting the old tree file by file through the overlay. Staged runs only; an empty
   * directory the phase leaves unused is taken out again (`npm ci --dry-run`, a prefix
   * elsewhere), so the project's own is then kept.
   */
  readonly freshDirs?: readonly string[];
  /** A short account for --explain and the report. */
  readonly describe: string;
}

export interface PhaseInput {
  readonly profile: ProfileName;
  readonly args: readonly string[];
  /** The profile supports two phases (npm, pnpm, yarn) and the run can stage them. */
  readonly twoPhase: boolean;
  /** The project has a .pnpmfile.cjs/.mjs (pnpm runs it on every install). */
  readonly pnpmfile?: boolean;
}

/**
 * The download phase's environment: lifecycle scripts off, and no other code the project
 * chooses. pnpm runs the project's .pnpmfile.cjs on every install (only ignored when there
 * is one: pnpm records the choice in its state); yarn 1 first runs the release named by
 * `yarn-path` / `yarnPath` in the project's .yarnrc / .yarnrc.yml. (npm's own vectors are
 * in the project .npmrc, which the jail sees allowlisted: profiles/npmrc.ts.) Pure.
 */
export function installPhaseEnv(tool: 'npm' | 'pnpm' | 'yarn', pnpmfile: boolean): Record<string, string> {
  const env: Record<string, string> = { npm_config_ignore_scripts: 'true', pnpm_config_ignore_scripts: 'true', YARN_IGNORE_SCRIPTS: 'true' };
  if (tool === 'pnpm' && pnpmfile) Object.assign(env, { pnpm_config_ignore_pnpmfile: 'true', npm_config_ignore_pnpmfile: 'true' });
  if (tool === 'yarn') env.YARN_IGNORE_PATH = '1';
  return env;
}

export interface PhaseDecision {
  readonly phases: readonly Phase[];
  readonly command: ClassifiedCommand | undefined;
}

const ONE_PHASE: Phase = {
  name: 'run',
  program: 'user',
  network: 'policy',
  credentials: false,
  cacheWritable: true,
  env: {},
  describe: 'one phase, without your registry credentials',
};

export function decidePhases(input: PhaseInput): PhaseDecision {
  if (!input.twoPhase) return { phases: [ONE_PHASE], command: undefined };
  const tool = input.profile === 'pnpm' ? 'pnpm' : input.profile === 'yarn' ? 'yarn' : 'npm';
  const command = classifyCommand(tool, input.args);
  if (command.kind === 'other') return { phases: [ONE_PHASE], command };

  const fresh = freshDirsFor(tool, command);
  const install: Phase = {
    name: 'install',
    program: 'user',
    network: 'policy',
    credentials: true,
    cacheWritable: true,
    // npm, pnpm and yarn classic all read these; no code of the project or of a package runs in this phase.
    env: installPhaseEnv(tool, input.pnpmfile ?? false),
    ...(fresh.length ? { freshDirs: fresh } : {}),
    describe: `lifecycle scripts off${tool === 'pnpm' && input.pnpmfile ? ', .pnpmfile.cjs ignored' : ''}${tool === 'yarn' ? ', yarn-path ignored' : ''}; the registry through the proxy; your registry credentials; cache writable${fresh.length ? `; starts from an empty ${fresh.join(', ')} (npm ci removes it first)` : ''}`,
  };
  // Removing packages runs no install scripts; neither does an install the user ran
  // with --ignore-scripts.
  if (command.kind === 'uninstall' || command.ignoreScripts) return { phases: [install], command };

  const bare = command.packages.length === 0 && (command.kind === 'install' || command.kind === 'ci');
  const carried = scriptsPhaseFlags(tool, input.args);
  const scripts: Phase = {
    name: 'scripts',
    program: 'rebuild',
    network: 'allowed-hosts-only',
    credentials: false,
    cacheWritable: false,
    env: { npm_config_offline: 'true', npm_config_logs_dir: '/tmp/npm-logs', npm_config_update_notifier: 'false' },
    scripts: bare ? { kind: 'all' } : { kind: 'changed' },
    ...(carried.length ? { carriedFlags: carried } : {}),
    describe: `${bare ? "the install scripts of the packages this install changed, then the project's own" : 'the install scripts of the packages this install changed'}, each package in a jail where only its own folder is writable; no network but the hosts you allowed by name; no credentials; cache read-only`,
  };
  return { phases: [install, scripts], command };
}

/**
 * What a command empties before it writes: `npm ci` (whatever its options: a dry run or
 * another prefix leaves the fresh directory unused, and the run then drops it) removes
 * every entry of the project's node_modules. Pure.
 */
export function freshDirsFor(tool: 'npm' | 'pnpm' | 'yarn', command: ClassifiedCommand): string[] {
  return tool === 'npm' && command.kind === 'ci' ? ['node_modules'] : [];
}

/** Flags of the user's command that matter to how scripts run and how they are shown. */
const CARRIED_SWITCHES: Readonly<Record<'npm' | 'pnpm' | 'yarn', ReadonlySet<string>>> = {
  npm: new Set(['--foreground-scripts', '--no-foreground-scripts', '--silent', '-s', '--quiet', '-q', '--verbose', '-d', '-dd', '-ddd', '--no-color']),
  pnpm: new Set(['--silent', '-s', '--no-color']),
  yarn: new Set(['--silent', '--verbose']),
};
/** The same, with a value (`--loglevel verbose` or `--loglevel=verbose`). */
const CARRIED_WITH_VALUE: Readonly<Record<'npm' | 'pnpm' | 'yarn', ReadonlySet<string>>> = {
  npm: new Set(['--loglevel', '--color']),
  pnpm: new Set(['--reporter', '--loglevel', '--color']),
  yarn: new Set([]),
};

/**
 * The user's flags the scripts phase repeats, in their order: output and log level
 * (`--foreground-scripts` streams each script's output, as bare npm does). Nothing that
 * chooses a program or a path (`--script-shell`, `--prefix`) is carried. Pure.
 */
export function scriptsPhaseFlags(tool: 'npm' | 'pnpm' | 'yarn', args: readonly string[]): string[] {
  const out: string[] = [];
  const switches = CARRIED_SWITCHES[tool];
  const valued = CARRIED_WITH_VALUE[tool];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    const eq = a.indexOf('=');
    if (eq > 0) {
      const name = a.slice(0, eq);
      if (valued.has(name) || switches.has(name)) out.push(a);
    } else if (valued.has(a)) {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('-')) out.push(a, args[++i]!);
      else out.push(a);
    } else if (switches.has(a)) out.push(a);
  }
  return out;
}
