// `safe-package recover`: finishes or undoes commits of staged writes that a crash
// interrupted (docs/promises.md#p5-staged-writes). Every run does this first for its own project; this command does
// it for every project with a pending journal, and says what it did.

import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../cli/io.js';
import { recoverCommits } from '../stage/index.js';
import { neutralise } from '../util/untrusted-text.js';

export async function runRecover(args: readonly string[], io: Io, name: string): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`usage: ${name} recover\n  finishes or rolls back any commit of staged writes that was interrupted (a crash, a kill -9)\n`);
    return 0;
  }
  if (args.length > 0) {
    io.stderr.write(`${name}: recover: unexpected argument ${neutralise(args[0]!)}\n`);
    return 125;
  }
  const stateDir = join(userInfo().homedir, '.safe-package', 'state');
  const result = await recoverCommits(stateDir);
  const acted = result.commits.filter((c) => c.action !== 'nothing-done');
  if (acted.length === 0) io.stdout.write('nothing to recover: no interrupted commit\n');
  for (const c of acted) {
    io.stdout.write(`${neutralise(c.projectDir)}: ${c.action}${c.keptAside.length ? ` (kept aside, not overwritten: ${c.keptAside.map(neutralise).join(', ')})` : ''}\n`);
  }
  return acted.some((c) => c.action === 'unreadable' || c.action === 'in-progress') ? 1 : 0;
}
