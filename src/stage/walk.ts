// Gathers the facts review decides on: every entry of the upper directory, the project's
// entry at the same path, and the overlay's markers. lstat only, never stat: a symlink
// is looked at, never through. Names are read as bytes, so a name that is not valid
// UTF-8 is seen as it is instead of being silently turned into U+FFFD.

import { lstatSync, readdirSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import type { EntryFacts, NodeFacts } from './classify.js';
import { nameProblem, printable } from './names.js';
import { opaqueDirs } from './overlay-xattrs.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Manifests and lockfiles larger than this are not read (and so not committed). */
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

export interface WalkOptions {
  readonly upperDir: string;
  readonly projectDir: string;
  /** Paths whose text is needed (manifest, checked lockfiles). */
  readonly textPaths: ReadonlySet<string>;
  /** For a project directory that may be removed: is this path below it writable? */
  readonly removalRefusal: (path: string, type: NodeFacts['type']) => string | null;
  /** True when every path below `dir` is writable (no need to list it). */
  readonly coversEverythingUnder: (dir: string) => boolean;
}

type MutableFacts = { -readonly [K in keyof EntryFacts]: EntryFacts[K] };

export async function walkStage(opts: WalkOptions): Promise<EntryFacts[]> {
  const facts: MutableFacts[] = [];
  const upperRoot = Buffer.from(opts.upperDir);
  const lowerRoot = Buffer.from(opts.projectDir);

  const visit = (relBytes: Buffer | null, rel: string, lowerIsDir: boolean): void => {
    const dirPath = relBytes ? join(upperRoot, relBytes) : upperRoot;
    const names = (readdirSync(dirPath, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare);
    for (const name of names) {
      const childBytes = relBytes ? join(relBytes, Buffer.from(name)) : Buffer.from(name);
      const upperPath = join(upperRoot, childBytes);
      const upper = nodeFacts(lstatSync(upperPath, { bigint: true }));
      const problem = nameProblem(name);
      if (problem) {
        const shown = rel ? `${rel}/${printable(name)}` : printable(name);
        facts.push({ path: shown, nameProblem: problem, upper, lower: null });
        continue;
      }
      const childRel = rel ? `${rel}/${name.toString('utf8')}` : name.toString('utf8');
      const lower = lowerIsDir ? lstatOrNull(join(lowerRoot, childBytes)) : null;
      const f: MutableFacts = { path: childRel, upper, lower };
      if (upper.type === 'symlink') f.target = readTarget(upperPath);
      if (lower?.type === 'dir' && upper.type !== 'dir') {
        f.lowerBlocker = firstRefusedBelow(opts, join(lowerRoot, childBytes), childRel);
      }
      if (opts.textPaths.has(childRel) && upper.type === 'file') {
        f.text = readText(upperPath, upper.size);
        f.lowerText = lower?.type === 'file' ? readText(join(lowerRoot, childBytes), lower.size) : null;
      }
      facts.push(f);
      if (upper.type === 'dir') visit(childBytes, childRel, lower?.type === 'dir');
    }
  };
  visit(null, '', true);

  // Opacity matters only where the project has a directory to hide.
  const candidates = facts.filter((f) => f.upper.type === 'dir' && f.lower?.type === 'dir' && !f.nameProblem);
  const opaque = await opaqueDirs(opts.upperDir, candidates.map((f) => f.path));
  for (const f of candidates) {
    if (opaque.has(f.path)) {
      f.opaque = true;
      f.lowerBlocker = firstRefusedBelow(opts, join(lowerRoot, Buffer.from(f.path)), f.path);
    }
  }
  return facts;
}

function join(a: Buffer, b: Buffer): Buffer {
  return Buffer.concat([a, Buffer.from('/'), b]);
}

export function nodeFacts(st: BigIntStats): NodeFacts {
  const mode = Number(st.mode & 0o7777n);
  const id = `${st.dev}:${st.ino}`;
  const base = {
    mode,
    size: Number(st.size),
    nlink: Number(st.nlink),
    id,
    fingerprint: `${id}:${st.size}:${st.mtimeNs}:${st.mode}`,
  };
  if (st.isFile()) return { type: 'file', ...base };
  if (st.isDirectory()) return { type: 'dir', ...base };
  if (st.isSymbolicLink()) return { type: 'symlink', ...base };
  // overlayfs records a deletion as a 0:0 character device.
  if (st.isCharacterDevice() && st.rdev === 0n) return { type: 'whiteout', ...base };
  const what = st.isFIFO()
    ? 'FIFO'
    : st.isSocket()
      ? 'socket'
      : st.isCharacterDevice()
        ? 'character device'
        : st.isBlockDevice()
          ? 'block device'
          : 'special file';
  return { type: 'other', what, ...base };
}

function lstatOrNull(path: Buffer): NodeFacts | null {
  try {
    return nodeFacts(lstatSync(path, { bigint: true }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

function readTarget(path: Buffer): { text: string; problem?: string } {
  const bytes = readlinkSync(path, { encoding: 'buffer' });
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return { text: printable(bytes), problem: 'target is not valid UTF-8' };
  }
}

function readText(path: Buffer, size: number): string | undefined {
  if (size > MAX_TEXT_BYTES) return undefined;
  try {
    return utf8.decode(readFileSync(path));
  } catch {
    return undefined;
  }
}

/**
 * Lists the project's directory `abs` (without following links) until the first entry
 * the write rules would not let go.
 */
function firstRefusedBelow(
  opts: WalkOptions,
  abs: Buffer,
  rel: string,
): { path: string; reason: string } | null {
  if (opts.coversEverythingUnder(rel)) return null;
  const stack: Array<[Buffer, string]> = [[abs, rel]];
  while (stack.length > 0) {
    const [dirAbs, dirRel] = stack.pop()!;
    for (const name of readdirSync(dirAbs, { encoding: 'buffer' }) as Buffer[]) {
      const childAbs = join(dirAbs, name);
      // Removing an oddly named file is harmless; only the rules decide. The name is
      // shown escaped.
      const childRel = `${dirRel}/${name.toString('utf8')}`;
      const facts = lstatOrNull(childAbs);
      if (!facts) continue;
      const reason = opts.removalRefusal(childRel, facts.type);
      if (reason) return { path: `${dirRel}/${printable(name)}`, reason };
      if (facts.type === 'dir') stack.push([childAbs, childRel]);
    }
  }
  return null;
}
