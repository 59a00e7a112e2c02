// Finding a program on PATH (docs/promises.md#p1-command-line: the original needed an absolute path).

import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export type ProgramLookup =
  | { found: true; path: string }
  | { found: false; reason: 'not-found' | 'not-executable'; path?: string };

/**
 * Resolves a program name the way execvp does: a name with a slash is a path (relative
 * to cwd); otherwise each PATH entry is tried in order. Empty PATH entries are ignored:
 * they mean "the current directory", which lets a project plant a fake `npm`.
 */
export function findProgram(name: string, pathVar: string, cwd: string, root = ''): ProgramLookup {
  const check = (candidate: string): ProgramLookup | undefined => {
    const onHost = root + candidate;
    try {
      const st = statSync(onHost);
      if (!st.isFile()) return undefined;
    } catch {
      return undefined;
    }
    try {
      accessSync(onHost, constants.X_OK);
      return { found: true, path: candidate };
    } catch {
      return { found: false, reason: 'not-executable', path: candidate };
    }
  };
  if (name.includes('/')) {
    const p = isAbsolute(name) ? name : resolve(cwd, name);
    return check(p) ?? { found: false, reason: 'not-found', path: p };
  }
  let notExecutable: ProgramLookup | undefined;
  for (const dir of pathVar.split(':')) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const r = check(join(dir, name));
    if (r?.found) return r;
    if (r && !notExecutable) notExecutable = r;
  }
  return notExecutable ?? { found: false, reason: 'not-found' };
}
