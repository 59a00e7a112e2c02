// package.json is compared by meaning, not by bytes: an install legitimately rewrites the
// dependency sections (and reformats the file), but a `scripts.postinstall`, a new `bin`
// or `main` planted by a dependency would run at the user's next command, outside any
// jail.

import { specifierForeignHost } from './hosts.js';
import { isJsonObject, jsonEqual, parseStrictJson, type JsonValue } from './strict-json.js';

export const DEPENDENCY_KEYS: readonly string[] = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'overrides',
  'bundleDependencies',
  'bundledDependencies',
];

export type ManifestVerdict =
  | { ok: true; changedKeys: string[] }
  | { ok: false; reason: string; changedKeys: string[] };

/**
 * @param lowerText the project's manifest, or null when the project had none (then the
 *   new one may hold nothing but dependency sections)
 * @param upperText the manifest as the package manager left it
 * @param registryHosts when given, a changed specifier that fetches from another host
 *   (a URL, a git repository) refuses the change
 */
export function compareManifest(
  lowerText: string | null,
  upperText: string,
  registryHosts?: readonly string[],
  /** Sections this command may change as well (`allowScripts` for `npm install-scripts approve`). */
  extraKeys: readonly string[] = [],
): ManifestVerdict {
  const upper = parseStrictJson(upperText);
  if (!upper.ok) return { ok: false, reason: `package.json is not valid JSON: ${upper.error}`, changedKeys: [] };
  if (!isJsonObject(upper.value)) return { ok: false, reason: 'package.json is not a JSON object', changedKeys: [] };
  let lowerValue: JsonValue = Object.create(null) as JsonValue;
  if (lowerText !== null) {
    const lower = parseStrictJson(lowerText);
    if (!lower.ok) {
      return {
        ok: false,
        reason: `the project's own package.json is not valid JSON (${lower.error}), so the change cannot be checked`,
        changedKeys: [],
      };
    }
    if (!isJsonObject(lower.value)) {
      return { ok: false, reason: "the project's own package.json is not a JSON object", changedKeys: [] };
    }
    lowerValue = lower.value;
  }
  const lo = lowerValue as Record<string, JsonValue>;
  const up = upper.value;
  const keys = [...new Set([...Object.keys(lo), ...Object.keys(up)])].sort();
  const changedKeys = keys.filter((k) => !jsonEqual(lo[k], up[k]));
  const forbidden = changedKeys.filter((k) => !DEPENDENCY_KEYS.includes(k) && !extraKeys.includes(k));
  if (forbidden.length > 0) {
    return {
      ok: false,
      reason: `package.json changes outside the dependency sections: ${forbidden.map((k) => JSON.stringify(k)).join(', ')}`,
      changedKeys,
    };
  }
  if (registryHosts) {
    for (const key of changedKeys.filter((k) => DEPENDENCY_KEYS.includes(k))) {
      const before = new Map(stringLeaves(lo[key], key));
      for (const [path, spec] of stringLeaves(up[key], key)) {
        if (before.get(path) === spec) continue;
        // bundleDependencies lists names, not specifiers.
        if (key === 'bundleDependencies' || key === 'bundledDependencies') continue;
        const host = specifierForeignHost(spec, registryHosts);
        if (host) {
          return {
            ok: false,
            reason: `package.json ${path} now fetches from ${host}, which is not a registry host (${registryHosts.join(', ')})`,
            changedKeys,
          };
        }
      }
    }
  }
  return { ok: true, changedKeys };
}

function stringLeaves(v: JsonValue | undefined, path: string): Array<[string, string]> {
  if (typeof v === 'string') return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, `${path}[${i}]`));
  if (isJsonObject(v)) return Object.keys(v).flatMap((k) => stringLeaves(v[k], `${path}.${k}`));
  return [];
}
