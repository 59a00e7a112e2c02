// The judgement of a pip install: what the run put in the staged tree (pip-dists.ts),
// judged before the commit by the same rules and messages as npm's (verdict.ts), with
// upload times from the user's own indexes (pip-times.ts) and known malware from the
// local OSV directory (ecosystem PyPI). pip runs in one phase: the judgement comes after
// it and before anything reaches the project; a refusal commits nothing.
//
// There is no bulk advisory endpoint for Python package indexes (PyPI offers none), so
// the only source of known malware is the malware_db directory: said as a warning, as
// for an npm registry without the endpoint; --strict makes it a refusal.

import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Policy } from '../policy/types.js';
import type { Phase } from '../policy/phases.js';
import type { ResolvedConfig } from '../config/types.js';
import type { AfterPhase } from '../run/run.js';
import { mergePipSettings, parsePipConf, pipArgsSettings, pipSettingsFromEnv, type PipSettings } from '../profiles/pipconf.js';
import { loadOsvDirectory, osvHits } from './advisories.js';
import { normalizePipName, readPipDists } from './pip-dists.js';
import { pipIndexRef, uploadTimes, type PipIndexRef } from './pip-times.js';
import { resolveJudgeSettings, type JudgeSettings } from './settings.js';
import { isExcluded, judge, type AdvisoryStatus, type Judgement, type PublishFact } from './verdict.js';
import { shownUrl } from './registry.js';
import { proxySettings } from './proxy.js';
import type { ResolvedPackage } from './lockfile.js';

export interface PipJudgeContext {
  readonly tool: 'pip';
  readonly settings: JudgeSettings;
  readonly indexes: readonly PipIndexRef[];
  readonly cacheDir: string;
}

export const PYPI_SIMPLE = 'https://pypi.org/simple/';

/** pip's global options that take a value (so the value is not the subcommand). */
const PIP_GLOBAL_VALUED = new Set(['--log', '--log-file', '--cache-dir', '--proxy', '--python', '--retries', '--timeout', '--exists-action', '--trusted-host', '--cert', '--client-cert', '--use-feature', '--use-deprecated', '--progress-bar']);

/** pip's own arguments of a command: `pip …`, `pip3.11 …`, `python3 -m pip …`; undefined for anything else. Pure. */
export function pipArgsOf(exe: string, args: readonly string[]): readonly string[] | undefined {
  const b = basename(exe);
  if (/^pip(\d+(\.\d+)?)?$/.test(b)) return args;
  if (/^python(\d+(\.\d+)?)?$/.test(b)) {
    const m = args.indexOf('-m');
    if (m >= 0 && args[m + 1] === 'pip') return args.slice(m + 2);
  }
  return undefined;
}

/** The subcommand and the arguments after it (`install`, ["-r", "req.txt"]). Pure. */
export function pipSubcommand(pipArgs: readonly string[]): { name: string; rest: readonly string[] } | undefined {
  for (let i = 0; i < pipArgs.length; i++) {
    const a = pipArgs[i]!;
    if (a === '--') return undefined;
    if (a.startsWith('-')) {
      if (PIP_GLOBAL_VALUED.has(a)) i++;
      continue;
    }
    return { name: a, rest: pipArgs.slice(i + 1) };
  }
  return undefined;
}

/** Is this run a `pip install` (the one pip command that puts distributions in place)? Pure. */
export function isPipInstall(p: Pick<Policy, 'command'>): boolean {
  const a = pipArgsOf(p.command.exe, p.command.args);
  return a !== undefined && pipSubcommand(a)?.name === 'install';
}

/** `pip install` options that take a value: their values are not requirements. */
const INSTALL_VALUED = new Set([
  '-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '-t', '--target',
  '--prefix', '--root', '--platform', '--python-version', '--implementation', '--abi', '--upgrade-strategy', '--progress-bar', '--report', '--src',
  '--global-option', '--config-settings', '-C', '--no-binary', '--only-binary', '--build-option', '--install-option', ...PIP_GLOBAL_VALUED,
]);

/**
 * The project names a `pip install` command line adds by name (`requests`, `Flask[async]>=2`):
 * not files, URLs, paths or requirement files (those name no new name the user typed). Pure.
 */
