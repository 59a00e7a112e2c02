// A classic-BPF interpreter and checker for seccomp programs, written from the kernel's
// documented semantics and deliberately sharing no code with src/seccomp: a bug in
// the builder's idea of BPF must not be repeated here and cancel out.
//
// It reads the raw bytes bwrap would read, checks what the kernel's loader checks
// (bpf_check_classic + seccomp_check_filter), and runs the program over a synthetic
// struct seccomp_data.

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export interface SyntheticSyscall {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  /** Up to six 64-bit register values; missing ones are 0. */
  args?: readonly bigint[];
}

export type Verdict =
  | { action: 'allow' }
  | { action: 'errno'; errno: number }
  | { action: 'kill-process' }
  | { action: 'kill-thread' }
  | { action: 'other'; value: number };

const MAX_INSNS = 4096;
const DATA_SIZE = 64;
const MEMWORDS = 16;

export function parse(bytes: Buffer): Insn[] {
  if (bytes.length % 8 !== 0) throw new Error(`program length ${bytes.length} is not a multiple of 8`);
  const out: Insn[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    out.push({ code: bytes.readUInt16LE(i), jt: bytes[i + 2]!, jf: bytes[i + 3]!, k: bytes.readUInt32LE(i + 4) });
  }
  return out;
}

/** struct seccomp_data as the kernel lays it out on a little-endian machine. */
export function seccompData(call: SyntheticSyscall): Buffer {
  const b = Buffer.alloc(DATA_SIZE);
  b.writeInt32LE(call.nr | 0, 0);
  b.writeUInt32LE(call.arch >>> 0, 4);
  b.writeBigUInt64LE(BigInt.asUintN(64, call.instructionPointer ?? 0x401000n), 8);
  for (let i = 0; i < 6; i++) b.writeBigUInt64LE(BigInt.asUintN(64, call.args?.[i] ?? 0n), 16 + 8 * i);
  return b;
}

// Opcodes the seccomp loader accepts (kernel/seccomp.c: seccomp_check_filter).
const ALLOWED_CODES = new Set<number>([
  0x20, // LD W ABS
  0x80, // LD W LEN
  0x81, // LDX W LEN
  0x00, // LD IMM
  0x01, // LDX IMM
  0x60, // LD MEM
  0x61, // LDX MEM
  0x02, // ST
  0x03, // STX
  0x06, // RET K
  0x16, // RET A
  0x07, // MISC TAX
  0x87, // MISC TXA
  // ALU K and X: ADD SUB MUL DIV AND OR XOR LSH RSH, NEG
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c,
  0x84,
  // JMP: JA, JEQ/JGT/JGE/JSET with K and X
  0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d,
]);

/** What the kernel would reject, as readable problems (empty when the program loads). */
export function loaderProblems(program: readonly Insn[]): string[] {
  const problems: string[] = [];
  if (program.length === 0) problems.push('empty program');
  if (program.length > MAX_INSNS) problems.push(`${program.length} instructions, more than ${MAX_INSNS}`);
  program.forEach((insn, pc) => {
    if (!ALLOWED_CODES.has(insn.code)) problems.push(`pc ${pc}: opcode 0x${insn.code.toString(16)} not allowed in seccomp`);
    if (insn.code === 0x20 && (insn.k % 4 !== 0 || insn.k >= DATA_SIZE)) {
      problems.push(`pc ${pc}: load at offset ${insn.k} outside struct seccomp_data or unaligned`);
    }
    if ((insn.code === 0x60 || insn.code === 0x61 || insn.code === 0x02 || insn.code === 0x03) && insn.k >= MEMWORDS) {
      problems.push(`pc ${pc}: scratch slot ${insn.k} out of range`);
    }
    if ((insn.code & 0x07) === 0x05) {
      if (insn.code === 0x05) {
        if (pc + 1 + insn.k >= program.length) problems.push(`pc ${pc}: JA +${insn.k} leaves the program`);
      } else {
        if (pc + 1 + insn.jt >= program.length) problems.push(`pc ${pc}: jt +${insn.jt} leaves the program`);
        if (pc + 1 + insn.jf >= program.length) problems.push(`pc ${pc}: jf +${insn.jf} leaves the program`);
      }
    }
    if ((insn.code === 0x34 || insn.code === 0x94) && insn.k === 0) problems.push(`pc ${pc}: division by constant 0`);
  });
  const last = program[program.length - 1];
  if (last && (last.code & 0x07) !== 0x06) problems.push('last instruction is not a return');
  return problems;
}

