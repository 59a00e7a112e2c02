// Policy → LaunchPlan for the sandbox backend (bubblewrap), as a pure function.
//
// The jail's file system is built from nothing: bubblewrap starts from an empty tmpfs
// root and we add, one line per reason, what the package manager needs. Anything not
// listed here does not exist inside: no $HOME contents, no /run (D-Bus, docker.sock,
// ssh-agent), no /sys, no host /tmp, no X11 socket.

import { join } from 'node:path';
import type { HostLayout } from '../../host/layout.js';
import type { Policy } from '../../policy/types.js';
import type { Phase } from '../../policy/phases.js';
import type { JailFile } from '../../profiles/tool-config.js';
import type { FdSpec, LaunchPlan, MountLine } from '../../plan/types.js';

export interface SandboxTools {
  readonly bwrap: string;
  readonly prlimit: string;
  readonly setpriv: string;
  /** mount(8) and a POSIX sh, needed only to mount the staging overlay. */
  readonly mount?: string;
  readonly sh?: string;
}

/** Where a staged run keeps its overlay (docs/promises.md#p5-staged-writes). */
export interface StageDirs {
  /**
   * The run directory. In it: `lower` (the project is bound here), `upper` (every write
   * lands here), `work` (overlayfs' scratch), `merged` (the view the jail gets at the
   * project's path), and usually the proxy's socket.
   */
  readonly dir: string;
}

/** The network bridge inside the jail's network namespace: it hands each connection to
 * the jail's loopback to the proxy outside. */
export interface BridgeSpec {
  /** The node binary that runs it; with `native`, the bridge program itself (sp-bridge). */
  readonly node: string;
  /** The bridge's source (src/net/jail-bridge.ts, compiled): passed with -e, no file needed. Empty with `native`. */
  readonly code: string;
  /** The bridge is native/sp-bridge.c (starts in a millisecond, where node takes 30 ms or more). */
  readonly native?: boolean;
  /** The proxy's Unix socket on the host. */
  readonly socket: string;
  /** Where it listens on the jail's 127.0.0.1. */
  readonly port: number;
}

/** Mount options: constant, with paths relative to the staging directory, so no project
 * path (which may contain ',' or ':') is ever parsed by overlayfs' option parser.
 * redirect_dir=nofollow and metacopy=off: a renamed directory or a chmod must produce a
 * full copy in upper, never a pointer into the lower layer that review would follow. */
export const OVERLAY_OPTIONS = 'lowerdir=lower,upperdir=upper,workdir=work,userxattr,redirect_dir=nofollow,metacopy=off,index=off';

/**
 * bubblewrap 0.8 has no --overlay and runs nothing before the jail. An outer bubblewrap
 * gives a user namespace in which we may mount and a network namespace the bridge and the
 * jail share; a fixed script does the two things that need it, then execs the jail
 * builder. The script is made of constant fragments: every value (paths, the bridge's
 * code) reaches it as a positional parameter, never as text to be parsed.
 *   $1 mount(8)   $2 overlay options   $3 node   $4 bridge code   $5 proxy socket   $6 port
 * The bridge writes "ready" on fd 4 (a pipe to safe-package) and hands each connection
 * to safe-package's proxy over fd 6 (a Node IPC channel, named to it by NODE_CHANNEL_FD);
 * the script then closes both and drops the channel's variables, so the jail inherits
 * neither; the jail builder waits on fd 5 (--block-fd) until safe-package has seen "ready".
 */
export const SCRIPT_MOUNT = '"$1" -t overlay overlay -o "$2" merged || exit 125; ';
// NODE_EXTRA_CA_CERTS= : the bridge never speaks TLS, and parsing a CA bundle costs Node
// tens of milliseconds at start.
export const SCRIPT_BRIDGE = 'NODE_EXTRA_CA_CERTS= "$3" --input-type=module -e "$4" bridge "$5" "$6" </dev/null >&4 2>/dev/null & exec 4>&- 6>&-; unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE; ';
// The native bridge: the same protocol (ready on fd 4, connections over the channel on fd 6); $4 is empty.
export const SCRIPT_BRIDGE_NATIVE = '"$3" bridge "$5" "$6" </dev/null >&4 2>/dev/null & exec 4>&- 6>&-; unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE; ';
export const SCRIPT_EXEC = 'shift 6; exec "$@"';

