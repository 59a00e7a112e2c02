// Where a program really lives, and what it needs to run: its interpreter (from the
// shebang) and the installation directories to make visible inside a jail when they are
// outside the system directories (nvm, pyenv, a custom prefix).

import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { findProgram } from './which.js';
import { envProgram, parseShebang, SHEBANG_MAX } from './shebang.js';

/** Directories the sandbox always binds read-only; programs under them need nothing extra. */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export function underSystemDir(path: string): boolean {
  return SYSTEM_DIRS.some((d) => path === d || path.startsWith(d + '/'));
}

/**
 * The installation prefix of a program outside the system directories: for
 * `~/.nvm/versions/node/v20/lib/node_modules/npm/bin/npm-cli.js` it is
 * `~/.nvm/versions/node/v20`; for `.../bin/tool` it is the parent of `bin`. Pure.
 */
export function installPrefix(realPath: string): string {
  const nm = realPath.indexOf('/lib/node_modules/');
  if (nm > 0) return realPath.slice(0, nm);
  const dir = dirname(realPath);
  return dir.endsWith('/bin') || dir.endsWith('/shims') ? dirname(dir) : dir;
}

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SHEBANG_MAX);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export interface ProgramNeeds {
  /** The program's real path (symlinks resolved). */
  readonly realPath: string;
  /** The interpreter chain's real paths (node for npm, python3 for pip). */
  readonly interpreters: string[];
  /** Installation prefixes outside the system directories, to bind read-only. */
  readonly prefixes: string[];
  /** Directories to put in front of PATH so `#!/usr/bin/env node` finds the same node. */
  readonly pathDirs: string[];
}

export function programNeeds(path: string, pathVar: string, cwd: string): ProgramNeeds {
  const realPath = realpathSync(path);
  const interpreters: string[] = [];
  const prefixes = new Set<string>();
  const pathDirs = new Set<string>();
  const note = (p: string, viaPath?: string) => {
    if (!underSystemDir(p)) prefixes.add(installPrefix(p));
    if (viaPath && !underSystemDir(viaPath)) pathDirs.add(dirname(viaPath));
  };
  note(realPath, path);
  // The jail executes the path as given: when it is a symlink (node_modules/.bin/x), the
  // link's own directory must be there too, not only its target's.
  if (realPath !== path && !underSystemDir(path)) prefixes.add(dirname(path));

  let current = realPath;
  for (let depth = 0; depth < 4; depth++) {
    let head: Buffer;
    try {
      head = readHead(current);
    } catch {
      break;
    }
    const sb = parseShebang(head);
    if (!sb) break;
    let next = sb.interpreter;
    let viaPath: string | undefined;
    const viaEnv = envProgram(sb);
    if (viaEnv !== undefined) {
      const found = findProgram(viaEnv, pathVar, cwd);
      if (!found.found) break;
      viaPath = found.path;
      next = found.path;
    }
    let real: string;
    try {
      real = realpathSync(next);
    } catch {
      break;
    }
    interpreters.push(real);
    note(real, viaPath);
    current = real;
  }
  return { realPath, interpreters, prefixes: [...prefixes], pathDirs: [...pathDirs] };
}
