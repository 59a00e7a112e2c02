// The landlock backend's seccomp filter (docs/promises.md#p3-backends): the sandbox's
// rules, plus the sockets Landlock cannot see. Landlock's network rules cover TCP only,
// and the landlock backend has no network namespace of its own: without this rule a
// script could send UDP (DNS tunnelling to any resolver), open raw or packet sockets,
// talk netlink, or connect to a Unix socket on the host (the Docker daemon, an ssh or
// gpg agent) by path.

import type { SyscallRule } from './jail-rules.js';
import { JAIL_RULES } from './jail-rules.js';

// <bits/socket.h>, the same on x86_64 and arm64.
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
/** SOCK_NONBLOCK and SOCK_CLOEXEC live above these bits of socket()'s type. */
const SOCK_TYPE_MASK = 0xf;

export const SOCKET_RULE: SyscallRule = {
  syscalls: ['socket'],
  match: {
    kind: 'pair-allowed',
    first: {
      arg: 0,
      argName: 'domain',
      allowed: [
        { value: AF_INET, name: 'AF_INET' },
        { value: AF_INET6, name: 'AF_INET6' },
      ],
    },
    second: { arg: 1, argName: 'type & 0xf', mask: SOCK_TYPE_MASK, allowed: [{ value: SOCK_STREAM, name: 'SOCK_STREAM' }] },
    width: 'low 32 bits of each: the kernel reads domain and type as int',
  },
  errno: 'EPERM',
  stops:
    'every socket but TCP, which Landlock restricts to the proxy\'s port: UDP (DNS tunnelling, any host), raw and ' +
    'packet sockets, netlink, and Unix sockets opened by path (the Docker daemon, ssh-agent); socketpair() stays allowed',
};

export const CONFINE_RULES: readonly SyscallRule[] = [...JAIL_RULES, SOCKET_RULE];
