// The benchmark's scratch space: who runs the commands, where safe-package is installed
// for that user, the project, the caches, and the environment both sides get.
//
// Both sides run as the same ordinary user with the same clean environment. As root the
// benchmark runs everything as an unprivileged user (default `sp-test`): safe-package
// invoked by root drops to `nobody`, a different path from a developer's, and root's
// home is not readable by that user anyway.

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Identity } from './proc.js';

export interface Workspace {
  /** Private scratch directory (world-readable so that the bench user can use it). */
  readonly dir: string;
  /** Undefined: run as ourselves (not root). */
  readonly as: Identity | undefined;
  readonly user: Identity;
  /** The installed launcher, bundle preferred (what `npm run build` produces). */
  readonly safePackage: string;
  /** The same build without the bundle: the module tree tsc emits. */
  readonly safePackageModules: string;
  /** Which entry the installed launcher runs: 'bundle' or 'modules'. */
  readonly entry: 'bundle' | 'modules';
  /** Hooks loaded with `node --import` (world-readable copies). */
  readonly hooks: { readonly rss: string; readonly timing: string };
  readonly project: string;
  /** npm cache of the bare side (`npm --cache`). */
  readonly bareCache: string;
  /** XDG_CACHE_HOME of the wrapped side: safe-package keeps its npm cache below it. */
  readonly wrappedXdg: string;
  /** safe-package's own cache directory for this user ($XDG_CACHE_HOME/safe-package). */
  readonly wrappedCache: string;
  readonly npmrc: string;
  readonly reports: string;
  /** Creates (or empties) a directory owned by the bench user. */
  ownedDir(path: string): string;
  /** Writes a file owned by the bench user. */
  ownedFile(path: string, text: string): void;
  cleanup(): void;
}

export class BenchSetupError extends Error {}

function passwdEntry(name: string): Identity | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7) return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
  }
  return undefined;
}

/** The user both sides run as when the benchmark is started by root without --user. */
export const DEFAULT_BENCH_USER = 'sp-test';
const USERADD = ['useradd', '--create-home', '--shell', '/bin/bash'];

function createUser(name: string): void {
  process.stderr.write(`bench: creating the unprivileged user ${name} (${USERADD.join(' ')} ${name})\n`);
  const r = spawnSync(USERADD[0]!, [...USERADD.slice(1), name], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new BenchSetupError(`${USERADD.join(' ')} ${name} failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}; create the user by hand or pass --user NAME`);
  }
}

export function benchIdentity(requested: string | undefined): { as: Identity | undefined; user: Identity } {
  const me = userInfo();
  if (me.uid !== 0) {
    if (requested !== undefined && requested !== me.username) {
      throw new BenchSetupError(`--user ${requested} needs root; run without --user to benchmark as ${me.username}`);
    }
    return { as: undefined, user: { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir } };
  }
  const name = requested ?? DEFAULT_BENCH_USER;
  let user = passwdEntry(name);
  if (user === undefined && requested === undefined) {
    // The default user is the test suite's fixture user (scripts/test makes it too): a
    // fresh machine should not stop the benchmark. A user named with --user is the
    // caller's choice, so it is never created here.
    createUser(name);
    user = passwdEntry(name);
  }
  if (user === undefined) {
    throw new BenchSetupError(
      `as root the benchmark runs both sides as an unprivileged user, and ${name} does not exist: ` +
        `create it (${USERADD.join(' ')} ${name}) or pass --user NAME`,
    );
  }
  if (user.uid === 0) throw new BenchSetupError(`--user ${name} is root; pick an unprivileged user`);
  return { as: user, user };
}

