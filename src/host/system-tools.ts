// The system programs safe-package relies on, found in the system directories only (a
// PATH entry planted by a project must not replace the jail builder), with the exact
// command that installs each one.

import { lstatSync } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';
import { findProgram } from './which.js';

export interface SystemTool {
  readonly name: string;
  /** What it is used for. */
  readonly role: string;
  /** Debian/Ubuntu package, and the command that installs it. */
  readonly pkg: string;
}

export const TOOLS = {
  bwrap: { name: 'bwrap', role: 'builds the sandbox', pkg: 'bubblewrap' },
  setpriv: { name: 'setpriv', role: 'drops root privileges before the jail is built', pkg: 'util-linux' },
  prlimit: { name: 'prlimit', role: 'sets resource limits on the jail', pkg: 'util-linux' },
  unshare: { name: 'unshare', role: 'namespaces for the chroot backend', pkg: 'util-linux' },
  mount: { name: 'mount', role: 'mounts the staging overlay inside the jail', pkg: 'mount' },
  getfattr: { name: 'getfattr', role: 'reads overlayfs markers when reviewing staged writes', pkg: 'attr' },
  setfattr: { name: 'setfattr', role: "gives npm ci an empty node_modules in the staging overlay; without it npm ci deletes the old one file by file, which is slower", pkg: 'attr' },
} as const satisfies Record<string, SystemTool>;

export type ToolName = keyof typeof TOOLS;

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Escape hatch (and test hook): SAFE_PACKAGE_BWRAP=/path/to/bwrap, e.g. a newer build in
 * /opt. The jail builder decides everything about the jail, and the environment is the
 * easiest thing for a project to set (direnv's .envrc, a CI file), so the override is
 * taken only for a file named bwrap that only root can change: owned by root, not
 * writable by group or others, in directories that are the same all the way up.
 */
const OVERRIDES: Partial<Record<ToolName, string>> = { bwrap: 'SAFE_PACKAGE_BWRAP' };

/** Why an override path is not trustworthy, or null; `lstat` is injectable for tests. Pure given lstat. */
export function refusedOverride(path: string, lstat: (p: string) => { uid: number; mode: number; isFile(): boolean; isDirectory(): boolean } | undefined): string | null {
  if (!isAbsolute(path)) return 'it is not an absolute path';
  if (basename(path) !== 'bwrap') return 'it does not name a file called bwrap';
  const st = lstat(path);
  if (st && !st.isFile()) return 'it is not a regular file (a symbolic link is not followed)';
  for (let p = path, first = true; ; first = false) {
    const s = first ? st : lstat(p);
    if (s) {
      if (s.uid !== 0) return `${p} is not owned by root`;
      if ((s.mode & 0o022) !== 0) return `${p} is writable by group or others`;
    } else if (!first) return `${p} does not exist`;
    if (p === '/') break;
    p = dirname(p);
  }
  return null;
}

export class RefusedToolError extends Error {
  readonly fix: string;
  constructor(readonly variable: string, readonly path: string, reason: string) {
    super(`${variable}=${path} is refused: ${reason}; only a bwrap that root alone can change may replace the jail builder`);
    this.fix = `unset ${variable} (the system's bwrap is used), or install that bwrap as root in a root-owned directory`;
  }
}

const lstatOrUndefined = (p: string) => {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
};

export function installCommand(tool: SystemTool): string {
  return `sudo apt-get install -y ${tool.pkg}   (Fedora: sudo dnf install ${tool.pkg === 'attr' ? 'attr' : tool.pkg}; Alpine: apk add ${tool.pkg})`;
}

export function findTool(name: ToolName, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const override = OVERRIDES[name];
  if (override) {
    const v = env[override];
    if (v) {
      const refused = refusedOverride(v, lstatOrUndefined);
      if (refused) throw new RefusedToolError(override, v, refused);
      const r = findProgram(v, SYSTEM_PATH, '/');
      return r.found ? r.path : undefined;
    }
  }
  const r = findProgram(name, SYSTEM_PATH, '/');
  return r.found ? r.path : undefined;
}

export class MissingToolError extends Error {
  constructor(readonly tool: SystemTool) {
    super(`${tool.name} is not installed; it ${tool.role}. Install it with: ${installCommand(tool)}`);
  }
}

export function requireTool(name: ToolName, env?: Readonly<Record<string, string | undefined>>): string {
  const p = findTool(name, env);
  if (!p) throw new MissingToolError(TOOLS[name]);
  return p;
}
