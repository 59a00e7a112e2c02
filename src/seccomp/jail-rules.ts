// What the sandbox's seccomp filter refuses (docs/promises.md#p3-backends), as plain data: each rule names
// the attack it stops. compile.ts turns this into BPF and describe.ts into the lines
// `--explain` prints, so the two cannot disagree.
//
// Everything not listed is allowed: the jail's other walls (namespaces, no
// capabilities, no_new_privs, a file system built from nothing) do the main work. This
// filter removes kernel interfaces a package manager never needs and that either break
// those walls or are the usual first step of a kernel exploit.

import type { ArgIndex } from './bpf.js';

export type Errno = 'EPERM' | 'ENOSYS';

/** Same values on x86_64 and aarch64 (both use asm-generic/errno-base.h). */
export const ERRNO_VALUES: Readonly<Record<Errno, number>> = { EPERM: 1, ENOSYS: 38 };

export interface NamedValue<T> {
  readonly value: T;
  readonly name: string;
}

export type Match =
  | { readonly kind: 'always' }
  /**
   * Any bit of `mask` is set in the argument. Each 32-bit half of the argument is
   * tested where the mask has bits, so a 64-bit mask covers the full 64-bit value.
   */
  | {
      readonly kind: 'any-bit';
      readonly arg: ArgIndex;
      readonly argName: string;
      readonly mask: bigint;
      readonly maskName: string;
      /** Which bits the kernel reads, and so why the mask is as wide as it is. */
      readonly width: string;
    }
  /**
   * The argument's low 32 bits equal one of `values`, whatever the high word holds.
   * Only correct for an argument the kernel declares 32 bits wide: the kernel drops
   * the high word, so the filter must too, or garbage there walks past the rule.
   */
  | {
      readonly kind: 'low-word-is';
      readonly arg: ArgIndex;
      readonly argName: string;
      readonly values: readonly NamedValue<number>[];
      readonly width: string;
    }
  /**
   * An allowlist over two 32-bit arguments: the call is allowed only when the first's
   * low word is one of `first.allowed` and the second's low word, masked with
   * `second.mask`, is one of `second.allowed` (socket(domain, type): the type carries
   * SOCK_NONBLOCK and SOCK_CLOEXEC above the mask). Both are `int` in the kernel.
   */
  | {
      readonly kind: 'pair-allowed';
      readonly first: { readonly arg: ArgIndex; readonly argName: string; readonly allowed: readonly NamedValue<number>[] };
      readonly second: { readonly arg: ArgIndex; readonly argName: string; readonly mask: number; readonly allowed: readonly NamedValue<number>[] };
      readonly width: string;
    }
  /** The full 64-bit argument is none of `allowed` (an allowlist of argument values). */
  | {
      readonly kind: 'not-one-of';
      readonly arg: ArgIndex;
      readonly argName: string;
      readonly allowed: readonly NamedValue<bigint>[];
      readonly width: string;
    };

export interface SyscallRule {
  readonly syscalls: readonly string[];
  readonly match: Match;
  readonly errno: Errno;
  /** The attack this rule stops, for code review and `--explain`. */
  readonly stops: string;
}

const ALWAYS: Match = { kind: 'always' };

// <linux/sched.h>
const CLONE_NEWUSER = 0x10000000n;
// <asm-generic/ioctls.h>; the same numbers on x86_64 and arm64.
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
// <linux/personality.h>
const PER_LINUX = 0x0000n;
const PER_LINUX32 = 0x0008n;
const UNAME26 = 0x0020000n;
const PERSONALITY_QUERY = 0xffffffffn;

