import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { X86_64_SYSCALLS } from '../../../src/seccomp/syscalls/x86_64.js';
import { AARCH64_SYSCALLS } from '../../../src/seccomp/syscalls/aarch64.js';
import {
  GENERIC_HEADER, X86_64_HEADER, readAarch64Syscalls, readX86_64Syscalls, syscallsFromHeader,
} from './support/kernel-headers.js';

// The committed tables are what the filter is built from; a wrong number there would
// deny one harmless syscall and let the dangerous one through.

test('the x86_64 table is exactly what this machine\'s kernel headers say', { skip: !existsSync(X86_64_HEADER) && `${X86_64_HEADER} missing (apt-get install linux-libc-dev)` }, () => {
  assert.deepEqual(Object.fromEntries(readX86_64Syscalls()), { ...X86_64_SYSCALLS });
});

test('the aarch64 table is exactly what the generic header gives with arm64\'s macros', { skip: !existsSync(GENERIC_HEADER) && `${GENERIC_HEADER} missing (apt-get install linux-libc-dev)` }, () => {
  assert.deepEqual(Object.fromEntries(readAarch64Syscalls()), { ...AARCH64_SYSCALLS });
});

test('spot checks against numbers known independently of the headers', () => {
  // From each architecture's syscall table in the kernel source.
  const x86: Record<string, number> = { read: 0, ioctl: 16, clone: 56, unshare: 272, personality: 135, ptrace: 101, clone3: 435, keyctl: 250, bpf: 321 };
  const arm: Record<string, number> = { read: 63, ioctl: 29, clone: 220, unshare: 97, personality: 92, ptrace: 117, clone3: 435, keyctl: 219, bpf: 280 };
  for (const [name, nr] of Object.entries(x86)) assert.equal(X86_64_SYSCALLS[name], nr, `x86_64 ${name}`);
  for (const [name, nr] of Object.entries(arm)) assert.equal(AARCH64_SYSCALLS[name], nr, `aarch64 ${name}`);
  // Names that exist only on x86_64 must not leak into the arm64 table.
  for (const legacy of ['open', 'fork', 'stat', 'umount']) assert.equal(AARCH64_SYSCALLS[legacy], undefined, legacy);
});

test('the header reader follows #if/#ifdef/#else and aliases', () => {
  const text = [
    '#define __NR_a 1',
    '#if __BITS_PER_LONG == 64 && !defined(__SYSCALL_COMPAT)',
    '#define __NR3264_b 2',
    '#define __NR_b __NR3264_b',
    '#else',
    '#define __NR_b32 2',
    '#endif',
    '#ifdef __ARCH_WANT_X',
    '#define __NR_x 3',
    '#endif',
    '#undef __NR_syscalls',
    '#define __NR_syscalls 4',
  ].join('\n');
  assert.deepEqual(Object.fromEntries(syscallsFromHeader(text, { __BITS_PER_LONG: '64' })), { a: 1, b: 2 });
  assert.deepEqual(Object.fromEntries(syscallsFromHeader(text, { __BITS_PER_LONG: '32', __ARCH_WANT_X: '' })), { a: 1, b32: 2, x: 3 });
});
