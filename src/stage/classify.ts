// From what the upper directory holds to a verdict on every change. Pure: the facts are
// gathered by walk.ts; nothing here touches the file system.

import { posix } from 'node:path';
import { isKnownLockfile, checkLockfile } from './lockfile.js';
import { compareManifest } from './manifest.js';
import type { WriteRules } from './rules.js';
import { checkSymlinkTarget } from './symlinks.js';
import type { Change, ChangeKind, EntryType } from './types.js';

export type NodeType = EntryType | 'whiteout';

/** One file system node as lstat saw it (never following a symlink). */
export interface NodeFacts {
  readonly type: NodeType;
  /** For 'other': what it is ('FIFO', 'socket', 'character device', 'block device'). */
  readonly what?: string;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  readonly mode: number;
  readonly size: number;
  readonly nlink: number;
  /** `dev:ino`, to count the names of a multiply-linked file. */
  readonly id: string;
  /** `dev:ino:size:mtimeNs:mode`, to notice a change between review and commit. */
  readonly fingerprint: string;
}

export interface EntryFacts {
  /** Relative path; escaped (see printable) when nameProblem is set. */
  readonly path: string;
  /** Set when a segment of the name is refused; the walk did not go below it. */
  readonly nameProblem?: string;
  readonly upper: NodeFacts;
  /** The project's node at the same path, reached through real directories only. */
  readonly lower: NodeFacts | null;
  /** Directories only: the overlay marked it opaque (its lower content is hidden). */
  readonly opaque?: boolean;
  /** Symlinks only: the target, or why it cannot be shown (invalid UTF-8). */
  readonly target?: { readonly text: string; readonly problem?: string };
  /**
   * When the lower node is a directory this entry would delete or replace: the first
   * path below it the write rules refuse, or null when all of it may go.
   */
  readonly lowerBlocker?: { readonly path: string; readonly reason: string } | null;
  /** The file's text, for the manifest and checked lockfiles. */
  readonly text?: string;
  /** The project's version of that text; null when the project has no such file. */
  readonly lowerText?: string | null;
}

export interface ClassifyPolicy {
  readonly rules: WriteRules;
  readonly manifest?: string | undefined;
  readonly workspaceManifests?: readonly string[];
  /** Paths outside the project the user named, relative to it (`../lib`): links to them are kept. */
  readonly namedOutside?: readonly string[];
  /** Manifest sections this command may change besides the dependency sections. */
  readonly manifestExtraKeys?: readonly string[];
  readonly lockfiles: readonly string[];
  readonly registryHosts?: readonly string[] | undefined;
}

/** Bits never committed: setuid, setgid, sticky, group and world write. */
export const STRIPPED_BITS = 0o7022;

/** The mode a committed file or directory gets. Directories stay usable by their owner. */
export function safeMode(type: EntryType, mode: number): number {
  const m = mode & 0o7777 & ~STRIPPED_BITS;
  return type === 'dir' ? m | 0o700 : m;
}

interface DirContext {
  /** The project's entries below this directory are still there (a merge, not a replacement). */
  readonly lowerVisible: boolean;
  /** Set when the directory will not exist in the project: its children cannot land. */
  readonly blockedBy?: string;
}

