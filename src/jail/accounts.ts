// Resolving --user on the HOST, before anything looks inside a jail: the jail's own
// /etc/passwd is a file in the jail and must not decide who the target is.
// (src/host/users.ts does the same for the main CLI; this copy keeps the jail area
// self-contained and can be replaced by it when both are merged.)

import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { JailAccount } from './etc-files.js';
import { JailError } from './errors.js';

interface PasswdLine {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function parsePasswd(text: string): PasswdLine[] {
  const out: PasswdLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return out;
}

function parseGroup(text: string): { name: string; gid: number }[] {
  const out: { name: string; gid: number }[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !/^\d+$/.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]) });
  }
  return out;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** NSS users (LDAP, sssd) are not in /etc/passwd; getent asks NSS. Argument array, no shell. */
function getent(db: 'passwd' | 'group', key: string): string {
  const r = spawnSync('getent', [db, key], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout : '';
}

export function hostGroupName(gid: number): string | undefined {
  const find = (t: string) => parseGroup(t).find((g) => g.gid === gid)?.name;
  return find(read('/etc/group')) ?? find(getent('group', String(gid)));
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
    const known = parsePasswd(read('/etc/passwd')).find((u) => u.uid === uid);
    return { name: known?.name ?? `uid${uid}`, uid, gid, group: hostGroupName(gid) ?? `gid${gid}`, home: known?.home ?? '/nonexistent' };
  }
  const numeric = /^\d+$/.test(spec);
  const match = (u: PasswdLine) => (numeric ? u.uid === Number(spec) : u.name === spec);
  const u = parsePasswd(read('/etc/passwd')).find(match) ?? parsePasswd(getent('passwd', spec)).find(match);
  if (!u) throw new JailError(`unknown user ${JSON.stringify(spec)}: not in /etc/passwd or NSS; give an existing user name, a uid, or UID:GID`);
  return { name: u.name, uid: u.uid, gid: u.gid, group: hostGroupName(u.gid) ?? `gid${u.gid}`, home: u.home };
}
