// Test support for staged writes: real overlay upper directories, made the way the
// sandbox makes them, and exact snapshots of directory trees.
//
// How an upper directory is produced: bubblewrap (0.8 has no --overlay) starts a shell
// as root of a new user namespace (`--unshare-user --uid 0 --gid 0 --cap-add ALL`,
// optionally as an unprivileged host user via setpriv), which mounts
//   mount -t overlay overlay -o lowerdir=L,upperdir=U,workdir=W,userxattr,
//         redirect_dir=nofollow,metacopy=off,index=off MERGED
// and runs the workload in MERGED. When the namespace ends, the mount is gone and U holds
// what the workload wrote: whiteouts (0:0 character devices), opaque directories
// (user.overlay.opaque=y), new and copied-up files.
//
// Measured on kernel 6.18: with userxattr, `redirect_dir=off` is REFUSED ("conflicting
// options: userxattr,redirect_dir=follow": with the module's redirect_always_follow=Y,
// "off" still follows redirects, which userxattr forbids); so are `redirect_dir=on` and
// `metacopy=on`. `redirect_dir=nofollow`, `metacopy=off` and `index=off` are accepted,
// as root and as an unprivileged user. Renaming a lower directory then fails with
// EXDEV (mv falls back to copy + delete), so upper directories never carry redirects.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

export const OVERLAY_OPTIONS = 'userxattr,redirect_dir=nofollow,metacopy=off,index=off';

export const MOUNT_SCRIPT = `#!/bin/sh
# usage: mount-and-run LOWER UPPER WORK MERGED PROGRAM [ARGS...]
set -eu
/usr/bin/mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3,${OVERLAY_OPTIONS}" "$4"
cd "$4"
shift 4
exec "$@"
`;

export interface Layout {
  /** World-traversable scratch directory holding everything below. */
  readonly root: string;
  readonly lower: string;
  readonly upper: string;
  readonly work: string;
  readonly merged: string;
}

/** A fresh scratch layout (in /tmp by default) that an unprivileged fixture user can reach. */
export function makeLayout(prefix: string, owner?: { uid: number; gid: number }, base = '/tmp'): Layout {
  const root = mkdtempSync(join(base, `sp-stage-${prefix}-`));
  chmodSync(root, 0o755);
  const l: Layout = {
    root,
    lower: join(root, 'project'),
    upper: join(root, 'upper'),
    work: join(root, 'work'),
    merged: join(root, 'merged'),
  };
  for (const d of [l.lower, l.upper, l.work, l.merged]) {
    mkdirSync(d);
    if (owner) chownSync(d, owner.uid, owner.gid);
  }
  writeFileSync(join(root, 'mount-and-run.sh'), MOUNT_SCRIPT, { mode: 0o755 });
  return l;
}

/**
 * Runs `workload` (a shell script's text) in the merged view of the layout, inside a
 * user namespace, as `asUid` on the host when given (else as the caller).
 */
export function runInOverlay(l: Layout, workload: string, asUid?: { uid: number; gid: number }): void {
  const script = join(l.root, 'workload.sh');
  writeFileSync(script, workload, { mode: 0o644 });
  const bwrap = [
    '--unshare-user', '--uid', '0', '--gid', '0', '--cap-add', 'ALL', '--dev-bind', '/', '/', '--',
    '/bin/sh', join(l.root, 'mount-and-run.sh'), l.lower, l.upper, l.work, l.merged, '/bin/sh', '-eu', script,
  ];
  const r = asUid
    ? spawnSync('/usr/bin/setpriv', [
        '--reuid', String(asUid.uid), '--regid', String(asUid.gid), '--clear-groups', '/usr/bin/bwrap', ...bwrap,
      ], { encoding: 'utf8' })
    : spawnSync('/usr/bin/bwrap', bwrap, { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`workload failed (status ${r.status}, signal ${r.signal}): ${r.stderr}${r.stdout}`);
  }
}

export function removeLayout(l: Layout): void {
  rmSync(l.root, { recursive: true, force: true });
}

/**
 * One line per entry, sorted: path, type, permission bits, owner, and the content (short
 * files inline, long ones hashed), link target or link count. Inode numbers are left
 * out: two trees are equal when a user could not tell them apart.
 */
export function snapshot(dir: string, opts: { owners?: boolean; skip?: (rel: string) => boolean } = {}): string[] {
  const out: string[] = [];
  // Paths are Buffers: names may not be valid UTF-8. Shown escaped (JSON of latin1).
  const walk = (abs: Buffer, rel: string): void => {
    for (const name of (readdirSync(abs, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare)) {
      const valid = Buffer.from(name.toString('utf8')).equals(name);
      const shown = JSON.stringify(valid ? name.toString('utf8') : name.toString('latin1')).slice(1, -1);
      const childRel = rel ? `${rel}/${shown}` : shown;
      if (opts.skip?.(childRel)) continue;
      const childAbs = Buffer.concat([abs, Buffer.from('/'), name]);
      const st = lstatSync(childAbs);
      const mode = `0${(st.mode & 0o7777).toString(8)}`;
      const owner = opts.owners ? ` ${st.uid}:${st.gid}` : '';
      if (st.isDirectory()) {
        out.push(`${childRel} dir ${mode}${owner}`);
        walk(childAbs, childRel);
      } else if (st.isSymbolicLink()) {
        out.push(`${childRel} symlink${owner} -> ${readlinkSync(childAbs, 'utf8')}`);
      } else if (st.isFile()) {
        const data = readFileSync(childAbs);
        const content =
          data.length <= 64
            ? JSON.stringify(data.toString('utf8'))
            : `sha256:${createHash('sha256').update(data).digest('hex').slice(0, 16)}`;
        out.push(`${childRel} file ${mode}${owner} nlink=${st.nlink} ${content}`);
      } else {
        out.push(`${childRel} other ${mode}${owner}`);
      }
    }
  };
  walk(Buffer.from(dir), '');
  return out;
}

export const SP_TEST = { uid: 1001, gid: 1001 } as const;
export const SP_OTHER = { uid: 1002, gid: 1002 } as const;

/** Writes a tree of files: keys are relative paths, values contents. */
export function writeTree(root: string, files: Record<string, string>, owner?: { uid: number; gid: number }): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(root, rel);
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = join(root, ...parts.slice(0, i));
      mkdirSync(d, { recursive: true });
      if (owner) chownSync(d, owner.uid, owner.gid);
    }
    writeFileSync(abs, content);
    if (owner) chownSync(abs, owner.uid, owner.gid);
  }
}

export function cpTree(from: string, to: string): void {
  const r = spawnSync('/bin/cp', ['-a', '--', from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp -a ${from} ${to} failed: ${r.stderr}`);
}

/**
 * A memory file system for tests that create tens of thousands of files: on these VMs a
 * file creation on the disk costs ~0.4 ms of system time, on tmpfs ~0.01 ms. The commit
 * logic does not depend on the file system type (renames and links behave the same).
 * SP_STAGE_SCRATCH_DIR=/tmp runs these tests on the disk instead.
 */
export function fastScratchBase(): string {
  if (process.env.SP_STAGE_SCRATCH_DIR) return process.env.SP_STAGE_SCRATCH_DIR;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return '/tmp';
  }
}