function chmodTree(path: string): void {
  const r = spawnSync('chmod', ['-R', 'a+rX', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new BenchSetupError(`chmod -R a+rX ${path} failed: ${r.stderr}`);
}

/** The entry bin/safe-package picks (the same rule): the bundle unless the compiled tree is newer. */
export function launcherEntry(root: string): 'bundle' | 'modules' {
  const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : undefined);
  const bundle = mtime(join(root, 'dist/src/cli/main.bundle.cjs'));
  const tree = mtime(join(root, 'dist/src/cli/main.js'));
  return bundle !== undefined && (tree === undefined || bundle >= tree) ? 'bundle' : 'modules';
}

/** Copies the built program the way the package ships it (bin/, dist/src/, dist/native/, package.json). */
function install(repo: string, to: string, withBundle: boolean): string {
  mkdirSync(to, { recursive: true });
  // Timestamps kept: the launcher compares the bundle's with the module tree's.
  const copy = (rel: string) => cpSync(join(repo, rel), join(to, rel), { recursive: true, preserveTimestamps: true });
  copy('bin');
  copy('dist/src');
  // sp-confine, the landlock and chroot backends' helper.
  if (existsSync(join(repo, 'dist/native'))) copy('dist/native');
  if (existsSync(join(repo, 'data'))) copy('data');
  if (existsSync(join(repo, 'package.json'))) copy('package.json');
  if (!withBundle) rmSync(join(to, 'dist/src/cli/main.bundle.cjs'), { force: true });
  chmodTree(to);
  return join(to, 'bin', 'safe-package');
}

/**
 * `program`: the built safe-package to measure (a checkout or an unpacked package with
 * bin/, dist/src/, package.json); by default this checkout. Comparing two builds is
 * running the benchmark once with each.
 */
export function createWorkspace(repo: string, requestedUser: string | undefined, program = repo): Workspace {
  const { as, user } = benchIdentity(requestedUser);
  if (!existsSync(join(program, 'dist/src/cli/main.js'))) {
    throw new BenchSetupError(`${program}/dist is missing: run \`npm run build\` first (npm run bench does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'sp-bench-'));
  chmodSync(dir, 0o755);

  const own = (path: string) => {
    if (as !== undefined) chownSync(path, as.uid, as.gid);
  };
  const ownedDir = (path: string) => {
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true, mode: 0o755 });
    own(path);
    return path;
  };
  const ownedFile = (path: string, text: string) => {
    writeFileSync(path, text, { mode: 0o644 });
    own(path);
  };

  const safePackage = install(program, join(dir, 'safe-package'), true);
  const safePackageModules = install(program, join(dir, 'safe-package-modules'), false);
  const hookDir = join(dir, 'hooks');
  mkdirSync(hookDir);
  // .mjs: the hooks are ES modules and this directory has no package.json.
  cpSync(join(repo, 'dist/bench/lib/rss-hook.js'), join(hookDir, 'rss-hook.mjs'));
  cpSync(join(repo, 'dist/bench/lib/timing-hook.js'), join(hookDir, 'timing-hook.mjs'));
  chmodTree(hookDir);

  const wrappedXdg = ownedDir(join(dir, 'xdg'));
  const ws: Workspace = {
    dir,
    as,
    user,
    safePackage,
    safePackageModules,
    entry: launcherEntry(join(dir, 'safe-package')),
    hooks: { rss: join(hookDir, 'rss-hook.mjs'), timing: join(hookDir, 'timing-hook.mjs') },
    project: ownedDir(join(dir, 'project')),
    bareCache: ownedDir(join(dir, 'bare-cache')),
    wrappedXdg,
    wrappedCache: join(wrappedXdg, 'safe-package'),
    npmrc: join(dir, 'npmrc'),
    reports: ownedDir(join(dir, 'reports')),
    ownedDir,
    ownedFile,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return ws;
}

/** PATH without the entries `npm run` adds (node_modules/.bin, node-gyp-bin). */
export function cleanPath(path: string | undefined): string {
  const keep = (path ?? '/usr/local/bin:/usr/bin:/bin')
    .split(':')
    .filter((p) => p !== '' && !/node_modules[\\/]\.bin|node-gyp-bin/.test(p));
  return [...new Set(keep)].join(':');
}

/**
 * The environment of every measured command, the same for both sides. Nothing from
 * `npm run` (npm_* variables), no proxy settings and no CA bundle variables (the
 * registry is plain HTTP on loopback), no NODE_OPTIONS. NODE_EXTRA_CA_CERTS in
 * particular makes every Node process parse the bundle at start-up (about 70 ms on the
 * reference machine, more than `node -e 0` itself): it would slow both sides and hide
 * safe-package's own start-up in the ratio.
 */
export function benchEnv(ws: Workspace, registryUrl: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    PATH: cleanPath(process.env.PATH),
    HOME: ws.user.home,
    USER: ws.user.name,
    LOGNAME: ws.user.name,
    LANG: process.env.LANG ?? 'C.UTF-8',
    XDG_CACHE_HOME: ws.wrappedXdg,
    npm_config_userconfig: ws.npmrc,
  };
  if (registryUrl !== undefined) env.npm_config_registry = registryUrl;
  return env;
}
