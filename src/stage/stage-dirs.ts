// The per-run staging directory (docs/promises.md#p5-staged-writes): created before the jail, owned by the jail
// user (overlayfs writes into it with their identity), removed after review.
//
// Non-root: under safe-package's cache in the user's home, private (0700).
// Root running the jail as another user: root's home is not reachable by that user, so
// runs live in /var/tmp/safe-package (root-owned, 0711: enterable but not listable), each
// with an unguessable name, owned by the jail user, 0700. After the jail is gone,
// review takes the directory away from that user before reading it (stage/secure).

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PinnedTree } from './fs-at.js';
import { findTool } from '../host/system-tools.js';
import { HostError } from '../errors.js';
import type { Policy } from '../policy/types.js';
import { chooseStageRoot, fsInfo, type FsInfo, type StageChoice } from '../host/fs-type.js';
import { shellQuote } from '../util/shell-quote.js';

export const SHARED_STAGE_ROOT = '/var/tmp/safe-package';

/** Where runs stage when its file system can hold an overlay upper layer. */
function usualStageRoot(p: Policy): string {
  return p.dropPrivileges ? SHARED_STAGE_ROOT : join(p.cacheDir, 'stage');
}

const chosen = new Map<string, StageChoice>();

/**
 * The sandbox's overlay staging, decided once per place: the usual directory, or a tmpfs
 * when that one lives on a file system overlayfs cannot write its upper layer to (inside
 * a container whose root is itself an overlay). The landlock backend's shadow stays
 * where it is: it needs no overlayfs, and hard links into the project.
 */
export function stagingChoice(p: Policy): StageChoice {
  const usual = usualStageRoot(p);
  if (p.backend !== 'sandbox') return { ok: true, root: usual };
  const key = `${usual}\0${p.dropPrivileges ? 'shared' : p.invoker.uid}`;
  let c = chosen.get(key);
  if (!c) chosen.set(key, (c = chooseStagingFor(usual, p.dropPrivileges ? undefined : p.invoker.uid)));
  return c;
}

/**
 * The choice for a usual staging directory, looking at the file systems now: `uid` is the
 * invoker's when runs stage privately, undefined for the shared root-owned place (doctor
 * asks the same question without a policy).
 */
export function chooseStagingFor(usual: string, uid: number | undefined): StageChoice {
  let tmpfs: FsInfo | undefined;
  try {
    tmpfs = fsInfo('/dev/shm');
  } catch {
    tmpfs = undefined;
  }
  return chooseStageRoot(usual, fsInfo(usual), { root: uid === undefined ? '/dev/shm/safe-package' : `/dev/shm/safe-package-${uid}`, fs: tmpfs });
}

/** No directory here can hold the overlay's upper layer (auto then takes the landlock backend). */
export class StagingUnavailableError extends HostError {}

export function stageRootFor(p: Policy): string {
  const c = stagingChoice(p);
  if (!c.ok) throw new StagingUnavailableError(c.reason, undefined, c.fix);
  return c.root;
}

function ensureRootOwnedDir(dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  const st = lstatSync(dir);
  // A pre-created symlink or someone else's directory here would let them redirect or
  // watch our staging: refuse.
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new HostError(`${dir} must be a directory owned by root and not writable by others`, undefined, `sudo rm -rf ${shellQuote(dir)} (safe-package recreates it)`);
  }
}

/** A run killed with SIGKILL leaves its directory behind; a day later nobody needs it. */
const STALE_MS = 24 * 3600 * 1000;

function sweepStale(dir: string, prefix: string, now: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.isDirectory() && now - st.mtimeMs > STALE_MS) removeStage(path);
    } catch {
      /* raced with another run's cleanup */
    }
  }
}

export function createStage(p: Policy): string {
  const root = stageRootFor(p);
  if (p.dropPrivileges) ensureRootOwnedDir(root, 0o711);
  else {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    // In a shared directory (/dev/shm) another user could have made it first.
    const st = lstatSync(root);
    if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) {
      throw new HostError(`${root} must be a directory of yours that nobody else can enter`, undefined, `remove it (rm -rf ${shellQuote(root)}); safe-package recreates it`);
    }
  }
  // Interrupted commits never need these: recovery works from the journal and the
  // backups beside the project's files.
  sweepStale(root, 'run-', Date.now());
  sweepStale(join(root, '.vault'), 'upper-', Date.now());
  const dir = mkdtempSync(join(root, 'run-'));
  for (const sub of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, sub), { mode: 0o700 });
  if (p.dropPrivileges) {
    for (const sub of ['', 'lower', 'upper', 'work', 'merged']) chownSync(join(dir, sub), p.user.uid, p.user.gid);
  }
  return dir;
}

