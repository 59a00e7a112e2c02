// Loaded into the safe-package process with `node --import FILE?out=RESULT` by the
// start-up breakdown. It records, in the process itself and on the clock that starts
// with the process (performance.now()):
//   - when Node had booted (this module runs before the program's own modules),
//   - when main() began (its first act is listing /proc/self/fd, see cli/close-fds.ts),
//   - every child process: synchronous ones (the sandbox probe) and the jail itself,
// and writes them as JSON to RESULT at exit. A benchmark instrument, not product code:
// when main() changes its first act, `mainAt` is simply missing from the breakdown.

import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export interface ChildTiming {
  readonly kind: 'sync' | 'async';
  readonly file: string;
  readonly args: readonly string[];
  readonly start: number;
  end?: number;
}

export interface TimingRecord {
  readonly hookAt: number;
  mainAt?: number;
  readonly children: ChildTiming[];
  exitAt?: number;
}

const out = new URL(import.meta.url).searchParams.get('out');
const record: TimingRecord = { hookAt: performance.now(), children: [] };

if (out) {
  const spawnSync = childProcess.spawnSync;
  const spawn = childProcess.spawn;
  const readdirSync = fs.readdirSync;
  const argsOf = (a: unknown): string[] => (Array.isArray(a) ? a.slice(0, 40).map(String) : []);

  childProcess.spawnSync = function (this: unknown, file: string, ...rest: unknown[]) {
    const entry: ChildTiming = { kind: 'sync', file: String(file), args: argsOf(rest[0]), start: performance.now() };
    record.children.push(entry);
    try {
      return (spawnSync as (...a: unknown[]) => unknown).call(this, file, ...rest);
    } finally {
      entry.end = performance.now();
    }
  } as typeof childProcess.spawnSync;

  childProcess.spawn = function (this: unknown, file: string, ...rest: unknown[]) {
    const entry: ChildTiming = { kind: 'async', file: String(file), args: argsOf(rest[0]), start: performance.now() };
    record.children.push(entry);
    const child = (spawn as (...a: unknown[]) => childProcess.ChildProcess).call(this, file, ...rest);
    child.once('exit', () => {
      entry.end = performance.now();
    });
    return child;
  } as typeof childProcess.spawn;

  fs.readdirSync = function (this: unknown, path: fs.PathLike, ...rest: unknown[]) {
    if (record.mainAt === undefined && String(path) === '/proc/self/fd') record.mainAt = performance.now();
    return (readdirSync as (...a: unknown[]) => unknown).call(this, path, ...rest);
  } as typeof fs.readdirSync;

  // Named imports of node: builtins (`import { spawn } from 'node:child_process'`) see
  // the patched functions only after this.
  syncBuiltinESMExports();

  process.on('exit', () => {
    record.exitAt = performance.now();
    try {
      fs.writeFileSync(out, JSON.stringify(record));
    } catch {
      // a missing record shows as a missing sample
    }
  });
}
