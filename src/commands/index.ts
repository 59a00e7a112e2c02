// The command table: reserved words given as the first positional argument (docs/promises.md#p10-commands).
// Each command lives in its own module, loaded only when used.

import type { CliOptions, CommandName } from '../cli/args.js';
import type { Io } from '../cli/io.js';

export async function runCommand(command: CommandName, cli: CliOptions, io: Io, name: string): Promise<number> {
  switch (command) {
    case 'doctor':
      return (await import('./doctor.js')).runDoctor(cli.positionals, io);
    case 'jail':
      return (await import('./jail.js')).runJailCommand(cli.positionals, io);
    case 'trust':
      return (await import('./trust.js')).runTrust(cli.positionals, io, name);
    case 'shell-init':
      return (await import('./shell-init.js')).runShellInit(cli.positionals, io, name);
    case 'recover':
      return (await import('./recover.js')).runRecover(cli.positionals, io, name);
    case 'check':
      return (await import('./check.js')).runCheck(cli, cli.positionals, io, name);
  }
}
