// The scripts phase, package by package (docs/promises.md#p7-two-phase-installs, and the attack suite's finding that a
// postinstall could rewrite another installed package).
//
// Each dependency's install scripts run in a jail of their own in which the project is
// read-only except that package's own folder(s): a script builds into its package and
// cannot trojan a neighbour, the manifest or the lockfile. Dependencies run before their
// dependents, as npm orders them. The project's own lifecycle scripts (the user's code)
// run last with the project writable, except `preinstall`, which npm runs first.

import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPackageName } from '../profiles/commands.js';

export interface PackageDir {
  /** Relative to the project: node_modules/a, node_modules/@s/b, node_modules/a/node_modules/c. */
  readonly rel: string;
  /** The name npm knows it by: the folder name (with its scope). */
  readonly name: string;
  /** Install events it defines (implicit `install` for a binding.gyp without one). */
  readonly events: readonly string[];
  readonly dependencies: readonly string[];
}

export type ScriptStep =
  | { readonly kind: 'package'; readonly name: string; readonly writable: readonly string[] }
  | { readonly kind: 'root'; readonly event: string };

const INSTALL_EVENTS = ['preinstall', 'install', 'postinstall'];
const ROOT_EVENTS = ['preinstall', 'install', 'postinstall', 'prepare'];

/** Steps in npm's order: root preinstall, dependencies leaves first, then the root's other events. Pure. */
export function orderScriptSteps(
  changed: readonly PackageDir[],
  instancesOf: (name: string) => readonly string[],
  rootEvents: readonly string[] | undefined,
): ScriptStep[] {
  const withScripts = changed.filter((p) => p.events.length > 0);
  const byName = new Map<string, PackageDir>();
  for (const p of withScripts) if (!byName.has(p.name)) byName.set(p.name, p);
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    if (state.get(name)) return; // done, or a cycle: break it here
    state.set(name, 'visiting');
    for (const dep of byName.get(name)?.dependencies ?? []) if (byName.has(dep)) visit(dep);
    state.set(name, 'done');
    ordered.push(name);
  };
  for (const name of [...byName.keys()].sort()) visit(name);

  const steps: ScriptStep[] = [];
  const root = rootEvents ?? [];
  if (root.includes('preinstall')) steps.push({ kind: 'root', event: 'preinstall' });
  for (const name of ordered) steps.push({ kind: 'package', name, writable: instancesOf(name) });
  for (const event of ROOT_EVENTS.slice(1)) if (root.includes(event)) steps.push({ kind: 'root', event });
  return steps;
}

/** The install events a manifest defines. Pure. */
export function installEvents(manifest: { scripts?: unknown }, hasBindingGyp: boolean): string[] {
  const scripts = manifest.scripts && typeof manifest.scripts === 'object' ? (manifest.scripts as Record<string, unknown>) : {};
  const events = INSTALL_EVENTS.filter((e) => typeof scripts[e] === 'string' && scripts[e] !== '');
  // npm runs `node-gyp rebuild` for a package with a binding.gyp and no install script.
  if (hasBindingGyp && !events.includes('install') && !events.includes('preinstall')) events.push('install');
  return events;
}

