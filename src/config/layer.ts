// Layering of configuration sources (docs/promises.md#p2-configuration), as pure functions.
//
// Order: /etc/safe-package/config.json, ~/.safe-package/config.json,
// $CWD/.safe-package/config.json, then the command line. Lists stack (deduplicated, first
// occurrence wins the position); singletons are replaced; `limits` is merged per field.
//
// The project file is untrusted input: a cloned repository must not be able to weaken
// the user's protection. Until the user trusts it (safe-package trust), only keys that
// tighten policy are applied from it; the rest are reported and ignored.

import type { ConfigKey, ConfigLayer, ConfigValues, IgnoredSetting, LimitsConfig, NetworkMode, ResolvedConfig } from './types.js';

export const DEFAULT_LIMITS: Required<LimitsConfig> = {
  // Processes the jail may start beyond those its user already runs: install scripts
  // need a few dozen; a fork bomb on a shared CI runner stops here.
  processes: 256,
  file_size: 4 * 1024 ** 3,
  open_files: 16384,
  timeout: 3600,
};

const LIST_KEYS = ['keep_env', 'allow_hosts', 'write', 'hide', 'min_release_age_exclude', 'allow_names'] as const;

function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** Overlays `layer` on `base` with full authority (system, user, trusted project, command line). */
export function overlay(base: ConfigValues, layer: ConfigValues): ConfigValues {
  const out: ConfigValues = { ...base };
  for (const key of Object.keys(layer) as ConfigKey[]) {
    if ((LIST_KEYS as readonly string[]).includes(key)) {
      const k = key as (typeof LIST_KEYS)[number];
      out[k] = dedupe([...(base[k] ?? []), ...(layer[k] ?? [])]);
    } else if (key === 'limits') {
      out.limits = { ...(base.limits ?? {}), ...(layer.limits ?? {}) };
    } else {
      (out as Record<string, unknown>)[key] = layer[key];
    }
  }
  return out;
}

/** How open each network mode is; a project may only move down this scale. */
const NETWORK_OPENNESS: Record<NetworkMode, number> = { none: 0, registry: 1, host: 2 };

/**
 * Overlays an untrusted project file: keeps what tightens, returns what was ignored.
 * `current` is the configuration so far (system + user), used to tell a tighter value
 * from a looser one.
 */
export function overlayUntrusted(
  current: ConfigValues,
  project: ConfigValues,
  where: Partial<Record<ConfigKey, string>>,
): { values: ConfigValues; ignored: IgnoredSetting[]; applied: ConfigKey[] } {
  const ignored: IgnoredSetting[] = [];
  const applied: ConfigKey[] = [];
  const tighten: ConfigValues = {};
  const ignore = (key: ConfigKey, reason: string) => ignored.push({ key, where: where[key] ?? key, reason });

  for (const key of Object.keys(project) as ConfigKey[]) {
    switch (key) {
      case 'hide':
        // Hiding more files only removes access.
        tighten.hide = project.hide;
        applied.push(key);
        break;
      case 'strict':
        if (project.strict === true) {
          tighten.strict = true;
          applied.push(key);
        } else ignore(key, 'turning strict mode off would loosen policy');
        break;
      case 'network': {
        const cur = current.network ?? 'registry';
        const next = project.network!;
        if (NETWORK_OPENNESS[next] <= NETWORK_OPENNESS[cur]) {
          tighten.network = next;
          applied.push(key);
        } else ignore(key, `network "${next}" is more open than "${cur}"`);
        break;
      }
      case 'backend':
        // Only the strongest backend may be requested by a project; anything else
        // (chroot, none, auto's fallbacks) could lower isolation.
        if (project.backend === 'sandbox') {
          tighten.backend = 'sandbox';
          applied.push(key);
        } else ignore(key, `backend "${project.backend}" could weaken isolation`);
        break;
      case 'limits': {
        const lowered: LimitsConfig = {};
        const raised: string[] = [];
        for (const [k, v] of Object.entries(project.limits ?? {}) as [keyof LimitsConfig, number][]) {
          const cur = current.limits?.[k] ?? DEFAULT_LIMITS[k];
          if (v <= cur) lowered[k] = v;
          else raised.push(k);
        }
        if (Object.keys(lowered).length > 0) {
          tighten.limits = lowered;
          applied.push(key);
        }
        if (raised.length > 0) ignore(key, `raising limits (${raised.join(', ')}) would loosen policy`);
        break;
      }
      case 'keep_env':
        ignore(key, 'passing more environment variables into the jail could expose secrets');
        break;
      case 'allow_hosts':
        ignore(key, 'allowing more hosts opens the network');
        break;
      case 'write':
        ignore(key, 'allowing more write paths lets installs change more of the project');
        break;
      case 'exe':
        ignore(key, 'a project must not choose which program runs');
        break;
      case 'root_dir':
        ignore(key, 'a project must not choose the jail root');
        break;
      case 'user':
        ignore(key, 'a project must not choose which user the jail runs as');
        break;
      case 'profile':
        ignore(key, 'a profile decides registry hosts and write rules');
        break;
      case 'report':
        ignore(key, 'a project must not choose where safe-package writes files');
        break;
      case 'min_release_age': {
        // 1440: the default (src/judge/settings.ts), also when the user's npm sets another.
        const cur = current.min_release_age ?? 1440;
        if (project.min_release_age! >= cur) {
          tighten.min_release_age = project.min_release_age!;
          applied.push(key);
        } else ignore(key, 'lowering the minimum release age would loosen policy');
        break;
      }
      case 'min_release_age_exclude':
        ignore(key, 'excluding packages from the release-age check would loosen policy');
        break;
      case 'allow_names':
        ignore(key, 'letting names through the typosquat check would loosen policy');
        break;
      case 'malware_db':
        ignore(key, 'a project must not choose which files safe-package reads as its malware list');
        break;
      default: {
        const unreachable: never = key;
        ignore(unreachable, 'unknown key');
      }
    }
  }
  return { values: overlay(current, tighten), ignored, applied };
}

export interface LayeringInput {
  readonly system?: ConfigLayer;
  readonly user?: ConfigLayer;
  readonly project?: ConfigLayer & { sha256: string; trusted: boolean; changedSinceTrust: boolean };
  readonly cli: ConfigLayer;
}

export function resolveLayers(input: LayeringInput): ResolvedConfig {
  let values: ConfigValues = {};
  const origin: Partial<Record<ConfigKey, string>> = {};
  const layers: ConfigLayer[] = [];
  let ignored: IgnoredSetting[] = [];

  const record = (layer: ConfigLayer, keys: readonly ConfigKey[]) => {
    for (const k of keys) origin[k] = layer.where[k] ?? layer.source;
  };

  for (const layer of [input.system, input.user]) {
    if (!layer) continue;
    values = overlay(values, layer.values);
    record(layer, Object.keys(layer.values) as ConfigKey[]);
    layers.push(layer);
  }
  const project = input.project;
  if (project) {
    layers.push(project);
    if (project.trusted) {
      values = overlay(values, project.values);
      record(project, Object.keys(project.values) as ConfigKey[]);
    } else {
      const r = overlayUntrusted(values, project.values, project.where);
      values = r.values;
      ignored = r.ignored;
      record(project, r.applied);
    }
  }
  values = overlay(values, input.cli.values);
  record(input.cli, Object.keys(input.cli.values) as ConfigKey[]);
  layers.push(input.cli);

  return {
    values,
    origin,
    ignored,
    layers,
    ...(project
      ? { project: { path: project.source, sha256: project.sha256, trusted: project.trusted, changedSinceTrust: project.changedSinceTrust } }
      : {}),
  };
}
