// Users and groups, resolved on the host before anything enters a jail (docs/promises.md#p3-backends): the
// jail's own /etc/passwd is written by whoever controls the jail and must not decide who
// we become.

import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
}

export function parsePasswd(text: string): UserEntry[] {
  const out: UserEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5]!, shell: f[6]! });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3 || !/^\d+$/.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]) });
  }
  return out;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Users from NSS (LDAP, sssd, ...) are not in /etc/passwd; getent asks NSS. */
function getent(db: 'passwd' | 'group', key: string): string {
  const r = spawnSync('getent', [db, key], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout : '';
}

/** Finds a user by name or numeric uid. */
export function lookupUser(spec: string, passwdText: string = readOr('/etc/passwd')): UserEntry | undefined {
  const numeric = /^\d+$/.test(spec);
  const match = (u: UserEntry) => (numeric ? u.uid === Number(spec) : u.name === spec);
  return parsePasswd(passwdText).find(match) ?? parsePasswd(getent('passwd', spec)).find(match);
}

export function lookupGroupName(gid: number, groupText: string = readOr('/etc/group')): string | undefined {
  return (parseGroup(groupText).find((g) => g.gid === gid) ?? parseGroup(getent('group', String(gid))).find((g) => g.gid === gid))?.name;
}