export function classify(facts: readonly EntryFacts[], policy: ClassifyPolicy): Change[] {
  const { rules } = policy;
  const dirs = new Map<string, DirContext>([['', { lowerVisible: true }]]);
  const names = new Map<string, number>();
  for (const f of facts) {
    if (f.upper.type === 'file' && f.upper.nlink > 1) names.set(f.upper.id, (names.get(f.upper.id) ?? 0) + 1);
  }
  const out: Change[] = [];

  for (const f of facts) {
    const parentPath = posix.dirname(f.path) === '.' ? '' : posix.dirname(f.path);
    const parent = dirs.get(parentPath) ?? { lowerVisible: false, blockedBy: parentPath };
    const lower = parent.lowerVisible ? f.lower : null;
    const up = f.upper;
    const was = lower ? entryType(lower) : undefined;
    const type: EntryType = up.type === 'whiteout' ? (was ?? 'other') : entryType(up);
    const kind: ChangeKind =
      up.type === 'whiteout'
        ? 'deleted'
        : !lower
          ? 'added'
          : lower.type === 'dir' && up.type !== 'dir'
            ? 'replaced-dir'
            : lower.type === 'dir' && f.opaque
              ? 'replaced-dir'
              : lower.type === 'dir'
                ? 'metadata'
                : 'modified';

    const change = (verdict: 'commit' | 'discard', reason: string, extra: Partial<Change> = {}): void => {
      const c: Change = {
        path: f.path,
        kind,
        type,
        verdict,
        reason,
        ...(up.type === 'file' ? { size: up.size } : {}),
        ...(f.target ? { target: f.target.text } : {}),
        ...(was ? { was } : {}),
        ...(lower && kind !== 'added' ? { base: lower.fingerprint } : {}),
        ...(up.type !== 'whiteout' ? { staged: stagedIdentity(up) } : {}),
        ...extra,
      };
      out.push(c);
    };
    const noteDir = (ctx: DirContext): void => {
      if (up.type === 'dir') dirs.set(f.path, ctx);
    };
    // A directory that will not exist in the project blocks its children; one that
    // stays (the project had it) does not.
    const discardDir = (reason: string): void => {
      change('discard', reason);
      noteDir(lower?.type === 'dir' ? { lowerVisible: true } : { lowerVisible: false, blockedBy: f.path });
    };

    if (f.nameProblem) {
      discardDir(`refused name: ${f.nameProblem}`);
      continue;
    }
    if (parent.blockedBy !== undefined) {
      discardDir(`its directory ${parent.blockedBy} is not committed`);
      continue;
    }

    if (up.type === 'whiteout') {
      if (!lower) continue; // nothing to delete
      const refusal = deletionRefusal(f, lower, policy);
      if (refusal) change('discard', refusal);
      else change('commit', 'deletion allowed by the write rules');
      continue;
    }

    if (up.type === 'other') {
      discardDir(`${up.what ?? 'special file'} refused (only files, directories and symlinks are committed)`);
      continue;
    }

    if (up.type === 'dir') {
      if (lower?.type === 'dir' && !f.opaque) {
        // A merge: the project's directory stays; only a permission change is a change.
        // Only a chmod in the jail counts: a copied-up directory keeps the project's mode,
        // which is the user's business even when it is group-writable.
        if ((up.mode & 0o7777) !== (lower.mode & 0o7777)) {
          const refusal = rules.dirRefusal(f.path);
          if (refusal) change('discard', refusal);
          else change('commit', `permissions set to ${octal(safeMode('dir', up.mode))}`);
        }
        dirs.set(f.path, { lowerVisible: true });
        continue;
      }
      const refusal = rules.dirRefusal(f.path) ?? (lower ? replacementRefusal(f, lower, policy) : null);
      if (refusal) {
        // A refused replacement of a directory still lets the upper content merge into it.
        discardDir(kind === 'replaced-dir' ? `replacing the directory refused: ${refusal}` : refusal);
        continue;
      }
      change('commit', kind === 'replaced-dir' ? 'replaces the directory and everything that was in it' : 'allowed by the write rules');
      dirs.set(f.path, { lowerVisible: false });
      continue;
    }

    // A file or a symlink.
    const refusal = rules.fileRefusal(f.path) ?? (lower ? replacementRefusal(f, lower, policy) : null);
    if (refusal) {
      change('discard', refusal);
      continue;
    }
    if (up.type === 'symlink') {
      if (!f.target || f.target.problem) {
        change('discard', `symlink target refused: ${f.target?.problem ?? 'unreadable'}`);
        continue;
      }
      const v = checkSymlinkTarget(f.path, f.target.text, rules.isSensitive, policy.namedOutside);
      if (!v.ok) change('discard', v.reason);
      else change('commit', `symlink inside the project (to ${v.resolved})`);
      continue;
    }
    const contentRefusal = fileContentRefusal(f, policy);
    if (contentRefusal) {
      change('discard', contentRefusal);
      continue;
    }
    const notes: string[] = [];
    let extra: Partial<Change> = {};
    if (up.nlink > 1) {
      const seen = names.get(up.id) ?? 0;
      if (seen < up.nlink) {
        change('discard', `hard link to a file outside the staging area (${up.nlink} links, ${seen} staged)`);
        continue;
      }
      notes.push(`${up.nlink} hard links: committed as an independent copy`);
      extra = { hardLinks: up.nlink };
    }
    if (up.mode & 0o6000) notes.push('setuid/setgid bit removed');
    if (up.mode & 0o1000) notes.push('sticky bit removed');
    if (up.mode & 0o022) notes.push('group/world write removed');
    change('commit', ['allowed by the write rules', ...notes].join('; '), extra);
  }
  return out;
}

