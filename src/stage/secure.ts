// Taking the upper directory away from the jail's user before it is reviewed.
//
// When safe-package runs as root and the jail as another user U, every file in the upper
// directory belongs to U. Review and commit are two looks at the same tree; if any
// process of U could still change it in between, the review would approve one thing and
// the commit carry another (a package.json rewritten with a `postinstall` after it was
// compared, a file swapped for a hard link to /etc/shadow). So before review:
//
// 1. The tree is renamed into a vault: a directory of ours, mode 0700, in a parent no one
//    else can write. rename(2) is atomic: from that instant no path leads into the tree
//    for anyone but us, and nothing can be renamed back out by others.
// 2. No mount in our namespace may still expose it (an overlay whose upperdir it is):
//    writes through the merged directory would land in it.
// 3. Paths were the only way in; what remains is what was already open. /proc is searched
//    for any process holding a descriptor, working directory, root or memory mapping
//    inside the tree. A writable descriptor survives rename and chown, so if there is one,
//    review is refused (the jail should have been dead: docs/promises.md#p3-backends says every process of it is
//    dead before review). With no holder, no process can obtain one: descriptors are only
//    passed on by processes that hold them.
// Nothing is chowned here: after 1-3 no one but us can reach the tree, and a chown would
// clear setuid bits before review can report them. A file owned by someone else than U
// is a hard link to someone else's file; review's link count check refuses such links.
// Nothing here walks the tree: review lstat()s every entry once, and the commit sets
// owners on what it carries.

import { chmodSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { holdersOf } from './process-refs.js';
import { readMountinfo } from '../host/mountinfo.js';

export interface SecureStagingInput {
  /** The overlay's upper directory as the jail left it. */
  readonly upperDir: string;
  /**
   * A directory of ours to move it into: made (mode 0700) if missing, and checked to be
   * ours and writable by nobody else, and its parent too. It must be on the upper
   * directory's file system (a rename moves the tree).
   */
  readonly vaultDir: string;
  /** The user the jail ran as: only their processes can hold the tree (root aside). */
  readonly writerUid?: number;
}

export interface SecuredStaging {
  /** Where the upper directory is now: review and commit this path. */
  readonly upperDir: string;
}

export async function secureStagingDir(input: SecureStagingInput): Promise<SecuredStaging> {
  const me = process.getuid?.() ?? -1;
  const upperDir = resolve(input.upperDir);
  const vault = resolve(input.vaultDir);
  mkdirSync(vault, { recursive: true, mode: 0o700 });
  for (const d of [vault, dirname(vault)]) {
    const st = lstatSync(d);
    if (!st.isDirectory()) throw new Error(`staging vault ${d} is not a directory (a symlink is not followed)`);
    if (st.uid !== me && st.uid !== 0) throw new Error(`staging vault ${d} belongs to uid ${st.uid}; it must be ours`);
    const othersWrite = (st.mode & 0o022) !== 0 && !(d !== vault && st.mode & 0o1000);
    if (othersWrite) throw new Error(`staging vault ${d} is writable by others (mode 0${(st.mode & 0o7777).toString(8)})`);
  }
  if ((lstatSync(vault).mode & 0o077) !== 0) chmodSync(vault, 0o700);

  const st = lstatSync(upperDir);
  if (!st.isDirectory()) throw new Error(`upper directory ${upperDir} is not a directory (a symlink is not followed)`);
  // A fresh, uniquely named empty directory, which the rename then replaces atomically.
  const secured = mkdtempSync(join(vault, 'upper-'));
  try {
    renameSync(upperDir, secured);
  } catch (e) {
    try {
      rmdirSync(secured); // still the empty one we made
    } catch {
      // left for the stale sweep
    }
    throw new Error(`cannot move the upper directory ${upperDir} into ${vault}: ${(e as Error).message}`);
  }

  if (stillMounted(upperDir) || stillMounted(secured)) {
    throw new Error(`the overlay over ${upperDir} is still mounted; unmount it before review`);
  }

  // Only the user who could write the layer (and root) can hold it usefully.
  const holders = holdersOf(secured, input.writerUid);
  if (holders.length > 0) {
    const list = holders.map((h) => `${h.pid} (${h.name}: ${h.what})`).join(', ');
    throw new Error(
      `processes still hold files of the staging directory, so they could change it after review: ${list}. ` +
        'Nothing is committed; the staging directory is kept at ' + secured,
    );
  }
  return { upperDir: secured };
}

/** Is there an overlay mount in our namespace whose upper directory is `dir`? */
function stillMounted(dir: string): boolean {
  const mounts = readMountinfo();
  if (!mounts) throw new Error('cannot read /proc/self/mountinfo to see whether the staging overlay is still mounted');
  return mounts.some((m) => m.fsType === 'overlay' && m.superOptions.includes(`upperdir=${dir}`));
}
