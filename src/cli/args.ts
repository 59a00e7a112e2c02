// argv → options (docs/promises.md#p1-command-line). Pure.
//
// Parsing stops at the first positional argument: everything after it belongs to the
// package manager, so `safe-package npm install --save-dev x` passes --save-dev to npm.
// util.parseArgs cannot stop there, hence this small parser.

import type { BackendChoice, ConfigKey, ConfigValues, NetworkMode } from '../config/types.js';
import { BACKENDS, NETWORK_MODES } from '../config/schema.js';
import { closest } from '../util/did-you-mean.js';
import { parseAgeMinutes } from '../judge/duration.js';

export const COMMANDS = ['doctor', 'jail', 'trust', 'shell-init', 'recover', 'check'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface CliOptions {
  /** Settings that mirror config keys; they form the last configuration layer. */
  config: ConfigValues;
  explain: boolean;
  json: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
  /** A reserved word given as the first positional (without a preceding --). */
  command?: CommandName;
  /** EXE_ARGS: with no exe configured, the first one is the program. */
  positionals: string[];
}

export class UsageError extends Error {}

interface OptionSpec {
  long: string;
  short?: string;
  takesValue: boolean;
  apply: (o: CliOptions, value: string) => void;
}

function pushList(o: CliOptions, key: 'keep_env' | 'allow_hosts' | 'min_release_age_exclude' | 'allow_names', value: string) {
  o.config[key] = [...(o.config[key] ?? []), value];
}

function choice<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const hint = closest(value, allowed);
  throw new UsageError(`${option}: expected one of ${allowed.join(', ')}, not "${value}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
}

function ageOption(value: string): number {
  const m = parseAgeMinutes(value);
  if (m === undefined) throw new UsageError(`--min-release-age: expected minutes or a duration such as 90m, 12h, 1d, 2w (0 turns the check off), not "${value}"`);
  return m;
}

const OPTIONS: readonly OptionSpec[] = [
  { long: 'exe', short: 'e', takesValue: true, apply: (o, v) => (o.config.exe = v) },
  { long: 'root-dir', short: 'r', takesValue: true, apply: (o, v) => (o.config.root_dir = v) },
  { long: 'keep-env', short: 'k', takesValue: true, apply: (o, v) => pushList(o, 'keep_env', v) },
  { long: 'user', short: 'u', takesValue: true, apply: (o, v) => (o.config.user = v) },
  { long: 'backend', takesValue: true, apply: (o, v) => (o.config.backend = choice<BackendChoice>('--backend', v, BACKENDS)) },
  { long: 'network', takesValue: true, apply: (o, v) => (o.config.network = choice<NetworkMode>('--network', v, NETWORK_MODES)) },
  { long: 'allow-host', takesValue: true, apply: (o, v) => pushList(o, 'allow_hosts', v) },
  { long: 'profile', takesValue: true, apply: (o, v) => (o.config.profile = v) },
  { long: 'report', takesValue: true, apply: (o, v) => (o.config.report = v) },
  { long: 'strict', takesValue: false, apply: (o) => (o.config.strict = true) },
  { long: 'min-release-age', takesValue: true, apply: (o, v) => (o.config.min_release_age = ageOption(v)) },
  { long: 'min-release-age-exclude', takesValue: true, apply: (o, v) => pushList(o, 'min_release_age_exclude', v) },
  { long: 'allow-name', takesValue: true, apply: (o, v) => pushList(o, 'allow_names', v) },
  { long: 'malware-db', takesValue: true, apply: (o, v) => (o.config.malware_db = v) },
  { long: 'explain', takesValue: false, apply: (o) => (o.explain = true) },
  { long: 'json', takesValue: false, apply: (o) => (o.json = true) },
  { long: 'quiet', short: 'q', takesValue: false, apply: (o) => (o.quiet = true) },
  { long: 'help', short: 'h', takesValue: false, apply: (o) => (o.help = true) },
  { long: 'version', short: 'V', takesValue: false, apply: (o) => (o.version = true) },
];

/** Which config key each option sets, for "where did this value come from" messages. */
export const OPTION_FOR_KEY: Partial<Record<ConfigKey, string>> = {
  exe: '--exe',
  root_dir: '--root-dir',
  keep_env: '--keep-env',
  user: '--user',
  backend: '--backend',
  network: '--network',
  allow_hosts: '--allow-host',
  profile: '--profile',
  report: '--report',
  strict: '--strict',
  min_release_age: '--min-release-age',
  min_release_age_exclude: '--min-release-age-exclude',
  allow_names: '--allow-name',
  malware_db: '--malware-db',
};

export function parseArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = { config: {}, explain: false, json: false, quiet: false, help: false, version: false, positionals: [] };
  let i = 0;
  const takeValue = (inline: string | undefined, shown: string): string => {
    if (inline !== undefined) return inline;
    const next = argv[i + 1];
    if (next === undefined) throw new UsageError(`${shown} needs a value`);
    i++;
    return next;
  };

  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      o.positionals = argv.slice(i + 1);
      return o;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq === -1 ? undefined : arg.slice(eq + 1);
      const spec = OPTIONS.find((s) => s.long === name);
      if (!spec) {
        const hint = closest(name, OPTIONS.map((s) => s.long));
        throw new UsageError(`unknown option --${name}${hint ? ` (did you mean --${hint}?)` : ''}; to pass it to the program, put it after the program name or after --`);
      }
      if (!spec.takesValue && inline !== undefined) throw new UsageError(`--${name} takes no value`);
      spec.apply(o, spec.takesValue ? takeValue(inline, `--${name}`) : '');
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short flags (-qV) where an option that takes a value consumes
      // the rest of the cluster (-kPATH, -k=PATH) or the next argument (-k PATH).
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = OPTIONS.find((s) => s.short === letter);
        if (!spec) throw new UsageError(`unknown option -${letter}; to pass it to the program, put it after the program name or after --`);
        if (spec.takesValue) {
          let rest = arg.slice(j + 1);
          if (rest.startsWith('=')) rest = rest.slice(1);
          spec.apply(o, takeValue(rest === '' ? undefined : rest, `-${letter}`));
          break;
        }
        spec.apply(o, '');
      }
      continue;
    }
    // First positional: options end here.
    if ((COMMANDS as readonly string[]).includes(arg)) {
      o.command = arg as CommandName;
      o.positionals = argv.slice(i + 1);
    } else {
      o.positionals = argv.slice(i);
    }
    return o;
  }
  return o;
}
