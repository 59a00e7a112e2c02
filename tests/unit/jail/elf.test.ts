import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { bufferSource, ElfError, elfCompatible, parseElf } from '../../../src/jail/elf.js';
import { readElf } from '../../../src/jail/host-files.js';
import { buildElf } from './elf-builder.js';

const EM_X86_64 = 62;
const EM_386 = 3;
const EM_AARCH64 = 183;

for (const [elfClass, endian, machine] of [
  [64, 'le', EM_X86_64],
  [32, 'le', EM_386],
  [64, 'be', EM_AARCH64],
  [32, 'be', 8],
] as const) {
  test(`a hand-built ${elfClass}-bit ${endian === 'le' ? 'little' : 'big'}-endian ELF yields its interpreter, needs, runpath and soname`, () => {
    const buf = buildElf({
      elfClass,
      endian,
      machine,
      interpreter: '/lib/ld-test.so.1',
      needed: ['libfoo.so.1', 'libc.so.6'],
      runpath: '$ORIGIN/../lib:/opt/x/lib',
      soname: 'libtiny.so.3',
    });
    const info = parseElf(bufferSource(buf));
    assert.equal(info.elfClass, elfClass);
    assert.equal(info.endian, endian);
    assert.equal(info.machine, machine);
    assert.equal(info.interpreter, '/lib/ld-test.so.1');
    assert.deepEqual(info.needed, ['libfoo.so.1', 'libc.so.6']);
    assert.deepEqual(info.runpath, ['$ORIGIN/../lib', '/opt/x/lib']);
    assert.deepEqual(info.rpath, []);
    assert.equal(info.soname, 'libtiny.so.3');
    assert.equal(info.nodeflib, false);
  });
}

test('DT_RPATH is reported when there is no DT_RUNPATH, and ignored when there is (as the loader does)', () => {
  const onlyRpath = parseElf(bufferSource(buildElf({ elfClass: 64, endian: 'le', machine: EM_X86_64, needed: ['a.so'], rpath: '/r1::/r2' })));
  assert.deepEqual(onlyRpath.rpath, ['/r1', '/r2'], 'empty elements are dropped');
  const both = parseElf(bufferSource(buildElf({ elfClass: 64, endian: 'le', machine: EM_X86_64, needed: ['a.so'], rpath: '/r1', runpath: '/run1' })));
  assert.deepEqual(both.rpath, []);
  assert.deepEqual(both.runpath, ['/run1']);
});

test('DF_1_NODEFLIB is read from DT_FLAGS_1', () => {
  const info = parseElf(bufferSource(buildElf({ elfClass: 64, endian: 'le', machine: EM_X86_64, needed: ['a.so'], flags1: 0x800 })));
  assert.equal(info.nodeflib, true);
});

test('a static binary (no PT_INTERP, no needs) parses to empty lists', () => {
  const info = parseElf(bufferSource(buildElf({ elfClass: 64, endian: 'le', machine: EM_X86_64 })));
  assert.equal(info.interpreter, undefined);
  assert.deepEqual(info.needed, []);
});

test('malformed input is an ElfError, never a crash or a huge allocation', () => {
  const good = buildElf({ elfClass: 64, endian: 'le', machine: EM_X86_64, interpreter: '/lib/ld.so', needed: ['libc.so.6'] });
  assert.throws(() => parseElf(bufferSource(Buffer.from('#!/bin/sh\n'.padEnd(64, ' ')))), ElfError);
  assert.throws(() => parseElf(bufferSource(good.subarray(0, 100))), ElfError, 'truncated');
  const badClass = Buffer.from(good);
  badClass[4] = 7;
  assert.throws(() => parseElf(bufferSource(badClass)), /unknown ELF class/);
  const hugePh = Buffer.from(good);
  hugePh.writeBigUInt64LE(0xffffffffn, 32); // e_phoff far outside the file
  assert.throws(() => parseElf(bufferSource(hugePh)), ElfError);
  assert.throws(
    () => parseElf(bufferSource(buildElf({ elfClass: 64, endian: 'le', machine: EM_X86_64, needed: ['x'], omitStrtab: true }))),
    /no DT_STRTAB/,
  );
});

test('elfCompatible compares class, byte order and machine', () => {
  const a = { elfClass: 64 as const, endian: 'le' as const, machine: EM_X86_64 };
  assert.equal(elfCompatible(a, { ...a }), true);
  assert.equal(elfCompatible(a, { ...a, elfClass: 32 }), false);
  assert.equal(elfCompatible(a, { ...a, machine: EM_386 }), false);
  assert.equal(elfCompatible(a, { ...a, endian: 'be' }), false);
});

const expectedMachine = process.arch === 'x64' ? EM_X86_64 : process.arch === 'arm64' ? EM_AARCH64 : undefined;

test('/usr/bin/id: a real dynamically linked program of this machine needs libc.so.6 through an absolute interpreter', () => {
  const info = readElf('/usr/bin/id');
  assert.equal(info.elfClass, 64);
  if (expectedMachine !== undefined) assert.equal(info.machine, expectedMachine);
  assert.ok(info.interpreter?.startsWith('/'), `interpreter ${info.interpreter}`);
  assert.ok(existsSync(info.interpreter!), `${info.interpreter} exists`);
  assert.ok(info.needed.includes('libc.so.6'), info.needed.join(' '));
});

test('the parser agrees with binutils readelf on the needs of real binaries', (t) => {
  const readelf = ['/usr/bin/readelf', '/bin/readelf'].find((p) => existsSync(p));
  if (readelf === undefined) {
    t.skip('binutils readelf not installed');
    return;
  }
  const binaries = [process.execPath, '/usr/bin/id', '/usr/bin/python3'].filter((p) => existsSync(p));
  assert.ok(binaries.length >= 2);
  for (const bin of binaries) {
    const r: SpawnSyncReturns<string> = spawnSync(readelf, ['-d', '-l', '-W', bin], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const needed = [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1]);
    const interp = /\[Requesting program interpreter: (.*)\]/.exec(r.stdout)?.[1];
    const runpath = /\(RUNPATH\)\s+Library runpath: \[(.*)\]/.exec(r.stdout)?.[1];
    const info = readElf(bin);
    assert.deepEqual(info.needed, needed, bin);
    assert.equal(info.interpreter, interp, bin);
    assert.deepEqual(info.runpath, runpath === undefined ? [] : runpath.split(':'), bin);
  }
});
