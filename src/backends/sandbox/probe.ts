// Does the rootless sandbox work on this host, for this user? We try it rather than
// guess from kernel versions (docs/promises.md#p3-backends `auto`): a tiny bubblewrap jail with every
// namespace the real one uses. When it fails, diagnose() says exactly how to fix it.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findTool, installCommand, TOOLS } from '../../host/system-tools.js';

export type SandboxProbe =
  | { readonly ok: true; readonly bwrap: string }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

export interface ProbeAs {
  /** When running as root for another user: the privileges to drop to first. */
  readonly uid: number;
  readonly gid: number;
  readonly setpriv: string;
}

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Turns bubblewrap's complaint and the kernel's settings into a reason and a fix. Pure. */
export function diagnoseSandboxFailure(stderr: string, sysctl: (path: string) => string | undefined): { reason: string; fix: string } {
  const apparmor = sysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  const maxUserNs = sysctl('/proc/sys/user/max_user_namespaces');
  const debianClone = sysctl('/proc/sys/kernel/unprivileged_userns_clone');
  const said = stderr.trim().split('\n').pop() ?? '';
  if (apparmor === '1') {
    return {
      reason: `unprivileged user namespaces are restricted by AppArmor (Ubuntu 23.10+): ${said}`,
      fix:
        'allow bubblewrap to create user namespaces with an AppArmor profile: write /etc/apparmor.d/bwrap containing\n' +
        '  abi <abi/4.0>,\n  include <tunables/global>\n  profile bwrap /usr/bin/bwrap flags=(unconfined) {\n    userns,\n  }\n' +
        'then run: sudo apparmor_parser -r /etc/apparmor.d/bwrap\n' +
        '(or, less safely, for the whole system: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)',
    };
  }
  if (maxUserNs === '0') {
    return { reason: `user namespaces are disabled (user.max_user_namespaces = 0): ${said}`, fix: 'sudo sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/)' };
  }
  if (debianClone === '0') {
    return {
      reason: `unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0): ${said}`,
      fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1 (persist it in /etc/sysctl.d/)',
    };
  }
  if (/proc/.test(said)) {
    return {
      reason: `cannot mount a fresh /proc (this usually means a container with a masked /proc): ${said}`,
      fix: 'nothing to change: the landlock backend needs no namespaces and auto takes it (check with safe-package doctor); --cap-add SYS_ADMIN is not a fix for a security tool',
    };
  }
  return {
    reason: `bubblewrap could not build a sandbox: ${said || 'no message'}`,
    fix: 'run `safe-package doctor` for details; inside a container without user namespaces, auto takes the landlock backend',
  };
}

/**
 * Without running anything: is bubblewrap there at all? A run whose only choice is the
 * sandbox does not probe first (that costs a jail); the run itself is the try, and a
 * failed start is diagnosed with probeSandbox() afterwards.
 */
export function sandboxInstalled(env: Readonly<Record<string, string | undefined>> = process.env): SandboxProbe {
  const bwrap = findTool('bwrap', env);
  return bwrap ? { ok: true, bwrap } : { ok: false, reason: 'bubblewrap (bwrap) is not installed', fix: installCommand(TOOLS.bwrap) };
}

export function probeSandbox(as?: ProbeAs, env: Readonly<Record<string, string | undefined>> = process.env): SandboxProbe {
  const bwrap = findTool('bwrap', env);
  if (!bwrap) return { ok: false, reason: 'bubblewrap (bwrap) is not installed', fix: installCommand(TOOLS.bwrap) };
  const probe = [
    bwrap,
    '--unshare-user',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--die-with-parent',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib64', '/lib64',
    '--proc', '/proc',
    '--dev', '/dev',
    '--',
    '/usr/bin/true',
  ];
  const argv = as ? [as.setpriv, `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', '--', ...probe] : probe;
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000, env: {} });
  if (r.error) return { ok: false, reason: `cannot run ${bwrap}: ${r.error.message}`, fix: installCommand(TOOLS.bwrap) };
  if (r.status !== 0) return { ok: false, ...diagnoseSandboxFailure(r.stderr ?? '', readSysctl) };
  return { ok: true, bwrap };
}

/** "0.8.0", or undefined when bwrap cannot say. */
export function bwrapVersion(bwrap: string): string | undefined {
  const v = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 5000 });
  const m = /(\d+\.\d+(?:\.\d+)?)/.exec(v.stdout ?? '');
  return m ? m[1] : undefined;
}
