// How many processes and threads a user runs now: RLIMIT_NPROC counts all of them, so the
// jail's limit is this plus what the jail may start (limits.processes).

import { readdirSync, readFileSync } from 'node:fs';

/** The uid of a /proc/PID/status text (real uid, the one RLIMIT_NPROC charges). Pure. */
export function realUidOf(status: string): number | undefined {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

export function tasksOf(uid: number): number {
  let count = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (realUidOf(readFileSync(`/proc/${pid}/status`, 'utf8')) !== uid) continue;
      count += readdirSync(`/proc/${pid}/task`).length;
    } catch {
      /* exited meanwhile */
    }
  }
  return count;
}
