// Configuration + profile + facts about the host → Policy.
//
// Every decision about a run is made here, over plain data; the few facts that need
// the system (who is this user, where is npm, does the sandbox work) come in through
// HostFacts so tests can state them.

import { join } from 'node:path';
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, EXIT_SAFE_PACKAGE_FAILED } from '../exit-codes.js';
import { DEFAULT_LIMITS } from '../config/layer.js';
import type { ResolvedConfig } from '../config/types.js';
import type { UserEntry } from '../host/users.js';
import type { ProgramLookup } from '../host/which.js';
import type { ProgramNeeds } from '../host/program.js';
import type { SandboxProbe } from '../backends/sandbox/probe.js';
import type { ConfineProbe } from '../confine/helper.js';
import { PROFILES, PROFILE_NAMES, profileForProgram } from '../profiles/catalog.js';
import type { ProfileName } from '../profiles/types.js';
import type { ToolConfig } from '../profiles/tool-config.js';
import { closest } from '../util/did-you-mean.js';
import { parseHostRule } from '../net/host-rule.js';
import { decidePhases } from './phases.js';
import { namedPaths } from './named-paths.js';
import { buildEnvironment, SANE_PATH } from './environment.js';
import type { BackendName, ChrootSetup, Invoker, JailUser, Policy } from './types.js';
import { shellQuote } from '../util/shell-quote.js';
import { SafePackageError } from '../errors.js';

/** What was asked for cannot be done as asked. */
/** What the command line asks of a run, as far as the policy needs it (the CLI's options satisfy it). */
export interface RunRequest {
  /** The program and its arguments (with no exe configured, the first is the program). */
  readonly positionals: readonly string[];
  readonly quiet: boolean;
}

export class PolicyError extends SafePackageError {}

/** docs/promises.md#p13-hide-defaults: hidden from the jail even though they sit in the project. */
export const DEFAULT_HIDE = [
  '.env', '.env.*', '.envrc', '*.pem', '*.key', '*.p12', '*.pfx', '*.tfvars', 'id_rsa*', 'id_ed25519*', 'id_ecdsa*', 'id_dsa*',
  '.netrc', '.pypirc', '.git-credentials', '.docker/config.json',
  // actions/checkout keeps the job's token in .git/config (http.extraheader) by default.
  '.git/config',
  // Registry configuration below the top level carries tokens as often as the top-level
  // one, which is kept (sanitized) because the package manager reads it.
  '*/**/.npmrc', '*/**/.yarnrc.yml',
];

/** Inside the jail's own network namespace: where the bridge to the proxy listens. */
export const JAIL_PROXY_URL = 'http://127.0.0.1:3128';

export interface HostFacts {
  readonly invokedAs: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly invoker: Invoker;
  readonly isRoot: boolean;
  lookupUser(spec: string): UserEntry | undefined;
  groupName(gid: number): string | undefined;
  findProgram(name: string, pathVar: string, cwd: string, root?: string): ProgramLookup;
  programNeeds(path: string, pathVar: string, cwd: string): ProgramNeeds;
  exists(path: string): boolean;
  realpath(path: string): string;
  probeSandbox(user: JailUser, dropPrivileges: boolean): SandboxProbe;
  /** Can sp-confine run here, and with which Landlock ABI (runs `sp-confine --probe`)? */
  probeLandlock(): ConfineProbe;
  /** Cheap: is bubblewrap installed (nothing is run)? */
  sandboxInstalled(): SandboxProbe;
  /** A small text file's content (the project's package.json); undefined when unreadable. */
  readText(path: string): string | undefined;
  /** The project's workspace directories (npm/yarn `workspaces`, pnpm-workspace.yaml), relative. */
  workspaces(projectDir: string): string[];
  /** Can unshare make the chroot backend's namespaces here (runs a no-op through it)? */
  probeNamespaces(): { ok: boolean; reason?: string };
  toolConfig(profile: ProfileName, jailHome: string, nodePath: string | undefined, args: readonly string[]): ToolConfig;
  /** Processes and threads the user runs now (what RLIMIT_NPROC already counts). */
  tasksOf(uid: number): number;
  /** safe-package's own cache directory for a profile's caches (created by the runner). */
  cacheDir(user: JailUser, dropPrivileges: boolean): string;
}

