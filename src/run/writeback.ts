// Getting what a jail wrote onto the disk while other work goes on.
//
// The commit is crash-safe only because it flushes the project's file system before its
// commit point (stage/recover.ts, barrier): a fresh node_modules is about 100 MB still in
// the page cache when npm exits, and writing it out takes a noticeable part of a second.
// Started in the background as soon as a jail ends, the writeback overlaps the next jail
// (a package's install scripts) or the review, and the barrier finds little left to do.
// It changes nothing about what is durable when: the barrier still waits for everything.

import { spawn, type ChildProcess } from 'node:child_process';

export interface Writeback {
  /** Starts writing back the file system of `dir` unless a writeback is still running. */
  kick(dir: string): void;
  /** Resolves when no writeback is running. */
  settled(): Promise<void>;
}

export function backgroundWriteback(): Writeback {
  let running: ChildProcess | undefined;
  let done: Promise<void> = Promise.resolve();
  return {
    kick(dir) {
      if (running) return;
      const child = spawn('/bin/sync', ['-f', dir], { stdio: 'ignore' });
      running = child;
      done = new Promise<void>((resolve) => {
        const finish = () => {
          running = undefined;
          resolve();
        };
        child.once('exit', finish);
        child.once('error', finish); // no sync(1): the barrier does the work
      });
    },
    settled: () => done,
  };
}