export function pipAddedNames(pipArgs: readonly string[]): string[] {
  const sub = pipSubcommand(pipArgs);
  if (sub?.name !== 'install') return [];
  const out: string[] = [];
  for (let i = 0; i < sub.rest.length; i++) {
    const a = sub.rest[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (INSTALL_VALUED.has(a)) i++;
      continue;
    }
    if (/[/\\:]/.test(a) || /\.(whl|tar\.gz|zip|tgz)$/i.test(a) || a.startsWith('.')) continue;
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~;@ ].*)?$/.exec(a);
    if (m) out.push(normalizePipName(m[1]!));
  }
  return [...new Set(out)];
}

function readSmall(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return readFileSync(path, 'utf8').slice(0, 1024 * 1024);
  } catch {
    return undefined;
  }
}

/**
 * The user's indexes as pip would use them, read on the host with their credentials:
 * pip.conf files (system, user, PIP_CONFIG_FILE), PIP_INDEX_URL / PIP_EXTRA_INDEX_URL,
 * then pip's own -i / --extra-index-url. None named: PyPI.
 */
export function pipIndexes(input: { readonly home: string; readonly env: Readonly<Record<string, string | undefined>>; readonly pipArgs: readonly string[] }): PipIndexRef[] {
  let s: PipSettings = { extraIndexUrls: [], findLinks: [] };
  const files = ['/etc/pip.conf', '/etc/xdg/pip/pip.conf', join(input.home, '.pip', 'pip.conf'), join(input.home, '.config', 'pip', 'pip.conf')];
  const envFile = input.env.PIP_CONFIG_FILE;
  if (envFile && envFile.startsWith('/')) files.push(envFile);
  for (const f of files) {
    const text = readSmall(f);
    if (text !== undefined) s = mergePipSettings(s, parsePipConf(text));
  }
  s = mergePipSettings(s, pipSettingsFromEnv(input.env));
  s = mergePipSettings(s, pipArgsSettings(input.pipArgs));
  const urls = [s.indexUrl || PYPI_SIMPLE, ...s.extraIndexUrls];
  const refs: PipIndexRef[] = [];
  // pip's proxy is the environment's (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), as for pip itself.
  const proxy = proxySettings([], Object.fromEntries(Object.entries(input.env).filter(([k]) => !/^npm_config_/i.test(k))));
  for (const u of urls) {
    const r = pipIndexRef(u, input.env);
    if (r && !refs.some((x) => x.url === r.url)) refs.push(proxy.http || proxy.https ? { ...r, config: { ...r.config, proxy } } : r);
  }
  return refs;
}