function chooseUser(config: ResolvedConfig, host: HostFacts, warnings: string[]): { user: UserEntry; fromCli: boolean } {
  const spec = config.values.user;
  const fromCli = config.origin.user === 'command line';
  if (host.isRoot) {
    const wanted = spec ?? 'nobody';
    const user = host.lookupUser(wanted);
    if (!user) {
      throw new PolicyError(`unknown user "${wanted}" (not in /etc/passwd or NSS)`, EXIT_SAFE_PACKAGE_FAILED, 'give an existing user with --user NAME|UID');
    }
    if (user.uid === 0) warnings.push('the package manager runs as root inside the jail (--user root); anything it runs has root\'s identity there');
    return { user, fromCli };
  }
  const self = host.lookupUser(String(host.invoker.uid)) ?? {
    name: host.invoker.name,
    uid: host.invoker.uid,
    gid: host.invoker.gid,
    home: host.invoker.home,
    shell: '/bin/sh',
  };
  if (spec !== undefined) {
    const other = host.lookupUser(spec);
    if (!other || other.uid !== host.invoker.uid) {
      if (fromCli) throw new PolicyError(`--user ${spec}: switching users needs root (you are ${host.invoker.name})`, EXIT_SAFE_PACKAGE_FAILED, 'run without --user, or as root');
      warnings.push(`"user": "${spec}" from ${config.origin.user} is ignored: switching users needs root`);
    }
  }
  return { user: self, fromCli };
}

function jailHomeFor(user: UserEntry): string {
  // A home of "/" or a relative one cannot be replaced by an empty tmpfs sensibly.
  return user.home.startsWith('/') && user.home !== '/' ? user.home : `/home/${user.name}`;
}

function chooseBackend(
  config: ResolvedConfig,
  host: HostFacts,
  jailUser: JailUser,
  dropPrivileges: boolean,
  fallback?: string,
): { backend: BackendName; reason: string; landlockAbi?: number } {
  const rootDir = config.values.root_dir;
  // A sandbox that failed to start for this run: the named jail directory, else landlock.
  const wanted = fallback !== undefined ? (host.isRoot && rootDir && dropPrivileges ? 'chroot' : 'landlock') : (config.values.backend ?? 'auto');
  const landlock = (why: string) => {
    // Without a user namespace nothing takes root's capabilities away inside the jail.
    if (host.isRoot && !dropPrivileges) {
      throw new PolicyError(
        'the landlock backend does not run the jail as root: with no user namespace, root keeps its capabilities there',
        EXIT_SAFE_PACKAGE_FAILED,
        'let the jail run as nobody (the default as root), or name an unprivileged user with --user NAME',
      );
    }
    const probe = host.probeLandlock();
    if (!probe.ok) return { probe };
    return { choice: { backend: 'landlock' as const, reason: `${why}; Landlock ABI ${probe.abi}`, landlockAbi: probe.abi } };
  };
  if (wanted === 'landlock') {
    const r = landlock(fallback !== undefined ? `auto: ${fallback}` : 'asked for with --backend landlock');
    if (r.choice) return r.choice;
    throw new PolicyError(`the landlock backend is unavailable: ${r.probe!.reason}`, EXIT_SAFE_PACKAGE_FAILED, r.probe!.fix);
  }
  if (wanted === 'none') return { backend: 'none', reason: 'asked for with --backend none' };
  if (wanted === 'chroot') {
    if (!host.isRoot) throw new PolicyError('the chroot backend needs root (chroot(2) is a privileged call)', EXIT_SAFE_PACKAGE_FAILED, 'run as root, or use the sandbox backend');
    if (!rootDir) throw new PolicyError('the chroot backend needs a jail directory', EXIT_SAFE_PACKAGE_FAILED, 'give one with --root-dir DIR (build it with: safe-package jail create DIR --with npm)');
    return { backend: 'chroot', reason: fallback !== undefined ? `auto: ${fallback}` : 'asked for with --backend chroot' };
  }
  // Try the sandbox before choosing only when there is an alternative to fall back to
  // (root with a jail directory); otherwise the run itself is the try, and a failed start
  // is diagnosed and refused then (never a fall back to an unprotected run).
  const alternative = wanted === 'auto' && host.isRoot && rootDir !== undefined;
  const probe = alternative ? host.probeSandbox(jailUser, dropPrivileges) : host.sandboxInstalled();
  if (probe.ok) return { backend: 'sandbox', reason: wanted === 'sandbox' ? 'asked for' : alternative ? 'auto: bubblewrap works on this host' : 'auto: bubblewrap is installed' };
  // No bubblewrap, or it cannot start: the jail directory the user named (root_dir, the
  // original's own use) is the chroot backend's; otherwise the jail that needs no namespaces.
  if (wanted === 'auto' && host.isRoot && rootDir && dropPrivileges) {
    return { backend: 'chroot', reason: `auto: the sandbox is unavailable (${probe.reason}); running as root with a root_dir` };
  }
  if (wanted === 'auto' && !(host.isRoot && !dropPrivileges)) {
    const r = landlock(`auto: the sandbox is unavailable (${probe.reason})`);
    if (r.choice) return r.choice;
  }
  if (wanted === 'auto' && host.isRoot && rootDir) {
    return { backend: 'chroot', reason: `auto: the sandbox is unavailable (${probe.reason}); running as root with a root_dir` };
  }
  throw new PolicyError(`the sandbox is unavailable: ${probe.reason}`, EXIT_SAFE_PACKAGE_FAILED, probe.fix);
}

