// Classic BPF as the kernel's seccomp loader accepts it, and the layout of the data a
// seccomp program reads. Values are from <linux/bpf_common.h>, <linux/filter.h> and
// <linux/seccomp.h>; they are kernel ABI and never change.
//
// bubblewrap's `--seccomp FD` reads a raw `struct sock_filter[]` from FD: 8 bytes per
// instruction (u16 code, u8 jt, u8 jf, u32 k) in the machine's byte order. Both
// architectures we support are little-endian.

/** One `struct sock_filter`. jt/jf are forward offsets from the next instruction. */
export interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

// Instruction classes and fields (only what a seccomp program may use).
export const BPF_LD = 0x00;
export const BPF_ALU = 0x04;
export const BPF_AND = 0x50;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_K = 0x00;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
export const INSTRUCTION_BYTES = 8;

// struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_ARGS = 16;
export const SECCOMP_DATA_SIZE = 64;

export type ArgIndex = 0 | 1 | 2 | 3 | 4 | 5;

/**
 * Offset of one 32-bit half of a syscall argument. Arguments are stored as 64-bit
 * values in the machine's byte order; on little-endian machines the low word comes
 * first. A program that wants the full 64-bit value must read both halves.
 */
export function argWordOffset(arg: ArgIndex, half: 'low' | 'high'): number {
  return SECCOMP_DATA_ARGS + arg * 8 + (half === 'low' ? 0 : 4);
}

// Return values. The kernel takes the action from the high 16 bits and, for
// SECCOMP_RET_ERRNO, the errno from the low 16 bits.
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

/** Serialises a program in the byte layout `bwrap --seccomp` and seccomp(2) expect. */
export function encodeProgram(program: readonly Instruction[]): Buffer {
  const out = Buffer.alloc(program.length * INSTRUCTION_BYTES);
  program.forEach((insn, i) => {
    const at = i * INSTRUCTION_BYTES;
    out.writeUInt16LE(insn.code, at);
    out.writeUInt8(insn.jt, at + 2);
    out.writeUInt8(insn.jf, at + 3);
    out.writeUInt32LE(insn.k >>> 0, at + 4);
  });
  return out;
}

/** Parses bytes produced by encodeProgram (used by tests and `--explain` dumps). */
export function decodeProgram(bytes: Buffer): Instruction[] {
  if (bytes.length % INSTRUCTION_BYTES !== 0) {
    throw new Error(
      `a seccomp program is a whole number of ${INSTRUCTION_BYTES}-byte instructions; got ${bytes.length} bytes`,
    );
  }
  const program: Instruction[] = [];
  for (let at = 0; at < bytes.length; at += INSTRUCTION_BYTES) {
    program.push({
      code: bytes.readUInt16LE(at),
      jt: bytes.readUInt8(at + 2),
      jf: bytes.readUInt8(at + 3),
      k: bytes.readUInt32LE(at + 4),
    });
  }
  return program;
}
