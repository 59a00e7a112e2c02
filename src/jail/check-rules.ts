// When is a chroot jail safe to run an untrusted package manager in? Pure rules over lstat
// data (JailScan), so each one can be tested on synthetic entries.
//
// The threat: the jailed program (as the target user, never root) wants out, or wants to
// leave something behind for the next run or for a root process on the host.
//
// - The jail and every directory above it must be owned by root and not writable by
//   group/others. Whoever can write a directory above the jail can rename the jail away and
//   put their own in its place between `jail check` and chroot(2) — or make the path lead
//   somewhere else while `jail create` (root) writes into it. A world-writable directory
//   with the sticky bit (/tmp) is fine when the next directory down is root's: the sticky
//   bit stops others from renaming or deleting what they do not own.
// - Inside, nothing may be owned by anyone but root (an owner can chmod) or writable by
//   group/others, except /tmp's contents and sticky directories. Otherwise the user could
//   replace /usr/bin/node or libc for the next run — as themselves or as another user.
// - No setuid/setgid file, and no file capabilities (security.capability, the modern form
//   of setuid): the classic way back to root from a chroot, and root leaves a chroot at will
//   (a second chroot, mknod on a disk, mount). The chroot backend's no_new_privs also
//   disarms both; this is the second lock.
// - Write permission granted by a POSIX ACL shows in the group bits (they hold the ACL
//   mask), so the mode checks below see it.
// - Device nodes only of the harmless kind (null, zero, full, random, urandom, tty): /dev/mem,
//   a disk or /dev/kmsg inside would give the host away. FIFOs and Unix sockets outside /tmp
//   are a channel to whatever host process holds the other end.
// - No file system mounted inside (a bound host directory, a /proc of the host's PID
//   namespace whose /proc/<pid>/root leads out).
//
// Symlinks are not problems in themselves, and this is why: the kernel resolves every path
// of a chrooted process against its root. An absolute target ("/etc/ssl/certs") starts at
// the jail's root; ".." at the root stays at the root, so a relative target that climbs
// above it is clamped there. A chrooted process can only get out through a directory file
// descriptor or working directory outside the root, or through root privileges — the chroot
// backend chdirs to "/" right after chroot(2), closes inherited descriptors and drops root.
// The symlinks that matter are the ones a ROOT process on the host follows without chroot
// semantics: when the backend mounts /proc, /dev or a tmpfs on /tmp in the jail, mount(2)
// follows a symlink there to the host. Those five names must be real directories. (And any
// host-side tool that reads or writes in the jail — including `jail create` itself — must
// never follow a symlink found there; see jail-writer.ts.)
//
// Hard links are not checked: the jailed user cannot create any (they cannot write outside
// /tmp, and protected_hardlinks applies), and root-made links (e.g. `cp -al`) share inodes
// with root-owned files whose modes these same rules check.

import { posix } from 'node:path';
import type { AncestorEntry, JailEntry, JailProblem, JailScan, JailTarget } from './types.js';
import { shellQuote } from '../util/shell-quote.js';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/** major:minor of the character devices a jail may contain. */
export const HARMLESS_DEVICES: ReadonlyMap<string, string> = new Map([
  ['1:3', 'null'],
  ['1:5', 'zero'],
  ['1:7', 'full'],
  ['1:8', 'random'],
  ['1:9', 'urandom'],
  ['5:0', 'tty'],
]);

/** Directories a backend mounts onto; mount(2) would follow a symlink there out of the jail. */
export const MOUNT_POINTS = ['/proc', '/dev', '/tmp', '/sys', '/run'] as const;

function inTmp(rel: string): boolean {
  return rel.startsWith('/tmp/');
}

function writers(mode: number, gid: number, target: JailTarget): string | undefined {
  const group = (mode & 0o020) !== 0;
  const other = (mode & 0o002) !== 0;
  if (!group && !other) return undefined;
  const who: string[] = [];
  if (group) who.push(`group ${gid}${gid === target.gid ? " (the target user's group)" : ''}`);
  if (other) who.push('everyone (including the target user)');
  return who.join(' and ');
}

