// git dependencies that build themselves (docs/promises.md#p7-two-phase-installs).
//
// Bare npm builds a git dependency while it fetches it: it clones the repository, installs
// its devDependencies, runs its `prepare`, packs it and installs the packed result. The
// download phase runs npm with scripts off, so npm installs the packed repository unbuilt
// (often without its sources either: `files` names only the build output). Here the same
// work is split along the two phases (the programs are in run/git-drivers.ts):
//
//   download phase, after the user's command: for each git dependency it installed whose
//     manifest has something to run, the repository is fetched again by npm's own code
//     into a build folder, and its dependencies are installed there with scripts off;
//   scripts phase, first: each build runs in a jail of its own in which only its build
//     folder and the package's folder are writable (no network, no credentials, the cache
//     read-only): the clone's install with scripts, `prepare`, pack, and the packed result
//     replaces the unbuilt package; then `npm rebuild NAME --ignore-scripts` links its bins
//     (in a jail where its folder and the node_modules/.bin beside it are writable).
//
// The build folders live in the staged node_modules under a name no package can have
// (a dot and the run's id: npm ignores dot-folders there) and are removed before review,
// so they never reach the project.

import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Policy } from '../policy/types.js';
import { findProgram } from '../host/which.js';
import { isPackageName } from '../profiles/commands.js';
import { BUILD_PROGRAM, FETCH_PROGRAM } from './git-drivers.js';

export interface GitBuild {
  /** Where npm installed it, relative to the project: node_modules/x, node_modules/a/node_modules/@s/y. */
  readonly rel: string;
  readonly name: string;
  /** What npm recorded as its source (git+…#sha): what the fetch clones. */
  readonly resolved: string;
  /** The manifest names bins (they are linked once the package is built). */
  readonly bins: boolean;
}

/** Scripts that make pacote run the clone's install (and so can change what is packed). */
const BUILD_SCRIPTS = ['prepare', 'preinstall', 'install', 'postinstall'];

/**
 * The git dependencies of a hidden lockfile (node_modules/.package-lock.json) that bare
 * npm would build: a `git+` source and a manifest with a script that runs in the clone's
 * install. Pure.
 */