/** The judgement's settings for pip: safe-package's own keys (pip has no release-age setting of its own to read). */
export function pipJudgeSettings(config: ResolvedConfig, env: Readonly<Record<string, string | undefined>>): JudgeSettings {
  const origin = config.origin.min_release_age;
  const s = resolveJudgeSettings({
    config: config.values,
    ...(origin ? { configOrigin: origin === 'command line' ? '--min-release-age' : `min_release_age in ${origin}` } : {}),
    npmrc: [],
    // npm's variables are npm's: they do not set pip's age.
    env: Object.fromEntries(Object.entries(env).filter(([k]) => !/^(npm|pnpm)_config_/i.test(k))),
  });
  return { ...s, excludes: s.excludes.map((e) => (/[*?[]/.test(e) ? e : normalizePipName(e))), advisories: false };
}

export function pipJudgeContextForPolicy(p: Policy, env: Readonly<Record<string, string | undefined>>, cacheDir: string): PipJudgeContext | undefined {
  if (p.profile.name !== 'pip' || !isPipInstall(p)) return undefined;
  const pipArgs = pipArgsOf(p.command.exe, p.command.args) ?? [];
  return { tool: 'pip', settings: pipJudgeSettings(p.config, env), indexes: pipIndexes({ home: p.invoker.home, env, pipArgs }), cacheDir };
}

/** `--uploaded-prior-to` as pip reads it from the environment: an absolute UTC time. Pure. */
export function uploadedPriorTo(now: number, minAgeMinutes: number): string {
  return `${new Date(now - minAgeMinutes * 60_000).toISOString().slice(0, 19)}+00:00`;
}

/**
 * The age passed down to pip (26.0+ reads PIP_UPLOADED_PRIOR_TO; older pip ignores
 * variables for options it does not have, so this is harmless there): resolution picks
 * old-enough files. Not with excludes: pip's cutoff has no exceptions, and it would hide
 * the very version the user let through. Pure.
 */
export function pipPassDownEnv(s: JudgeSettings, now: number): Record<string, string> {
  return s.minAgeMinutes > 0 && s.excludes.length === 0 ? { PIP_UPLOADED_PRIOR_TO: uploadedPriorTo(now, s.minAgeMinutes) } : {};
}

export function withPipPassDown(p: Policy, ctx: PipJudgeContext, now = Date.now()): Policy {
  const env = pipPassDownEnv(ctx.settings, now);
  if (Object.keys(env).length === 0) return p;
  return { ...p, phases: p.phases.map((ph): Phase => (ph.name === 'run' || ph.name === 'install' ? { ...ph, env: { ...ph.env, ...env } } : ph)) };
}

const label = (p: { readonly name: string; readonly version: string }) => `${p.name}==${p.version}`;

export function noAdvisoryEndpoint(indexes: readonly PipIndexRef[], malwareDb: boolean): AdvisoryStatus {
  // With a malware_db directory, the one source of known malware there is was checked.
  if (malwareDb) return { state: 'off', registries: indexes.map((i) => shownUrl(i.url)) };
  return {
    state: 'unavailable',
    registries: indexes.map((i) => shownUrl(i.url)),
    detail: 'Python package indexes (PyPI included) offer no bulk advisory endpoint, so only the malware_db directory (OSV records, ecosystem PyPI) can name known malware',
  };
}

/** The judgement of the distributions a pip run installed. */
export async function judgePipDists(input: { readonly packages: readonly ResolvedPackage[]; readonly found: readonly string[]; readonly ctx: PipJudgeContext; readonly now?: number }): Promise<Judgement> {
  const started = Date.now();
  const s = input.ctx.settings;
  const aged = s.minAgeMinutes > 0 ? input.packages.filter((p) => !isExcluded(p.name, s.excludes)) : [];
  let published = new Map<string, PublishFact>();
  let fetched = 0;
  let cached = 0;
  if (aged.length) ({ published, fetched, cached } = await uploadTimes(aged, input.ctx.indexes, input.ctx.cacheDir));
  let hits: ReturnType<typeof osvHits> = [];
  let malwareDb: { path: string; problems: string[] } | undefined;
  if (s.malwareDb) {
    const db = loadOsvDirectory(s.malwareDb);
    hits = osvHits(db.records, input.packages, 'PyPI');
    malwareDb = { path: s.malwareDb, problems: db.problems.slice(0, 5) };
  }
  return judge({
    packages: input.packages,
    // Where the distributions were found stands where npm's lockfiles do: what was read.
    lockfiles: input.found.length ? [summariseFound(input.found)] : [],
    settings: s,
    now: input.now ?? Date.now(),
    published,
    hits,
    advisories: noAdvisoryEndpoint(input.ctx.indexes, s.malwareDb !== undefined),
    ...(malwareDb ? { malwareDb } : {}),
    metadata: { fetched, cached, duration_ms: Date.now() - started },
    label,
  });
}

/** `.venv/lib/python3.11/site-packages/*.dist-info` for the directories the distributions were found in. Pure. */
export function summariseFound(found: readonly string[]): string {
  const dirs = [...new Set(found.map((f) => f.slice(0, f.lastIndexOf('/') + 1)))];
  return dirs.map((d) => `${d}*.dist-info`).join(', ');
}

/** The hook for runPolicy: after pip's one phase, before the commit. */
export function pipJudgeHook(p: Policy, ctx: PipJudgeContext): { hook: AfterPhase; result: () => Judgement | undefined; error: () => string | undefined } {
  let judgement: Judgement | undefined;
  let error: string | undefined;
  const hook: AfterPhase = async (phase, seen) => {
    if (phase.name !== 'run' && phase.name !== 'install') return false;
    try {
      // Compared with the project itself: what the jail wrote that was not there before.
      const dists = readPipDists({ ...(seen.upper !== undefined ? { upper: seen.upper } : {}), lower: p.project.dir });
      judgement = await judgePipDists({ packages: dists.packages, found: dists.found, ctx });
      return judgement.verdict === 'refused';
    } catch (err) {
      // What cannot be read is not judged as passing: nothing lands.
      error = (err as Error).message;
      return true;
    }
  };
  return { hook, result: () => judgement, error: () => error };
}
