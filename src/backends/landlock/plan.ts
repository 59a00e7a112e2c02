// Policy → LaunchPlan for the landlock backend, as a pure function: the jail for hosts
// where namespaces are refused (CI containers with Docker's default profile, Kubernetes
// pods, Ubuntu 24.04). Nothing is mounted; the jail sees the host's paths, and what it
// may do with them is a Landlock ruleset applied by sp-confine (native/sp-confine.c):
//
//   read and execute   /usr, /bin, /lib..., a few /etc entries (as the sandbox binds),
//                      /proc, the package manager's installation, trust bundles
//   read and write     the shadow of the project (or, in the scripts phase, only the
//                      package's own folders in it), a private HOME and TMPDIR made for
//                      the run, safe-package's caches (read-only in the scripts phase)
//   nothing else       ~/.ssh, ~/.npmrc, /root, other projects, the real project, /run
//   TCP                connect only to the proxy's port (scripts phase: nothing unless
//                      you allowed hosts by name); no bind
//   scoped             signals and abstract Unix sockets stay inside the jail (ABI >= 6)
// plus the seccomp filter of seccomp/confine-rules.ts, the jail user, no_new_privs, a new
// session, rlimits, and a supervisor that kills every process left when the program ends.

import { join } from 'node:path';
import type { HostLayout } from '../../host/layout.js';
import type { Policy } from '../../policy/types.js';
import type { Phase } from '../../policy/phases.js';
import { JAIL_PROXY_URL } from '../../policy/resolve.js';
import { encodeConfineSpec, type ConfineSpec } from '../../confine/spec.js';
import { missingFeatures } from '../../confine/helper.js';
import { phaseEnvironment, phaseFiles } from '../sandbox/plan.js';
import type { LaunchPlan, MountLine } from '../../plan/types.js';

export interface LandlockDirs {
  /** This step's private HOME (made for the step, owned by the jail user). */
  readonly home: string;
  /** The run's private TMPDIR. */
  readonly tmp: string;
  /** The project's shadow (src/stage/shadow.ts); the jail works in it. */
  readonly shadow: string;
  /** The working directory's place in the shadow. */
  readonly cwd: string;
  /** Project entries the shadow links to, readable through a rule (inside .git). */
  readonly readable: readonly string[];
  /** The copies of the named paths beside the shadow (policy/named-paths.ts shadowLayout), readable. */
  readonly mirrors?: readonly string[];
}

export interface LandlockInput {
  readonly policy: Policy;
  readonly layout: Pick<HostLayout, 'topLevel' | 'etc'>;
  readonly helper: string;
  readonly abi: number;
  readonly seccomp: Buffer;
  readonly dirs: LandlockDirs;
  /** The proxy's loopback TCP port for this step, when the jail may reach it. */
  readonly proxyPort?: number;
  readonly phase?: Phase;
  readonly command?: { readonly path: string; readonly args: readonly string[] };
  /** When given, only these project-relative paths of the shadow are writable (a package's scripts). */
  readonly writable?: readonly string[];
  /** Paths outside the project the user named, readable (hidden entries left out). */
  readonly named?: readonly string[];
}

/** Device files a package manager opens for writing. */
const DEVICES_RW = ['/dev/null', '/dev/zero', '/dev/full'];
const DEVICES_RO = ['/dev/urandom', '/dev/random'];
/** /etc entries read from the host as they are (the sandbox makes synthetic ones). */
const ETC_AS_IS = ['/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/hosts'];

const under = (path: string, dir: string) => path === dir || path.startsWith(dir + '/');

/** A path under the policy's jail HOME moved to this step's HOME. Pure. */
export function rehome(value: string, from: string, to: string): string {
  if (value === from) return to;
  return value.startsWith(from + '/') ? to + value.slice(from.length) : value;
}

