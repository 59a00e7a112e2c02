// The judgement's settings, from everywhere they can be said. Pure.
//
//   min_release_age          safe-package's key or --min-release-age (minutes or "1d");
//                            else the user's own npm `min-release-age` (days) or pnpm
//                            `minimum-release-age` (minutes) in their npmrc or in the
//                            environment (npm_config_…); else one day, the ecosystem's
//                            default (pnpm 11). 0 turns the check off.
//   min_release_age_exclude  names and globs (src/util/glob.ts: `@acme/*`, `fx-*`), with
//                            the user's own npm / pnpm exclude lists added.
//   malware_db               a directory of OSV records (MAL-*.json).
//
// A project's own files (its .npmrc, pnpm-workspace.yaml) are untrusted: they may only
// raise the age, never lower it or exclude packages.

import type { NpmrcLine } from '../profiles/npmrc.js';

export const DEFAULT_MIN_RELEASE_AGE = 1440;

export interface JudgeSettings {
  /** Minutes; 0: release ages are not checked. */
  readonly minAgeMinutes: number;
  /** Where the age came from, for messages ("default", "--min-release-age", "~/.npmrc min-release-age"). */
  readonly minAgeFrom: string;
  readonly excludes: readonly string[];
  readonly malwareDb?: string;
  /** Ask the registry for advisories (the bulk endpoint npm audit uses). */
  readonly advisories: boolean;
  /** Unavailable advisories refuse the install instead of warning. */
  readonly strict: boolean;
}

export interface SettingsInput {
  /** safe-package's own configuration (all layers merged), when it sets the keys. */
  readonly config: { readonly min_release_age?: number; readonly min_release_age_exclude?: readonly string[]; readonly malware_db?: string; readonly strict?: boolean };
  /** Where config.min_release_age came from ("--min-release-age", a file:line:col). */
  readonly configOrigin?: string;
  /** The user's npm configuration files (global, then user), parsed, with their paths. */
  readonly npmrc: readonly { readonly path: string; readonly lines: readonly NpmrcLine[] }[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The project's .npmrc and pnpm-workspace.yaml, when present. */
  readonly project?: { readonly npmrc?: readonly NpmrcLine[]; readonly pnpmWorkspace?: string };
}

function envGet(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(env)) if (k.toLowerCase() === lower && v !== undefined && v !== '') return v;
  return undefined;
}

const daysToMinutes = (t: string): number | undefined => (/^\d+(\.\d+)?$/.test(t.trim()) ? Math.round(Number(t) * 1440) : undefined);
const minutes = (t: string): number | undefined => (/^\d+$/.test(t.trim()) ? Number(t) : undefined);

/** The age a list of npmrc lines sets (later lines win), and which key set it. */
function ageFromNpmrc(lines: readonly NpmrcLine[]): { minutes: number; key: string } | undefined {
  let found: { minutes: number; key: string } | undefined;
  for (const { key, value } of lines) {
    const k = key.toLowerCase();
    const m = k === 'min-release-age' ? daysToMinutes(value) : k === 'minimum-release-age' ? minutes(value) : undefined;
    if (m !== undefined) found = { minutes: m, key };
  }
  return found;
}

function excludesFromNpmrc(lines: readonly NpmrcLine[]): string[] {
  const out: string[] = [];
  for (const { key, value } of lines) {
    const k = key.toLowerCase().replace(/\[\]$/, '');
    if (k === 'min-release-age-exclude' || k === 'minimum-release-age-exclude') out.push(...value.split(',').map((s) => s.trim()).filter(Boolean));
  }
  return out;
}

/** pnpm-workspace.yaml's top-level `minimumReleaseAge: N` (minutes). */
export function pnpmWorkspaceAge(text: string): number | undefined {
  const m = /^minimumReleaseAge:\s*['"]?(\d+)['"]?\s*(?:#.*)?$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function resolveJudgeSettings(input: SettingsInput): JudgeSettings {
  let minAge = DEFAULT_MIN_RELEASE_AGE;
  let from = 'default';
  const excludes = [...(input.config.min_release_age_exclude ?? [])];
  for (const f of input.npmrc) excludes.push(...excludesFromNpmrc(f.lines));
  const envExclude = envGet(input.env, 'npm_config_min_release_age_exclude');
  if (envExclude) excludes.push(...envExclude.split(/\n\n|,/).map((s) => s.trim()).filter(Boolean));

  if (input.config.min_release_age !== undefined) {
    minAge = input.config.min_release_age;
    from = input.configOrigin ?? 'min_release_age';
  } else {
    // The user's own package-manager settings, the environment over the files.
    for (const f of input.npmrc) {
      const a = ageFromNpmrc(f.lines);
      if (a) {
        minAge = a.minutes;
        from = `${f.path} ${a.key}`;
      }
    }
    const npmEnv = envGet(input.env, 'npm_config_min_release_age');
    const pnpmEnv = envGet(input.env, 'npm_config_minimum_release_age') ?? envGet(input.env, 'pnpm_config_minimum_release_age');
    if (npmEnv !== undefined && daysToMinutes(npmEnv) !== undefined) {
      minAge = daysToMinutes(npmEnv)!;
      from = 'npm_config_min_release_age';
    } else if (pnpmEnv !== undefined && minutes(pnpmEnv) !== undefined) {
      minAge = minutes(pnpmEnv)!;
      from = 'npm_config_minimum_release_age';
    }
  }
  // The project may ask for more, never for less.
  const projectAges: [number | undefined, string][] = [
    [input.project?.npmrc ? ageFromNpmrc(input.project.npmrc)?.minutes : undefined, "the project's .npmrc"],
    [input.project?.pnpmWorkspace ? pnpmWorkspaceAge(input.project.pnpmWorkspace) : undefined, "the project's pnpm-workspace.yaml"],
  ];
  for (const [age, where] of projectAges) {
    if (age !== undefined && age > minAge) {
      minAge = age;
      from = where;
    }
  }
  return {
    minAgeMinutes: minAge,
    minAgeFrom: from,
    excludes: [...new Set(excludes)],
    ...(input.config.malware_db ? { malwareDb: input.config.malware_db } : {}),
    advisories: true,
    strict: input.config.strict ?? false,
  };
}
