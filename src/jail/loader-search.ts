// Where glibc's dynamic loader looks for a DT_NEEDED name, in order (elf/dl-load.c):
//
//   1. a name with a '/' is a path and is used as it is;
//   2. if the requesting object has no DT_RUNPATH: the DT_RPATH of the requester, then of
//      the object that loaded it, and so on up to the executable;
//   3. LD_LIBRARY_PATH (not used: the jail's environment is cleared, docs/promises.md#p4-environment);
//   4. the requester's own DT_RUNPATH (not inherited);
//   5. /etc/ld.so.cache, unless the requester has DF_1_NODEFLIB;
//   6. the default directories, unless DF_1_NODEFLIB.
//
// Every candidate must also be an ELF file of the same class, byte order and machine as the
// requester; the loader skips others and continues. That check needs the file, so it lives in
// the caller; this module only orders candidates. Pure.
//
// Not modelled (documented limits): glibc-hwcaps and legacy hwcap subdirectories of search
// directories (ld.so.cache entries for them are still used), and LD_PRELOAD/ld.so.preload.

import { posix } from 'node:path';
import type { ElfInfo } from './elf.js';

export const EM_386 = 3;
export const EM_ARM = 40;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;
export const EM_LOONGARCH = 258;

type Arch = Pick<ElfInfo, 'elfClass' | 'endian' | 'machine'>;

/** Debian multiarch triplets a loader for this ABI searches (`/lib/<triplet>`). */
export function multiarchTriplets(a: Arch): string[] {
  switch (a.machine) {
    case EM_X86_64:
      return a.elfClass === 64 ? ['x86_64-linux-gnu'] : ['x86_64-linux-gnux32'];
    case EM_386:
      return ['i386-linux-gnu'];
    case EM_AARCH64:
      return a.endian === 'le' ? ['aarch64-linux-gnu'] : ['aarch64_be-linux-gnu'];
    case EM_ARM:
      return ['arm-linux-gnueabihf', 'arm-linux-gnueabi'];
    case EM_PPC64:
      return a.endian === 'le' ? ['powerpc64le-linux-gnu'] : ['powerpc64-linux-gnu'];
    case EM_S390:
      return a.elfClass === 64 ? ['s390x-linux-gnu'] : ['s390-linux-gnu'];
    case EM_RISCV:
      return a.elfClass === 64 ? ['riscv64-linux-gnu'] : ['riscv32-linux-gnu'];
    case EM_LOONGARCH:
      return ['loongarch64-linux-gnu'];
    default:
      return [];
  }
}

/** The loader's built-in directories: Debian's multiarch ones, then the lib64/lib32
 *  directories other distributions use, then /lib and /usr/lib. A superset of any single
 *  distribution's list: a directory that does not exist on the host costs nothing. */
export function defaultLibraryDirs(a: Arch): string[] {
  const dirs: string[] = [];
  for (const t of multiarchTriplets(a)) dirs.push(`/lib/${t}`, `/usr/lib/${t}`);
  if (a.elfClass === 64) dirs.push('/lib64', '/usr/lib64');
  else if (a.machine === EM_386 || a.machine === EM_X86_64) dirs.push('/lib32', '/usr/lib32', '/libx32', '/usr/libx32');
  dirs.push('/lib', '/usr/lib');
  return dirs;
}

/** Values for the dynamic string tokens of a search-path entry. */
export interface DstValues {
  /** Directory of the object whose DT_RPATH/DT_RUNPATH this is. */
  readonly origin: string;
  /** Candidates for $LIB (Debian: "lib/<triplet>"; others "lib64" or "lib"). */
  readonly lib: readonly string[];
  /** $PLATFORM (AT_PLATFORM, e.g. "x86_64"). */
  readonly platform: string;
}

export function dstValuesFor(a: Arch, origin: string): DstValues {
  const lib = [...multiarchTriplets(a).map((t) => `lib/${t}`), a.elfClass === 64 ? 'lib64' : 'lib', 'lib'];
  const platform: Record<number, string> = { [EM_X86_64]: 'x86_64', [EM_386]: 'i686', [EM_AARCH64]: 'aarch64', [EM_ARM]: 'v7l', [EM_PPC64]: 'power8', [EM_S390]: 's390x', [EM_RISCV]: 'riscv64' };
  return { origin, lib: [...new Set(lib)], platform: platform[a.machine] ?? '' };
}

/**
 * Expands $ORIGIN, $LIB and $PLATFORM (also written ${ORIGIN} ...) in one search-path entry.
 * Returns several paths when $LIB has several candidates. Relative results (no $ORIGIN, no
 * leading '/') are relative to the process's working directory at run time: we cannot know
 * it, so they are dropped.
 */
export function expandSearchEntry(entry: string, v: DstValues): string[] {
  let results = [entry];
  const replaceAll = (token: string, values: readonly string[]) => {
    const source = `\\$(?:\\{${token}\\}|${token}(?![A-Za-z0-9_]))`;
    const probe = new RegExp(source);
    const all = new RegExp(source, 'g');
    results = results.flatMap((r) => (probe.test(r) ? values.map((val) => r.replace(all, () => val)) : [r]));
  };
  replaceAll('ORIGIN', [v.origin]);
  replaceAll('LIB', v.lib);
  if (v.platform !== '') replaceAll('PLATFORM', [v.platform]);
  return [...new Set(results.filter((r) => r.startsWith('/')).map((r) => posix.normalize(r)))];
}

/** One object in the loading chain: what it contributes to the search of its dependencies. */
export interface LoadingObject {
  readonly elf: Pick<ElfInfo, 'rpath' | 'runpath' | 'nodeflib' | 'elfClass' | 'endian' | 'machine'>;
  /** Directory used for $ORIGIN. */
  readonly origin: string;
  /** The object that loaded this one (undefined for the executable). DT_RPATH is inherited along this chain. */
  readonly loader?: LoadingObject;
}

export type CandidateSource = 'path' | 'rpath' | 'runpath' | 'cache' | 'default';

export interface SearchCandidate {
  readonly path: string;
  readonly source: CandidateSource;
}

/**
 * Candidate files for DT_NEEDED `name` requested by `requester`, in the loader's order.
 * `cacheLookup` returns the ld.so.cache paths for a name (may be empty).
 */
export function librarySearchCandidates(name: string, requester: LoadingObject, cacheLookup: (name: string) => readonly string[]): SearchCandidate[] {
  if (name.includes('/')) {
    return name.startsWith('/') ? [{ path: posix.normalize(name), source: 'path' }] : [];
  }
  const out: SearchCandidate[] = [];
  const inDirs = (entries: readonly string[], origin: string, source: CandidateSource) => {
    for (const e of entries) {
      for (const dir of expandSearchEntry(e, dstValuesFor(requester.elf, origin))) out.push({ path: posix.join(dir, name), source });
    }
  };
  if (requester.elf.runpath.length === 0) {
    for (let o: LoadingObject | undefined = requester; o; o = o.loader) inDirs(o.elf.rpath, o.origin, 'rpath');
  }
  inDirs(requester.elf.runpath, requester.origin, 'runpath');
  if (!requester.elf.nodeflib) {
    for (const p of cacheLookup(name)) out.push({ path: p, source: 'cache' });
    for (const dir of defaultLibraryDirs(requester.elf)) out.push({ path: posix.join(dir, name), source: 'default' });
  }
  const seen = new Set<string>();
  return out.filter((c) => (seen.has(c.path) ? false : (seen.add(c.path), true)));
}
