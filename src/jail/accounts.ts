// Resolving --user on the HOST, before anything looks inside a jail: the jail's own
// /etc/passwd is a file in the jail and must not decide who the target is. The parsing
// is src/host/users.ts, shared with the main CLI.

import type { JailAccount } from './etc-files.js';
import { JailError } from './errors.js';
import { lookupGroupName, lookupUser } from '../host/users.js';

export function hostGroupName(gid: number): string | undefined {
  return lookupGroupName(gid);
}

/**
 * A user given as NAME, UID, or UID:GID (numbers need not exist on the host in that last
 * form). Throws with a fix when the user is unknown.
 */
export function resolveHostUser(spec: string): JailAccount {
  const pair = /^(\d+):(\d+)$/.exec(spec);
  if (pair) {
    const uid = Number(pair[1]);
    const gid = Number(pair[2]);
    const known = lookupUser(String(uid));
    return { name: known?.name ?? `uid${uid}`, uid, gid, group: hostGroupName(gid) ?? `gid${gid}`, home: known?.home ?? '/nonexistent' };
  }
  const u = lookupUser(spec);
  if (!u) throw new JailError(`unknown user ${JSON.stringify(spec)}: not in /etc/passwd or NSS; give an existing user name, a uid, or UID:GID`);
  return { name: u.name, uid: u.uid, gid: u.gid, group: hostGroupName(u.gid) ?? `gid${u.gid}`, home: u.home };
}
