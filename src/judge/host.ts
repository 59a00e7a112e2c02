// The judgement inside a run and in `safe-package check`: its settings from the user's
// configuration, the setting passed down to the package manager, and the hook that
// judges the tree between the download phase and the scripts phase (or the commit).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Policy } from '../policy/types.js';
import type { Phase } from '../policy/phases.js';
import type { ResolvedConfig } from '../config/types.js';
import type { AfterPhase } from '../run/run.js';
import { classifyCommand } from '../profiles/commands.js';
import { parseNpmrc } from '../profiles/npmrc.js';
import { minutesToNpmDays } from './duration.js';
import { judgeTree } from './judge.js';
import { registryConfig, type RegistryConfig } from './registry.js';
import { resolveJudgeSettings, type JudgeSettings } from './settings.js';
import { readTree } from './tree.js';
import type { Judgement } from './verdict.js';

export type JudgedTool = 'npm' | 'pnpm' | 'yarn';

export interface JudgeContext {
  readonly tool: JudgedTool;
  readonly settings: JudgeSettings;
  readonly registry: RegistryConfig;
  readonly cacheDir: string;
}

/** An npm configuration file as read on the host: its path and its full text (credentials included). */
export interface NpmrcText {
  readonly path: string;
  readonly text: string;
}

function readSmall(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').slice(0, 1024 * 1024);
  } catch {
    return undefined;
  }
}

/** The judgement's settings and registry configuration. */
export function judgeContext(input: {
  readonly tool: JudgedTool;
  readonly config: ResolvedConfig;
  readonly npmrc: readonly NpmrcText[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly projectDir: string;
  readonly cacheDir: string;
}): JudgeContext {
  const origin = input.config.origin.min_release_age;
  const projectNpmrc = readSmall(join(input.projectDir, '.npmrc'));
  const workspace = readSmall(join(input.projectDir, 'pnpm-workspace.yaml'));
  const settings = resolveJudgeSettings({
    config: input.config.values,
    ...(origin ? { configOrigin: origin === 'command line' ? '--min-release-age' : `min_release_age in ${origin}` } : {}),
    npmrc: input.npmrc.map((f) => ({ path: f.path, lines: parseNpmrc(f.text) })),
    env: input.env,
    project: { ...(projectNpmrc !== undefined ? { npmrc: parseNpmrc(projectNpmrc) } : {}), ...(workspace !== undefined ? { pnpmWorkspace: workspace } : {}) },
  });
  return { tool: input.tool, settings, registry: registryConfig(input.npmrc, input.env), cacheDir: input.cacheDir };
}

/** The profiles whose trees can be judged. */
export function judgedTool(p: Policy): JudgedTool | undefined {
  const n = p.profile.name;
  return n === 'npm' || n === 'pnpm' || n === 'yarn' ? n : undefined;
}

/** The user's npm configuration files as the policy read them, with their credentials. */
export function npmrcOfPolicy(p: Policy): NpmrcText[] {
  return p.files.map((f) => ({ path: f.from, text: p.credentials.files.find((c) => c.path === f.path)?.content ?? f.content }));
}

/**
 * The metadata cache: safe-package's own cache directory, never a directory the jail
 * sees. When root runs the jail as another user, that user owns its cache directory, so
 * the judgement's cache sits beside it, root's.
 */
export function judgeCacheDir(p: Policy): string {
  return p.dropPrivileges ? join(dirname(p.cacheDir), 'judge') : join(p.cacheDir, 'judge');
}

export function judgeContextForPolicy(p: Policy, env: Readonly<Record<string, string | undefined>>): JudgeContext | undefined {
  const tool = judgedTool(p);
  if (!tool || p.profile.registry !== 'npm') return undefined;
  return judgeContext({ tool, config: p.config, npmrc: npmrcOfPolicy(p), env, projectDir: p.project.dir, cacheDir: judgeCacheDir(p) });
}

/** Variables that make the package manager's own resolution pick mature versions. Pure. */
export function passDownEnv(tool: JudgedTool, s: JudgeSettings): Record<string, string> {
  if (tool === 'npm') {
    // npm 11.10+: min-release-age in days; 11.17+: min-release-age-exclude (a list: "\n\n" between items).
    return {
      npm_config_min_release_age: minutesToNpmDays(s.minAgeMinutes),
      ...(s.minAgeMinutes > 0 && s.excludes.length ? { npm_config_min_release_age_exclude: s.excludes.join('\n\n') } : {}),
    };
  }
  // pnpm 10.16+: minimumReleaseAge in minutes.
  if (tool === 'pnpm') return { npm_config_minimum_release_age: String(s.minAgeMinutes) };
  return {};
}

/** The policy with the setting passed down to the download phase. Pure. */
export function withPassDown(p: Policy, ctx: JudgeContext): Policy {
  const env = passDownEnv(ctx.tool, ctx.settings);
  if (Object.keys(env).length === 0) return p;
  return { ...p, phases: p.phases.map((ph): Phase => (ph.name === 'install' ? { ...ph, env: { ...ph.env, ...env } } : ph)) };
}

/** Does this phase end with a tree to judge? The download phase of an install; not a removal. */
export function judgesAfter(p: Policy, tool: JudgedTool, phase: Phase): boolean {
  if (phase.name !== 'install') return false;
  return classifyCommand(tool, p.command.args).kind !== 'uninstall';
}

/** The hook for runPolicy; `result()` is the judgement once it ran. */
export function judgeHook(p: Policy, ctx: JudgeContext): { hook: AfterPhase; result: () => Judgement | undefined; error: () => string | undefined } {
  let judgement: Judgement | undefined;
  let error: string | undefined;
  const hook: AfterPhase = async (phase, seen) => {
    if (!judgesAfter(p, ctx.tool, phase)) return false;
    try {
      const tree = readTree(seen, ctx.tool);
      judgement = await judgeTree({ packages: tree.packages, lockfiles: tree.lockfiles, settings: ctx.settings, registry: ctx.registry, cacheDir: ctx.cacheDir });
      return judgement.verdict === 'refused';
    } catch (err) {
      // A tree that cannot be read is not judged as passing: nothing runs, nothing lands.
      error = (err as Error).message;
      return true;
    }
  };
  return { hook, result: () => judgement, error: () => error };
}
