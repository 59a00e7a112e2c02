// The scripts phase binds each package's folder writable for its own install scripts
// (run/script-steps.ts). Those folders are reached by path, in a tree that earlier
// steps changed: a package whose script replaced a folder of its own with a symbolic
// link would have the next step's writable bind follow it out of the project, and a
// nested node_modules inside a folder holds other packages' copies. So before each step
// the folders are looked at again, component by component, without following links.

import { lstatSync } from 'node:fs';
import { join } from 'node:path';

export type StepBinds = { readonly ok: true; readonly readOnlyInside: readonly string[] } | { readonly ok: false; readonly problem: string };

type Kind = 'dir' | 'link' | 'other' | 'whiteout' | 'absent';

function kindOf(path: string): Kind {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return 'link';
    if (st.isDirectory()) return 'dir';
    if (st.isCharacterDevice() && st.rdev === 0) return 'whiteout';
    return 'other';
  } catch {
    return 'absent';
  }
}

/** What the jail's merged view has at `rel`: the upper layer's entry, else the project's. */
function mergedKind(upperDir: string, projectDir: string, rel: string): Kind {
  const upper = kindOf(join(upperDir, rel));
  if (upper === 'whiteout') return 'absent';
  if (upper !== 'absent') return upper;
  return kindOf(join(projectDir, rel));
}

/**
 * Each writable folder must be a real directory all the way down from the project (no
 * link on the way); nested node_modules found inside them are to be bound read-only.
 */
export function checkStepBinds(upperDir: string, projectDir: string, writable: readonly string[]): StepBinds {
  const readOnlyInside: string[] = [];
  for (const rel of writable) {
    const parts = rel.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) return { ok: false, problem: `${rel} is not a plain relative path` };
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      const kind = mergedKind(upperDir, projectDir, sub);
      if (kind === 'link') return { ok: false, problem: `${sub} is a symbolic link now (an earlier step put it there): its scripts' writable folder would lead outside` };
      if (kind !== 'dir') return { ok: false, problem: `${sub} is not a directory any more` };
    }
    const nested = `${rel}/node_modules`;
    const kind = mergedKind(upperDir, projectDir, nested);
    if (kind === 'link') return { ok: false, problem: `${nested} is a symbolic link` };
    if (kind === 'dir') readOnlyInside.push(nested);
  }
  return { ok: true, readOnlyInside };
}
