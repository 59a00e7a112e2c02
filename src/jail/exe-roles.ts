// Recognising executables that need more than their own file and libraries. Pure.

import { posix } from 'node:path';

/**
 * The installed npm package a file belongs to: the outermost `node_modules/<pkg>` (or
 * `node_modules/@scope/<pkg>`) directory on its path. npm's bin is
 * `<prefix>/lib/node_modules/npm/bin/npm-cli.js` and needs all of
 * `<prefix>/lib/node_modules/npm`. The outermost package is taken so that a file of a
 * nested dependency brings the package that depends on it, too.
 */
export function nodePackageRoot(absPath: string): string | undefined {
  const parts = posix.normalize(absPath).split('/');
  for (let i = 0; i < parts.length - 1; i++) {
    if (parts[i] !== 'node_modules') continue;
    const name = parts[i + 1]!;
    if (name === '' || name.startsWith('.')) continue;
    const end = name.startsWith('@') ? i + 3 : i + 2;
    if (end > parts.length) return undefined;
    // The file must be inside the package directory, not the package directory itself.
    if (end === parts.length) return undefined;
    return parts.slice(0, end).join('/') || '/';
  }
  return undefined;
}

/** CPython interpreters as packaged: python3, python3.11, python3.11d, python3.13t. */
export function isPythonInterpreter(absPath: string): boolean {
  return /^python[0-9]+(\.[0-9]+)?[a-z]*$/.test(posix.basename(absPath));
}

/** Node.js itself (Debian once shipped it as "nodejs"). */
export function isNodeBinary(absPath: string): boolean {
  const b = posix.basename(absPath);
  return b === 'node' || b === 'nodejs';
}

/** npm's global config, `<prefix>/etc/npmrc`, where prefix is the directory above node's bin directory. */
export function npmGlobalConfigFor(nodeRealPath: string): string {
  return posix.join(posix.dirname(posix.dirname(nodeRealPath)), 'etc', 'npmrc');
}

/** Shared objects whose dependencies must be resolved when a directory tree is copied:
 *  Python extension modules, Node.js native addons, and libraries stored beside them. */
export function looksLikeSharedObject(name: string): boolean {
  return /\.so(\.[0-9]+)*$/.test(name) || name.endsWith('.node');
}
