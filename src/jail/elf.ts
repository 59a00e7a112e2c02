// Reading what the dynamic loader reads from an ELF file: its program interpreter
// (PT_INTERP) and the dynamic section (DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME,
// DT_FLAGS_1).
//
// Why not `ldd`: ldd runs the binary's own program interpreter with LD_TRACE_LOADED_OBJECTS
// set, so asking ldd about a hostile binary can execute code chosen by that binary, as root
// when `jail create` runs as root. This parser only reads bytes. It follows the program
// headers (what the loader uses), not the section headers (which `strip` may remove).
//
// Everything here is pure: bytes come from a ByteSource, which is a Buffer in tests and a
// file descriptor in host-files.ts.

/** Random access to the bytes of one file. Must return exactly `length` bytes or throw. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

export type ElfClass = 32 | 64;
export type ElfEndian = 'le' | 'be';

/** The parts of an ELF file that decide which other files it needs at run time. */
export interface ElfInfo {
  readonly elfClass: ElfClass;
  readonly endian: ElfEndian;
  /** e_machine: 62 x86-64, 3 i386, 183 aarch64, 40 arm, 243 riscv, ... */
  readonly machine: number;
  /** e_type: 2 executable, 3 shared object (also PIE executables). */
  readonly type: number;
  /** PT_INTERP: absolute path of the program interpreter (the dynamic loader), if any. */
  readonly interpreter?: string;
  /** DT_NEEDED, in order. */
  readonly needed: readonly string[];
  /** DT_RPATH split on ':' (unexpanded: may contain $ORIGIN). Empty when DT_RUNPATH is set:
   *  the loader ignores DT_RPATH in an object that has DT_RUNPATH. */
  readonly rpath: readonly string[];
  /** DT_RUNPATH split on ':' (unexpanded). */
  readonly runpath: readonly string[];
  readonly soname?: string;
  /** DF_1_NODEFLIB: the loader skips ld.so.cache and the default directories for this object's needs. */
  readonly nodeflib: boolean;
}

export class ElfError extends Error {
  override name = 'ElfError';
}

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PN_XNUM = 0xffff;

const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const DT_FLAGS_1 = 0x6ffffffb;
const DF_1_NODEFLIB = 0x800;

/** Bounds for hostile input: more than this is not a real program, only a way to make us allocate. */
const MAX_PROGRAM_HEADERS = 4096;
const MAX_DYNAMIC_ENTRIES = 65536;
const MAX_STRING = 4096;

export function hasElfMagic(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(ELF_MAGIC);
}

/** A ByteSource over a Buffer (tests, small files). */
export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read(offset, length) {
      if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > buf.length) {
        throw new ElfError(`truncated file: wanted ${length} bytes at offset ${offset}, file has ${buf.length}`);
      }
      return buf.subarray(offset, offset + length);
    },
  };
}

interface Reader {
  u16(b: Buffer, at: number): number;
  u32(b: Buffer, at: number): number;
  /** Address-sized field: 32 or 64 bits depending on the class. */
  addr(b: Buffer, at: number): number;
  /** d_tag is signed; the tags we care about are small positive numbers. */
  tag(b: Buffer, at: number): number;
}

function readerFor(elfClass: ElfClass, endian: ElfEndian): Reader {
  const le = endian === 'le';
  const u16 = (b: Buffer, at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const u64 = (b: Buffer, at: number): number => {
    const v = le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`64-bit value 0x${v.toString(16)} at ${at} is out of range`);
    return Number(v);
  };
  const s64 = (b: Buffer, at: number): number => {
    const v = le ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
    // Unknown huge or negative tags (processor-specific) are reported as -1 and ignored.
    return v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  };
  return elfClass === 64
    ? { u16, u32, addr: u64, tag: s64 }
    : { u16, u32, addr: u32, tag: (b, at) => (le ? b.readInt32LE(at) : b.readInt32BE(at)) };
}

interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** Parses the loader-relevant parts of an ELF file. Throws ElfError on malformed input. */
export function parseElf(src: ByteSource): ElfInfo {
  if (src.size < 52) throw new ElfError(`too small to be an ELF file (${src.size} bytes)`);
  const ident = src.read(0, 16);
  if (!hasElfMagic(ident)) throw new ElfError('not an ELF file (no \\x7fELF magic)');
  const cls = ident[4];
  const data = ident[5];
  if (cls !== 1 && cls !== 2) throw new ElfError(`unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ElfError(`unknown ELF data encoding ${data}`);
  const elfClass: ElfClass = cls === 2 ? 64 : 32;
  const endian: ElfEndian = data === 1 ? 'le' : 'be';
  const r = readerFor(elfClass, endian);

  const ehsize = elfClass === 64 ? 64 : 52;
  const eh = src.read(0, ehsize);
  const type = r.u16(eh, 16);
  const machine = r.u16(eh, 18);
  const phoff = elfClass === 64 ? r.addr(eh, 32) : r.addr(eh, 28);
  const shoff = elfClass === 64 ? r.addr(eh, 40) : r.addr(eh, 32);
  const phentsize = r.u16(eh, elfClass === 64 ? 54 : 42);
  let phnum = r.u16(eh, elfClass === 64 ? 56 : 44);
  const shentsize = r.u16(eh, elfClass === 64 ? 58 : 46);

  if (phnum === PN_XNUM) {
    // More program headers than fit in e_phnum: the real count is section 0's sh_info.
    if (shoff === 0) throw new ElfError('e_phnum is PN_XNUM but there is no section header');
    const sh0 = src.read(shoff, shentsize);
    phnum = r.u32(sh0, elfClass === 64 ? 44 : 28);
  }
  const minPhent = elfClass === 64 ? 56 : 32;
  if (phnum > 0 && phentsize < minPhent) throw new ElfError(`program header entry size ${phentsize} is too small`);
  if (phnum > MAX_PROGRAM_HEADERS) throw new ElfError(`implausible number of program headers (${phnum})`);

  const phs: ProgramHeader[] = [];
  if (phnum > 0) {
    const table = src.read(phoff, phnum * phentsize);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      phs.push(
        elfClass === 64
          ? { type: r.u32(table, at), offset: r.addr(table, at + 8), vaddr: r.addr(table, at + 16), filesz: r.addr(table, at + 32) }
          : { type: r.u32(table, at), offset: r.addr(table, at + 4), vaddr: r.addr(table, at + 8), filesz: r.addr(table, at + 16) },
      );
    }
  }

  let interpreter: string | undefined;
  const interp = phs.find((p) => p.type === PT_INTERP);
  if (interp) {
    if (interp.filesz > MAX_STRING) throw new ElfError(`PT_INTERP is ${interp.filesz} bytes long`);
    interpreter = cString(src.read(interp.offset, interp.filesz), 0);
  }

  const dyn = phs.find((p) => p.type === PT_DYNAMIC);
  if (!dyn) {
    return { elfClass, endian, machine, type, ...(interpreter !== undefined ? { interpreter } : {}), needed: [], rpath: [], runpath: [], nodeflib: false };
  }

  const entsize = elfClass === 64 ? 16 : 8;
  const count = Math.floor(dyn.filesz / entsize);
  if (count > MAX_DYNAMIC_ENTRIES) throw new ElfError(`implausible dynamic section (${count} entries)`);
  const table = src.read(dyn.offset, count * entsize);
  const tagged: { tag: number; val: number }[] = [];
  let strtabAddr: number | undefined;
  let strsz: number | undefined;
  let flags1 = 0;
  for (let i = 0; i < count; i++) {
    const at = i * entsize;
    const tag = r.tag(table, at);
    if (tag === DT_NULL) break;
    const val = r.addr(table, at + entsize / 2);
    if (tag === DT_STRTAB) strtabAddr = val;
    else if (tag === DT_STRSZ) strsz = val;
    else if (tag === DT_FLAGS_1) flags1 = val;
    else tagged.push({ tag, val });
  }

  const wantsStrings = tagged.some((t) => [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(t.tag));
  if (!wantsStrings) {
    return { elfClass, endian, machine, type, ...(interpreter !== undefined ? { interpreter } : {}), needed: [], rpath: [], runpath: [], nodeflib: (flags1 & DF_1_NODEFLIB) !== 0 };
  }
  if (strtabAddr === undefined) throw new ElfError('dynamic section has names but no DT_STRTAB');
  // DT_STRTAB is a virtual address; the loader sees it through the PT_LOAD segment that maps it.
  const strtabOff = vaddrToOffset(phs, strtabAddr);
  const strLimit = strsz ?? src.size - strtabOff;
  const str = (idx: number): string => {
    if (idx >= strLimit) throw new ElfError(`string index ${idx} is outside DT_STRSZ ${strLimit}`);
    const avail = Math.min(MAX_STRING, strLimit - idx, src.size - (strtabOff + idx));
    if (avail <= 0) throw new ElfError(`string at index ${idx} is outside the file`);
    return cString(src.read(strtabOff + idx, avail), 0);
  };

  const needed: string[] = [];
  let rpath: string[] = [];
  let runpath: string[] = [];
  let soname: string | undefined;
  let hasRunpath = false;
  for (const { tag, val } of tagged) {
    if (tag === DT_NEEDED) needed.push(str(val));
    else if (tag === DT_SONAME) soname = str(val);
    else if (tag === DT_RPATH) rpath = rpath.concat(splitPathList(str(val)));
    else if (tag === DT_RUNPATH) {
      hasRunpath = true;
      runpath = runpath.concat(splitPathList(str(val)));
    }
  }
  return {
    elfClass,
    endian,
    machine,
    type,
    ...(interpreter !== undefined ? { interpreter } : {}),
    needed,
    rpath: hasRunpath ? [] : rpath,
    runpath,
    ...(soname !== undefined ? { soname } : {}),
    nodeflib: (flags1 & DF_1_NODEFLIB) !== 0,
  };
}

function vaddrToOffset(phs: readonly ProgramHeader[], vaddr: number): number {
  for (const p of phs) {
    if (p.type === PT_LOAD && vaddr >= p.vaddr && vaddr < p.vaddr + p.filesz) return p.offset + (vaddr - p.vaddr);
  }
  throw new ElfError(`address 0x${vaddr.toString(16)} is not inside any PT_LOAD segment`);
}

function cString(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('utf8', at, end === -1 ? buf.length : end);
}

/** Empty elements are dropped: glibc would read them as the current directory, which in a
 *  jail is whatever the package manager chdir'd to; we do not copy "the current directory". */
function splitPathList(s: string): string[] {
  return s.split(':').filter((p) => p !== '');
}

/** True when a library can satisfy a request from `requester`: the loader rejects objects of
 *  another class, byte order or machine and keeps searching. */
export function elfCompatible(requester: Pick<ElfInfo, 'elfClass' | 'endian' | 'machine'>, candidate: Pick<ElfInfo, 'elfClass' | 'endian' | 'machine'>): boolean {
  return requester.elfClass === candidate.elfClass && requester.endian === candidate.endian && requester.machine === candidate.machine;
}
