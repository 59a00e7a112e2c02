// Runs a command in a minimal real bubblewrap jail, optionally with a seccomp program
// fed on fd 3 exactly the way the sandbox backend will feed it.

import { spawn } from 'node:child_process';

export interface JailOptions {
  /** Raw sock_filter bytes for `--seccomp 3`; no filter when absent. */
  readonly filter?: Buffer;
  /**
   * Keep real root with all capabilities and no user namespace. Only for showing
   * that a probe reaches the kernel for calls the kernel itself refuses to an
   * unprivileged jail (acct, swapon, ...). Needs root.
   */
  readonly privileged?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface JailResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const FILESYSTEM = [
  '--ro-bind', '/usr', '/usr',
  '--symlink', 'usr/bin', '/bin',
  '--symlink', 'usr/lib', '/lib',
  '--symlink', 'usr/lib64', '/lib64',
  '--symlink', 'usr/sbin', '/sbin',
  '--proc', '/proc',
  '--dev', '/dev',
  '--tmpfs', '/tmp',
];

const UNPRIVILEGED = ['--unshare-all', '--die-with-parent', '--new-session'];
const PRIVILEGED = [
  '--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts',
  '--die-with-parent', '--new-session', '--cap-add', 'ALL',
];

export function bwrapArgs(command: readonly string[], options: JailOptions = {}): string[] {
  return [
    ...FILESYSTEM,
    ...(options.privileged ? PRIVILEGED : UNPRIVILEGED),
    ...(options.filter ? ['--seccomp', '3'] : []),
    '--',
    ...command,
  ];
}

export function runInJail(command: readonly string[], options: JailOptions = {}): Promise<JailResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bwrap', bwrapArgs(command, options), {
      stdio: ['ignore', 'pipe', 'pipe', options.filter ? 'pipe' : 'ignore'],
      env: { PATH: '/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', ...options.env },
    });
    if (options.filter) {
      const fd3 = child.stdio[3];
      if (!fd3 || !('end' in fd3)) throw new Error('bwrap was spawned without a pipe on fd 3');
      fd3.on('error', reject);
      fd3.end(options.filter);
    }
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start bwrap (apt-get install bubblewrap): ${err.message}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}
