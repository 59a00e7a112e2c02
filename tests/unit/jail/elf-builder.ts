// Builds tiny ELF files by hand (support module for the parser tests): just the ELF header,
// three program headers (PT_LOAD over the whole file, PT_INTERP, PT_DYNAMIC), the
// interpreter string, a string table and a dynamic section. Enough for the loader's view.

export interface TinyElf {
  elfClass: 32 | 64;
  endian: 'le' | 'be';
  machine: number;
  interpreter?: string;
  needed?: string[];
  rpath?: string;
  runpath?: string;
  soname?: string;
  flags1?: number;
  /** Virtual address the file is mapped at; DT_STRTAB is given as an address, as in real files. */
  base?: number;
  /** Omit DT_STRTAB (malformed input). */
  omitStrtab?: boolean;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;

export function buildElf(spec: TinyElf): Buffer {
  const is64 = spec.elfClass === 64;
  const le = spec.endian === 'le';
  const base = spec.base ?? (is64 ? 0x400000 : 0x8048000);
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const phnum = spec.interpreter !== undefined ? 3 : 2;
  const dynent = is64 ? 16 : 8;

  // String table.
  const strings: Buffer[] = [Buffer.from([0])];
  let strLen = 1;
  const addStr = (s: string): number => {
    const at = strLen;
    const b = Buffer.from(`${s}\0`);
    strings.push(b);
    strLen += b.length;
    return at;
  };
  const dyn: [number, number][] = [];
  for (const n of spec.needed ?? []) dyn.push([1, addStr(n)]);
  if (spec.soname !== undefined) dyn.push([14, addStr(spec.soname)]);
  if (spec.rpath !== undefined) dyn.push([15, addStr(spec.rpath)]);
  if (spec.runpath !== undefined) dyn.push([29, addStr(spec.runpath)]);
  if (spec.flags1 !== undefined) dyn.push([0x6ffffffb, spec.flags1]);
  const strtab = Buffer.concat(strings);

  const interp = spec.interpreter !== undefined ? Buffer.from(`${spec.interpreter}\0`) : Buffer.alloc(0);
  const interpOff = ehsize + phnum * phentsize;
  const strtabOff = interpOff + interp.length;
  const dynOff = (strtabOff + strtab.length + 7) & ~7;
  if (!spec.omitStrtab) dyn.push([5, base + strtabOff], [10, strtab.length]);
  dyn.push([0, 0]);
  const size = dynOff + dyn.length * dynent;
  const buf = Buffer.alloc(size);

  const u16 = (v: number, at: number) => (le ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (le ? buf.writeUInt32LE(v, at) : buf.writeUInt32BE(v, at));
  const u64 = (v: number, at: number) => (le ? buf.writeBigUInt64LE(BigInt(v), at) : buf.writeBigUInt64BE(BigInt(v), at));
  const addr = (v: number, at: number) => (is64 ? u64(v, at) : u32(v, at));

  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0], 0);
  u16(3, 16); // ET_DYN
  u16(spec.machine, 18);
  u32(1, 20);
  if (is64) {
    u64(ehsize, 32); // e_phoff
    u16(ehsize, 52);
    u16(phentsize, 54);
    u16(phnum, 56);
    u16(64, 58);
  } else {
    u32(ehsize, 28);
    u16(ehsize, 40);
    u16(phentsize, 42);
    u16(phnum, 44);
    u16(40, 46);
  }

  const ph = (i: number, type: number, offset: number, filesz: number) => {
    const at = ehsize + i * phentsize;
    u32(type, at);
    if (is64) {
      u32(4, at + 4);
      u64(offset, at + 8);
      u64(base + offset, at + 16);
      u64(base + offset, at + 24);
      u64(filesz, at + 32);
      u64(filesz, at + 40);
      u64(8, at + 48);
    } else {
      u32(offset, at + 4);
      u32(base + offset, at + 8);
      u32(base + offset, at + 12);
      u32(filesz, at + 16);
      u32(filesz, at + 20);
      u32(4, at + 24);
      u32(4, at + 28);
    }
  };
  let i = 0;
  ph(i++, PT_LOAD, 0, size);
  if (spec.interpreter !== undefined) ph(i++, PT_INTERP, interpOff, interp.length);
  ph(i++, PT_DYNAMIC, dynOff, dyn.length * dynent);

  interp.copy(buf, interpOff);
  strtab.copy(buf, strtabOff);
  dyn.forEach(([tag, val], k) => {
    addr(tag, dynOff + k * dynent);
    addr(val, dynOff + k * dynent + dynent / 2);
  });
  return buf;
}
