// /etc/ld.so.cache, as glibc's loader reads it: the map from a library name (its soname,
// as written in DT_NEEDED) to the file ldconfig found for it.
//
// Two layouts exist. The "new" one (glibc ≥ 2.32 writes only this one):
//   "glibc-ld.so.cache" "1.1"  u32 nlibs  u32 len_strings  u8 flags  u8[3]  u32 extension_offset  u32[3]
//   nlibs × { i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap }   (24 bytes)
//   string table; key/value are offsets from the start of this header.
// The "old" one: "ld.so-1.7.0" (11 bytes, padded to 12), u32 nlibs, nlibs × { i32 flags,
// u32 key, u32 value }, and key/value count from the end of that table. Older ldconfig
// wrote the old table followed by the new header (aligned to 8) for compatibility; then
// the new table is the one the loader uses.
//
// The cache is in the host's byte order; the new header's flags say which (2 little, 3 big).
// Pure: takes the file's bytes.

export interface LdCacheEntry {
  /** The name the loader looks up (e.g. "libc.so.6"). */
  readonly name: string;
  /** Absolute path ldconfig recorded. */
  readonly path: string;
  /** ldconfig's flags: low byte the type (3 = ELF libc6), second byte the ABI (x86-64, aarch64, ...). */
  readonly flags: number;
  /** Non-zero for entries in hwcaps subdirectories; kept only for diagnostics. */
  readonly hwcap: bigint;
}

export class LdCacheError extends Error {
  override name = 'LdCacheError';
}

const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_HEADER = 48;
const NEW_ENTRY = 24;
const OLD_HEADER = 16;
const OLD_ENTRY = 12;
/** Type byte for glibc ELF libraries. Entries of other types (libc5, a.out) are never used by glibc. */
export const FLAG_ELF_LIBC6 = 0x0003;
const FLAG_TYPE_MASK = 0x00ff;

export function parseLdCache(buf: Buffer): LdCacheEntry[] {
  if (buf.length >= NEW_MAGIC.length && buf.toString('latin1', 0, NEW_MAGIC.length) === NEW_MAGIC) {
    return parseNew(buf, 0);
  }
  if (buf.length >= OLD_HEADER && buf.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    // The old layout has no byte-order marker: it is native. Guess from which reading of
    // nlibs fits the file, little-endian first.
    const le = buf.readUInt32LE(12);
    const be = buf.readUInt32BE(12);
    const littleFits = OLD_HEADER + le * OLD_ENTRY <= buf.length;
    const nlibs = littleFits ? le : be;
    const little = littleFits;
    const tableEnd = OLD_HEADER + nlibs * OLD_ENTRY;
    if (tableEnd > buf.length) throw new LdCacheError(`old-format cache claims ${nlibs} entries but is ${buf.length} bytes`);
    const newAt = (tableEnd + 7) & ~7;
    if (newAt + NEW_MAGIC.length <= buf.length && buf.toString('latin1', newAt, newAt + NEW_MAGIC.length) === NEW_MAGIC) {
      return parseNew(buf, newAt);
    }
    const out: LdCacheEntry[] = [];
    for (let i = 0; i < nlibs; i++) {
      const at = OLD_HEADER + i * OLD_ENTRY;
      const flags = little ? buf.readInt32LE(at) : buf.readInt32BE(at);
      const key = little ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
      const value = little ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
      out.push({ name: str(buf, tableEnd + key), path: str(buf, tableEnd + value), flags, hwcap: 0n });
    }
    return out;
  }
  throw new LdCacheError('not an ld.so.cache file (unknown magic)');
}

function parseNew(buf: Buffer, base: number): LdCacheEntry[] {
  if (base + NEW_HEADER > buf.length) throw new LdCacheError('truncated ld.so.cache header');
  const order = buf.readUInt8(base + 28) & 3;
  // 0 means "not recorded" (written by an old ldconfig on this very machine): native = little on
  // every platform this tool supports except big-endian ones, where the count would not fit.
  let little = order !== 3;
  if (order === 0 && base + NEW_HEADER + buf.readUInt32LE(base + 20) * NEW_ENTRY > buf.length) little = false;
  const u32 = (at: number) => (little ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const nlibs = u32(base + 20);
  if (base + NEW_HEADER + nlibs * NEW_ENTRY > buf.length) {
    throw new LdCacheError(`ld.so.cache claims ${nlibs} entries but is ${buf.length} bytes`);
  }
  const out: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = base + NEW_HEADER + i * NEW_ENTRY;
    const flags = little ? buf.readInt32LE(at) : buf.readInt32BE(at);
    const hwcap = little ? buf.readBigUInt64LE(at + 16) : buf.readBigUInt64BE(at + 16);
    out.push({ name: str(buf, base + u32(at + 4)), path: str(buf, base + u32(at + 8)), flags, hwcap });
  }
  return out;
}

function str(buf: Buffer, at: number): string {
  if (at >= buf.length) throw new LdCacheError(`string offset ${at} is outside the cache (${buf.length} bytes)`);
  const end = buf.indexOf(0, at);
  if (end === -1) throw new LdCacheError(`unterminated string at offset ${at}`);
  return buf.toString('utf8', at, end);
}

/** Paths the cache offers for `name`, in cache order, glibc ELF entries only. The caller
 *  still checks each file's class and machine, as the loader does; that is more reliable
 *  than decoding ldconfig's per-architecture flag values. */
export function lookupLdCache(entries: readonly LdCacheEntry[], name: string): string[] {
  return entries.filter((e) => e.name === name && (e.flags & FLAG_TYPE_MASK) === FLAG_ELF_LIBC6).map((e) => e.path);
}
