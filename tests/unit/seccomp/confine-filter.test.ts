import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfineFilter, buildJailFilter, describeConfineFilter, type SeccompArch } from '../../../src/seccomp/index.js';
import { X86_64_SYSCALLS } from '../../../src/seccomp/syscalls/x86_64.js';
import { AARCH64_SYSCALLS } from '../../../src/seccomp/syscalls/aarch64.js';
import { loaderProblems, parse, unreachable, verdict, type Verdict } from './support/bpf-interpreter.js';

// Written out here rather than imported, so a wrong constant in src/ shows up.
const AUDIT_ARCH: Record<SeccompArch, number> = { x86_64: 0xc000003e, aarch64: 0xc00000b7 };
const TABLES: Record<SeccompArch, Readonly<Record<string, number>>> = { x86_64: X86_64_SYSCALLS, aarch64: AARCH64_SYSCALLS };
const AF_UNIX = 1n, AF_INET = 2n, AF_INET6 = 10n, AF_NETLINK = 16n, AF_PACKET = 17n;
const SOCK_STREAM = 1n, SOCK_DGRAM = 2n, SOCK_RAW = 3n, SOCK_NONBLOCK = 0o4000n, SOCK_CLOEXEC = 0o2000000n;

const ALLOW: Verdict = { action: 'allow' };
const EPERM: Verdict = { action: 'errno', errno: 1 };

function socket(arch: SeccompArch, domain: bigint, type: bigint): Verdict {
  return verdict(parse(buildConfineFilter(arch)), { nr: TABLES[arch].socket!, arch: AUDIT_ARCH[arch], args: [domain, type, 0n] });
}

for (const arch of ['x86_64', 'aarch64'] as SeccompArch[]) {
  test(`${arch}: the confine filter loads, every instruction reachable`, () => {
    const program = parse(buildConfineFilter(arch));
    assert.deepEqual(loaderProblems(program), []);
    assert.deepEqual(unreachable(program), []);
  });

  test(`${arch}: TCP over IPv4 and IPv6 is allowed, with or without NONBLOCK/CLOEXEC`, () => {
    for (const domain of [AF_INET, AF_INET6]) {
      assert.deepEqual(socket(arch, domain, SOCK_STREAM), ALLOW);
      assert.deepEqual(socket(arch, domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC), ALLOW);
      // The kernel reads int: a high word is dropped there, so it must not change the verdict here.
      assert.deepEqual(socket(arch, domain | 0xffffffff00000000n, SOCK_STREAM), ALLOW);
    }
  });

  test(`${arch}: UDP, raw, netlink, packet and Unix sockets are refused`, () => {
    assert.deepEqual(socket(arch, AF_INET, SOCK_DGRAM), EPERM);
    assert.deepEqual(socket(arch, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC), EPERM);
    assert.deepEqual(socket(arch, AF_INET, SOCK_RAW), EPERM);
    assert.deepEqual(socket(arch, AF_NETLINK, SOCK_RAW), EPERM);
    assert.deepEqual(socket(arch, AF_PACKET, SOCK_RAW), EPERM);
    assert.deepEqual(socket(arch, AF_UNIX, SOCK_STREAM), EPERM);
    assert.deepEqual(socket(arch, AF_UNIX, SOCK_DGRAM), EPERM);
  });

  test(`${arch}: socketpair stays allowed (libuv's child-process pipes), and the sandbox filter is unchanged`, () => {
    const program = parse(buildConfineFilter(arch));
    assert.deepEqual(verdict(program, { nr: TABLES[arch].socketpair!, arch: AUDIT_ARCH[arch], args: [AF_UNIX, SOCK_STREAM, 0n] }), ALLOW);
    const sandbox = parse(buildJailFilter(arch));
    assert.deepEqual(verdict(sandbox, { nr: TABLES[arch].socket!, arch: AUDIT_ARCH[arch], args: [AF_INET, SOCK_DGRAM, 0n] }), ALLOW);
  });

  test(`${arch}: --explain names the socket rule`, () => {
    assert.ok(describeConfineFilter(arch).some((l) => /^socket unless domain is AF_INET or AF_INET6 and type & 0xf is SOCK_STREAM/.test(l)));
  });
}
