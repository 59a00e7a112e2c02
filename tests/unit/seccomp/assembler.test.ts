import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Assembler, NEXT } from '../../../src/seccomp/assembler.js';
import { decodeProgram, encodeProgram } from '../../../src/seccomp/bpf.js';

test('labels become forward offsets counted from the next instruction', () => {
  const program = new Assembler()
    .loadWord(0)
    .jumpIf('eq', 7, 'deny', NEXT)
    .jumpIf('set', 0x10, 'deny', 'allow')
    .label('allow').ret(0x7fff0000)
    .label('deny').ret(0x00050001)
    .assemble();
  assert.deepEqual(program, [
    { code: 0x20, jt: 0, jf: 0, k: 0 },
    { code: 0x15, jt: 2, jf: 0, k: 7 },
    { code: 0x45, jt: 1, jf: 0, k: 0x10 },
    { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
    { code: 0x06, jt: 0, jf: 0, k: 0x00050001 },
  ]);
});

test('goto uses the 32-bit offset of BPF_JA', () => {
  const program = new Assembler().goto('end').ret(0).ret(1).label('end').ret(2).assemble();
  assert.deepEqual(program[0], { code: 0x05, jt: 0, jf: 0, k: 2 });
});

test('mistakes are reported instead of producing a wrong program', () => {
  assert.throws(() => new Assembler().label('a').ret(0).jumpIf('eq', 1, 'a', NEXT).ret(0).assemble(), /backwards/);
  assert.throws(() => new Assembler().jumpIf('eq', 1, 'nowhere', NEXT).ret(0).assemble(), /never defined/);
  assert.throws(() => new Assembler().label('a').label('a').ret(0).assemble(), /defined twice/);
  assert.throws(() => new Assembler().ret(0).label('end').assemble(), /end of the program/);
  const far = new Assembler().jumpIf('eq', 1, 'far', NEXT);
  for (let i = 0; i < 256; i++) far.ret(0);
  far.label('far').ret(1);
  assert.throws(() => far.assemble(), /at most 255/);
});

test('encoding is 8 little-endian bytes per instruction and round-trips', () => {
  const program = [{ code: 0x15, jt: 3, jf: 250, k: 0xc000003e }];
  const bytes = encodeProgram(program);
  assert.deepEqual([...bytes], [0x15, 0x00, 3, 250, 0x3e, 0x00, 0x00, 0xc0]);
  assert.deepEqual(decodeProgram(bytes), program);
  assert.throws(() => decodeProgram(Buffer.alloc(7)), /8-byte/);
});
