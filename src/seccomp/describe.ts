// Rules → the human lines `safe-package --explain` prints about the seccomp filter.
// Built from the same data as the program, so what is printed is what is enforced.

import { ARCH_FACTS, syscallNumber, type SeccompArch } from './arch.js';
import type { Match, SyscallRule } from './jail-rules.js';

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

export function describeRules(arch: SeccompArch, rules: readonly SyscallRule[]): string[] {
  const facts = ARCH_FACTS[arch];
  const lines = [
    `syscalls of any ABI other than ${arch} (seccomp arch ${hex(facts.auditArch)}) → kill process — ` +
      'the same number means another syscall there, so it would slip past every rule below',
  ];
  if (facts.sameArchAbiBase !== undefined) {
    lines.push(
      `syscall numbers ≥ ${hex(facts.sameArchAbiBase)} (the x32 ABI; -1 excepted) → kill process — ` +
        'x32 reports the x86_64 arch, so only the number tells it apart',
    );
  }
  for (const rule of rules) {
    for (const name of rule.syscalls) syscallNumber(arch, name); // fails loudly on a name this arch lacks
    lines.push(`${rule.syscalls.join(', ')}${condition(rule.match)} → ${rule.errno} — ${rule.stops}`);
  }
  lines.push('every other syscall → allowed');
  return lines;
}

function condition(match: Match): string {
  switch (match.kind) {
    case 'always':
      return '';
    case 'any-bit':
      return ` with ${match.maskName} in ${match.argName} (${match.width})`;
    case 'low-word-is':
      return ` ${match.values.map((v) => `${v.name} (${hex(v.value)})`).join(' or ')} as ${match.argName} (${match.width})`;
    case 'pair-allowed':
      return ` unless ${match.first.argName} is ${match.first.allowed.map((v) => v.name).join(' or ')} and ${match.second.argName} is ${match.second.allowed.map((v) => v.name).join(' or ')} (${match.width})`;
    case 'not-one-of':
      return ` with ${match.argName} other than ${match.allowed.map((v) => v.name).join(', ')} (${match.width})`;
  }
}