export function gitBuildsFrom(lock: unknown, manifestOf: (rel: string) => Record<string, unknown> | undefined): GitBuild[] {
  const packages = lock && typeof lock === 'object' ? (lock as { packages?: unknown }).packages : undefined;
  if (!packages || typeof packages !== 'object') return [];
  const out: GitBuild[] = [];
  for (const [rel, entry] of Object.entries(packages as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object') continue;
    const { resolved, link } = entry as { resolved?: unknown; link?: unknown };
    if (link === true || typeof resolved !== 'string' || !resolved.startsWith('git+')) continue;
    if (!/^node_modules\/(?:[^/]+\/node_modules\/)*(?:@[^/]+\/)?[^/]+$/.test(rel) || rel.split('/').some((p) => p === '..' || p === '.')) continue;
    const name = nameOf(rel);
    if (!isPackageName(name)) continue;
    const manifest = manifestOf(rel);
    if (!manifest) continue;
    const scripts = manifest.scripts && typeof manifest.scripts === 'object' ? (manifest.scripts as Record<string, unknown>) : {};
    if (!BUILD_SCRIPTS.some((s) => typeof scripts[s] === 'string' && scripts[s] !== '')) continue;
    const bins = (typeof manifest.bin === 'string' && manifest.bin !== '') || (!!manifest.bin && typeof manifest.bin === 'object' && Object.keys(manifest.bin).length > 0);
    out.push({ rel, name, resolved, bins });
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

function nameOf(rel: string): string {
  const parts = rel.split('/');
  const last = parts[parts.length - 1]!;
  const prev = parts[parts.length - 2]!;
  return prev.startsWith('@') ? `${prev}/${last}` : last;
}

/** The folder, in the staged node_modules, that holds this run's builds. Pure. */
export function buildsDir(runDir: string): string {
  return `node_modules/.safe-package-git-${basename(runDir).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** One build's folder, relative to the project. Pure. */
export function buildDirOf(runDir: string, rel: string): string {
  return `${buildsDir(runDir)}/${rel.replace(/\//g, '+')}`;
}

/** Is this project-relative path inside a build folder (whose node_modules is the build's own)? Pure. */
export function inBuilds(runDir: string, rel: string): boolean {
  const dir = buildsDir(runDir);
  return rel === dir || rel.startsWith(`${dir}/`);
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.size > 64 * 1024 * 1024) return undefined;
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The git dependencies this run installed, read from what the download phase wrote
 * (`tree`: the staging layer, or the landlock backend's shadow with `touched`).
 */
export function findGitBuilds(tree: string, touched?: (rel: string) => boolean): GitBuild[] {
  const lock = readJson(join(tree, 'node_modules', '.package-lock.json'));
  return gitBuildsFrom(lock, (rel) => (touched && !touched(rel) ? undefined : readJson(join(tree, rel, 'package.json'))));
}

/** npm's installation (the folder of npm-cli.js's parent), and the node that runs it, as the jail sees them. */
function npmParts(p: Policy): { npmRoot: string; node: string } | undefined {
  if (p.profile.name !== 'npm' || !p.rebuildTool) return undefined;
  let cli: string;
  try {
    cli = realpathSync(p.rebuildTool);
  } catch {
    return undefined;
  }
  if (basename(cli) !== 'npm-cli.js') return undefined;
  const node = findProgram('node', p.env.vars.PATH ?? '', p.cwd);
  return node.found ? { npmRoot: dirname(dirname(cli)), node: node.path } : undefined;
}

export interface GitStep {
  readonly command: { path: string; args: string[] };
  readonly writable?: readonly string[];
  readonly package?: string;
}

/**
 * The download phase's extra steps, once the user's command has run: one fetch per git
 * dependency to build. None when no scripts phase follows (`--ignore-scripts`: bare npm
 * builds nothing then either).
 */
export function gitFetchSteps(p: Policy, tree: string, runDir: string, touched?: (rel: string) => boolean): GitStep[] {
  if (!p.phases.some((ph) => ph.name === 'scripts')) return [];
  const parts = npmParts(p);
  if (!parts) return [];
  return findGitBuilds(tree, touched).map((g) => ({
    command: { path: parts.node, args: ['-e', FETCH_PROGRAM, g.resolved, buildDirOf(runDir, g.rel), parts.npmRoot, ...(g.bins ? [binDirOf(g.rel)] : [])] },
    package: g.name,
  }));
}

/** The scripts phase's first steps: each fetched build, then the linking of its bins. */
export function gitBuildSteps(p: Policy, tree: string, runDir: string, touched: ((rel: string) => boolean) | undefined, flags: readonly string[]): GitStep[] {
  const parts = npmParts(p);
  if (!parts) return [];
  const builds = findGitBuilds(tree, touched).filter((g) => exists(join(tree, buildDirOf(runDir, g.rel), 'src', 'package.json')));
  const steps: GitStep[] = builds.map((g) => ({
    command: { path: parts.node, args: ['-e', BUILD_PROGRAM, buildDirOf(runDir, g.rel), g.rel, parts.npmRoot] },
    writable: [g.rel, buildDirOf(runDir, g.rel)],
    package: g.name,
  }));
  for (const g of builds) {
    if (!g.bins) continue;
    const bin = binDirOf(g.rel);
    steps.push({ command: { path: p.rebuildTool!, args: ['rebuild', g.name, '--ignore-scripts', ...flags] }, writable: exists(join(tree, bin)) ? [g.rel, bin] : [g.rel], package: g.name });
  }
  return steps;
}

/** The node_modules/.bin where npm links the bins of the package at rel. Pure. */
export function binDirOf(rel: string): string {
  return `${dirname(rel).replace(/\/@[^/]+$/, '')}/.bin`;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