function readManifest(dir: string): Record<string, unknown> | undefined {
  try {
    const st = lstatSync(join(dir, 'package.json'));
    if (!st.isFile() || st.size > 1024 * 1024) return undefined;
    const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as unknown;
    return m && typeof m === 'object' ? (m as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isWhiteout(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isCharacterDevice() && st.rdev === 0;
  } catch {
    return false;
  }
}

/** Package folders under a node_modules tree (no symlink followed), with a bounded walk. */
function packageDirs(base: string, rel = 'node_modules', depth = 0, out: string[] = []): string[] {
  if (depth > 12 || out.length > 50_000) return out;
  let entries;
  try {
    entries = readdirSync(join(base, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    if (e.name.startsWith('@')) {
      let scoped;
      try {
        scoped = readdirSync(join(base, rel, e.name), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const s of scoped) {
        if (!s.isDirectory()) continue;
        const r = `${rel}/${e.name}/${s.name}`;
        out.push(r);
        packageDirs(base, `${r}/node_modules`, depth + 1, out);
      }
      continue;
    }
    const r = `${rel}/${e.name}`;
    out.push(r);
    packageDirs(base, `${r}/node_modules`, depth + 1, out);
  }
  return out;
}

function nameOf(rel: string): string {
  const parts = rel.split('/');
  const last = parts[parts.length - 1]!;
  const prev = parts[parts.length - 2]!;
  return prev.startsWith('@') ? `${prev}/${last}` : last;
}

export interface ScriptPlanInput {
  /** The staging layer: what the install phase wrote. */
  readonly upperDir: string;
  /** The real project (the lower layer). */
  readonly projectDir: string;
  /** Include the project's own lifecycle scripts (npm ci, bare npm install). */
  readonly rootScripts: boolean;
  /** Project directories the staging layer replaced wholesale: nothing below them in the project is seen. */
  readonly replaced?: readonly string[];
  /**
   * Which package folders of `upperDir` this run wrote; all when absent. The landlock
   * backend's shadow holds the whole tree, not only what was written.
   */
  readonly touched?: (rel: string) => boolean;
}

/** pnpm's virtual store: node_modules/.pnpm/<name>@<version>/node_modules/<name> are the real folders. */
function pnpmStoreDirs(base: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(join(base, 'node_modules', '.pnpm'), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) if (e.isDirectory() && e.name !== 'node_modules') packageDirs(base, `node_modules/.pnpm/${e.name}/node_modules`, 11, out);
  return out;
}

/** Reads the staging layer and the project, and returns the script steps. */
export function planScriptSteps(input: ScriptPlanInput): ScriptStep[] {
  const changed: PackageDir[] = [];
  const upperDirs = packageDirs(input.upperDir);
  for (const rel of [...upperDirs, ...pnpmStoreDirs(input.upperDir)]) {
    if (input.touched && !input.touched(rel)) continue;
    const name = nameOf(rel);
    if (!isPackageName(name)) continue;
    const manifest = readManifest(join(input.upperDir, rel));
    if (!manifest) continue;
    const gyp = (() => {
      try {
        return lstatSync(join(input.upperDir, rel, 'binding.gyp')).isFile();
      } catch {
        return false;
      }
    })();
    const deps = ['dependencies', 'optionalDependencies'].flatMap((k) => (manifest[k] && typeof manifest[k] === 'object' ? Object.keys(manifest[k] as object) : []));
    changed.push({ rel, name, events: installEvents(manifest, gyp), dependencies: deps });
  }
  // Every folder of that name in the project as the jail will see it: written by the
  // install phase (upper) or already there (lower) and not deleted (a whiteout).
  const replaced = input.replaced ?? [];
  const hidden = (rel: string) => replaced.some((r) => rel === r || rel.startsWith(`${r}/`));
  // packageDirs lists only what is under node_modules: with that replaced, nothing of the project's is seen.
  const lowerDirs = replaced.includes('node_modules') ? [] : packageDirs(input.projectDir).filter((rel) => !hidden(rel) && !isWhiteout(join(input.upperDir, rel)));
  const all = [...new Set([...upperDirs, ...lowerDirs])];
  const instancesOf = (name: string) => all.filter((rel) => nameOf(rel) === name);

  let rootEvents: string[] | undefined;
  if (input.rootScripts) {
    const manifest = readManifest(input.upperDir) ?? readManifest(input.projectDir) ?? {};
    const scripts = manifest.scripts && typeof manifest.scripts === 'object' ? (manifest.scripts as Record<string, unknown>) : {};
    rootEvents = ROOT_EVENTS.filter((e) => typeof scripts[e] === 'string' && scripts[e] !== '');
  }
  return orderScriptSteps(changed, instancesOf, rootEvents);
}
