// Checks and preparations that touch the host, done after the plan is made and before
// anything runs. Each failure says what is wrong and how to fix it, and nothing runs.

import { chownSync, lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PolicyError } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';
import { writeBlocker, type StatLike } from '../host/permissions.js';
import { npmrcHasCredentials, sanitizeNpmrc } from '../profiles/npmrc.js';

function ancestry(path: string): { path: string; st: StatLike }[] {
  const chain: { path: string; st: StatLike }[] = [];
  let p = path;
  for (;;) {
    chain.unshift({ path: p, st: statSync(p) });
    if (p === '/') break;
    p = dirname(p);
  }
  return chain;
}

/**
 * Until staged writes land for this run, the jail writes into the project directly; the
 * jail user must be able to. When root runs the jail as another user in a root-owned
 * project, stop now rather than fail half-way through an install.
 */
export function checkProjectWritable(p: Policy): void {
  if (!p.dropPrivileges) return;
  const blocker = writeBlocker(ancestry(p.project.dir), p.user.uid, p.user.gid);
  if (blocker) {
    throw new PolicyError(
      `the jail user ${p.user.name} cannot write the project: ${blocker}`,
      undefined,
      `run as the project's owner (--user $(stat -c %U ${p.project.dir})), or give ${p.user.name} write access, or --user root (not recommended)`,
    );
  }
}

/** Creates safe-package's cache directories for the jail user, private to them. */
export function prepareCacheDirs(p: Policy): void {
  if (p.profile.caches.length === 0) return;
  if (p.dropPrivileges) {
    // /var/cache/safe-package is root's; each jail uid gets its own 0700 directory.
    mkdirSync(dirname(p.cacheDir), { recursive: true, mode: 0o755 });
    mkdirSync(p.cacheDir, { recursive: true, mode: 0o700 });
    const st = lstatSync(p.cacheDir);
    if (!st.isDirectory()) throw new PolicyError(`${p.cacheDir} is not a directory`);
    if (st.uid !== p.user.uid) chownSync(p.cacheDir, p.user.uid, p.user.gid);
  } else {
    mkdirSync(p.cacheDir, { recursive: true, mode: 0o700 });
  }
  for (const c of p.profile.caches) {
    const dir = join(p.cacheDir, c.dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (p.dropPrivileges) {
      const st = lstatSync(dir);
      if (st.uid !== p.user.uid) chownSync(dir, p.user.uid, p.user.gid);
    }
  }
}

/** The project's .npmrc without its auth lines, when it has any (SPEC §3 hide). */
export function projectNpmrcOverride(p: Policy): string | undefined {
  if (p.profile.registry !== 'npm') return undefined;
  let text: string;
  try {
    text = readFileSync(join(p.project.dir, '.npmrc'), 'utf8');
  } catch {
    return undefined;
  }
  return npmrcHasCredentials(text) ? sanitizeNpmrc(text).text : undefined;
}
