// Where a command writes: the process's streams, or a test's. Its own module so that
// command modules need not import the CLI entry point that imports them.

export interface Io {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
}
