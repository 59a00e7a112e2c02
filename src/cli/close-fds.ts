// Descriptors inherited from whoever started safe-package (a shell's `3<secret`, a CI
// runner's pipes, an open directory) would otherwise pass through every exec into the
// jail: an open directory outside the jail is a classic escape (fchdir + ".."), an open
// file is a leak. Node opens its own descriptors close-on-exec, so anything above stderr
// without FD_CLOEXEC came from outside: close it before doing anything else.

import { closeSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** Reads the `flags:` line of /proc/self/fdinfo/N (octal). Pure over the text. */
export function fdinfoFlags(text: string): number | undefined {
  const m = /^flags:\s*([0-7]+)/m.exec(text);
  return m ? parseInt(m[1]!, 8) : undefined;
}

export function closeInheritedDescriptors(): number[] {
  const closed: number[] = [];
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return closed;
  }
  for (const name of fds) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    let flags: number | undefined;
    try {
      flags = fdinfoFlags(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    } catch {
      continue; // the readdir descriptor itself, already closed
    }
    if (flags !== undefined && (flags & O_CLOEXEC) === 0) {
      try {
        closeSync(fd);
        closed.push(fd);
      } catch {
        /* not ours to close after all */
      }
    }
  }
  return closed;
}
