// Checks and preparations that touch the host, done after the plan is made and before
// anything runs. Each failure says what is wrong and how to fix it, and nothing runs.

import { accessSync, constants, lstatSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { HostError } from '../errors.js';
import type { Policy } from '../policy/types.js';
import { writeBlocker, type StatLike } from './permissions.js';
import { npmrcHasCredentials, projectNpmrcForJail } from '../profiles/npmrc.js';
import { mountPointsUnder, readMountinfo } from './mountinfo.js';
import { shellQuote } from '../util/shell-quote.js';

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
export class ProjectNotWritableError extends HostError {}

export function checkProjectWritable(p: Policy): void {
  if (!p.dropPrivileges) return;
  const blocker = writeBlocker(ancestry(p.project.dir), p.user.uid, p.user.gid);
  if (blocker) {
    throw new ProjectNotWritableError(
      `the jail user ${p.user.name} cannot write the project: ${blocker}`,
      undefined,
      `run as the project's owner (--user $(stat -c %U ${shellQuote(p.project.dir)})), or give ${p.user.name} write access, or --user root (not recommended)`,
    );
  }
}

/**
 * Staged writes copy a file into the upper layer before changing it, keeping its owner
 * and group. Inside the jail's user namespace only the jail user's uid and primary gid
 * exist, so a file owned by another uid or group cannot be changed there (EOVERFLOW).
 * Check what the package manager is about to write and say so before it fails oddly.
 */
export function checkStagedOwnership(p: Policy): void {
  const firstSegments = new Set(p.project.write.map((g) => g.split('/')[0]!).filter((s) => !/[*?]/.test(s)));
  const foreign: string[] = [];
  const check = (path: string, label: string) => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    if (st.uid !== p.user.uid || st.gid !== p.user.gid) foreign.push(`${label} (uid ${st.uid}, gid ${st.gid})`);
  };
  // The project directory itself needs no copy: the overlay's top is the staging
  // directory, which is the jail user's.
  for (const name of firstSegments) check(join(p.project.dir, name), name);
  if (foreign.length > 0) {
    throw new HostError(
      `the jail can only change project files owned by ${p.user.name} (uid ${p.user.uid}, gid ${p.user.gid}); not: ${foreign.join(', ')}`,
      undefined,
      `chown -R ${p.user.uid}:${p.user.gid} ${shellQuote(p.project.dir)}   (or run as the files' owner with --user)`,
    );
  }
}

/**
 * overlayfs takes the project as its lower layer without what is mounted inside it, and
 * in a user namespace refuses to mount at all ("failed to clone lowerpath"): a
 * node_modules on a container volume would end in an obscure mount error, or (if it
 * mounted) in a jail that cannot see it. Say so before anything runs.
 */
export function checkNoMountsInProject(p: Policy): void {
  const mounts = readMountinfo();
  if (!mounts) return; // without /proc the overlay's own error still stops the run
  const inside = [...new Set(mountPointsUnder(mounts.map((m) => m.mountPoint), p.project.dir).map((m) => relative(p.project.dir, m)))].sort();
  if (inside.length > 0) {
    throw new HostError(
      `staged writes cannot include a file system mounted inside the project: ${inside.slice(0, 5).join(', ')}${inside.length > 5 ? `, and ${inside.length - 5} more` : ''}`,
      undefined,
      `unmount it (or mount the volume at the project directory itself, not inside it), then run again`,
    );
  }
}

/** A --report file that cannot be written would be found out only after the run: check now. */
export function checkReportWritable(file: string | undefined): void {
  if (file === undefined) return;
  const dir = dirname(resolve(file));
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new HostError(`cannot write the report to ${file}: ${dir} is not writable`, undefined, 'give --report a path in a directory you can write');
  }
}


/**
 * The project's .npmrc as the jail sees it, when it has one: without its auth lines
 * (docs/promises.md#p13-hide-defaults) and without every setting that could name a program
 * npm runs before any lifecycle script (`git=`, `script-shell=`, `node-options=`, …: a
 * cloned repository chooses its .npmrc, and the download phase holds the registry token).
 */
export function projectNpmrcOverride(p: Policy): { text: string; dropped: string[]; removed: string[] } | undefined {
  if (p.profile.registry !== 'npm') return undefined;
  let text: string;
  try {
    text = readFileSync(join(p.project.dir, '.npmrc'), 'utf8');
  } catch {
    return undefined;
  }
  const jail = projectNpmrcForJail(text);
  return jail.dropped.length || jail.removed.length || npmrcHasCredentials(text) ? jail : undefined;
}
