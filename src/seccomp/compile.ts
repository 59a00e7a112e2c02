// Rules (jail-rules.ts) → a classic-BPF seccomp program for one architecture.
//
// Shape of the program:
//
//   A = arch; if (A != AUDIT_ARCH) → kill process          every other ABI, first
//   A = nr;   [x86_64] if (A >= 0x40000000 && A != -1) → kill process   x32
//   one `if (A == nr) →` per listed syscall                 the dispatch list
//   allow
//   argument checks, one block per conditional syscall, each ending in a return
//   shared returns: allow / EPERM / ENOSYS / kill
//
// Until a syscall matches a conditional rule, the program reads only nr and arch. That
// keeps the kernel's per-syscall cache working (since 5.11 it proves that e.g. read
// is always allowed and then skips the filter for it), so the common path costs
// nothing.

import { Assembler, NEXT, type Target } from './assembler.js';
import {
  SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
  argWordOffset, type Instruction,
} from './bpf.js';
import { ARCH_FACTS, syscallNumber, type SeccompArch } from './arch.js';
import { ERRNO_VALUES, type Errno, type Match, type SyscallRule } from './jail-rules.js';

const ALLOW = 'allow';
const KILL = 'kill-process';
const errnoLabel = (errno: Errno): string => `errno-${errno}`;

/** A syscall number passed to syscall(2) when there is nothing to run; the kernel says ENOSYS. */
const NO_SYSCALL = 0xffffffff;

const low = (v: bigint): number => Number(v & 0xffffffffn);
const high = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

export function compileRules(arch: SeccompArch, rules: readonly SyscallRule[]): Instruction[] {
  const facts = ARCH_FACTS[arch];
  const asm = new Assembler();

  asm.loadWord(SECCOMP_DATA_ARCH).jumpIf('eq', facts.auditArch, NEXT, KILL);
  asm.loadWord(SECCOMP_DATA_NR);
  if (facts.sameArchAbiBase !== undefined) {
    // x32 syscalls report AUDIT_ARCH_X86_64 too, so the arch check cannot catch them.
    asm.jumpIf('ge', facts.sameArchAbiBase, 'other-abi', 'dispatch');
    asm.label('other-abi').jumpIf('eq', NO_SYSCALL, ALLOW, KILL);
    asm.label('dispatch');
  }

  const seen = new Set<string>();
  const blocks: { label: string; rule: SyscallRule }[] = [];
  for (const rule of rules) {
    for (const name of rule.syscalls) {
      if (seen.has(name)) throw new Error(`syscall "${name}" appears in two seccomp rules; merge them`);
      seen.add(name);
      const nr = syscallNumber(arch, name);
      if (rule.match.kind === 'always') {
        asm.jumpIf('eq', nr, errnoLabel(rule.errno), NEXT);
      } else {
        const label = `args-${name}`;
        blocks.push({ label, rule });
        asm.jumpIf('eq', nr, label, NEXT);
      }
    }
  }
  asm.goto(ALLOW);

  for (const { label, rule } of blocks) {
    asm.label(label);
    emitArgumentCheck(asm, label, rule.match, errnoLabel(rule.errno));
  }

  asm.label(ALLOW).ret(SECCOMP_RET_ALLOW);
  const usedErrnos = new Set(rules.map((r) => r.errno));
  for (const errno of Object.keys(ERRNO_VALUES) as Errno[]) {
    if (usedErrnos.has(errno)) asm.label(errnoLabel(errno)).ret(SECCOMP_RET_ERRNO | ERRNO_VALUES[errno]);
  }
  asm.label(KILL).ret(SECCOMP_RET_KILL_PROCESS);
  return asm.assemble();
}

/** Emits a block that ends in a jump to `deny` or to allow; A holds nr on entry. */
function emitArgumentCheck(asm: Assembler, prefix: string, match: Match, deny: string): void {
  switch (match.kind) {
    case 'always':
      asm.goto(deny);
      return;

    case 'any-bit': {
      const maskHigh = high(match.mask);
      const maskLow = low(match.mask);
      if (maskHigh !== 0) {
        asm.loadWord(argWordOffset(match.arg, 'high')).jumpIf('set', maskHigh, deny, maskLow !== 0 ? NEXT : ALLOW);
      }
      if (maskLow !== 0) {
        asm.loadWord(argWordOffset(match.arg, 'low')).jumpIf('set', maskLow, deny, ALLOW);
      }
      return;
    }

    case 'low-word-is': {
      // Deliberately no look at the high word; see Match['low-word-is'].
      asm.loadWord(argWordOffset(match.arg, 'low'));
      match.values.forEach(({ value }, i) => {
        asm.jumpIf('eq', value, deny, i === match.values.length - 1 ? ALLOW : NEXT);
      });
      return;
    }

    case 'pair-allowed': {
      const second = `${prefix}-second`;
      asm.loadWord(argWordOffset(match.first.arg, 'low'));
      match.first.allowed.forEach(({ value }, i) => asm.jumpIf('eq', value, second, i === match.first.allowed.length - 1 ? deny : NEXT));
      asm.label(second).loadWord(argWordOffset(match.second.arg, 'low')).andK(match.second.mask);
      match.second.allowed.forEach(({ value }, i) => asm.jumpIf('eq', value, ALLOW, i === match.second.allowed.length - 1 ? deny : NEXT));
      return;
    }

    case 'not-one-of': {
      // Group the allowed values by high word: each group is one high-word test, then
      // one test per low word. A value is allowed only when both halves match.
      const groups = new Map<number, number[]>();
      for (const { value } of match.allowed) {
        const lows = groups.get(high(value)) ?? [];
        lows.push(low(value));
        groups.set(high(value), lows);
      }
      let g = 0;
      for (const [hi, lows] of groups) {
        const nextGroup = `${prefix}-group-${g + 1}`;
        const last = g === groups.size - 1;
        const miss: Target = last ? deny : nextGroup;
        asm.loadWord(argWordOffset(match.arg, 'high')).jumpIf('eq', hi, NEXT, miss);
        asm.loadWord(argWordOffset(match.arg, 'low'));
        lows.forEach((lo, i) => asm.jumpIf('eq', lo, ALLOW, i === lows.length - 1 ? miss : NEXT));
        if (!last) asm.label(nextGroup);
        g++;
      }
      return;
    }
  }
}