/**
 * `fallback`: the sandbox was tried for this run and cannot work here (the reason); auto
 * then takes the landlock backend (cli/main.ts).
 */
export function resolvePolicy(cli: RunRequest, config: ResolvedConfig, host: HostFacts, fallback?: string): Policy {
  const warnings: string[] = [];
  const v = config.values;

  for (const ig of config.ignored) {
    warnings.push(`ignored ${ig.key} from the untrusted project config (${ig.where}): ${ig.reason}; review the file and run \`safe-package trust\` to apply it`);
  }
  if (config.project?.changedSinceTrust) {
    warnings.push(`${config.project.path} changed since you trusted it; only its tightening settings apply until you run \`safe-package trust\` again`);
  }

  // The program and its arguments.
  let exe = v.exe;
  let args = cli.positionals;
  if (exe === undefined) {
    exe = args[0];
    args = args.slice(1);
  }
  if (exe === undefined || exe === '') {
    throw new PolicyError('no program to run', EXIT_SAFE_PACKAGE_FAILED, 'usage: safe-package [OPTIONS] [--] PROGRAM [ARGS]... (see --help)');
  }

  // Who runs it.
  const { user: entry } = chooseUser(config, host, warnings);
  const dropPrivileges = host.isRoot && entry.uid !== 0;
  const user: JailUser = {
    name: entry.name,
    uid: entry.uid,
    gid: entry.gid,
    groupName: host.groupName(entry.gid) ?? entry.name,
    home: jailHomeFor(entry),
  };

  const { backend, reason, landlockAbi } = chooseBackend(config, host, user, dropPrivileges, fallback);
  if (backend === 'none') {
    warnings.push(
      'backend "none": only the environment is cleared. The package manager and its install scripts can read your files (~/.ssh, ~/.npmrc, .env), reach any host, write anywhere you can, and leave processes running',
    );
  }
  const rootDir = v.root_dir !== undefined ? host.realpath(v.root_dir) : undefined;
  if (rootDir !== undefined && backend !== 'none' && !host.exists(rootDir)) {
    throw new PolicyError(`the jail directory ${v.root_dir} does not exist`, EXIT_SAFE_PACKAGE_FAILED, `build one with: safe-package jail create ${shellQuote(v.root_dir ?? "")} --with ${shellQuote(exe)}`);
  }
  if (v.root_dir !== undefined && backend !== 'chroot' && backend !== 'sandbox') {
    warnings.push(`root_dir is ignored by the ${backend} backend`);
  }

  // Find the program: inside the jail root for chroot, on the host otherwise.
  const hostPath = host.env.PATH ?? SANE_PATH;
  const lookup =
    backend === 'chroot'
      ? host.findProgram(exe, SANE_PATH, '/', rootDir)
      : host.findProgram(exe, hostPath, host.cwd);
  if (!lookup.found) {
    if (lookup.reason === 'not-executable') throw new PolicyError(`${lookup.path ?? exe}: permission denied (not executable)`, EXIT_CANNOT_EXECUTE);
    const where = backend === 'chroot' ? ` inside ${rootDir}` : ' on PATH';
    throw new PolicyError(`${exe}: command not found${exe.includes('/') ? '' : where}`, EXIT_NOT_FOUND);
  }
  const programPath = lookup.path;

  // Profile.
  let profileName: ProfileName;
  if (v.profile !== undefined) {
    if (!(PROFILE_NAMES as string[]).includes(v.profile)) {
      const hint = closest(v.profile, PROFILE_NAMES);
      throw new PolicyError(`unknown profile "${v.profile}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${PROFILE_NAMES.join(', ')}`);
    }
    profileName = v.profile as ProfileName;
  } else {
    profileName = profileForProgram(exe);
    if (profileName === 'generic') profileName = profileForProgram(programPath);
  }
  const profile = PROFILES[profileName];

  // What the program needs from the host (its interpreter and installation prefix).
  const needs = backend === 'chroot' ? undefined : host.programNeeds(programPath, hostPath, host.cwd);
  const nodePath = needs?.interpreters.find((i) => /\/node[^/]*$/.test(i)) ?? (/\/node$/.test(needs?.realPath ?? '') ? needs?.realPath : undefined);
  const jailHome = backend === 'none' ? host.invoker.home : backend === 'chroot' ? chrootHome(entry, rootDir!, host) : user.home;
  const tool = host.toolConfig(profileName, jailHome, nodePath, args);

  // Network.
  const mode = v.network ?? 'registry';
  if (mode === 'host' && backend !== 'none') warnings.push('network "host": the jail shares the host network; install scripts can reach any host');
  if (backend === 'none' && v.network !== undefined && v.network !== 'host') {
    warnings.push(`network "${v.network}" cannot be enforced by the none backend; the program has the host network`);
  }
  const allow = [...new Set([...tool.registryHosts, ...(v.allow_hosts ?? [])])];
  for (const rule of allow) {
    try {
      parseHostRule(rule);
    } catch (err) {
      const from = (v.allow_hosts ?? []).includes(rule) ? (config.origin.allow_hosts ?? 'allow_hosts') : 'the package manager\'s registry configuration';
      throw new PolicyError(`bad host rule "${rule}" (from ${from}): ${(err as Error).message}`);
    }
  }
  // The proxy runs only when there is somewhere to go.
  const proxied = backend !== 'none' && mode === 'registry' && allow.length > 0;

  // Caches live in safe-package's own directory, never the user's (~/.npm): an install
  // script could otherwise poison what the user's unprotected npm later trusts.
  const profileEnv: Record<string, string> = { ...profile.env, ...tool.env };
  if (backend === 'sandbox' || backend === 'landlock') {
    for (const c of profile.caches) profileEnv[c.env] = join(jailHome, '.cache', 'safe-package', c.dir);
  }
  {
    if (proxied) {
      for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'npm_config_proxy', 'npm_config_https_proxy']) profileEnv[name] = JAIL_PROXY_URL;
      profileEnv.NO_PROXY = '';
      profileEnv.no_proxy = '';
    }
  }

  const env = buildEnvironment({
    hostEnv: host.env,
    keep: v.keep_env ?? [],
    home: jailHome,
    userName: user.name,
    pathPrefix: backend === 'none' ? [] : (needs?.pathDirs ?? []),
    profileEnv,
    pathExists: host.exists,
  });

  // The project.
  const projectDir = host.realpath(host.cwd);
  if ((backend === 'sandbox' && !rootDir) || backend === 'landlock') checkProjectDir(projectDir, host.invoker.home, user);

  // Paths the user named outside the project: read-only at their own path.
  const named =
    backend === 'sandbox' || backend === 'landlock'
      ? namedPaths({ profile: profileName, args, cwd: host.realpath(host.cwd), projectDir, home: host.invoker.home, manifest: host.readText(join(projectDir, 'package.json')), real: (path) => (host.exists(path) ? host.realpath(path) : undefined) })
      : { bound: [], refused: [] };
  warnings.push(...named.refused);
  // An install at a workspace root writes every workspace's manifest and node_modules.
  const workspaces = profile.manifest === 'package.json' && backend !== 'none' ? host.workspaces(projectDir) : [];
  const readOnlyPaths = [...new Set([...(needs?.prefixes ?? []), ...tool.readOnlyPaths, ...env.trustPaths])];
  const chroot = backend === 'chroot' ? chrootSetup(host, rootDir!, host.realpath(host.cwd), user, mode) : undefined;

  // Phases (docs/promises.md#p7-two-phase-installs). Yarn classic has no rebuild command; npm's serves its node_modules.
  let rebuildTool: string | undefined;
  // Two phases need the staging layer (the scripts phase runs over what phase 1 staged).
  if (profile.twoPhase && ((backend === 'sandbox' && rootDir === undefined) || backend === 'landlock')) {
    if (profileName === 'yarn') {
      const npm = host.findProgram('npm', hostPath, host.cwd);
      rebuildTool = npm.found ? npm.path : undefined;
    } else rebuildTool = programPath;
  }
  const { phases } = decidePhases({
    profile: profileName,
    args,
    twoPhase: rebuildTool !== undefined,
    pnpmfile: host.exists(join(projectDir, '.pnpmfile.cjs')) || host.exists(join(projectDir, '.pnpmfile.mjs')),
  });
  if (profile.twoPhase && rebuildTool === undefined) {
    warnings.push(`the ${backend} backend runs installs in one phase: install scripts run with the same network as the download (two-phase installs need the sandbox)`);
  }
  const limits = { ...DEFAULT_LIMITS, ...(v.limits ?? {}) };

  return {
    invokedAs: host.invokedAs,
    cwd: host.cwd,
    invoker: host.invoker,
    command: { exe, path: programPath, args },
    profile,
    backend,
    backendReason: reason,
    ...(landlockAbi !== undefined ? { landlockAbi } : {}),
    user: { ...user, home: jailHome },
    dropPrivileges,
    ...(rootDir !== undefined ? { rootDir } : {}),
    ...(chroot ? { chroot } : {}),
    env,
    network: { mode, allow, userAllowed: v.allow_hosts ?? [], registries: tool.registries, proxied },
    project: {
      dir: projectDir,
      hide: [...new Set([...DEFAULT_HIDE, ...(v.hide ?? [])])],
      write: [...new Set([...profile.write, ...workspaces.flatMap((d) => [`${d}/package.json`, `${d}/node_modules/**`]), ...(v.write ?? [])])],
      ...(workspaces.length ? { workspaces } : {}),
      ...(approvesScripts(profileName, args) ? { manifestExtraKeys: ['allowScripts'] } : {}),
    },
    cacheDir: host.cacheDir(user, dropPrivileges),
    readOnlyPaths,
    namedPaths: named.bound,
    files: tool.files,
    removedCredentials: tool.removedCredentials,
    credentials: tool.credentials,
    phases,
    ...(rebuildTool !== undefined ? { rebuildTool } : {}),
    limits,
    processRlimit: limits.processes + host.tasksOf(user.uid),
    output: { ...(v.report !== undefined ? { report: v.report } : {}), strict: v.strict ?? false, quiet: cli.quiet },
    warnings,
    config,
  };
}

