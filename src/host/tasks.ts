// How many processes and threads a user runs now: RLIMIT_NPROC counts all of them, so the
// jail's limit is this plus what the jail may start (limits.processes).

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';

/** The uid of a /proc/PID/status text (real uid, the one RLIMIT_NPROC charges). Pure. */
export function realUidOf(status: string): number | undefined {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/** The thread count of a /proc/PID/status text. Pure. */
export function threadsOf(status: string): number | undefined {
  const m = /^Threads:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/** /proc/PID/status is about 1.5 KB; Threads: is well inside this. */
const STATUS_BYTES = 4096;
let statusBuffer: Buffer | undefined;

function readStatus(pid: string): string {
  statusBuffer ??= Buffer.allocUnsafe(STATUS_BYTES);
  const fd = openSync(`/proc/${pid}/status`, 'r');
  try {
    return statusBuffer.toString('latin1', 0, readSync(fd, statusBuffer, 0, STATUS_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

export function tasksOf(uid: number): number {
  let count = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const pid of pids) {
    const c = pid.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      // A stat of /proc/PID (its owner is the effective uid) first: generating every
      // process's status text costs ~30 µs each, and most processes are someone else's.
      // What this skips (a process of the user's that is setuid, or non-dumpable, so
      // /proc shows another owner) only makes the jail's limit lower, never higher.
      if (statSync(`/proc/${pid}`).uid !== uid) continue;
      const status = readStatus(pid);
      if (realUidOf(status) !== uid) continue;
      count += threadsOf(status) ?? readdirSync(`/proc/${pid}/task`).length;
    } catch {
      /* exited meanwhile */
    }
  }
  return count;
}
