// safe-package's caches for the jail user, made and handed over before the first jail.
// The cache directory belongs to the jail user, so this is root working in a tree
// another user can change: every step is made safe against links planted there.

import { chmodSync, closeSync, constants, fchownSync, fstatSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Policy } from '../policy/types.js';
import { HostError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';

/**
 * Creates safe-package's cache directory for the jail user and the profile's caches in
 * it, private to that user. When root runs the jail as another user, the base
 * /var/cache/safe-package is root's and enterable by all (0755, repaired if it is not:
 * the jail user's bubblewrap must reach its own directory through it); each jail uid
 * gets its own 0700 directory.
 */
export function prepareCacheDirs(p: Policy): void {
  if (p.dropPrivileges) {
    const base = dirname(p.cacheDir);
    mkdirSync(base, { recursive: true, mode: 0o755 });
    const b = lstatSync(base);
    if (!b.isDirectory() || b.uid !== 0) throw new HostError(`${base} must be a directory owned by root`, undefined, `sudo rm -rf ${shellQuote(base)} (safe-package recreates it)`);
    if ((b.mode & 0o777) !== 0o755) chmodSync(base, 0o755);
  }
  mkdirSync(p.cacheDir, { recursive: true, mode: 0o700 });
  // The cache directory belongs to the jail user, who could have put a link where a cache
  // directory is expected: root looks at and changes it only through a descriptor opened
  // without following links (a chown by path would give them any file on the host).
  const own = (dir: string) => {
    if (!p.dropPrivileges) return;
    let fd: number;
    try {
      fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch {
      throw new HostError(`${dir} is not a directory (a symbolic link is not followed)`, undefined, `sudo rm -rf ${shellQuote(dir)} (safe-package recreates it)`);
    }
    try {
      const st = fstatSync(fd);
      if (st.uid !== p.user.uid || st.gid !== p.user.gid) fchownSync(fd, p.user.uid, p.user.gid);
    } finally {
      closeSync(fd);
    }
  };
  own(p.cacheDir);
  for (const c of p.profile.caches) {
    const dir = join(p.cacheDir, c.dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    own(dir);
  }
}
