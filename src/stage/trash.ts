// The trash (docs/promises.md#p5-staged-writes): where a commit moves the project entries
// it replaces or deletes, so that removing them (a replaced node_modules is thousands of
// entries) happens after the run, not inside the commit.
//
// `<stateDir>/trash`, ours alone (0700, checked like the journal directory), used only
// when it is on the project's mount, so that moving an entry there is one rename. The
// user cannot reach into it, and nothing of the old tree stays visible in the project.
//
// Entries are named `<commit id>-<n>`. While the commit's journal exists, its entries
// belong to the commit (recovery may have to put them back) and are never touched here.
// Once the journal is gone they are garbage: a sweep first claims an entry by renaming
// it to `.claim-<pid>-<start>-<name>` (atomic: two sweeps never work on the same entry),
// then removes it without ever following a link. A claim whose process is gone is
// claimed again by the next sweep, so a cleaner killed half-way loses nothing but time.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { PinnedTree } from './fs-at.js';
import { checkPrivateDir, journalDir, processStart } from './journal-file.js';

export function trashDirOf(stateDir: string): string {
  return join(stateDir, 'trash');
}

/** Makes the trash directory (0700) and checks it is private; returns its path. */
export function ensureTrashDir(stateDir: string): string {
  const dir = trashDirOf(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir);
  return dir;
}

const ENTRY = /^([0-9a-zA-Z]+)-\d+$/;
const CLAIM = /^\.claim-(\d+)-(\d+)-(.+)$/;

export interface SweepResult {
  readonly removed: number;
  /** Entries left alone: their commit is still journaled, or a live process claimed them. */
  readonly skipped: number;
}

/** Removes everything in the trash that no commit or live sweep owns. */
export function sweepTrash(stateDir: string): SweepResult {
  const dir = trashDirOf(stateDir);
  if (!existsSync(dir)) return { removed: 0, skipped: 0 };
  checkPrivateDir(dir);
  const me = `${process.pid}-${processStart(process.pid) ?? '0'}`;
  const trash = new PinnedTree(dir);
  let removed = 0;
  let skipped = 0;
  try {
    for (const name of readdirSync(`/proc/self/fd/${trash.rootFd}`)) {
      trash.trim();
      let entry: string;
      const claim = CLAIM.exec(name);
      if (claim) {
        const [, pid, start, rest] = claim;
        const ours = `${pid}-${start}` === me;
        if (!ours && processStart(Number(pid)) === start) {
          skipped++;
          continue;
        }
        entry = rest!;
        if (ours) {
          trash.removeTree(name);
          removed++;
          continue;
        }
      } else {
        const m = ENTRY.exec(name);
        // Not a name a commit makes: left for the user to look at.
        if (!m) {
          skipped++;
          continue;
        }
        if (existsSync(join(journalDir(stateDir), `${m[1]}.journal`))) {
          skipped++;
          continue;
        }
        entry = name;
      }
      const claimed = `.claim-${me}-${entry}`;
      try {
        renameSync(trash.at(name), trash.at(claimed));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another sweep took it
        throw e;
      }
      trash.removeTree(claimed);
      removed++;
    }
  } finally {
    trash.close();
  }
  return { removed, skipped };
}

/**
 * Starts a detached process that sweeps the trash, so that the run's own process can
 * exit without waiting for it. `script` is trash-cleaner.js. Failing to start it costs
 * nothing but disk space until the next run's sweep.
 */
export function startTrashCleaner(stateDir: string, script: string): void {
  try {
    const child = spawn(process.execPath, [script, stateDir], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: '/usr/bin:/bin' },
    });
    child.on('error', () => {});
    child.unref();
  } catch {
    // The next sweep removes it.
  }
}
