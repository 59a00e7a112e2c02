// The least the budgets' structure costs, measured beside safe-package so that a missed
// budget can be told apart from one no implementation could meet (docs/promises.md#p11-quality-bars):
//
// - a Node program that runs `true` in a bubblewrap jail and nothing else: Node's own
//   start-up plus the cheapest jail (namespaces, /usr read-only, /proc, /dev);
// - the same with the staging overlay in front, as every staged run needs it (docs/promises.md#p5-staged-writes):
//   a user namespace to mount the overlay in, mount(8), then the jail over it;
// - the two phases of docs/promises.md#p7-two-phase-installs without any jail: `npm ci --ignore-scripts`, then
//   `npm rebuild` of the packages that have install scripts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevel } from '../../src/host/layout.js';

/** The host's /bin, /sbin, /lib... (`readTopLevel` in src/host/layout.ts reads them). */
export type TopLevelDirs = Readonly<Record<string, TopLevel>>;

/** bubblewrap arguments of the cheapest jail that can run a program from /usr. Pure. */
export function minimalJailArgs(topLevel: TopLevelDirs, program: readonly string[], extra: readonly string[] = []): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr'];
  for (const [path, t] of Object.entries(topLevel)) {
    if (t.kind === 'symlink') args.push('--symlink', t.target, path);
    else args.push('--ro-bind', path, path);
  }
  args.push('--proc', '/proc', '--dev', '/dev', ...extra, '--', ...program);
  return args;
}

/**
 * bubblewrap arguments that mount an overlay (lower, upper, work in `stageDir`) in a user
 * namespace of their own and then run the minimal jail with the merged view as
 * /project. Pure.
 */
export function stagedJailArgs(
  tools: { readonly bwrap: string; readonly mount: string },
  topLevel: TopLevelDirs,
  stageDir: string,
  program: readonly string[],
): string[] {
  const overlay = 'lowerdir=lower,upperdir=upper,workdir=work,userxattr';
  const inner = minimalJailArgs(topLevel, program, ['--bind', join(stageDir, 'merged'), '/project', '--chdir', '/project']);
  return [
    '--unshare-user', '--uid', '0', '--gid', '0', '--cap-add', 'ALL', '--unshare-pid', '--die-with-parent',
    '--dev-bind', '/', '/', '--chdir', stageDir,
    '--', '/bin/sh', '-c', '"$1" -t overlay overlay -o "$2" merged || exit 125; shift 2; exec "$@"', 'sh', tools.mount, overlay,
    tools.bwrap, ...inner,
  ];
}

/**
 * `node -e` running one program with arguments and exiting with its status: a Node
 * program that does nothing but start a jail.
 */
export function nodeRunning(node: string, argv: readonly string[]): string[] {
  const code = "const r = require('node:child_process').spawnSync(process.argv[1], process.argv.slice(2), { stdio: 'inherit' }); process.exitCode = r.status ?? 1;";
  return [node, '-e', code, '--', ...argv];
}

/** The packages npm's lockfile records as having install scripts, by name, sorted. Pure. */
export function installScriptPackages(lock: unknown): string[] {
  const packages = lock && typeof lock === 'object' ? (lock as { packages?: unknown }).packages : undefined;
  if (!packages || typeof packages !== 'object') return [];
  const names = new Set<string>();
  for (const [key, entry] of Object.entries(packages as Record<string, unknown>)) {
    if (key === '' || !entry || typeof entry !== 'object') continue;
    if ((entry as { hasInstallScript?: unknown }).hasInstallScript !== true) continue;
    const at = key.lastIndexOf('node_modules/');
    if (at >= 0) names.add(key.slice(at + 'node_modules/'.length));
  }
  return [...names].sort();
}

export function installScriptPackagesOf(lockfile: string): string[] {
  return installScriptPackages(JSON.parse(readFileSync(lockfile, 'utf8')) as unknown);
}
