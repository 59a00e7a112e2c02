// The typosquat check of one run, before the download phase: the names the command adds,
// compared with the used names; a lookalike is looked up on the registry (with the user's
// configuration, from safe-package itself) and stopped unless it is established there.

import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Policy } from '../policy/types.js';
import { classifyCommand } from '../profiles/commands.js';
import { requestJson } from './http.js';
import { packumentUrl, registryFor, type RegistryConfig } from './registry.js';
import { addedName, established, loadPopularNames, lookalikeOf, type NameFacts, type SquatSuspect } from './typosquat.js';
import type { JudgedTool } from './host.js';

/** Names in the project's manifest already: not additions. */
function manifestNames(projectDir: string): Set<string> {
  try {
    const m = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    return new Set(['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'].flatMap((s) => Object.keys((m[s] as object | undefined) ?? {})));
  } catch {
    return new Set();
  }
}

/** What the registry says about `name`, for established(). */
export function nameFacts(packument: unknown, now: number): NameFacts {
  const p = packument as { versions?: Record<string, unknown>; time?: Record<string, string> } | null;
  const created = p?.time?.created ? Date.parse(p.time.created) : NaN;
  return {
    exists: true,
    versions: Object.keys(p?.versions ?? {}).length,
    ...(Number.isFinite(created) ? { createdDaysAgo: Math.floor((now - created) / 86_400_000) } : {}),
  };
}

export async function findSquats(p: Policy, tool: JudgedTool, registry: RegistryConfig, allowed: readonly string[]): Promise<SquatSuspect[]> {
  const command = classifyCommand(tool, p.command.args);
  if (command.kind !== 'install' && command.kind !== 'update') return [];
  const have = manifestNames(p.project.dir);
  const names = [...new Set(command.packages.map(addedName).filter((n): n is string => n !== undefined))].filter((n) => !have.has(n) && !allowed.includes(n));
  if (names.length === 0) return [];
  const popular = loadPopularNames();
  const suspects: SquatSuspect[] = [];
  for (const name of names) {
    const meant = lookalikeOf(name, popular);
    if (!meant) continue;
    const url = packumentUrl(registryFor(registry, name), name);
    const r = await requestJson(url, { method: 'GET', config: registry });
    const facts: NameFacts = r.status === 404 ? { exists: false } : r.status === 200 ? nameFacts(JSON.parse(r.body.toString('utf8')), Date.now()) : { exists: true };
    // A registry that does not answer clearly: not stopped on a guess (the release-age judgement still applies).
    if (r.status !== 200 && r.status !== 404) continue;
    if (!established(facts)) suspects.push({ name, meant, facts });
  }
  return suspects;
}
