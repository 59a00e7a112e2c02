// Processes on the host: finding them by a tag in their command line, counting them
// while an install runs, and the victims an attack goes after (processes of the same
// user outside the install, started before it: a "security agent", a CI runner holding
// secrets in its environment, on its command line or in its memory).

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { FixtureUser } from '../../support/cli.js';

export interface HostProcess {
  readonly pid: number;
  readonly cmdline: string;
}

export function processesTagged(tag: string): HostProcess[] {
  const out: HostProcess[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmdline = readFileSync(`/proc/${e}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
      if (cmdline.includes(tag)) out.push({ pid: Number(e), cmdline });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The highest number of processes carrying `tag` seen at once, sampled while it runs. */
export class PeakCounter {
  peak = 0;
  private timer?: NodeJS.Timeout;
  constructor(private readonly tag: string, private readonly intervalMs = 100) {}
  start(): this {
    const sample = () => {
      this.peak = Math.max(this.peak, processesTagged(this.tag).length);
    };
    this.timer = setInterval(sample, this.intervalMs);
    return this;
  }
  stop(): number {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, processesTagged(this.tag).length);
    return this.peak;
  }
}

export type VictimKind = 'guard' | 'environ' | 'cmdline' | 'mem' | 'ptrace';

export interface Victim {
  readonly kind: VictimKind;
  readonly tag: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Set when it died before we ended it. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

export interface VictimSecrets {
  readonly procenv: string;
  readonly proccmd: string;
  readonly procmem: string;
  readonly ptrace: string;
}

const SLEEP = 'import time; time.sleep(300)';
const HOLD_IN_MEMORY = 'import sys, time\nsecret = sys.stdin.readline().strip()\nsys.stdin.close()\ntime.sleep(300)';

/**
 * Starts a victim as the fixture user, tagged `sp-victim-<kind>-<runTag>` on its command
 * line, and waits until it is running its program (and, for `mem`, holds its secret).
 */
export async function startVictim(kind: VictimKind, runTag: string, user: FixtureUser, secrets: VictimSecrets): Promise<Victim> {
  const tag = `sp-victim-${kind}-${runTag}`;
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: user.home, LANG: 'C.UTF-8' };
  const args = ['-c', kind === 'mem' ? HOLD_IN_MEMORY : SLEEP, tag];
  if (kind === 'environ') env.RUNNER_DEPLOY_TOKEN = secrets.procenv;
  if (kind === 'ptrace') env.RUNNER_DEPLOY_TOKEN = secrets.ptrace;
  if (kind === 'cmdline') args.push(`--api-token=${secrets.proccmd}`);
  const child = spawn('/usr/bin/python3', args, { env, uid: user.uid, gid: user.gid, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/' });
  const victim: Victim = { kind, tag, child, pid: child.pid! };
  child.on('exit', (code, signal) => (victim.exit = { code, signal }));
  if (kind === 'mem') child.stdin!.end(`${secrets.procmem}\n`);
  else child.stdin!.end();
  const deadline = Date.now() + 5000;
  for (;;) {
    if (victim.exit) throw new Error(`victim ${tag} exited early (${JSON.stringify(victim.exit)})`);
    let stat = '';
    try {
      stat = readFileSync(`/proc/${victim.pid}/stat`, 'latin1');
    } catch {
      /* not yet */
    }
    // python is asleep in time.sleep() once it is state S with the tag on its command line
    if (processesTagged(tag).some((p) => p.pid === victim.pid) && / S /.test(stat)) {
      await new Promise((r) => setTimeout(r, 50));
      if (/ S /.test(readFileSync(`/proc/${victim.pid}/stat`, 'latin1'))) return victim;
    }
    if (Date.now() > deadline) throw new Error(`victim ${tag} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What happened to a victim during the install, as evidence lines (empty: untouched). */
export function victimFate(v: Victim): string[] {
  if (v.exit) return [`the host process ${v.tag} (pid ${v.pid}) was ended: ${v.exit.signal ?? `exit ${v.exit.code}`}`];
  let status = '';
  try {
    status = readFileSync(`/proc/${v.pid}/status`, 'latin1');
  } catch {
    return [`the host process ${v.tag} (pid ${v.pid}) is gone`];
  }
  const out: string[] = [];
  const state = /^State:\s+(\S)/m.exec(status)?.[1];
  const tracer = /^TracerPid:\s+(\d+)/m.exec(status)?.[1];
  if (state === 'T' || state === 't') out.push(`the host process ${v.tag} (pid ${v.pid}) was left stopped`);
  if (tracer && tracer !== '0') out.push(`the host process ${v.tag} (pid ${v.pid}) is being traced by pid ${tracer}`);
  return out;
}

export function endVictim(v: Victim): void {
  if (v.exit) return;
  try {
    process.kill(v.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
