// Where a command writes: the process's streams, or a test's. Its own module so that
// command modules need not import the CLI entry point that imports them.

import { neutralise } from '../util/untrusted-text.js';

export interface Io {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** An error as every command prints it: the message made safe to print, then the fix. */
export function printError(io: Io, name: string, message: string, fix?: string): void {
  io.stderr.write(`${name}: error: ${neutralise(message)}\n`);
  if (fix) io.stderr.write(`${name}: fix: ${fix}\n`);
}
