// The detached cleaner a run starts after its commit: `node trash-cleaner.js STATE_DIR`
// removes what the commit moved to the trash (see trash.ts), then exits. Run at a low
// priority so that it does not slow down what the user does next.

import { setPriority } from 'node:os';
import { sweepTrash } from './trash.js';

const stateDir = process.argv[2];
if (stateDir) {
  try {
    setPriority(19);
  } catch {
    // Unchanged priority is fine.
  }
  try {
    sweepTrash(stateDir);
  } catch {
    // Whatever is left is removed by the next run's sweep.
  }
}