/** Instructions no execution can reach (dead code is where a misplaced label hides). */
export function unreachable(program: readonly Insn[]): number[] {
  const seen = new Set<number>();
  const stack = [0];
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (pc >= program.length || seen.has(pc)) continue;
    seen.add(pc);
    const insn = program[pc]!;
    const cls = insn.code & 0x07;
    if (cls === 0x06) continue;
    if (cls === 0x05) {
      if (insn.code === 0x05) stack.push(pc + 1 + insn.k);
      else stack.push(pc + 1 + insn.jt, pc + 1 + insn.jf);
    } else {
      stack.push(pc + 1);
    }
  }
  return program.map((_, pc) => pc).filter((pc) => !seen.has(pc));
}

/** Runs the program; returns the raw 32-bit value it returned. */
export function run(program: readonly Insn[], call: SyntheticSyscall): number {
  const data = seccompData(call);
  let A = 0;
  let X = 0;
  const M = new Uint32Array(MEMWORDS);
  let pc = 0;
  for (let steps = 0; steps <= program.length; steps++) {
    const insn = program[pc];
    if (!insn) throw new Error(`ran off the end of the program at pc ${pc}`);
    const { code, k } = insn;
    const cls = code & 0x07;
    const src = (code & 0x08) !== 0 ? X : k;
    pc++;
    switch (cls) {
      case 0x00: // LD
        switch (code & 0xe0) {
          case 0x20: A = data.readUInt32LE(k); break;
          case 0x80: A = DATA_SIZE; break;
          case 0x00: A = k; break;
          case 0x60: A = M[k]!; break;
          default: throw new Error(`unsupported LD 0x${code.toString(16)}`);
        }
        break;
      case 0x01: // LDX
        switch (code & 0xe0) {
          case 0x80: X = DATA_SIZE; break;
          case 0x00: X = k; break;
          case 0x60: X = M[k]!; break;
          default: throw new Error(`unsupported LDX 0x${code.toString(16)}`);
        }
        break;
      case 0x02: M[k] = A; break;
      case 0x03: M[k] = X; break;
      case 0x04: { // ALU
        const op = code & 0xf0;
        const a = A >>> 0;
        const s = src >>> 0;
        switch (op) {
          case 0x00: A = (a + s) >>> 0; break;
          case 0x10: A = (a - s) >>> 0; break;
          case 0x20: A = Math.imul(a, s) >>> 0; break;
          case 0x30: if (s === 0) return 0; A = Math.floor(a / s) >>> 0; break;
          case 0x40: A = (a | s) >>> 0; break;
          case 0x50: A = (a & s) >>> 0; break;
          case 0x60: A = s >= 32 ? 0 : (a << s) >>> 0; break;
          case 0x70: A = s >= 32 ? 0 : a >>> s; break;
          case 0x80: A = (-a) >>> 0; break;
          case 0xa0: A = (a ^ s) >>> 0; break;
          default: throw new Error(`unsupported ALU 0x${code.toString(16)}`);
        }
        break;
      }
      case 0x05: { // JMP
        const op = code & 0xf0;
        if (op === 0x00) { pc += k; break; }
        const a = A >>> 0;
        const s = src >>> 0;
        let taken: boolean;
        switch (op) {
          case 0x10: taken = a === s; break;
          case 0x20: taken = a > s; break;
          case 0x30: taken = a >= s; break;
          case 0x40: taken = (a & s) !== 0; break;
          default: throw new Error(`unsupported JMP 0x${code.toString(16)}`);
        }
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case 0x06: return ((code & 0x18) === 0x10 ? A : k) >>> 0;
      case 0x07: if ((code & 0xf8) === 0x00) X = A; else A = X; break;
    }
  }
  throw new Error('program did not terminate');
}

/** The kernel's reading of a return value (kernel/seccomp.c). */
export function verdictOf(value: number): Verdict {
  const action = (value & 0xffff0000) >>> 0;
  if (action === 0x7fff0000) return { action: 'allow' };
  if (action === 0x00050000) return { action: 'errno', errno: value & 0xffff };
  if (action === 0x80000000) return { action: 'kill-process' };
  if (action === 0x00000000) return { action: 'kill-thread' };
  return { action: 'other', value };
}

export function verdict(program: readonly Insn[], call: SyntheticSyscall): Verdict {
  return verdictOf(run(program, call));
}
