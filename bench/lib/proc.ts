// Runs one command and times it from spawn() to its exit, the way a shell's `time` does.
// Argument arrays only, never a shell. Output is kept only to explain a failure.

import { spawn } from 'node:child_process';
import { basename } from 'node:path';

export interface Identity {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
  readonly home: string;
}

export interface Command {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface Timed {
  /** Wall-clock milliseconds from spawn() until the process exited. */
  readonly ms: number;
  readonly status: number | null;
  readonly signal: string | null;
  /** First 64 KiB of stdout (some scenarios read a number from it). */
  readonly stdout: string;
  /** Last 4 KiB of stderr, to say why a run failed. */
  readonly stderrTail: string;
  /** A sequence of commands: the time of each that ran. */
  readonly partsMs?: readonly number[];
}

const STDOUT_KEEP = 64 * 1024;
const STDERR_KEEP = 4 * 1024;

export function runTimed(cmd: Command, as: Identity | undefined, timeoutMs = 30 * 60_000): Promise<Timed> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let exited: { code: number | null; signal: string | null; at: number } | undefined;
    const started = performance.now();
    const child = spawn(cmd.argv[0]!, cmd.argv.slice(1), {
      cwd: cmd.cwd,
      env: { ...cmd.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // The same identity for the bare and the wrapped side (libuv also clears the
      // supplementary groups when uid/gid are set).
      ...(as !== undefined ? { uid: as.uid, gid: as.gid } : {}),
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (stdout.length < STDOUT_KEEP) stdout += s.slice(0, STDOUT_KEEP - stdout.length);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_KEEP);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd.argv.join(' ')}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal, at: performance.now() };
    });
    // Resolve only once the pipes are drained too, so the next run starts on a quiet
    // machine; the time stays the exit time.
    child.on('close', () => {
      clearTimeout(timer);
      const e = exited ?? { code: child.exitCode, signal: child.signalCode, at: performance.now() };
      resolve({ ms: e.at - started, status: e.code, signal: e.signal, stdout, stderrTail: stderr });
    });
  });
}

/**
 * Runs commands one after the other, as `a && b` would, and times them as one: the sum of
 * their times. Stops at the first that fails; its result is the sequence's.
 */
export async function runTimedSequence(cmds: readonly Command[], as: Identity | undefined): Promise<Timed> {
  const partsMs: number[] = [];
  let last: Timed | undefined;
  for (const cmd of cmds) {
    last = await runTimed(cmd, as);
    partsMs.push(last.ms);
    if (failureOf(last) !== undefined) break;
  }
  if (!last) throw new Error('an empty sequence of commands');
  return { ...last, ms: partsMs.reduce((a, b) => a + b, 0), partsMs };
}

/** `npm ci` and the like, for messages: program base name and arguments. */
export function describe(argv: readonly string[]): string {
  return [basename(argv[0] ?? ''), ...argv.slice(1)].join(' ');
}

/** A run that did not end with status 0, in one line. */
export function failureOf(t: Timed): string | undefined {
  if (t.status === 0) return undefined;
  const why = t.signal ? `killed by ${t.signal}` : `exit status ${t.status}`;
  const last = t.stderrTail.trim().split('\n').slice(-3).join(' / ');
  return `${why}${last ? `: ${last}` : ''}`;
}