/** A path the user named outside the project, bound read-only at its own path. */
import type { NamedBind } from '../../host/layout.js';
export type { NamedBind };

export interface SandboxInput {
  readonly policy: Policy;
  readonly layout: HostLayout;
  readonly tools: SandboxTools;
  readonly seccomp: Buffer;
  /** A sanitized copy of the project's .npmrc, when the original holds credentials. */
  readonly projectNpmrc?: string;
  /** Settings of the project .npmrc left out (they could name a program npm runs), by name. */
  readonly projectNpmrcDropped?: readonly string[];
  /** Paths outside the project the user named (Policy.namedPaths), with the hidden entries inside each. */
  readonly named?: readonly NamedBind[];
  /** When given, project writes are staged in an overlay and reviewed afterwards. */
  readonly stage?: StageDirs;
  /** When given, the jail reaches the network through this bridge and the proxy. */
  readonly bridge?: BridgeSpec;
  /** An empty read-only regular file, bound over hidden project files. */
  readonly emptyFile: string;
  /** Which phase of the run this plan is for (docs/promises.md#p7-two-phase-installs); one phase when absent. */
  readonly phase?: Phase;
  /** The program for this phase, when not the user's command (the scripts phase). */
  readonly command?: { readonly path: string; readonly args: readonly string[] };
  /**
   * When given, the project is read-only except these relative paths (a dependency's
   * own folders while its install scripts run).
   */
  readonly writable?: readonly string[];
  /** Inside the writable paths, bound read-only again (a package's nested node_modules: other packages' copies). */
  readonly readOnlyInside?: readonly string[];
}

/** The environment of one phase: the policy's, the phase's own, credentials only where allowed. Pure. */
export function phaseEnvironment(p: Policy, phase: Phase | undefined): Record<string, string> {
  const env: Record<string, string> = { ...p.env.vars, ...(phase?.env ?? {}) };
  if (phase?.credentials) Object.assign(env, p.credentials.env);
  return env;
}

/** Configuration files of one phase: the originals with credentials only where allowed. Pure. */
export function phaseFiles(p: Policy, phase: Phase | undefined): JailFile[] {
  if (!phase?.credentials) return [...p.files];
  const originals = new Map(p.credentials.files.map((f) => [f.path, f]));
  return p.files.map((f) => originals.get(f.path) ?? f);
}

export function syntheticPasswd(p: Policy): string {
  const u = p.user;
  const lines = ['root:x:0:0:root:/root:/usr/sbin/nologin'];
  if (u.uid !== 0 && u.uid !== 65534) lines.push(`${u.name}:x:${u.uid}:${u.gid}:${u.name}:${u.home}:/bin/sh`);
  lines.push(`nobody:x:65534:65534:nobody:${u.uid === 65534 ? u.home : '/nonexistent'}:/usr/sbin/nologin`);
  return lines.join('\n') + '\n';
}

export function syntheticGroup(p: Policy): string {
  const u = p.user;
  const lines = ['root:x:0:'];
  if (u.gid !== 0 && u.gid !== 65534) lines.push(`${u.groupName}:x:${u.gid}:`);
  lines.push('nogroup:x:65534:');
  return lines.join('\n') + '\n';
}

const NSSWITCH = 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n';
const HOSTS = '127.0.0.1\tlocalhost safe-package\n::1\tlocalhost ip6-localhost ip6-loopback\n';

function depth(p: string): number {
  return p.split('/').length;
}

/** Removes paths already covered by a shorter one in the list. */
function outermost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  const out: string[] = [];
  for (const p of sorted) if (!out.some((o) => p === o || p.startsWith(o + '/'))) out.push(p);
  return out;
}

