// The project's workspaces (npm and yarn: package.json `workspaces`; pnpm:
// pnpm-workspace.yaml `packages`): an install at a workspace root, or with `-w NAME`,
// writes each workspace's package.json and node_modules as well as the root's. They are
// found once, before the run, and become part of the write set; their package.json files
// are reviewed as the root's is (only dependency sections may change).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileGlob } from '../util/glob.js';

/** Globs of workspace directories from package.json's text. Pure. */
export function workspaceGlobsFromManifest(text: string): string[] {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return [];
  }
  const w = (m as { workspaces?: unknown } | null)?.workspaces;
  const list = Array.isArray(w) ? w : Array.isArray((w as { packages?: unknown } | undefined)?.packages) ? (w as { packages: unknown[] }).packages : [];
  return list.filter((g): g is string => typeof g === 'string').map(normalise).filter((g): g is string => g !== undefined);
}

/** Globs from pnpm-workspace.yaml's `packages:` list (the flat form pnpm documents). Pure. */
export function workspaceGlobsFromPnpmYaml(text: string): string[] {
  const out: string[] = [];
  let inPackages = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '');
    if (/^packages:\s*$/.test(line)) {
      inPackages = true;
      continue;
    }
    if (inPackages && /^\S/.test(line)) inPackages = false;
    const item = inPackages ? /^\s+-\s+(['"]?)(.+?)\1\s*$/.exec(line) : null;
    if (item) {
      const g = normalise(item[2]!);
      if (g !== undefined) out.push(g);
    }
  }
  return out;
}

/** `./packages/*` → `packages/*`; exclusions (`!`), absolute paths and `..` are not workspaces here. */
function normalise(glob: string): string | undefined {
  const g = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  if (g === '' || g.startsWith('!') || g.startsWith('/') || g.split('/').includes('..')) return undefined;
  return g;
}

/** Directories below the project matching the globs (never inside node_modules or dot directories). */
export function findWorkspaceDirs(projectDir: string, globs: readonly string[]): string[] {
  const found = new Set<string>();
  for (const pattern of globs) {
    const glob = compileGlob(pattern, { basenameAnywhere: false });
    const depth = pattern.includes('**') ? 6 : pattern.split('/').length;
    const walk = (rel: string, level: number) => {
      if (level >= depth) return;
      let entries;
      try {
        entries = readdirSync(join(projectDir, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (!e.isDirectory() || e.name === 'node_modules' || e.name.startsWith('.')) continue;
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (glob.test(child)) found.add(child);
        walk(child, level + 1);
      }
    };
    walk('', 0);
  }
  return [...found].sort();
}

/** The workspace directories of the project on disk, relative to it. */
export function projectWorkspaces(projectDir: string): string[] {
  const read = (name: string) => {
    try {
      return readFileSync(join(projectDir, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const manifest = read('package.json');
  const pnpm = read('pnpm-workspace.yaml');
  const globs = [...(manifest ? workspaceGlobsFromManifest(manifest) : []), ...(pnpm ? workspaceGlobsFromPnpmYaml(pnpm) : [])];
  if (globs.length === 0) return [];
  const dirs = findWorkspaceDirs(projectDir, globs);
  return dirs.filter((d) => read(join(d, 'package.json')) !== undefined);
}