export const JAIL_RULES: readonly SyscallRule[] = [
  {
    syscalls: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd'],
    match: ALWAYS,
    errno: 'EPERM',
    stops:
      "attaching to another process of the jail (the package manager itself) to read its memory, " +
      'take its open files or change what it writes; where Yama is off (ptrace_scope 0) only this stops same-uid ptrace',
  },
  {
    syscalls: ['keyctl', 'add_key', 'request_key'],
    match: ALWAYS,
    errno: 'EPERM',
    stops:
      "reading or planting keys in the kernel keyrings, which are not fully namespaced and may hold the user's " +
      'credentials (Kerberos, ecryptfs); a frequent source of kernel bugs',
  },
  {
    syscalls: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
    match: ALWAYS,
    errno: 'EPERM',
    stops:
      'file and network operations run by kernel workers that this filter never sees, through the most ' +
      'exploited kernel interface of recent years; libuv and glibc fall back to ordinary syscalls',
  },
  {
    syscalls: ['bpf'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'loading eBPF programs into the kernel: verifier bugs are a common local privilege escalation',
  },
  {
    syscalls: ['perf_event_open'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'performance counters that leak kernel addresses and other processes\' activity (side channels)',
  },
  {
    syscalls: ['userfaultfd'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'pausing the kernel mid-copy from user memory, the standard way to win races in kernel exploits',
  },
  {
    syscalls: [
      'mount', 'umount2', 'pivot_root', 'chroot', 'move_mount', 'open_tree', 'open_tree_attr',
      'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr',
    ],
    match: ALWAYS,
    errno: 'EPERM',
    stops:
      "rearranging the jail's file system: unmounting to uncover what bubblewrap hid, remounting a read-only " +
      'bind writable, moving the root; the jail holds no capabilities, so this is the wall behind that one',
  },
  {
    syscalls: ['open_by_handle_at'],
    match: ALWAYS,
    errno: 'EPERM',
    stops:
      'opening any file of a mounted file system by handle, without a path walk and so outside the jail\'s view ' +
      '(the "shocker" container escape)',
  },
  {
    syscalls: ['init_module', 'finit_module', 'delete_module'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'loading code into the kernel or unloading a security module',
  },
  {
    syscalls: ['kexec_load', 'kexec_file_load'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'replacing the running kernel',
  },
  {
    syscalls: ['setns'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'joining a namespace outside the jail through a leaked /proc/<pid>/ns file descriptor',
  },
  {
    syscalls: ['acct'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'turning process accounting on or off, host-wide (it writes a record of every exit to a chosen file)',
  },
  {
    syscalls: ['swapon', 'swapoff'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'changing host swap: memory of every process could be written to a file of the caller\'s choosing',
  },
  {
    syscalls: ['reboot'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'rebooting or halting the host, or loading a new kernel',
  },
  {
    syscalls: ['syslog'],
    match: ALWAYS,
    errno: 'EPERM',
    stops: 'reading the kernel log, which leaks kernel addresses (defeating KASLR) and host activity',
  },
  {
    syscalls: ['personality'],
    match: {
      kind: 'not-one-of',
      arg: 0,
      argName: 'persona',
      // Allowed: the query, and the settings that only change what uname() reports
      // (`linux32`/`setarch` used by some builds). Refused: ADDR_NO_RANDOMIZE (turns off
      // ASLR for every program exec'd afterwards), READ_IMPLIES_EXEC (every readable
      // mapping becomes executable), MMAP_PAGE_ZERO (maps page 0, the classic helper for
      // kernel NULL-pointer exploits), the address-limit flags and foreign domains.
      allowed: [
        { value: PER_LINUX, name: 'PER_LINUX' },
        { value: PER_LINUX32, name: 'PER_LINUX32' },
        { value: UNAME26, name: 'UNAME26' },
        { value: PER_LINUX32 | UNAME26, name: 'PER_LINUX32|UNAME26' },
        { value: PERSONALITY_QUERY, name: '0xffffffff (query)' },
      ],
      // The kernel reads persona as unsigned int. For an allowlist, comparing all 64
      // bits is the strict direction: garbage in the high word can only turn an allowed
      // value into a refused one, never the reverse. (glibc zero-extends it.)
      width: 'all 64 bits compared; the kernel reads 32, so a high word only ever makes it refused',
    },
    errno: 'EPERM',
    stops: 'switching off ASLR, W^X or the NULL page guard for the programs a script starts next',
  },
  {
    syscalls: ['unshare'],
    match: {
      kind: 'any-bit',
      arg: 0,
      argName: 'flags',
      // The kernel reads unshare's flags as a full unsigned long and today answers
      // EINVAL for any bit above 31. Refusing those bits here means a namespace flag a
      // future kernel adds up there cannot slip past this rule.
      mask: 0xffffffff_00000000n | CLONE_NEWUSER,
      maskName: 'CLONE_NEWUSER or any bit above 31',
      width: 'all 64 bits: the kernel reads flags as unsigned long',
    },
    errno: 'EPERM',
    stops:
      'creating a user namespace, which grants every capability inside it and so reopens the kernel ' +
      'surface that capability checks guard (mounts, netfilter, ...), the root of many sandbox escapes',
  },
  {
    syscalls: ['clone'],
    match: {
      kind: 'any-bit',
      arg: 0, // flags is the first argument on both x86_64 and arm64; only later ones differ.
      argName: 'flags',
      // Since Linux 5.3 the legacy clone uses only lower_32_bits(clone_flags)
      // (kernel/fork.c) because C callers pass a sign-extended int. The high word can
      // neither add CLONE_NEWUSER nor hide it, so it is not tested — and must not be
      // required to be 0, or fork() with CLONE_IO (bit 31, sign-extended) would break.
      mask: CLONE_NEWUSER,
      maskName: 'CLONE_NEWUSER',
      width: 'low 32 bits: the kernel uses lower_32_bits(flags) for clone',
    },
    errno: 'EPERM',
    stops: 'creating a user namespace through clone, the same hole as unshare(CLONE_NEWUSER)',
  },
  {
    syscalls: ['clone3'],
    match: ALWAYS,
    // Its flags live in a struct in memory, which seccomp cannot read, so CLONE_NEWUSER
    // cannot be checked. ENOSYS (not EPERM) is what makes glibc and others fall back
    // to clone, where the check above applies.
    errno: 'ENOSYS',
    stops: 'creating a user namespace through clone3, whose flags seccomp cannot see',
  },
  {
    syscalls: ['ioctl'],
    match: {
      kind: 'low-word-is',
      arg: 1,
      argName: 'cmd',
      values: [
        { value: TIOCSTI, name: 'TIOCSTI' },
        { value: TIOCLINUX, name: 'TIOCLINUX' },
      ],
      // The one deny rule that matches on the low word alone (clone's flags test looks
      // only at a low-word bit, for the same reason): the kernel declares ioctl's cmd
      // `unsigned int` and drops bits 32-63. A filter that demanded a zero high word
      // would let cmd = 0x1_0000_5412 through, and the kernel would run TIOCSTI
      // (CVE-2019-10063 in flatpak). Everywhere the kernel reads 64 bits, so does this
      // filter.
      width: 'low 32 bits: the kernel reads cmd as unsigned int, so the high word is ignored here',
    },
    errno: 'EPERM',
    stops:
      "pushing keystrokes into a terminal's input (TIOCSTI) or pasting console text (TIOCLINUX): commands " +
      "typed into the user's shell run after the install ends (CVE-2017-5226)",
  },
];
