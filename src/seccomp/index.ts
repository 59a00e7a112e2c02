// The seccomp filter bubblewrap installs in the sandbox (docs/promises.md#p3-backends).
//
//   const arch = hostSeccompArch();            // undefined → refuse to run the sandbox
//   const program = buildJailFilter(arch);     // bytes for `bwrap --seccomp FD`
//   describeJailFilter(arch);                  // lines for --explain

import { encodeProgram } from './bpf.js';
import { compileRules } from './compile.js';
import { describeRules } from './describe.js';
import { JAIL_RULES } from './jail-rules.js';
import { CONFINE_RULES } from './confine-rules.js';
import type { SeccompArch } from './arch.js';

export { hostSeccompArch, SECCOMP_ARCHES, type SeccompArch } from './arch.js';

/**
 * The jail's filter as a raw `struct sock_filter[]` (8 bytes per instruction,
 * little-endian), ready to be written to the file descriptor given to
 * `bwrap --seccomp FD`. Deterministic: the same arch always gives the same bytes.
 */
export function buildJailFilter(arch: SeccompArch): Buffer {
  return encodeProgram(compileRules(arch, JAIL_RULES));
}

/** One line per decision the filter makes, e.g. "ptrace → EPERM — attaching to …". */
export function describeJailFilter(arch: SeccompArch): string[] {
  return describeRules(arch, JAIL_RULES);
}

/** The landlock backend's filter (the sandbox's rules plus the socket rule), for sp-confine. */
export function buildConfineFilter(arch: SeccompArch): Buffer {
  return encodeProgram(compileRules(arch, CONFINE_RULES));
}

export function describeConfineFilter(arch: SeccompArch): string[] {
  return describeRules(arch, CONFINE_RULES);
}