export function planSandbox(input: SandboxInput): LaunchPlan {
  const { policy: p, layout, tools } = input;
  const args: string[] = [];
  const fds: FdSpec[] = [];
  if (input.bridge) {
    // fd 4, 5 and 6: fixed numbers, the script above names them.
    fds.push({ kind: 'ready', purpose: 'network bridge readiness (the bridge writes "ready")' });
    fds.push({ kind: 'gate', purpose: 'jail start gate (--block-fd): opened once the bridge is ready' });
    fds.push({ kind: 'channel', purpose: "the bridge hands each client connection to the proxy (IPC channel; closed before the jail starts)" });
  }
  const mounts: MountLine[] = [];
  // fd 3 carries bubblewrap's own arguments; the rest follow in order.
  const nextFd = () => 3 + 1 + fds.length;
  const dataFd = (purpose: string, data: Buffer | string): number => {
    const fd = nextFd();
    fds.push({ kind: 'data', purpose, data: Buffer.isBuffer(data) ? data : Buffer.from(data) });
    return fd;
  };
  const roBind = (from: string, to = from) => {
    args.push('--ro-bind', from, to);
    mounts.push({ where: to, what: 'ro-bind', from });
  };

  const phase = input.phase;
  const env = phaseEnvironment(p, phase);
  const command = input.command ?? p.command;
  // The scripts phase never gets the host network, whatever the policy says.
  const hostNetwork = p.network.mode === 'host' && (phase?.network ?? 'policy') === 'policy';
  const namespaces = ['user', 'pid', 'ipc', 'uts', 'cgroup', ...(hostNetwork ? [] : ['net'])];
  // With an outer layer, the network namespace is made there so the bridge shares it.
  const outer = input.stage !== undefined || input.bridge !== undefined;

  // Namespaces and identity: the jail user keeps their real uid/gid inside, so files it
  // creates belong to them and npm does not take its "running as root" paths.
  args.push('--unshare-user', '--uid', String(p.user.uid), '--gid', String(p.user.gid));
  args.push('--disable-userns'); // no nested user namespaces (they re-grant capabilities)
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try');
  if (!hostNetwork && !outer) args.push('--unshare-net');
  args.push('--hostname', 'safe-package');
  if (input.bridge) args.push('--block-fd', '5');
  // A new session: no controlling terminal, so TIOCSTI cannot type into the user's shell.
  args.push('--new-session');
  // If safe-package dies, so does every process of the jail.
  args.push('--die-with-parent');
  args.push('--cap-drop', 'ALL');

  // System directories, read-only.
  roBind('/usr');
  for (const [path, t] of Object.entries(layout.topLevel)) {
    if (t.kind === 'symlink') {
      args.push('--symlink', t.target, path);
      mounts.push({ where: path, what: 'symlink', from: t.target });
    } else roBind(path);
  }

  // A minimal /etc.
  for (const e of layout.etc) roBind(e);
  args.push('--ro-bind-data', String(dataFd('/etc/passwd', syntheticPasswd(p))), '/etc/passwd');
  args.push('--ro-bind-data', String(dataFd('/etc/group', syntheticGroup(p))), '/etc/group');
  args.push('--ro-bind-data', String(dataFd('/etc/nsswitch.conf', NSSWITCH)), '/etc/nsswitch.conf');
  if (!hostNetwork) args.push('--ro-bind-data', String(dataFd('/etc/hosts', HOSTS)), '/etc/hosts');
  mounts.push({ where: '/etc/passwd, /etc/group, /etc/nsswitch.conf' + (hostNetwork ? '' : ', /etc/hosts'), what: 'data', from: 'synthetic' });

  // Fresh kernel interfaces and private scratch space.
  args.push('--proc', '/proc');
  mounts.push({ where: '/proc', what: 'proc', from: 'new, this PID namespace only' });
  args.push('--dev', '/dev');
  mounts.push({ where: '/dev', what: 'dev', from: 'minimal: null zero full random urandom tty, pts, shm' });
  args.push('--tmpfs', '/tmp', '--dir', '/var', '--tmpfs', '/var/tmp');
  mounts.push({ where: '/tmp, /var/tmp', what: 'tmpfs', from: 'private, empty' });
  args.push('--perms', '0700', '--tmpfs', p.user.home);
  mounts.push({ where: p.user.home, what: 'tmpfs', from: 'empty HOME' });

  // The package manager's own caches: safe-package's directory, not the user's.
  for (const c of p.profile.caches) {
    const inside = env[c.env];
    if (!inside) continue;
    const from = join(p.cacheDir, c.dir);
    // Read-only in the scripts phase: an install script must not poison later installs.
    const writable = phase?.cacheWritable ?? true;
    args.push(writable ? '--bind' : '--ro-bind', from, inside);
    mounts.push({ where: inside, what: writable ? 'bind' : 'ro-bind', from });
  }

  // The tool's installation (nvm, pyenv), cafile, trust bundles: read-only, same path.
  const covered = (path: string) =>
    ['/usr', ...Object.keys(layout.topLevel), ...layout.etc].some((b) => path === b || path.startsWith(b + '/'));
  for (const path of outermost(p.readOnlyPaths.filter((r) => !covered(r)))) roBind(path);

  // The project: through the staging overlay (writes are reviewed after the jail is
  // gone, docs/promises.md#p5-staged-writes), or directly when staging is off.
  if (input.stage) {
    const merged = join(input.stage.dir, 'merged');
    if (input.writable) {
      args.push('--ro-bind', merged, p.project.dir);
      for (const rel of input.writable) args.push('--bind', join(merged, rel), join(p.project.dir, rel));
      for (const rel of input.readOnlyInside ?? []) args.push('--ro-bind', join(merged, rel), join(p.project.dir, rel));
      mounts.push({ where: p.project.dir, what: 'ro-bind', from: `the project, read-only but ${input.writable.join(', ') || 'nothing'} (writes staged for review)` });
    } else {
      args.push('--bind', merged, p.project.dir);
      mounts.push({ where: p.project.dir, what: 'bind', from: `the project, writes staged in ${join(input.stage.dir, 'upper')} for review` });
    }
  } else {
    args.push('--bind', p.project.dir, p.project.dir);
    mounts.push({ where: p.project.dir, what: 'bind', from: 'the project (writable)' });
  }
  for (const h of layout.hidden) {
    if (h.dir) args.push('--tmpfs', h.path, '--remount-ro', h.path);
    else args.push('--ro-bind', input.emptyFile, h.path);
  }
  if (layout.hidden.length > 0) {
    mounts.push({ where: layout.hidden.map((h) => h.path.slice(p.project.dir.length + 1)).join(', '), what: 'hidden', from: 'hide patterns: shown empty and read-only' });
  }
  // Paths the user named outside the project: read-only at their own path, hidden files covered.
  for (const n of input.named ?? []) {
    args.push('--ro-bind', n.path, n.path);
    mounts.push({ where: n.path, what: 'ro-bind', from: 'named on the command line or as a file: dependency (read-only)' });
    for (const h of n.hidden) {
      if (h.dir) args.push('--tmpfs', h.path, '--remount-ro', h.path);
      else args.push('--ro-bind', input.emptyFile, h.path);
    }
  }
  if (input.projectNpmrc !== undefined) {
    const where = join(p.project.dir, '.npmrc');
    args.push('--ro-bind-data', String(dataFd('project .npmrc without credentials', input.projectNpmrc)), where);
    const dropped = input.projectNpmrcDropped?.length ? `; settings left out: ${input.projectNpmrcDropped.join(', ')}` : '';
    mounts.push({ where, what: 'data', from: `the project .npmrc without its auth lines${dropped}` });
  }

  // Credential-free configuration (npmrc, pip.conf).
  // Credential-free configuration, or in the install phase the originals with credentials.
  const credentialPaths = new Set(phase?.credentials ? p.credentials.files.map((f) => f.path) : []);
  for (const f of phaseFiles(p, phase)) {
    const secret = credentialPaths.has(f.path);
    args.push('--ro-bind-data', String(dataFd(secret ? `${f.path} (with credentials)` : f.path, f.content)), f.path);
    mounts.push({ where: f.path, what: 'data', from: secret ? `${f.from}, with its credentials (install phase only)` : `${f.from} without credentials` });
  }

  args.push('--chdir', p.cwd);
  args.push('--seccomp', String(dataFd('seccomp filter', input.seccomp)));
  const statusFd = nextFd();
  fds.push({ kind: 'status', purpose: 'bubblewrap status (child pid, exit code)' });
  args.push('--json-status-fd', String(statusFd));

  // Resource limits are set on bubblewrap and inherited by everything in the jail.
  const limits = [
    `--nproc=${p.processRlimit}`,
    `--fsize=${p.limits.file_size}`,
    `--nofile=${p.limits.open_files}`,
    '--core=0',
  ];
  // The command itself must follow on the real command line: bubblewrap only takes
  // options from an --args descriptor.
  const jail = [tools.bwrap, '--args', '3', '--', command.path, ...command.args];
  const launcher = [tools.prlimit, ...limits, '--', ...(outer ? outerLayer(input, hostNetwork) : []), ...jail];
  const argv = p.dropPrivileges
    ? [tools.setpriv, `--reuid=${p.user.uid}`, `--regid=${p.user.gid}`, '--clear-groups', '--no-new-privs', '--', ...launcher]
    : launcher;

  const argsFd: FdSpec = { kind: 'data', purpose: 'bubblewrap arguments', data: Buffer.from(args.map((a) => a + '\0').join('')) };
  return {
    backend: 'sandbox',
    argv,
    jailArgs: args,
    env,
    cwd: '/',
    fds: [argsFd, ...fds],
    mounts,
    namespaces,
    hardening: [
      'all capabilities dropped; no_new_privs',
      'seccomp filter (see below)',
      'new session (no controlling terminal: TIOCSTI impossible)',
      'nested user namespaces disabled',
      `rlimits: processes ${p.limits.processes} beyond the user's own (RLIMIT_NPROC ${p.processRlimit}), file size ${p.limits.file_size} bytes, open files ${p.limits.open_files}, no core dumps`,
      `wall-clock timeout ${p.limits.timeout}s`,
      'dies with safe-package',
      ...(input.bridge ? [`network: only the proxy, through a bridge on 127.0.0.1:${input.bridge.port} inside`] : []),
    ],
    lifetime: 'pid-namespace',
    mainProcess: 'below-bwrap',
  };
}

