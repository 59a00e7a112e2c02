// The architectures safe-package can build a seccomp filter for, and the facts about
// each that the filter depends on.

import { AARCH64_SYSCALLS } from './syscalls/aarch64.js';
import { NEWER_SYSCALLS } from './syscalls/newer.js';
import { X86_64_SYSCALLS } from './syscalls/x86_64.js';

export type SeccompArch = 'x86_64' | 'aarch64';

export const SECCOMP_ARCHES: readonly SeccompArch[] = ['x86_64', 'aarch64'];

export interface ArchFacts {
  /**
   * AUDIT_ARCH_* value (<linux/audit.h>: ELF machine | 64-bit | little-endian) the
   * kernel puts in seccomp_data.arch for this architecture's native syscalls. Syscall
   * numbers mean different things under another ABI (i386 `int 0x80` on x86_64,
   * AArch32 on arm64), so the filter must refuse any other value first.
   */
  readonly auditArch: number;
  /**
   * Syscall numbers at or above this value select a second ABI that reports the same
   * auditArch (x86_64's x32), so the arch check alone cannot exclude them.
   */
  readonly sameArchAbiBase: number | undefined;
  readonly syscalls: Readonly<Record<string, number>>;
}

const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const AUDIT_ARCH_64BIT = 0x80000000;
const AUDIT_ARCH_LE = 0x40000000;
/** __X32_SYSCALL_BIT in <asm/unistd.h>. */
const X32_SYSCALL_BIT = 0x40000000;

export const ARCH_FACTS: Readonly<Record<SeccompArch, ArchFacts>> = {
  x86_64: {
    auditArch: (EM_X86_64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE) >>> 0,
    sameArchAbiBase: X32_SYSCALL_BIT,
    syscalls: { ...X86_64_SYSCALLS, ...NEWER_SYSCALLS },
  },
  aarch64: {
    auditArch: (EM_AARCH64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE) >>> 0,
    sameArchAbiBase: undefined,
    syscalls: { ...AARCH64_SYSCALLS, ...NEWER_SYSCALLS },
  },
};

/**
 * The filter architecture for this Node process's CPU, or undefined when we have no
 * filter for it — the caller must then refuse to run the sandbox rather than run it
 * unfiltered.
 */
export function hostSeccompArch(nodeArch: string = process.arch): SeccompArch | undefined {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return undefined;
}

/** The syscall number, or an error naming the arch: a typo must not silently drop a rule. */
export function syscallNumber(arch: SeccompArch, name: string): number {
  const table = ARCH_FACTS[arch].syscalls;
  const nr = Object.hasOwn(table, name) ? table[name] : undefined;
  if (nr === undefined) throw new Error(`no syscall named "${name}" on ${arch}`);
  return nr;
}