/** The step's environment: HOME, caches, TMPDIR and the proxy where this backend has them. Pure. */
export function landlockEnvironment(p: Policy, phase: Phase | undefined, dirs: Pick<LandlockDirs, 'home' | 'tmp'>, proxyPort: number | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(phaseEnvironment(p, phase))) env[k] = rehome(v, p.user.home, dirs.home);
  for (const c of p.profile.caches) if (env[c.env] !== undefined) env[c.env] = join(p.cacheDir, c.dir);
  const out = withProxyPort(env, proxyPort);
  out.TMPDIR = dirs.tmp;
  // /etc/gitconfig is out of reach, and git stops at a configuration file it cannot read
  // (npm clones git dependencies): like the sandbox, whose /etc has none.
  out.GIT_CONFIG_NOSYSTEM = '1';
  return out;
}

/**
 * Backends without a network namespace reach the proxy over loopback TCP: the proxy
 * variables point at its port for this run (none when the step has no proxy). Pure.
 */
export function withProxyPort(vars: Readonly<Record<string, string>>, proxyPort: number | undefined): Record<string, string> {
  const env: Record<string, string> = { ...vars };
  for (const [k, v] of Object.entries(env)) {
    if (v !== JAIL_PROXY_URL) continue;
    if (proxyPort === undefined) delete env[k];
    // Port 0: --explain, before a port is chosen for the run.
    else env[k] = `http://127.0.0.1:${proxyPort || '<port chosen per run>'}`;
  }
  return env;
}

export interface PlacedFile {
  readonly path: string;
  readonly content: string;
}

/**
 * Configuration files of a step, at their place under the step's HOME. A file the sandbox
 * would cover with a copy elsewhere (a global npmrc) cannot be covered without mounts: if
 * its original holds credentials, the jail could read them, so that is a problem the run
 * must refuse. Pure.
 */
export function landlockFiles(p: Policy, phase: Phase | undefined, home: string): { files: PlacedFile[]; problems: string[] } {
  const files: PlacedFile[] = [];
  const problems: string[] = [];
  const withCredentials = new Set(p.credentials.files.map((f) => f.path));
  for (const f of phaseFiles(p, phase)) {
    if (under(f.path, p.user.home)) files.push({ path: rehome(f.path, p.user.home, home), content: f.content });
    else if (withCredentials.has(f.path)) {
      problems.push(`${f.path} holds registry credentials and the landlock backend cannot hide it from install scripts (no mounts)`);
    }
  }
  return { files, problems };
}

