// safe-package's entry point: parse the command line, then hand it to a command —
// doctor, jail, trust, check, ... (src/commands/), or the wrapped run of a package
// manager (src/commands/run.ts), whose pipeline is config → policy → plan → run →
// review and commit → report (ARCHITECTURE.md).

import { basename } from 'node:path';
import { closeInheritedDescriptors } from './close-fds.js';
import { parseArgs, UsageError, type CliOptions } from './args.js';
import { helpText } from './help.js';
import { EXIT_SAFE_PACKAGE_FAILED } from '../exit-codes.js';
import { VERSION } from '../version.js';

import { printError, type Io } from './io.js';
export type { Io } from './io.js';

// Getters: Node builds process.stdout (a pipe's stream, a tty, a file writer) the first
// time it is read, which costs a few ms; most runs never write to stdout.
const defaultIo: Io = {
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
};

export async function main(argv: readonly string[], invokedAs: string, io: Io = defaultIo): Promise<number> {
  const name = invokedAs === 'spm' ? 'spm' : 'safe-package';
  if (process.platform !== 'linux') {
    // The jail is made of Linux namespaces, seccomp and overlayfs; nothing here would
    // protect anything elsewhere, and pretending to would be worse than refusing.
    printError(io, name, `${process.platform} is not supported: safe-package's jail is built from Linux kernel features (namespaces, seccomp, overlayfs)`, 'run it on Linux, or in a Linux VM or container with user namespaces');
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  closeInheritedDescriptors();

  // 1. Parse.
  let cli: CliOptions;
  try {
    cli = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      printError(io, name, err.message, `see ${name} --help`);
      return EXIT_SAFE_PACKAGE_FAILED;
    }
    throw err;
  }
  if (cli.help) {
    io.stdout.write(helpText(name));
    return 0;
  }
  if (cli.version) {
    io.stdout.write(`${name} ${VERSION}\n`);
    return 0;
  }
  if (cli.command) {
    const { runCommand } = await import('../commands/index.js');
    return runCommand(cli.command, cli, io, name);
  }

  // 2–7. The wrapped run: configuration, policy, plan, the jail, review and commit, report.
  const { runWrapped } = await import('../commands/run.js');
  return runWrapped(cli, io, name);
}

export function invokedName(argv1: string | undefined): string {
  return basename(argv1 ?? 'safe-package') === 'spm' ? 'spm' : 'safe-package';
}
