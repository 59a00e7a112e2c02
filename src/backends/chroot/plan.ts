// Policy → LaunchPlan for the chroot backend (the seed's mechanism, done properly). Pure.
//
// The chroot backend runs the program in a jail directory built by `safe-package jail
// create`, confined by sp-confine (native/sp-confine.c), which needs no namespaces:
//   [unshare]   where this host allows namespaces (decided by trying, resolve.ts): new
//               PID, mount, IPC and UTS namespaces (and network with --network none);
//               --kill-child and the PID namespace take every jail process with it; a
//               fresh /proc for that namespace inside the jail
//   sp-confine  child subreaper (without a PID namespace it kills whatever is left when
//               the program exits, and every process of the jail user), rlimits; with
//               mounts: the project bound into the jail at its own path and its hidden
//               files covered; chroot(2); supplementary groups cleared, gid then uid (no
//               way back to root); no_new_privs; Landlock: TCP connect only to the
//               proxy's loopback port (or nothing), abstract sockets and signals scoped
//               (ABI >= 6); descriptors above stderr closed; the seccomp filter; exec.
// The environment is passed explicitly (cleared to the keep list).

import type { Policy } from '../../policy/types.js';
import type { LaunchPlan, MountLine } from '../../plan/types.js';
import { encodeConfineSpec, type ConfineSpec } from '../../confine/spec.js';
import { withProxyPort } from '../landlock/plan.js';

export interface ChrootInput {
  readonly policy: Policy;
  readonly helper: string;
  /** unshare, where the host allows namespaces (Policy.chroot.namespaces). */
  readonly unshare?: string;
  readonly seccomp: Buffer;
  /** The jail has a /proc directory to mount a fresh proc on. */
  readonly hasProcDir: boolean;
  /** Hidden project entries (host paths) to cover inside the jail. */
  readonly hidden: readonly { readonly path: string; readonly dir: boolean }[];
  /** The proxy's loopback TCP port, when the jail may reach the registry. */
  readonly proxyPort?: number;
  /** The inode of this process's mount namespace (sp-confine mounts only in another). */
  readonly hostMountNs?: number;
}

/** Where a host path of the project appears inside the jail. Pure. */
export function pathInJail(p: Policy, hostPath: string): string {
  return p.chroot!.bindProject ? hostPath : hostPath.slice(p.rootDir!.length) || '/';
}

export function planChroot(input: ChrootInput): LaunchPlan {
  const { policy: p } = input;
  const root = p.rootDir!;
  const c = p.chroot!;
  const mounts = c.namespaces;
  const netNs = mounts && p.network.mode === 'none';
  const proc = mounts && input.hasProcDir;
  const hidden = mounts ? input.hidden : [];
  // Landlock keeps the network rule where no network namespace does.
  const tcpConnect: ConfineSpec['tcpConnect'] = p.network.mode === 'host' || netNs ? 'any' : input.proxyPort !== undefined ? [input.proxyPort] : [];
  const spec: ConfineSpec = {
    argv: [p.command.path, ...p.command.args],
    cwd: c.cwd,
    identity: { uid: p.user.uid, gid: p.user.gid },
    rlimits: { nproc: p.processRlimit, fsize: p.limits.file_size, nofile: p.limits.open_files, core: 0 },
    readOnly: [],
    readWrite: [],
    readWriteNoLinks: [],
    readWriteFiles: [],
    tcpConnect,
    minAbi: tcpConnect === 'any' ? 1 : 4,
    seccomp: input.seccomp,
    chroot: root,
    ...(c.bindProject ? { bind: [p.project.dir] } : {}),
    hideFiles: hidden.filter((h) => !h.dir).map((h) => pathInJail(p, h.path)),
    hideDirs: hidden.filter((h) => h.dir).map((h) => pathInJail(p, h.path)),
    noFileRules: true,
    ...(c.landlockAbi === 0 ? { noLandlock: true } : {}),
    ...(input.hostMountNs !== undefined ? { hostMountNs: input.hostMountNs } : {}),
  };
  const argv = [
    ...(mounts && input.unshare
      ? [input.unshare, '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', ...(proc ? [`--mount-proc=${root}/proc`] : []), '--ipc', '--uts', ...(netNs ? ['--net'] : []), '--']
      : []),
    input.helper,
  ];
  const mountLines: MountLine[] = [
    { where: '/', what: 'bind', from: `${root} (chroot; writable where its permissions allow)` },
    ...(c.bindProject
      ? [{ where: p.project.dir, what: 'bind' as const, from: `the project, at its own path; writes go straight to it (the chroot backend does not stage them for review)` }]
      : [{ where: pathInJail(p, p.project.dir), what: 'bind' as const, from: `the project (inside the jail root); writes go straight to it (not staged for review)` }]),
    ...hidden.map((h) => ({ where: pathInJail(p, h.path), what: h.dir ? ('tmpfs' as const) : ('ro-bind' as const), from: h.dir ? 'hidden: an empty read-only tmpfs' : 'hidden: /dev/null' })),
    ...(proc ? [{ where: '/proc', what: 'proc' as const, from: 'new, this PID namespace only' }] : []),
  ];
  const network =
    p.network.mode === 'host'
      ? 'network: the host\'s, unrestricted'
      : netNs
        ? 'network: no interface but loopback (a network namespace of its own)'
        : input.proxyPort !== undefined
          ? `network: Landlock lets TCP connect only to port ${input.proxyPort || '<chosen per run>'} (the proxy on 127.0.0.1); no bind; seccomp refuses other sockets`
          : 'network: Landlock refuses every TCP connection and bind; seccomp refuses other sockets';
  return {
    backend: 'chroot',
    argv,
    env: withProxyPort(p.env.vars, input.proxyPort),
    cwd: '/',
    fds: [
      { kind: 'data', purpose: 'sp-confine spec', data: encodeConfineSpec(spec) },
      { kind: 'status', purpose: 'sp-confine status (child pid, exit code)' },
    ],
    mounts: mountLines,
    namespaces: mounts ? ['pid', 'mount', 'ipc', 'uts', ...(netNs ? ['net'] : [])] : [],
    hardening: [
      `supplementary groups cleared; gid ${p.user.gid} then uid ${p.user.uid}; capabilities gone with root; checked that root cannot be regained`,
      'no_new_privs',
      network,
      c.landlockAbi >= 6 ? 'Landlock: signals and abstract Unix sockets scoped to the jail' : `NOT ENFORCED: signals and abstract Unix sockets are not scoped (Landlock ABI ${c.landlockAbi} < 6)${mounts ? '' : ': the jail can signal other processes of its user'}`,
      'seccomp filter, with socket() only for TCP',
      `rlimits: processes ${p.limits.processes} beyond the user's own (RLIMIT_NPROC ${p.processRlimit}), file size ${p.limits.file_size} bytes, open files ${p.limits.open_files}, no core dumps`,
      'descriptors above stderr closed',
      `wall-clock timeout ${p.limits.timeout}s`,
      mounts ? 'a PID namespace: every process dies with the program' : `a supervisor (child subreaper) kills every process left when the program exits, and every process of uid ${p.user.uid}`,
    ].filter(Boolean),
    lifetime: 'supervisor',
    mainProcess: mounts && input.unshare ? 'child-of-spawned' : 'spawned',
  };
}
