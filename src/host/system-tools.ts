// The system programs safe-package relies on, found in the system directories only (a
// PATH entry planted by a project must not replace the jail builder), with the exact
// command that installs each one.

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
  chroot: { name: 'chroot', role: 'the chroot backend', pkg: 'coreutils' },
  mount: { name: 'mount', role: 'mounts the staging overlay inside the jail', pkg: 'mount' },
  getfattr: { name: 'getfattr', role: 'reads overlayfs markers when reviewing staged writes', pkg: 'attr' },
  setfattr: { name: 'setfattr', role: "gives npm ci an empty node_modules in the staging overlay; without it npm ci deletes the old one file by file, which is slower", pkg: 'attr' },
} as const satisfies Record<string, SystemTool>;

export type ToolName = keyof typeof TOOLS;

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Test hook and escape hatch: SAFE_PACKAGE_BWRAP=/path/to/bwrap. */
const OVERRIDES: Partial<Record<ToolName, string>> = { bwrap: 'SAFE_PACKAGE_BWRAP' };

export function installCommand(tool: SystemTool): string {
  return `sudo apt-get install -y ${tool.pkg}   (Fedora: sudo dnf install ${tool.pkg === 'attr' ? 'attr' : tool.pkg}; Alpine: apk add ${tool.pkg})`;
}

export function findTool(name: ToolName, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const override = OVERRIDES[name];
  if (override) {
    const v = env[override];
    if (v) {
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