/** Problems with the jail directory and the directories above it. */
export function judgeAncestors(chains: readonly (readonly AncestorEntry[])[]): JailProblem[] {
  const out: JailProblem[] = [];
  for (const chain of chains) {
    for (let i = 0; i < chain.length; i++) {
      const e = chain[i]!;
      const isJail = i === chain.length - 1;
      const q = shellQuote(e.path);
      if (e.type === 'symlink') continue; // immutable; who may replace it is the parent's question
      if (e.type !== 'dir') {
        out.push({ path: e.path, rule: 'missing', problem: `is a ${e.type}, not a directory`, fix: isJail ? `run: safe-package jail create ${q}` : `remove or rename ${q}` });
        continue;
      }
      const what = isJail ? 'the jail directory' : 'a directory above the jail';
      if (e.uid !== 0) {
        out.push({
          path: e.path,
          rule: 'ancestor-owner',
          problem: `${what} is owned by uid ${e.uid}, not root: that user can rename the jail away and put another in its place`,
          fix: isJail ? `chown root:root ${q}` : `chown root:root ${q}, or move the jail under a directory only root can change`,
        });
      }
      if ((e.mode & 0o022) !== 0) {
        const next = chain[i + 1];
        const stickyGuarded = !isJail && (e.mode & S_ISVTX) !== 0 && next !== undefined && next.uid === 0;
        if (!stickyGuarded) {
          out.push({
            path: e.path,
            rule: 'ancestor-writable',
            problem: `${what} is writable by ${(e.mode & 0o002) !== 0 ? 'everyone' : `group ${e.gid}`} (mode ${fmtMode(e.mode)}): they can swap the jail for their own`,
            fix: `chmod go-w ${q}`,
          });
        }
      }
    }
  }
  return dedupe(out);
}

/** Problems with one path inside the jail. `root` is the jail's host path, for messages. */
export function judgeEntry(e: JailEntry, target: JailTarget, root: string): JailProblem[] {
  const out: JailProblem[] = [];
  const path = root + e.rel;
  const q = shellQuote(path);
  const tmpContent = inTmp(e.rel);

  if ((MOUNT_POINTS as readonly string[]).includes(e.rel) && e.type !== 'dir') {
    out.push({
      path,
      rule: 'mount-point-symlink',
      problem: `is a ${e.type}, not a directory: a backend that mounts ${e.rel} here would follow it out of the jail`,
      fix: `rm ${q} && mkdir -m ${e.rel === '/tmp' ? '1777' : '755'} ${q}`,
    });
  }

  if (!tmpContent && e.uid !== 0) {
    out.push({
      path,
      rule: 'owner',
      problem: `is owned by uid ${e.uid}${e.uid === target.uid ? ' (the target user)' : ''}, not root: its owner can change it`,
      fix: `chown root:root ${q}`,
    });
  }

  // Writing to /dev/null is what it is for; the device rule below decides which devices may exist.
  const harmlessDevice = e.type === 'char' && HARMLESS_DEVICES.has(`${e.rdevMajor ?? -1}:${e.rdevMinor ?? -1}`);
  if (e.type !== 'symlink' && !tmpContent && !harmlessDevice) {
    const stickyDir = e.type === 'dir' && (e.mode & S_ISVTX) !== 0;
    const who = writers(e.mode, e.gid, target);
    if (e.rel === '/tmp') {
      if ((e.mode & 0o002) !== 0 && !stickyDir) {
        out.push({ path, rule: 'tmp', problem: `is writable by everyone without the sticky bit (mode ${fmtMode(e.mode)}): users can delete each other's files`, fix: `chmod 1777 ${q}` });
      }
    } else if (who !== undefined && !stickyDir) {
      out.push({ path, rule: 'writable', problem: `is writable by ${who} (mode ${fmtMode(e.mode)})`, fix: `chmod go-w ${q}` });
    }
  }

  if (e.type !== 'dir' && e.type !== 'symlink' && (e.mode & (S_ISUID | S_ISGID)) !== 0) {
    const bits = [(e.mode & S_ISUID) !== 0 ? `setuid (runs as uid ${e.uid})` : '', (e.mode & S_ISGID) !== 0 ? `setgid (runs as gid ${e.gid})` : ''].filter((s) => s !== '');
    out.push({ path, rule: 'setuid', problem: `is ${bits.join(' and ')}: a way back to privileges from inside the jail`, fix: `chmod ug-s ${q}` });
  }

  if (e.type === 'char' || e.type === 'block') {
    const key = `${e.rdevMajor ?? -1}:${e.rdevMinor ?? -1}`;
    if (e.type === 'block' || !HARMLESS_DEVICES.has(key)) {
      out.push({
        path,
        rule: 'device',
        problem: `is a ${e.type === 'block' ? 'block' : 'character'} device ${key}: only null, zero, full, random, urandom and tty belong in a jail`,
        fix: `rm ${q}`,
      });
    }
  }

  if ((e.type === 'fifo' || e.type === 'socket') && !tmpContent) {
    out.push({
      path,
      rule: 'special-file',
      problem: `is a ${e.type === 'fifo' ? 'FIFO' : 'Unix socket'}: a channel to whatever host process holds the other end`,
      fix: `rm ${q}`,
    });
  }
  return out;
}

