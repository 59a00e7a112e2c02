// Carries out a LaunchPlan: spawns it, feeds its descriptors, forwards the user's
// signals to the package manager, enforces the wall-clock limit, and waits until the
// jail is gone. Returns what happened as data.

import { spawn, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { LaunchPlan } from '../plan/types.js';
import { isatty } from 'node:tty';
import { TerminalFilter } from './terminal-filter.js';
import { armDeadline } from '../util/deadline.js';
import type { Socket } from 'node:net';
import { receiveHandover } from '../net/bridge-handover.js';

export interface Outcome {
  /** Exit status as a shell would report it: the program's own, or 128+N for signal N. */
  readonly status: number;
  /** Signal name when the program was killed by one. */
  readonly signal?: string;
  /** The jail never started the program (bubblewrap or a launcher step failed). */
  readonly setupFailed: boolean;
  readonly timedOut: boolean;
  /** Signals the user sent, forwarded to the program. */
  readonly forwarded: readonly string[];
  readonly durationMs: number;
  /** spawn() itself failed (ENOENT, EACCES) — only for the none backend. */
  readonly spawnError?: NodeJS.ErrnoException;
  /** What failed during set-up, when safe-package knows. */
  readonly setupProblem?: string;
}

export interface LaunchOptions {
  /** Seconds before the jail is killed. */
  readonly timeoutSeconds: number;
  /** Grace period between the polite signal and SIGKILL, in ms. */
  readonly killGraceMs?: number;
  /** Serves a client connection the bridge handed over (the proxy's adopt); without it they are closed. */
  readonly adopt?: (socket: Socket) => void;
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Direct children of a process, from /proc (no pid-reuse race: we own the parent). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The package manager's pid: follow bubblewrap processes down from the one we spawned
 * (monitor → namespace init → nested jail builder → its init) to the first process that
 * is not bubblewrap. Host pids throughout, so it works across the PID namespaces.
 */
export function belowBwrap(spawned: number): number | undefined {
  let pid = spawned;
  for (let depth = 0; depth < 8; depth++) {
    const kids = childrenOf(pid);
    if (kids.length === 0) return undefined;
    const next = kids.find((k) => comm(k) === 'bwrap');
    if (next === undefined) return kids[0];
    pid = next;
  }
  return undefined;
}

/** Parses bubblewrap's --json-status-fd stream: concatenated JSON objects. Pure. */
export function parseBwrapStatus(text: string): { childPid?: number; exitCode?: number } {
  const out: { childPid?: number; exitCode?: number } = {};
  for (const m of text.matchAll(/\{[^{}]*\}/g)) {
    try {
      const o = JSON.parse(m[0]) as Record<string, unknown>;
      if (typeof o['child-pid'] === 'number') out.childPid = o['child-pid'];
      if (typeof o['exit-code'] === 'number') out.exitCode = o['exit-code'];
    } catch {
      /* partial or foreign data: ignore */
    }
  }
  return out;
}

export function launch(plan: LaunchPlan, options: LaunchOptions): Promise<Outcome> {
  const started = Date.now();
  const grace = options.killGraceMs ?? 5000;
  // The user's terminal never enters the jail: where stdin/stdout/stderr is a terminal,
  // the jail gets a pipe and we relay (output through TerminalFilter). Files and pipes
  // are passed as they are: they are not a terminal that obeys escape sequences.
  const relay = [0, 1, 2].map((fd) => plan.backend !== 'none' && isatty(fd));
  const stdio: StdioOptions = [...relay.map((r) => (r ? ('pipe' as const) : ('inherit' as const))), ...plan.fds.map((f) => (f.kind === 'channel' ? ('ipc' as const) : ('pipe' as const)))];
  const env: Record<string, string> = { ...plan.env };
  if ((relay[1] || relay[2]) && env.NO_COLOR === undefined) {
    // Through a pipe tools would drop their colours; the filter lets colours through.
    env.FORCE_COLOR ??= '1';
    env.npm_config_color ??= 'always';
  }
  // The child gets a session of its own: a Ctrl-C on the terminal reaches only us, and
  // we forward it exactly once. (The jail also starts a new session inside, so TIOCSTI
  // cannot reach the terminal.)
  const detached = true;
  const child = spawn(plan.argv[0]!, plan.argv.slice(1), {
    env,
    cwd: plan.cwd,
    stdio,
    detached,
    windowsHide: true,
  });

  if (plan.fds.some((f) => f.kind === 'channel')) {
    child.on('message', (message, handle) => receiveHandover(message, handle, options.adopt ?? ((s) => s.destroy())));
  }

  const relayOut = (from: Readable | null, to: NodeJS.WriteStream) => {
    if (!from) return;
    const filter = new TerminalFilter();
    from.on('data', (chunk: Buffer) => to.write(filter.push(chunk)));
    from.on('end', () => to.write(filter.end()));
    from.on('error', () => {});
  };
  if (relay[1]) relayOut(child.stdout, process.stdout);
  if (relay[2]) relayOut(child.stderr, process.stderr);
  const stdinRelay = relay[0] && child.stdin ? child.stdin : undefined;
  const onInput = (d: Buffer) => stdinRelay?.write(d);
  const onInputEnd = () => stdinRelay?.end();
  if (stdinRelay) {
    stdinRelay.on('error', () => {});
    process.stdin.on('data', onInput);
    process.stdin.on('end', onInputEnd);
  }

  let statusText = '';
  let readyText = '';
  let bridgeFailed = false;
  const gates: Writable[] = [];
  const readies = plan.fds.filter((f) => f.kind === 'ready').length;
  let readyCount = 0;
  plan.fds.forEach((spec, i) => {
    const stream = child.stdio[3 + i];
    if (!stream) return;
    stream.on('error', () => {}); // the child may exit before reading; its exit status tells
    switch (spec.kind) {
      case 'data':
        (stream as Writable).end(spec.data);
        break;
      case 'gate':
        gates.push(stream as Writable);
        break;
      case 'status':
        (stream as Readable).setEncoding('utf8').on('data', (chunk: string) => {
          statusText += chunk;
        });
        break;
      case 'ready': {
        let seen = false;
        const r = (stream as Readable).setEncoding('utf8');
        r.on('data', (chunk: string) => {
          readyText += chunk;
          if (!seen && readyText.includes('ready\n')) {
            seen = true;
            // Everything the jail needs from outside is up: let it start.
            if (++readyCount === readies) for (const g of gates) g.end('go');
          }
        });
        r.on('close', () => {
          // Closed without "ready" while the jail builder still runs: the bridge died
          // before listening, and the jail would start without its way to the registry.
          // Tear it down instead of letting the install fail oddly. (When the jail
          // builder itself failed, it took the bridge with it: that is its own error.)
          if (!seen && child.exitCode === null && child.signalCode === null) {
            bridgeFailed = true;
            hardKill();
          }
        });
        break;
      }
    }
  });

  const forwarded: string[] = [];
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;

  const mainPid = (): number | undefined => {
    if (child.pid === undefined) return undefined;
    switch (plan.mainProcess) {
      case 'spawned':
        return child.pid;
      case 'child-of-spawned':
        return childrenOf(child.pid)[0];
      case 'below-bwrap':
        return belowBwrap(child.pid);
    }
  };

  const hardKill = () => {
    if (plan.lifetime === 'supervisor' && child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      // sp-confine tears the jail down itself (it is the subreaper: it finds every
      // process, including those that left the process group); SIGKILL to the group is
      // the backstop if it does not exit.
      try {
        process.kill(child.pid, 'SIGALRM');
      } catch {
        /* already gone */
      }
      const pid = child.pid;
      setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 7000).unref();
      return;
    }
    try {
      // Killing the launcher tears the jail down: bubblewrap's --die-with-parent and the
      // PID namespace (or unshare --kill-child) take every process with it.
      if (child.pid !== undefined) process.kill(detached ? -child.pid : child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };

  const deliver = (signal: NodeJS.Signals) => {
    const pid = mainPid();
    try {
      if (pid !== undefined) process.kill(pid, signal);
      else if (child.pid !== undefined) process.kill(child.pid, signal);
    } catch {
      /* gone already */
    }
  };

  const onSignal = (signal: NodeJS.Signals) => {
    forwarded.push(signal);
    deliver(signal);
    // A second interrupt means "now": do not wait for a program that ignores signals
    // (a program that is PID 1 of its namespace ignores those it has no handler for).
    const interrupts = forwarded.filter((s) => s === 'SIGINT' || s === 'SIGTERM').length;
    if (interrupts >= 2) hardKill();
    else if (!killTimer && (signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP')) {
      killTimer = setTimeout(hardKill, grace * 2);
      killTimer.unref();
    }
  };
  const handlers = FORWARDED_SIGNALS.map((s) => {
    const h = () => onSignal(s);
    process.on(s, h);
    return [s, h] as const;
  });

  const timeout = armDeadline(options.timeoutSeconds * 1000, () => {
    timedOut = true;
    deliver('SIGTERM');
    setTimeout(hardKill, grace).unref();
  });

  return new Promise<Outcome>((resolve) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (err) => {
      spawnError = err as NodeJS.ErrnoException;
    });
    child.on('close', (code, signal) => {
      if (stdinRelay) {
        process.stdin.off('data', onInput);
        process.stdin.off('end', onInputEnd);
        process.stdin.pause();
      }
      timeout.clear();
      if (killTimer) clearTimeout(killTimer);
      for (const [s, h] of handlers) process.off(s, h);
      const status = parseBwrapStatus(statusText);
      const setupFailed = bridgeFailed || (plan.backend !== 'none' ? status.childPid === undefined : spawnError !== undefined);
      let exit: number;
      let signalName: string | undefined;
      if (signal) {
        signalName = signal;
        exit = 128 + (osConstants.signals[signal] ?? 0);
      } else {
        exit = code ?? 1;
        if (exit > 128 && exit < 128 + 65) {
          const name = Object.entries(osConstants.signals).find(([, n]) => n === exit - 128)?.[0];
          if (name) signalName = name;
        }
      }
      resolve({
        status: exit,
        ...(signalName ? { signal: signalName } : {}),
        setupFailed,
        timedOut,
        forwarded,
        durationMs: Date.now() - started,
        ...(spawnError ? { spawnError } : {}),
        ...(bridgeFailed ? { setupProblem: 'the network bridge did not start' } : {}),
      });
    });
  });
}