function entryType(n: NodeFacts): EntryType {
  return n.type === 'whiteout' ? 'other' : n.type;
}

export function stagedIdentity(n: NodeFacts): string {
  return `${n.type}:${n.id}`;
}

/** The root manifest or a workspace's: only dependency sections may change. */
function isManifest(policy: ClassifyPolicy, path: string): boolean {
  return (policy.manifest !== undefined && path === policy.manifest) || (policy.workspaceManifests?.includes(path) ?? false);
}

function deletionRefusal(f: EntryFacts, lower: NodeFacts, policy: ClassifyPolicy): string | null {
  if (isManifest(policy, f.path)) return `deleting ${f.path} is not a dependency change`;
  if (lower.type === 'dir') {
    return policy.rules.dirRefusal(f.path) ?? blockerRefusal(f, 'deleting');
  }
  return policy.rules.fileRefusal(f.path);
}

/** What is wrong with putting this entry where the project has `lower`. */
function replacementRefusal(f: EntryFacts, lower: NodeFacts, policy: ClassifyPolicy): string | null {
  if (lower.type === 'dir') {
    if (f.upper.type !== 'dir' && policy.rules.dirRefusal(f.path)) return policy.rules.dirRefusal(f.path);
    return blockerRefusal(f, 'replacing');
  }
  if (f.upper.type === 'dir' && isManifest(policy, f.path)) {
    return `${f.path} replaced by a directory`;
  }
  return null;
}

function blockerRefusal(f: EntryFacts, verb: string): string | null {
  if (f.lowerBlocker === undefined) return `${verb} the directory needs a listing of its content, which is missing`;
  if (f.lowerBlocker === null) return null;
  return `${verb} the directory would remove ${f.lowerBlocker.path}: ${f.lowerBlocker.reason}`;
}

function fileContentRefusal(f: EntryFacts, policy: ClassifyPolicy): string | null {
  if (isManifest(policy, f.path)) {
    if (f.lower && f.lower.type !== 'file') return `the project's ${f.path} is not a regular file`;
    if (f.text === undefined) return `${f.path} could not be read for review`;
    const v = compareManifest(f.lowerText ?? null, f.text, policy.registryHosts, policy.manifestExtraKeys);
    return v.ok ? null : v.reason;
  }
  if (isKnownLockfile(f.path)) {
    if (!policy.lockfiles.includes(f.path)) {
      return `lockfile of another package manager (only ${policy.lockfiles.join(', ') || 'none'} may change)`;
    }
    if (f.text === undefined) return `${f.path} could not be read for review`;
    const v = checkLockfile(f.path, f.text, policy.registryHosts ?? []);
    return v.ok ? null : v.reason;
  }
  return null;
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}
