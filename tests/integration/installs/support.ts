// Support for the real-install checks: twin projects (one installed through safe-package,
// one by the bare package manager as the same user with the same environment), exact
// snapshots of directory trees, timed runs, and the run's JSON report.
//
// Everything a fixture user touches lives in one world-traversable work directory per
// test file (root's home is mode 700, see host-facts): projects, caches, reports.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { baseEnv, fixtureUser, installedCli, REPO, runProcess, type FixtureUser, type RunResult } from '../../support/cli.js';
import type { Report } from '../../../src/report/report.js';

export const user: FixtureUser = fixtureUser('sp-test');

// ---------------------------------------------------------------------------------------
// Work directory

export interface WorkDir {
  readonly root: string;
  /** A new directory owned by the fixture user (a cache, a place for reports). */
  userDir(name: string): string;
  /** A new project `<root>/<name>/proj` owned by the fixture user, holding `files`. */
  project(name: string, files?: Readonly<Record<string, string>>): string;
  remove(): void;
}

export function makeWorkDir(prefix: string): WorkDir {
  const root = mkdtempSync(join('/tmp', `sp-installs-${prefix}-`));
  chmodSync(root, 0o755);
  const userDir = (name: string): string => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    chownSync(dir, user.uid, user.gid);
    return dir;
  };
  // Every project directory is called `proj`, so that npm writes the same `name` into
  // the lockfiles of twins that live in different places.
  const project = (name: string, files: Readonly<Record<string, string>> = {}): string => {
    mkdirSync(join(root, name));
    chmodSync(join(root, name), 0o755);
    const dir = userDir(join(name, 'proj'));
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    chownTree(dir);
    return dir;
  };
  return { root, userDir, project, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Gives a tree to the fixture user (after root wrote into it). */
export function chownTree(dir: string): void {
  const r = spawnSync('chown', ['-R', '-h', `${user.uid}:${user.gid}`, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chown -R ${dir} failed: ${r.stderr}`);
}

/** Copies a project (as root, keeping modes and links) and gives the copy to the fixture user. */
export function copyProject(from: string, to: string): void {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  chownTree(to);
}

// ---------------------------------------------------------------------------------------
// Tree snapshots

export interface SnapshotOptions {
  /** Record each file's link count (hard links show up as nlink > 1). */
  readonly nlink?: boolean;
  /** Record modification times (to prove a tree was not even touched). */
  readonly mtime?: boolean;
  /** Relative paths to leave out, with everything below them. */
  readonly skip?: readonly string[];
  /** Names to leave out at any depth (e.g. `__pycache__`, whose files record build times). */
  readonly skipNames?: readonly string[];
  /**
   * Text to replace in file contents before hashing, e.g. the project's own absolute path
   * (which pnpm writes into its .bin shims) by a placeholder, so twins can be compared.
   */
  readonly replace?: readonly (readonly [string, string])[];
}

function contentOf(abs: string, replace: SnapshotOptions['replace']): Buffer {
  const data = readFileSync(abs);
  if (!replace?.length) return data;
  let text = data.toString('latin1');
  for (const [from, to] of replace) text = text.split(from).join(to);
  return Buffer.from(text, 'latin1');
}

/**
 * Every entry under root as `relative path → one line`: type, permission bits, owner,
 * then the SHA-256 of a file's bytes or a link's target. Two trees are the same install
 * when their snapshots are equal.
 */
export function snapshotTree(root: string, options: SnapshotOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  const skip = new Set(options.skip ?? []);
  const skipNames = new Set(options.skipNames ?? []);
  const visit = (rel: string): void => {
    const abs = rel === '' ? root : join(root, rel);
    const st = lstatSync(abs, { bigint: false });
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    let line = `${mode} ${st.uid}:${st.gid}`;
    if (options.mtime) line += ` mtime=${st.mtimeMs}`;
    if (st.isSymbolicLink()) {
      out.set(rel, `link -> ${readlinkSync(abs)} ${st.uid}:${st.gid}`);
    } else if (st.isFile()) {
      const content = contentOf(abs, options.replace);
      const hash = createHash('sha256').update(content).digest('hex');
      out.set(rel, `file ${line} ${content.length} ${hash}${options.nlink ? ` nlink=${st.nlink}` : ''}`);
    } else if (st.isDirectory()) {
      out.set(rel, `dir ${line}`);
      for (const name of readdirSync(abs).sort()) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (!skip.has(child) && !skipNames.has(name)) visit(child);
      }
    } else {
      out.set(rel, `other ${line} (mode ${st.mode.toString(8)})`);
    }
  };
  visit('');
  return out;
}

/** The differences between two snapshots, at most `limit` lines; '' when they are equal. */
export function diffTrees(
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>,
  names: readonly [string, string] = ['a', 'b'],
  limit = 30,
): string {
  const lines: string[] = [];
  let count = 0;
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(path);
    const y = b.get(path);
    if (x === y) continue;
    count++;
    if (lines.length < limit) {
      lines.push(`${path || '.'}:\n    ${names[0]}: ${x ?? '(absent)'}\n    ${names[1]}: ${y ?? '(absent)'}`);
    }
  }
  if (count > limit) lines.push(`… and ${count - limit} more difference(s)`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------
// Running the package managers

export interface TimedResult extends RunResult {
  readonly ms: number;
}

export interface SpawnOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Runs `file args` as the fixture user (never through a shell) and times it. */
export async function runAsUser(file: string, args: readonly string[], opts: SpawnOptions): Promise<TimedResult> {
  const started = performance.now();
  const r = await runProcess(file, args, { cwd: opts.cwd, env: { ...opts.env }, user, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
  return { ...r, ms: Math.round(performance.now() - started) };
}

/** The environment both twins get: the fixture user's, the registry, no chatter. */
export function userEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...baseEnv(user),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

/** `safe-package [flags] --report FILE -- exe args` as the fixture user, timed. */
export async function runWrapped(
  flags: readonly string[],
  exe: string,
  args: readonly string[],
  opts: SpawnOptions & { readonly reportFile: string },
): Promise<TimedResult & { readonly report: Report | undefined }> {
  rmSync(opts.reportFile, { force: true });
  const r = await runAsUser(installedCli(), [...flags, '--report', opts.reportFile, '--', exe, ...args], opts);
  let report: Report | undefined;
  try {
    report = JSON.parse(readFileSync(opts.reportFile, 'utf8')) as Report;
  } catch {
    report = undefined;
  }
  return { ...r, report };
}

/** A message with everything needed to see why a run went wrong. */
export function describeRun(what: string, r: RunResult): string {
  return `${what}: status ${r.status} signal ${r.signal}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
}

// ---------------------------------------------------------------------------------------
// Tools from this repository's node_modules, where the fixture user can run them

let tools: string | undefined;

/**
 * Copies the named packages of this repository's node_modules (dev dependencies such as
 * pnpm and yarn) to a world-readable directory outside /tmp (the jail has its own /tmp)
 * with a node_modules/.bin of symlinks, and returns that node_modules directory.
 */
export function installedTools(packages: readonly string[], bins: Readonly<Record<string, string>>): string {
  if (tools !== undefined) return tools;
  const root = mkdtempSync(join('/var/tmp', 'sp-installs-tools-'));
  chmodSync(root, 0o755);
  const nm = join(root, 'node_modules');
  mkdirSync(join(nm, '.bin'), { recursive: true });
  for (const name of packages) {
    cpSync(join(REPO, 'node_modules', name), join(nm, name), { recursive: true, verbatimSymlinks: true });
  }
  for (const [bin, target] of Object.entries(bins)) {
    spawnSync('ln', ['-s', target, join(nm, '.bin', bin)]);
  }
  spawnSync('chmod', ['-R', 'a+rX', root]);
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  tools = nm;
  return nm;
}

// ---------------------------------------------------------------------------------------
// Processes

/** Pids of every live descendant of pid (from /proc), pid itself included. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') continue;
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    found.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return found;
}

/** The ones among pids that are still alive (not zombies). */
export function alive(pids: readonly number[]): number[] {
  return pids.filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  });
}

export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

// ---------------------------------------------------------------------------------------
// Timings, printed as test diagnostics and collected for the final summary

export interface Timing {
  readonly what: string;
  readonly wrappedMs: number;
  readonly bareMs?: number;
}

export function timingLine(t: Timing): string {
  if (t.bareMs === undefined) return `${t.what}: wrapped ${t.wrappedMs} ms`;
  return `${t.what}: wrapped ${t.wrappedMs} ms, bare ${t.bareMs} ms (${(t.wrappedMs / t.bareMs).toFixed(2)}x)`;
}