/** Every problem in a scanned jail, for a given target user. Empty means safe to use. */
export function judgeJail(scan: JailScan, target: JailTarget): JailProblem[] {
  const out: JailProblem[] = [];
  const missing = scan.ancestorChains.length === 0;
  if (missing) {
    return [{ path: scan.dir, rule: 'missing', problem: 'does not exist', fix: `create it with: safe-package jail create ${shellQuote(scan.dir)}` }];
  }
  if (target.uid === 0) {
    out.push({
      path: scan.root,
      rule: 'root-target',
      problem: 'the jail would be used as root (uid 0): root can leave a chroot (a second chroot, mknod, mount)',
      fix: 'run the package manager as an unprivileged user (--user nobody, the default)',
    });
  }
  out.push(...judgeAncestors(scan.ancestorChains));
  for (const m of scan.mounts) {
    const path = scan.root + m;
    out.push({ path, rule: 'mount', problem: 'has a file system mounted on it: the jail would see host files or processes through it', fix: `umount ${shellQuote(path)}` });
  }
  for (const e of scan.entries) out.push(...judgeEntry(e, target, scan.root));
  out.push(...judgeRequiredDevices(scan));
  for (const rel of scan.capabilities ?? []) {
    const path = scan.root + rel;
    out.push({
      path,
      rule: 'file-capabilities',
      problem: 'has file capabilities (security.capability): running it grants privileges, as setuid does',
      fix: `setfattr -x security.capability ${shellQuote(path)}`,
    });
  }
  return out;
}

/**
 * The device nodes a package manager and its scripts open (Node opens /dev/null for every
 * child's ignored stdio; crypto reads /dev/urandom). Without them a run fails in odd
 * ways, or a script that cannot open /dev/null falls back to something worse; a jail
 * made without the mknod capability lacks them, so it is not a usable jail.
 */
export const REQUIRED_DEVICES: readonly { readonly rel: string; readonly major: number; readonly minor: number }[] = [
  { rel: '/dev/null', major: 1, minor: 3 },
  { rel: '/dev/zero', major: 1, minor: 5 },
  { rel: '/dev/random', major: 1, minor: 8 },
  { rel: '/dev/urandom', major: 1, minor: 9 },
];

function judgeRequiredDevices(scan: JailScan): JailProblem[] {
  const byRel = new Map(scan.entries.map((e) => [e.rel, e]));
  const out: JailProblem[] = [];
  for (const d of REQUIRED_DEVICES) {
    const e = byRel.get(d.rel);
    if (e && e.type === 'char' && e.rdevMajor === d.major && e.rdevMinor === d.minor) continue;
    out.push({
      path: scan.root + d.rel,
      rule: 'device-missing',
      problem: e ? `is not the character device ${d.major}:${d.minor}` : `is missing (the character device ${d.major}:${d.minor})`,
      fix: `rebuild the jail where mknod is allowed: safe-package jail create ${shellQuote(scan.dir)} (as root with CAP_MKNOD)`,
    });
  }
  return out;
}

function fmtMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function dedupe(ps: JailProblem[]): JailProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.rule}\0${p.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Jail-relative path for a host path under root ("/" for the root itself). */
export function relInJail(root: string, hostPath: string): string {
  const r = posix.relative(root, hostPath);
  return r === '' ? '/' : `/${r}`;
}
