// Child process for the trash tests: reviews and commits, killing itself with SIGKILL at
// one chosen instant of the commit.
//   node trash-child.js UPPER PROJECT STATE WHERE
// WHERE: 'between-renames' (right after the old tree was renamed into the trash, before
// the new one is renamed into place), 'applied' (right after the commit point is on
// disk, before the journal says done), or 'none' (the commit finishes; no cleaner runs).

import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname } from 'node:path';

const [upperDir, projectDir, stateDir, where] = process.argv.slice(2) as [string, string, string, string];
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('not reached');
};
if (where === 'between-renames') {
  const rename = fs.renameSync;
  fs.renameSync = (from, to) => {
    rename(from, to);
    // The pinned directory a /proc/self/fd/N/name path names.
    if (fs.readlinkSync(dirname(String(to))).endsWith('/state/trash')) die();
  };
}
if (where === 'applied') {
  const fdatasync = fs.fdatasyncSync;
  let marks = 0;
  fs.fdatasyncSync = (fd) => {
    fdatasync(fd);
    if (++marks === 2) die(); // 'staged', then 'applied'
  };
}
syncBuiltinESMExports();

const { commitReview, reviewStage } = await import('../../../src/stage/index.js');
const review = await reviewStage({
  upperDir,
  projectDir,
  writeGlobs: ['node_modules/**', 'package.json', 'package-lock.json'],
  manifest: 'package.json',
  lockfiles: ['package-lock.json'],
});
const r = await commitReview(review, { upperDir, projectDir, stateDir });
process.stdout.write(`${JSON.stringify({ trashed: r.trashed, transfer: r.transfer })}\n`);