export function planLandlock(input: LandlockInput): LaunchPlan {
  const { policy: p, layout, dirs, phase } = input;
  const command = input.command ?? p.command;
  const hostNetwork = p.network.mode === 'host' && (phase?.network ?? 'policy') === 'policy';
  const cacheWritable = phase?.cacheWritable ?? true;
  const caches = p.profile.caches.map((c) => join(p.cacheDir, c.dir));

  const readOnly = [
    '/usr',
    ...Object.entries(layout.topLevel).filter(([, t]) => t.kind === 'dir').map(([path]) => path),
    ...layout.etc,
    ...ETC_AS_IS,
    '/proc',
    ...DEVICES_RO,
    ...p.readOnlyPaths,
    ...dirs.readable,
    ...(dirs.mirrors ?? []),
    ...(input.named ?? []),
    ...(cacheWritable ? [] : caches),
  ];
  const ownDirs = [dirs.home, dirs.tmp, ...(cacheWritable ? caches : [])];
  const projectWrites = input.writable ? input.writable.map((rel) => join(dirs.shadow, rel)) : [dirs.shadow];
  // The shadow itself is always readable (the project, read-only but what is writable).
  if (input.writable) readOnly.push(dirs.shadow);
  const spec: ConfineSpec = {
    argv: [command.path, ...command.args],
    cwd: dirs.cwd,
    ...(p.dropPrivileges ? { identity: { uid: p.user.uid, gid: p.user.gid } } : {}),
    rlimits: { nproc: p.processRlimit, fsize: p.limits.file_size, nofile: p.limits.open_files, core: 0 },
    readOnly,
    readWrite: ownDirs,
    readWriteNoLinks: projectWrites,
    readWriteFiles: DEVICES_RW,
    tcpConnect: hostNetwork ? 'any' : input.proxyPort !== undefined ? [input.proxyPort] : [],
    minAbi: 1,
    seccomp: input.seccomp,
  };

  const mounts: MountLine[] = [
    { where: '/usr, ' + Object.keys(layout.topLevel).join(', '), what: 'ro-bind', from: 'Landlock: read and execute' },
    { where: [...layout.etc, ...ETC_AS_IS].join(', '), what: 'ro-bind', from: 'Landlock: read (the rest of /etc is out of reach)' },
    { where: '/proc', what: 'ro-bind', from: "Landlock: read; other processes' memory, environment and descriptors refused by Landlock's ptrace rule" },
    { where: DEVICES_RW.join(', ') + ', ' + DEVICES_RO.join(', '), what: 'dev', from: 'Landlock: these devices only' },
    ...(p.readOnlyPaths.length ? [{ where: p.readOnlyPaths.join(', '), what: 'ro-bind' as const, from: 'Landlock: read (the tool\'s installation, trust bundles)' }] : []),
    { where: dirs.home, what: 'tmpfs', from: `HOME for this step, made for the run (${p.user.home} is out of reach)` },
    { where: dirs.tmp, what: 'tmpfs', from: 'TMPDIR, made for the run (the host /tmp is out of reach)' },
    ...caches.map((c) => ({ where: c, what: cacheWritable ? ('bind' as const) : ('ro-bind' as const), from: `safe-package's cache, ${cacheWritable ? 'writable' : 'read-only'}` })),
    input.writable
      ? { where: dirs.shadow, what: 'ro-bind', from: `the project's shadow, read-only but ${input.writable.join(', ') || 'nothing'} (writes staged for review)` }
      : { where: dirs.shadow, what: 'bind', from: `the project's shadow (${p.project.dir} itself is out of reach); writes reviewed before they reach the project` },
    ...(input.named?.length ? [{ where: input.named.join(', '), what: 'ro-bind' as const, from: 'Landlock: read (named on the command line or as a file: dependency; hidden entries left out)' }] : []),
    ...(dirs.mirrors?.length ? [{ where: dirs.mirrors.join(', '), what: 'ro-bind' as const, from: 'Landlock: read (copies of the named paths, placed so that paths relative to the project lead to them from the shadow)' }] : []),
    ...(dirs.readable.length ? [{ where: `${dirs.readable.length} entries of ${join(p.project.dir, '.git')}`, what: 'ro-bind' as const, from: 'Landlock: read (git\'s own files, its config hidden)' }] : []),
  ];
  const tcp = hostNetwork ? 'TCP anywhere (network "host")' : input.proxyPort !== undefined ? `TCP connect only to port ${input.proxyPort} (the proxy on 127.0.0.1); no bind` : 'no TCP at all';
  return {
    backend: 'landlock',
    argv: [input.helper],
    env: landlockEnvironment(p, phase, dirs, input.proxyPort),
    cwd: '/',
    fds: [
      { kind: 'data', purpose: 'sp-confine spec', data: encodeConfineSpec(spec) },
      { kind: 'status', purpose: 'sp-confine status (child pid, exit code)' },
    ],
    mounts,
    namespaces: [],
    hardening: [
      p.dropPrivileges ? `supplementary groups cleared; gid ${p.user.gid} then uid ${p.user.uid}; capabilities gone with root; checked that root cannot be regained` : `runs as you (uid ${p.user.uid})`,
      'no_new_privs',
      `Landlock ABI ${input.abi}: file-system rules above; ${input.abi >= 4 ? tcp : 'TCP not restricted (ABI < 4)'}${input.abi >= 6 ? '; signals and abstract Unix sockets scoped to the jail' : ''}`,
      'seccomp filter (see below), with socket() only for TCP',
      'new session (no controlling terminal: TIOCSTI impossible)',
      `rlimits: processes ${p.limits.processes} beyond the user's own (RLIMIT_NPROC ${p.processRlimit}), file size ${p.limits.file_size} bytes, open files ${p.limits.open_files}, no core dumps`,
      'descriptors above stderr closed',
      `wall-clock timeout ${p.limits.timeout}s`,
      'a supervisor (child subreaper) kills every process left when the program exits' + (p.dropPrivileges ? `, and every process of uid ${p.user.uid} it may signal` : ''),
      ...missingFeatures(input.abi).map((m) => `NOT ENFORCED: ${m}`),
    ],
    lifetime: 'supervisor',
    mainProcess: 'spawned',
  };
}
