import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildJailFilter, describeJailFilter, hostSeccompArch, type SeccompArch } from '../../../src/seccomp/index.js';
import { X86_64_SYSCALLS } from '../../../src/seccomp/syscalls/x86_64.js';
import { AARCH64_SYSCALLS } from '../../../src/seccomp/syscalls/aarch64.js';
import { loaderProblems, parse, unreachable, verdict, type Insn, type Verdict } from './support/bpf-interpreter.js';

// Values written out here rather than imported, so a wrong constant in src/ shows up.
const AUDIT_ARCH: Record<SeccompArch, number> = { x86_64: 0xc000003e, aarch64: 0xc00000b7 };
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_ARM = 0x40000028;
const EPERM = 1;
const ENOSYS = 38;
const CLONE_NEWUSER = 0x10000000n;
const SIGCHLD = 17n;
const TIOCSTI = 0x5412n;
const TIOCLINUX = 0x541cn;
const TCGETS = 0x5401n;

const TABLES: Record<SeccompArch, Readonly<Record<string, number>>> = {
  x86_64: { ...X86_64_SYSCALLS, open_tree_attr: 467 },
  aarch64: { ...AARCH64_SYSCALLS, open_tree_attr: 467 },
};

/** docs/promises.md#p3-backends and the task: refused outright, whatever the arguments. */
const ALWAYS_EPERM = [
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd',
  'keyctl', 'add_key', 'request_key',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  'bpf', 'perf_event_open', 'userfaultfd',
  'mount', 'umount2', 'pivot_root', 'move_mount', 'open_tree', 'open_tree_attr', 'fsopen', 'fsconfig',
  'fsmount', 'fspick', 'mount_setattr', 'chroot', 'open_by_handle_at',
  'init_module', 'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load',
  'setns', 'acct', 'swapon', 'swapoff', 'reboot', 'syslog',
];
/** Decided by their arguments; checked one by one below. */
const ARGUMENT_CHECKED = ['clone', 'unshare', 'ioctl', 'personality'];
const ENOSYS_ALWAYS = ['clone3'];

const ARCHES: SeccompArch[] = ['x86_64', 'aarch64'];

function programFor(arch: SeccompArch): Insn[] {
  return parse(buildJailFilter(arch));
}

function call(arch: SeccompArch, name: string, args: readonly bigint[] = []): Verdict {
  const nr = TABLES[arch][name];
  assert.ok(nr !== undefined, `${arch} has no syscall ${name}`);
  return verdict(programFor(arch), { nr, arch: AUDIT_ARCH[arch], args });
}

const ALLOW: Verdict = { action: 'allow' };
const DENY_EPERM: Verdict = { action: 'errno', errno: EPERM };
const DENY_ENOSYS: Verdict = { action: 'errno', errno: ENOSYS };
const KILL: Verdict = { action: 'kill-process' };

// Register contents an attacker controls: every argument pattern is tried for the
// unconditional denials, so no argument value can talk its way past them.
const GARBAGE: bigint[][] = [
  [],
  [0xffffffffffffffffn, 0xffffffffffffffffn, 0xffffffffffffffffn, 0xffffffffffffffffn, 0xffffffffffffffffn, 0xffffffffffffffffn],
  [0x1_0000_0000n, 0x5412n, 0x1_0000_5412n, 0n, 1n, 2n],
  [CLONE_NEWUSER, 0xffffffffn, 0n, 0n, 0n, 0n],
];

