// Child process for the crash test: reviews, says "ready", commits when told "go", and
// may be killed with SIGKILL at any instant in between.
//   node crash-child.js UPPER PROJECT STATE TRANSFER

import { performance } from 'node:perf_hooks';
import { commitReview, reviewStage } from '../../../src/stage/index.js';

const [upperDir, projectDir, stateDir, transfer] = process.argv.slice(2) as [string, string, string, 'auto' | 'copy'];
const review = await reviewStage({
  upperDir,
  projectDir,
  writeGlobs: ['node_modules/**', 'package.json', 'package-lock.json'],
  manifest: 'package.json',
  lockfiles: ['package-lock.json'],
});
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  const t0 = performance.now();
  commitReview(review, { upperDir, projectDir, stateDir, transfer }).then(
    (r) => {
      process.stdout.write(`done ${(performance.now() - t0).toFixed(1)} ${r.committed} ${r.transfer}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
});
