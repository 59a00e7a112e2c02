// A tiny classic-BPF assembler with named labels.
//
// Hand-counted jump offsets are the classic way to get a filter subtly wrong: one
// inserted instruction and a "deny" branch lands on "allow". Here every branch names
// its destination and the offsets are computed once, with range checks the kernel
// would otherwise only report as a bare EINVAL.

import {
  BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W,
  type Instruction,
} from './bpf.js';

/** Branch target meaning "the instruction right after this one". */
export const NEXT: unique symbol = Symbol('next');
export type Target = string | typeof NEXT;

export type JumpTest = 'eq' | 'gt' | 'ge' | 'set';

const JUMP_OPS: Readonly<Record<JumpTest, number>> = {
  eq: BPF_JEQ,
  gt: BPF_JGT,
  ge: BPF_JGE,
  set: BPF_JSET,
};

/** Conditional branch offsets are one byte in classic BPF. */
const MAX_CONDITIONAL_OFFSET = 255;

type Item =
  | { readonly kind: 'label'; readonly name: string }
  | { readonly kind: 'fixed'; readonly insn: Instruction }
  | {
      readonly kind: 'branch';
      readonly code: number;
      readonly k: number;
      readonly ifTrue: Target;
      readonly ifFalse: Target;
    }
  | { readonly kind: 'goto'; readonly target: string };

export class Assembler {
  private readonly items: Item[] = [];

  /** A = 32-bit word at `offset` in struct seccomp_data. */
  loadWord(offset: number): this {
    return this.fixed({ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: offset });
  }

  /** if (A <test> k) goto ifTrue else goto ifFalse. `set` tests (A & k) != 0. */
  jumpIf(test: JumpTest, k: number, ifTrue: Target, ifFalse: Target): this {
    this.items.push({ kind: 'branch', code: BPF_JMP | JUMP_OPS[test] | BPF_K, k: k >>> 0, ifTrue, ifFalse });
    return this;
  }

  /** Unconditional jump (32-bit offset, so it can reach anywhere ahead). */
  goto(target: string): this {
    this.items.push({ kind: 'goto', target });
    return this;
  }

  /** A &= k. */
  andK(k: number): this {
    return this.fixed({ code: BPF_ALU | BPF_AND | BPF_K, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** return k (a SECCOMP_RET_* value). */
  ret(k: number): this {
    return this.fixed({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** Names the position of the next instruction. */
  label(name: string): this {
    this.items.push({ kind: 'label', name });
    return this;
  }

  assemble(): Instruction[] {
    const positions = new Map<string, number>();
    let count = 0;
    for (const item of this.items) {
      if (item.kind === 'label') {
        if (positions.has(item.name)) throw new Error(`BPF label "${item.name}" is defined twice`);
        positions.set(item.name, count);
      } else {
        count++;
      }
    }

    const offsetTo = (target: Target, from: number, limit: number): number => {
      if (target === NEXT) return 0;
      const at = positions.get(target);
      if (at === undefined) throw new Error(`BPF label "${target}" is used but never defined`);
      const offset = at - (from + 1);
      // Classic BPF only jumps forward: this is what guarantees every program ends.
      if (offset < 0) throw new Error(`BPF jump from instruction ${from} to "${target}" goes backwards`);
      if (offset > limit) {
        throw new Error(
          `BPF jump from instruction ${from} to "${target}" spans ${offset} instructions; ` +
            `conditional jumps reach at most ${limit}. Place the target closer or jump through a goto.`,
        );
      }
      return offset;
    };

    const program: Instruction[] = [];
    for (const item of this.items) {
      const here = program.length;
      switch (item.kind) {
        case 'label':
          break;
        case 'fixed':
          program.push(item.insn);
          break;
        case 'branch':
          program.push({
            code: item.code,
            jt: offsetTo(item.ifTrue, here, MAX_CONDITIONAL_OFFSET),
            jf: offsetTo(item.ifFalse, here, MAX_CONDITIONAL_OFFSET),
            k: item.k,
          });
          break;
        case 'goto':
          program.push({ code: BPF_JMP | BPF_JA | BPF_K, jt: 0, jf: 0, k: offsetTo(item.target, here, 0xffffffff) });
          break;
      }
    }
    for (const [name, at] of positions) {
      if (at >= program.length) throw new Error(`BPF label "${name}" is at the end of the program, after every instruction`);
    }
    return program;
  }

  private fixed(insn: Instruction): this {
    this.items.push({ kind: 'fixed', insn });
    return this;
  }
}
