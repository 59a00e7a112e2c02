// Running one install as the fixture user, as that user would at a terminal: through
// pty-run.py (a controlling terminal, inherited descriptors on the user's home), with
// the same environment whether the command is bare npm or safe-package.

import { spawn } from 'node:child_process';
import type { FixtureUser } from '../../support/cli.js';

export interface InstallResult {
  readonly status: number | null;
  readonly timedOut: boolean;
  /** Everything written to the terminal. */
  readonly output: string;
  /** Input left queued on the terminal after the install (keystrokes someone typed in). */
  readonly pending: string;
  readonly durationMs: number;
}

export interface InstallOptions {
  /** The copy of pty-run.py the fixture user can read. */
  readonly runner: string;
  readonly user: FixtureUser;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Directory the inherited descriptors point at. */
  readonly fdDir: string;
  readonly timeoutSeconds: number;
}

export function runInstall(argv: readonly string[], options: InstallOptions): Promise<InstallResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [options.runner, String(options.timeoutSeconds), options.fdDir, options.cwd, '--', ...argv], {
      cwd: options.cwd,
      env: { ...options.env },
      uid: options.user.uid,
      gid: options.user.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      let parsed: { status: number; timedOut: boolean; output: string; pending: string };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        reject(new Error(`pty-run.py failed (exit ${code}): ${stderr}${stdout}`));
        return;
      }
      resolve({
        status: parsed.status,
        timedOut: parsed.timedOut,
        output: Buffer.from(parsed.output, 'base64').toString('utf8'),
        pending: Buffer.from(parsed.pending, 'base64').toString('utf8'),
        durationMs: Date.now() - started,
      });
    });
  });
}