/** Outer bubblewrap + fixed script: mounts the overlay and starts the bridge, then execs the jail builder. */
function outerLayer(input: SandboxInput, hostNetwork: boolean): string[] {
  const { tools, stage, bridge } = input;
  if (!tools.sh || (stage && !tools.mount)) throw new Error('the outer layer needs /bin/sh and mount(8)');
  const script = (stage ? SCRIPT_MOUNT : '') + (bridge ? (bridge.native ? SCRIPT_BRIDGE_NATIVE : SCRIPT_BRIDGE) : '') + SCRIPT_EXEC;
  return [
    tools.bwrap,
    // root of a user namespace of our own: allowed to mount there, nowhere else
    '--unshare-user', '--uid', '0', '--gid', '0', '--cap-add', 'ALL',
    // the jail and the bridge share this network namespace (only loopback)
    ...(hostNetwork ? [] : ['--unshare-net']),
    // the bridge dies with the jail: when the jail builder exits, this namespace ends
    '--unshare-pid',
    '--die-with-parent',
    '--dev-bind', '/', '/',
    ...(stage ? ['--bind', input.policy.project.dir, join(stage.dir, 'lower'), '--chdir', stage.dir] : ['--chdir', '/']),
    '--',
    tools.sh, '-c', script, 'sh',
    tools.mount ?? '', stage ? OVERLAY_OPTIONS : '',
    bridge?.node ?? '', bridge?.code ?? '', bridge?.socket ?? '', bridge ? String(bridge.port) : '',
  ];
}