/**
 * What the chroot backend can use on this host, decided by trying: with namespaces
 * (unshare works) the project is bound into the jail at its own path and `--network none`
 * is a network namespace; without them (a container with Docker's default profile) the
 * project must lie inside the jail root, and the network rule is Landlock's. Refuses what
 * this host cannot enforce, with the reason and a fix (docs/promises.md#p3-backends).
 */
export function chrootSetup(host: HostFacts, rootDir: string, cwd: string, user: JailUser, mode: string): ChrootSetup {
  if (user.uid === 0) {
    throw new PolicyError('the chroot backend does not run the jail as root: root leaves a chroot at will', EXIT_SAFE_PACKAGE_FAILED, 'let the jail run as nobody (the default), or name an unprivileged user with --user NAME');
  }
  const ns = host.probeNamespaces();
  const ll = host.probeLandlock();
  if (!ll.helperRuns) {
    throw new PolicyError(`the chroot backend needs sp-confine: ${ll.reason ?? 'not found'}`, EXIT_SAFE_PACKAGE_FAILED, ll.fix ?? 'rebuild safe-package (npm run build)');
  }
  const abi = ll.ok ? ll.abi : 0;
  if (cwd === rootDir || rootDir.startsWith(cwd + '/')) {
    throw new PolicyError(`the project ${cwd} would contain the whole jail ${rootDir}`, EXIT_SAFE_PACKAGE_FAILED, `run in the project's directory (inside the jail, for example ${join(rootDir, 'work')}, or anywhere where mounts are allowed)`);
  }
  const insideRoot = cwd.startsWith(rootDir + '/');
  if (!insideRoot && !ns.ok) {
    throw new PolicyError(
      `the project ${cwd} is outside the jail ${rootDir}, and this host allows no mounts to bind it there (${ns.reason ?? 'unshare failed'})`,
      EXIT_SAFE_PACKAGE_FAILED,
      `put the project inside the jail (for example ${join(rootDir, 'work')}) and run there, or use the landlock backend (--backend landlock), which needs neither`,
    );
  }
  const tcpRule = abi >= 4;
  if (mode === 'registry' && !tcpRule) {
    throw new PolicyError(
      `the chroot backend keeps network "registry" with Landlock's TCP rule, which this kernel does not have (Landlock ABI ${abi}, 4 needed)`,
      EXIT_SAFE_PACKAGE_FAILED,
      'use --network none (no network) or --network host (no restriction), or the sandbox backend',
    );
  }
  if (mode === 'none' && !ns.ok && !tcpRule) {
    throw new PolicyError(
      `network "none" needs a network namespace or Landlock's TCP rule; this host has neither (${ns.reason ?? 'unshare failed'}; Landlock ABI ${abi})`,
      EXIT_SAFE_PACKAGE_FAILED,
      'use --network host (no restriction), or run where namespaces are allowed',
    );
  }
  const jailCwd = insideRoot ? cwd.slice(rootDir.length) || '/' : cwd;
  return { namespaces: ns.ok, landlockAbi: abi, cwd: jailCwd, bindProject: !insideRoot };
}

