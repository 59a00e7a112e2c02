// What the numbers were measured on: printed above the table and kept in the JSON.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly kernel: string;
  readonly node: string;
  readonly npm: string;
  readonly bwrap: string;
  readonly curl: string;
  /** 1-minute load average when the benchmark started: a busy machine means noisy numbers. */
  readonly loadAtStart: number;
}

function firstLine(argv: readonly string[], env: Readonly<Record<string, string>>): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...env }, timeout: 20_000 });
  if (r.error || r.status !== 0) return 'not available';
  return (r.stdout || r.stderr).trim().split('\n')[0] ?? '';
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export function describeMachine(env: Readonly<Record<string, string>>): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: release(),
    node: process.version,
    npm: firstLine(['npm', '--version'], env),
    bwrap: firstLine(['bwrap', '--version'], env).replace(/^bubblewrap\s+/, ''),
    curl: (firstLine(['curl', '--version'], env).split(' ')[1] ?? 'not available'),
    loadAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}

export function machineLines(m: Machine): string[] {
  return [
    `CPU      ${m.cpu} (${m.cores} cores), ${m.memoryGiB} GiB`,
    `OS       ${m.os}, kernel ${m.kernel}`,
    `versions node ${m.node}, npm ${m.npm}, bwrap ${m.bwrap}, curl ${m.curl}`,
    `load     ${m.loadAtStart} (1-minute average at start)`,
  ];
}