/** Makes every directory under `dir` ours to empty (overlayfs leaves work/work mode 000). */
function unlockDirs(dir: string): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return;
  }
  if (!st.isDirectory()) return; // never follow a symlink
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) unlockDirs(join(dir, name));
}

/** The overlay's upper directory of a run: everything the run's jails wrote to the project. */
export function upperOf(runDir: string): string {
  return join(runDir, 'upper');
}

/** True when the run's jails wrote nothing to the project (so far). */
export function stagedNothing(runDir: string): boolean {
  return readdirSync(upperOf(runDir)).length === 0;
}

/**
 * Gives the next jail an empty directory at `rel` (e.g. node_modules for npm ci) in place
 * of the project's: an opaque directory in the upper layer, which hides everything below
 * it in the project. The alternative is the package manager deleting the old tree through
 * the overlay, which leaves a whiteout for every file and copies up every directory.
 * Only over a real directory of the project (never through a symlink), with the mode the
 * project's has. Returns false (nothing done: the jail sees the project's directory as
 * before) when there is nothing to hide, the upper layer already has the path, or setfattr
 * is missing.
 */
export function startFresh(p: Policy, runDir: string, rel: string): boolean {
  let lower;
  try {
    lower = lstatSync(join(p.project.dir, rel));
  } catch {
    return false;
  }
  if (!lower.isDirectory()) return false;
  const setfattr = findTool('setfattr');
  if (!setfattr) return false;
  const path = join(upperOf(runDir), rel);
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch {
    return false;
  }
  // overlayfs mounted with userxattr (as ours is, in a user namespace) reads user.overlay.*.
  const r = spawnSync(setfattr, ['-h', '-n', 'user.overlay.opaque', '-v', 'y', '--', path], { stdio: 'ignore', env: { LC_ALL: 'C' } });
  if (r.status !== 0) {
    rmdirSync(path);
    return false;
  }
  // Through a descriptor opened without following links: the run directory belongs to
  // the jail user, and root must not chmod or chown whatever a link there points to.
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchmodSync(fd, lower.mode & 0o777);
    if (p.dropPrivileges) fchownSync(fd, p.user.uid, p.user.gid);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * After the jail: a fresh directory it left empty was never used (`npm ci --dry-run`, or
 * a prefix elsewhere), so it is taken out and the project keeps its own. Returns whether
 * the fresh directory stays (and so replaces the project's on commit).
 */
export function keepFreshIfUsed(runDir: string, rel: string): boolean {
  const path = join(upperOf(runDir), rel);
  try {
    if (!lstatSync(path).isDirectory()) return false;
    if (readdirSync(path).length > 0) return true;
    rmdirSync(path);
  } catch {
    /* gone or not ours: nothing stays */
  }
  return false;
}

/**
 * Removes a run directory. Its contents belong to the jail user, who (or whose leftover
 * process) could swap a directory for a link while a path-based walk runs: root would
 * then delete whatever the link points to. The walk goes through descriptors opened
 * without following links (PinnedTree.removeTree), from the parent, which is ours.
 */
export function removeStage(dir: string): void {
  const tree = new PinnedTree(dirname(dir));
  try {
    tree.removeTree(basename(dir));
  } catch (err) {
    if (process.getuid?.() === 0) throw err;
    // Not root: nothing to abuse; directories left mode 000 (overlayfs' work/work) are unlocked by path.
    unlockDirs(dir);
    rmSync(dir, { recursive: true, force: true });
  } finally {
    tree.close();
  }
}

/** An empty, read-only regular file bound over hidden project files. */
export function ensureEmptyFile(p: Policy): string {
  // The cache directory is the jail user's: whatever is at `empty` may be a link they
  // planted. Never follow it: an existing entry is looked at through a descriptor opened
  // O_NOFOLLOW, anything else is unlinked (which never follows) and the file is created
  // O_EXCL|O_NOFOLLOW, so a link raced into its place makes the run fail, not root write.
  const path = join(p.cacheDir, 'empty');
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (st.isFile() && st.size === 0 && (st.uid === 0 || st.uid === process.getuid?.()) && (st.mode & 0o222) === 0) return path;
    } finally {
      closeSync(fd);
    }
  } catch {
    /* missing, or a link: replaced below */
  }
  try {
    unlinkSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EPERM') new PinnedTree(p.cacheDir).removeTree('empty');
    else if (code !== 'ENOENT') throw err;
  }
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o444);
  try {
    fchmodSync(fd, 0o444);
  } finally {
    closeSync(fd);
  }
  return path;
}