/**
 * `npm install-scripts approve|deny|prune` records the user's script approvals in
 * package.json's `allowScripts`: the one command whose change there is kept. Pure.
 */
export function approvesScripts(profile: ProfileName, args: readonly string[]): boolean {
  const words = args.filter((a) => !a.startsWith('-'));
  return profile === 'npm' && words[0] === 'install-scripts' && ['approve', 'deny', 'prune'].includes(words[1] ?? '');
}

function chrootHome(user: UserEntry, rootDir: string, host: HostFacts): string {
  return host.exists(join(rootDir, user.home)) && user.home !== '/' ? user.home : '/tmp';
}

/**
 * The project is the one place the jail may write. Exposing $HOME or / as "the project"
 * would expose everything in it, so refuse and say where to run instead.
 */
export function checkProjectDir(projectDir: string, invokerHome: string, user: JailUser): void {
  const within = (child: string, parent: string) => parent === '/' || child === parent || child.startsWith(parent + '/');
  if (projectDir === '/') {
    throw new PolicyError('refusing to use / as the project directory', EXIT_SAFE_PACKAGE_FAILED, 'cd into your project first');
  }
  for (const home of new Set([invokerHome, user.home])) {
    if (home && within(home, projectDir)) {
      throw new PolicyError(
        `refusing to expose ${projectDir} as the project directory: it contains your home directory (${home}), with your keys and tokens`,
        EXIT_SAFE_PACKAGE_FAILED,
        'cd into the project directory first (global installs: use a dedicated directory)',
      );
    }
  }
}
