// Policy → LaunchPlan for the chroot backend (the seed's mechanism, done properly), and
// for the none backend. Pure.
//
// chroot chain, each step an audited system tool that execs the next:
//   unshare   new PID, mount, IPC and UTS namespaces (and network with --network none);
//             --kill-child and the PID namespace make every jail process die with the
//             program; a fresh /proc for that namespace inside the jail
//   prlimit   resource limits
//   setpriv   no_new_privs (a setuid binary inside the jail cannot regain root)
//   chroot    chroot(2), chdir("/"), then setgroups([]) → setgid → setuid to the jail
//             user resolved on the host (numeric ids: the jail's own /etc/passwd is
//             never consulted). setuid from root to another uid sets real, effective and
//             saved ids, and clears capabilities: there is no way back.
// The environment is passed explicitly (cleared to the keep list); descriptors above
// stderr were closed at start-up (cli/close-fds.ts).

import type { Policy } from '../policy/types.js';
import type { LaunchPlan } from './types.js';

export interface ChrootTools {
  readonly unshare: string;
  readonly prlimit: string;
  readonly setpriv: string;
  readonly chroot: string;
}

export function planChroot(p: Policy, tools: ChrootTools, hasProcDir: boolean): LaunchPlan {
  const root = p.rootDir!;
  const namespaces = ['pid', 'mount', 'ipc', 'uts', ...(p.network.mode === 'none' ? ['net'] : [])];
  const argv = [
    tools.unshare,
    '--pid',
    '--fork',
    '--kill-child',
    '--mount',
    '--propagation',
    'private',
    ...(hasProcDir ? [`--mount-proc=${root}/proc`] : []),
    '--ipc',
    '--uts',
    ...(p.network.mode === 'none' ? ['--net'] : []),
    '--',
    tools.prlimit,
    `--nproc=${p.processRlimit}`,
    `--fsize=${p.limits.file_size}`,
    `--nofile=${p.limits.open_files}`,
    '--core=0',
    '--',
    tools.setpriv,
    '--no-new-privs',
    '--',
    tools.chroot,
    `--userspec=${p.user.uid}:${p.user.gid}`,
    '--groups=',
    root,
    p.command.path,
    ...p.command.args,
  ];
  return {
    backend: 'chroot',
    argv,
    env: p.env.vars,
    cwd: '/',
    fds: [],
    mounts: [
      { where: '/', what: 'bind', from: `${root} (chroot; writable where its permissions allow)` },
      ...(hasProcDir ? [{ where: '/proc', what: 'proc' as const, from: 'new, this PID namespace only' }] : []),
    ],
    namespaces,
    hardening: [
      `supplementary groups cleared; gid ${p.user.gid} then uid ${p.user.uid}; capabilities gone with root`,
      'no_new_privs',
      `rlimits: processes ${p.limits.processes} beyond the user's own (RLIMIT_NPROC ${p.processRlimit}), file size ${p.limits.file_size} bytes, open files ${p.limits.open_files}, no core dumps`,
      `wall-clock timeout ${p.limits.timeout}s`,
    ],
    lifetime: 'pid-namespace',
    mainProcess: 'child-of-spawned',
  };
}

export function planNone(p: Policy): LaunchPlan {
  return {
    backend: 'none',
    argv: [p.command.path, ...p.command.args],
    env: p.env.vars,
    cwd: p.cwd,
    fds: [],
    mounts: [{ where: '/', what: 'bind', from: 'the host, unrestricted' }],
    namespaces: [],
    hardening: ['environment cleared to the keep list; nothing else'],
    lifetime: 'none',
    mainProcess: 'spawned',
  };
}
