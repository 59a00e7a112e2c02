// Facts about the host's file system layout that the sandbox plan needs: how the
// top-level system directories look (usrmerge symlinks or real directories), which of
// the few /etc entries a jail gets exist here, and which project files policy hides.

import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { compileGlobs } from '../util/glob.js';
import { HostError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';

export type TopLevel = { readonly kind: 'symlink'; readonly target: string } | { readonly kind: 'dir' };

export interface HostLayout {
  /** /bin, /sbin, /lib, /lib32, /lib64, /libx32 as they exist on the host. */
  readonly topLevel: Readonly<Record<string, TopLevel>>;
  /** Paths under /etc, from ETC_ALLOWED, that exist on the host. */
  readonly etc: readonly string[];
  /** Absolute paths of project files and directories that match `hide`. */
  readonly hidden: readonly { path: string; dir: boolean }[];
}

export const TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The only host /etc entries a sandbox sees, each needed by real tools: TLS trust,
 * the dynamic loader, alternatives (cc → gcc for native builds), time zone, MIME and
 * service tables. passwd, group, hosts and nsswitch.conf are synthetic (backends/sandbox/plan.ts).
 * Notably absent: shadow, ssh, sudoers, machine-id, /etc/ssl/private, gitconfig.
 */
export const ETC_ALLOWED = [
  '/etc/ssl/certs',
  '/etc/ssl/openssl.cnf',
  '/etc/ca-certificates',
  '/etc/ca-certificates.conf',
  '/etc/pki/tls/certs',
  '/etc/pki/ca-trust',
  '/etc/crypto-policies',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/os-release',
  '/etc/debian_version',
  '/etc/mime.types',
  '/etc/protocols',
  '/etc/services',
  '/etc/gai.conf',
  '/etc/host.conf',
  '/etc/python3',
  '/etc/python3.11',
  '/etc/python3.12',
  '/etc/python3.13',
];

/** Only needed when the jail shares the host network (--network host). */
export const ETC_HOST_NETWORK = ['/etc/resolv.conf', '/etc/hosts'];

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Directories that belong to a tool, not to the user: their *.pem and *.key are data. */
const TOOL_OWNED_DIRS = new Set(['node_modules', '.git', '.venv', 'venv', 'site-packages', '__pycache__', '.pnpm-store', '.yarn']);

/** The hidden-file walk could not see the whole project: files beyond it would be visible. */
export class IncompleteWalkError extends HostError {}

/** Entries the hidden-file walk looks at before it gives up (and the run is refused). */
export const HIDE_WALK_LIMIT = 2_000_000;

/**
 * Walks the project for files matching `hide`. Tool-owned directories (node_modules,
 * .git, virtual environments) are skipped: they are large, secrets there are not the
 * user's, and hiding a package's certificate bundle would break it. A pattern that names
 * one path (`.git/config`) is looked up directly, tool-owned directory or not. The walk
 * is complete or the run is refused: a directory it cannot read, or more entries than
 * `limit`, would leave what is beyond it visible.
 */
export function findHidden(projectDir: string, patterns: readonly string[], limit = HIDE_WALK_LIMIT): { path: string; dir: boolean }[] {
  const match = compileGlobs(patterns, { basenameAnywhere: true });
  const out: { path: string; dir: boolean }[] = [];
  const seen = new Set<string>();
  const realRoot = realPathOrNull(projectDir); // where links that stay inside lead
  let visited = 0;
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(projectDir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // removed while we looked
      throw new IncompleteWalkError(
        `cannot look for hidden files in ${join(projectDir, rel)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): files there that match "hide" would be visible to the jail`,
        undefined,
        `make it readable by you (chmod u+rx ${shellQuote(join(projectDir, rel))}), or move it out of the project`,
      );
    }
    for (const e of entries) {
      if (++visited > limit) {
        throw new IncompleteWalkError(
          `the project has more than ${limit} files outside node_modules and .git; safe-package stops looking for hidden files there rather than leave some visible`,
          undefined,
          'run in a smaller directory (the package\'s own, not a whole monorepo or home), or move generated trees out of the project',
        );
      }
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (match(r)) {
        const hidden = e.isSymbolicLink() ? linkedInside(projectDir, realRoot, r) : { path: join(projectDir, r), dir: e.isDirectory() };
        if (hidden && !seen.has(hidden.path)) {
          seen.add(hidden.path);
          out.push(hidden);
        }
        continue;
      }
      if (e.isDirectory() && !TOOL_OWNED_DIRS.has(e.name)) walk(r);
    }
  };
  walk('');
  // Literal paths are found wherever they are, inside tool-owned directories too.
  for (const p of patterns) {
    if (!p.includes('/') || /[*?]/.test(p)) continue;
    const path = join(projectDir, p);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (seen.has(path) || st.isSymbolicLink()) continue;
    seen.add(path);
    out.push({ path, dir: st.isDirectory() });
  }
  return out;
}

/**
 * What to hide for a symbolic link whose name matches `hide`. A mount cannot cover the
 * link itself (bubblewrap follows it, and fails on a dangling one), and the secret is
 * what it leads to: the file or directory it resolves to when that is inside the
 * project, outside a tool's directory. A link that leads outside the project, or
 * nowhere, needs nothing: outside the project the jail sees only the system directories
 * its plan binds (a link to the system's CA bundle must keep working), and a dangling
 * link has nothing to read.
 */
function linkedInside(projectDir: string, root: string | null, rel: string): { path: string; dir: boolean } | undefined {
  // Dangling, a loop, or unreadable: nothing behind it to read.
  const target = realPathOrNull(join(projectDir, rel));
  if (root === null || target === null) return undefined;
  const inside = relative(root, target);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`)) return undefined;
  // The walk's own rule: what lives in a tool's directory is the tool's, and a mount
  // there would stand in the package manager's way (npm ci removes node_modules).
  if (inside.split(sep).some((part) => TOOL_OWNED_DIRS.has(part))) return undefined;
  try {
    return { path: join(projectDir, inside), dir: statSync(target).isDirectory() };
  } catch {
    return undefined;
  }
}

function realPathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** /bin, /sbin, /lib... as they exist on the host: usrmerge links or directories. */
export function readTopLevel(): Record<string, TopLevel> {
  const topLevel: Record<string, TopLevel> = {};
  for (const p of TOP_LEVEL) {
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) topLevel[p] = { kind: 'symlink', target: readlinkSync(p) };
      else if (st.isDirectory()) topLevel[p] = { kind: 'dir' };
    } catch {
      /* absent */
    }
  }
  return topLevel;
}

export function readHostLayout(projectDir: string | undefined, hide: readonly string[], hostNetwork: boolean): HostLayout {
  const topLevel = readTopLevel();
  const etc = [...ETC_ALLOWED, ...(hostNetwork ? ETC_HOST_NETWORK : [])].filter(lexists);
  return { topLevel, etc, hidden: projectDir ? findHidden(projectDir, hide) : [] };
}

/** A path the user named (src/policy/named-paths.ts) with what the hide patterns cover inside it. */
export interface NamedBind {
  readonly path: string;
  readonly hidden: readonly { path: string; dir: boolean }[];
}

/** The named paths with what the hide patterns cover inside each directory. */
export function namedBinds(paths: readonly string[], hide: readonly string[]): NamedBind[] {
  return paths.map((path) => ({ path, hidden: statSync(path).isDirectory() ? findHidden(path, hide) : [] }));
}