for (const arch of ARCHES) {
  test(`${arch}: the program loads: known opcodes, jumps inside it, ends in a return, ≤ 4096 instructions`, () => {
    const program = programFor(arch);
    assert.deepEqual(loaderProblems(program), []);
    assert.ok(program.length <= 4096);
    assert.deepEqual(unreachable(program), [], 'every instruction is reachable');
    for (const [pc, insn] of program.entries()) {
      if ((insn.code & 0x07) !== 0x06) continue;
      // Every return is one of the four verdicts this filter means to give.
      assert.ok([0x7fff0000, 0x00050000 | EPERM, 0x00050000 | ENOSYS, 0x80000000].includes(insn.k), `pc ${pc} returns 0x${insn.k.toString(16)}`);
    }
    assert.equal(buildJailFilter(arch).length, program.length * 8);
    assert.deepEqual(buildJailFilter(arch), buildJailFilter(arch), 'deterministic bytes');
  });

  test(`${arch}: the arch is checked before anything else; any other ABI kills the process`, () => {
    const program = programFor(arch);
    assert.deepEqual(program[0], { code: 0x20, jt: 0, jf: 0, k: 4 }, 'first instruction loads seccomp_data.arch');
    const others = [AUDIT_ARCH_I386, AUDIT_ARCH_ARM, 0, 0xffffffff, AUDIT_ARCH[arch === 'x86_64' ? 'aarch64' : 'x86_64']];
    for (const other of others) {
      for (const nr of [0, 1, 20, 39, 56, 101, 220]) {
        assert.deepEqual(verdict(program, { nr, arch: other }), KILL, `arch 0x${other.toString(16)} nr ${nr}`);
      }
    }
  });

  test(`${arch}: each refused syscall gets EPERM whatever its arguments`, () => {
    for (const name of ALWAYS_EPERM) {
      for (const args of GARBAGE) assert.deepEqual(call(arch, name, args), DENY_EPERM, `${name}(${args.join(', ')})`);
    }
  });

  test(`${arch}: clone3 answers ENOSYS so libc falls back to clone, where flags are visible`, () => {
    for (const args of GARBAGE) assert.deepEqual(call(arch, 'clone3', args), DENY_ENOSYS);
  });

  test(`${arch}: every other syscall is allowed (zero and garbage arguments)`, () => {
    const decided = new Set([...ALWAYS_EPERM, ...ARGUMENT_CHECKED, ...ENOSYS_ALWAYS]);
    for (const [name, nr] of Object.entries(TABLES[arch])) {
      if (decided.has(name)) continue;
      for (const args of GARBAGE) {
        assert.deepEqual(verdict(programFor(arch), { nr, arch: AUDIT_ARCH[arch], args }), ALLOW, `${name} (${nr})`);
      }
    }
    for (const name of ['read', 'write', 'openat', 'close', 'execve', 'mmap', 'futex', 'getpid']) {
      assert.deepEqual(call(arch, name, [3n, 0n, 0n]), ALLOW, name);
    }
  });

  test(`${arch}: clone without CLONE_NEWUSER is allowed: fork, threads, vfork`, () => {
    const CLONE_VM = 0x100n, CLONE_FS = 0x200n, CLONE_FILES = 0x400n, CLONE_SIGHAND = 0x800n, CLONE_THREAD = 0x10000n;
    const CLONE_VFORK = 0x4000n, CLONE_SETTLS = 0x80000n, CLONE_PARENT_SETTID = 0x100000n, CLONE_CHILD_CLEARTID = 0x200000n;
    const CLONE_CHILD_SETTID = 0x1000000n, CLONE_NEWNS = 0x20000n, CLONE_NEWPID = 0x20000000n, CLONE_IO = 0x80000000n;
    const flagsets = [
      SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID, // glibc fork()
      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
      CLONE_VM | CLONE_VFORK | SIGCHLD,
      CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, // other namespaces: refused by the kernel for lack of capabilities
      // A C int with bit 31 set arrives sign-extended; the kernel reads only the low word.
      0xffffffff_00000000n | CLONE_IO | SIGCHLD,
    ];
    for (const flags of flagsets) assert.deepEqual(call(arch, 'clone', [flags, 0n, 0n, 0n, 0n]), ALLOW, `flags 0x${flags.toString(16)}`);
  });

  test(`${arch}: clone with CLONE_NEWUSER among other bits, or with a high word, is refused`, () => {
    const flagsets = [
      CLONE_NEWUSER,
      CLONE_NEWUSER | SIGCHLD,
      CLONE_NEWUSER | 0x20000n | 0x20000000n | 0x4000000n | SIGCHLD, // with NEWNS, NEWPID, NEWUTS
      0xffffffffn,
      // The kernel drops the high word (lower_32_bits), so garbage there must not hide the bit.
      0x1_0000_0000n | CLONE_NEWUSER | SIGCHLD,
      0xffffffff_00000000n | CLONE_NEWUSER,
      0xffffffffffffffffn,
    ];
    for (const flags of flagsets) assert.deepEqual(call(arch, 'clone', [flags, 0n, 0n, 0n, 0n]), DENY_EPERM, `flags 0x${flags.toString(16)}`);
  });

  test(`${arch}: unshare refuses CLONE_NEWUSER, and any bit above 31, but allows other namespaces`, () => {
    assert.deepEqual(call(arch, 'unshare', [CLONE_NEWUSER]), DENY_EPERM);
    assert.deepEqual(call(arch, 'unshare', [CLONE_NEWUSER | 0x20000n | 0x40000000n]), DENY_EPERM);
    assert.deepEqual(call(arch, 'unshare', [0x1_0000_0000n]), DENY_EPERM, 'unshare reads 64 bits: a high bit is refused');
    assert.deepEqual(call(arch, 'unshare', [0x8000_0000_0000_0000n]), DENY_EPERM);
    assert.deepEqual(call(arch, 'unshare', [0xffffffff_00000000n | CLONE_NEWUSER]), DENY_EPERM);
    assert.deepEqual(call(arch, 'unshare', [0x20000n]), ALLOW, 'CLONE_NEWNS: the kernel refuses it without capabilities');
    assert.deepEqual(call(arch, 'unshare', [0x400n]), ALLOW, 'CLONE_FILES');
    assert.deepEqual(call(arch, 'unshare', [0n]), ALLOW);
  });

  test(`${arch}: TIOCSTI and TIOCLINUX are refused even with garbage in the high word of cmd`, () => {
    for (const cmd of [TIOCSTI, TIOCLINUX]) {
      for (const highWord of [0n, 1n, 0xdeadbeefn, 0xffffffffn]) {
        const withHigh = (highWord << 32n) | cmd;
        assert.deepEqual(call(arch, 'ioctl', [0n, withHigh, 0n]), DENY_EPERM, `cmd 0x${withHigh.toString(16)}`);
        assert.deepEqual(call(arch, 'ioctl', [0xffffffff_00000005n, withHigh, 0x7ffd0000n]), DENY_EPERM);
      }
    }
  });

  test(`${arch}: ordinary ioctls are allowed (TCGETS, FIONREAD, neighbours of TIOCSTI)`, () => {
    for (const cmd of [TCGETS, 0x541bn, 0x5411n, 0x5413n, 0x541bn, 0x541dn, 0x1_0000_5401n, 0x5412_0000n]) {
      assert.deepEqual(call(arch, 'ioctl', [1n, cmd, 0n]), ALLOW, `cmd 0x${cmd.toString(16)}`);
    }
  });

  test(`${arch}: personality allows the query and uname-only settings, refuses ASLR/W^X changes`, () => {
    for (const persona of [0n, 0x8n, 0x20000n, 0x20008n, 0xffffffffn]) {
      assert.deepEqual(call(arch, 'personality', [persona]), ALLOW, `persona 0x${persona.toString(16)}`);
    }
    const ADDR_NO_RANDOMIZE = 0x0040000n, READ_IMPLIES_EXEC = 0x0400000n, MMAP_PAGE_ZERO = 0x0100000n;
    for (const persona of [ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO, ADDR_NO_RANDOMIZE | 0x8n, 0x1n, 0xfffffffen]) {
      assert.deepEqual(call(arch, 'personality', [persona]), DENY_EPERM, `persona 0x${persona.toString(16)}`);
    }
    // A high word never turns a refused value into an allowed one, and only makes allowed ones refused.
    assert.deepEqual(call(arch, 'personality', [0x1_0000_0000n]), DENY_EPERM);
    assert.deepEqual(call(arch, 'personality', [0xffffffffffffffffn]), DENY_EPERM);
  });
}

test('x86_64: x32 syscalls (bit 0x40000000) kill the process; nr -1 stays allowed', () => {
  const program = programFor('x86_64');
  const arch = AUDIT_ARCH.x86_64;
  for (const nr of [0x40000000, 0x40000000 | 39, 0x40000000 | 101, 0x40000000 | 0x200, 0x7fffffff, 0x80000000, 0xfffffffe]) {
    assert.deepEqual(verdict(program, { nr, arch }), KILL, `nr 0x${nr.toString(16)}`);
  }
  assert.deepEqual(verdict(program, { nr: -1, arch }), ALLOW, 'syscall(-1) reaches the kernel, which answers ENOSYS');
  assert.deepEqual(verdict(program, { nr: 0x3fffffff, arch }), ALLOW, 'an unknown native number answers ENOSYS in the kernel');
});

test('aarch64: large syscall numbers are not mistaken for x32', () => {
  assert.deepEqual(verdict(programFor('aarch64'), { nr: 0x40000000 | 63, arch: AUDIT_ARCH.aarch64 }), ALLOW);
});

test('hostSeccompArch maps Node architectures and refuses the rest', () => {
  assert.equal(hostSeccompArch('x64'), 'x86_64');
  assert.equal(hostSeccompArch('arm64'), 'aarch64');
  for (const other of ['ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips']) assert.equal(hostSeccompArch(other), undefined);
  assert.equal(hostSeccompArch(), process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : undefined);
});

test('--explain names every refused syscall, with its verdict and the attack it stops', () => {
  for (const arch of ARCHES) {
    const lines = describeJailFilter(arch);
    const text = lines.join('\n');
    for (const name of [...ALWAYS_EPERM, ...ARGUMENT_CHECKED]) {
      assert.match(text, new RegExp(`(^|[ ,])${name}[ ,].*→ EPERM — \\S`, 'm'), `${arch}: ${name}`);
    }
    assert.match(text, /^clone3 → ENOSYS — /m);
    assert.match(text, /kill process/);
    assert.match(text, /TIOCSTI .*low 32 bits/);
    assert.equal(lines.at(-1), 'every other syscall → allowed');
    assert.equal(text.includes('x32'), arch === 'x86_64');
  }
});
