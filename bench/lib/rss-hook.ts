// Loaded into the safe-package process with `node --import FILE?out=RESULT`: at exit it
// writes the process's own peak resident set size (kB, getrusage RUSAGE_SELF) to
// RESULT. Only safe-package itself is counted, not the package manager in the jail.
// The result path travels in the module URL, not in the environment, so the measured
// run's environment (and the report's list of withheld variables) stays the same.

import { writeFileSync } from 'node:fs';

const out = new URL(import.meta.url).searchParams.get('out');
if (out) {
  process.on('exit', () => {
    try {
      writeFileSync(out, `${process.resourceUsage().maxRSS}\n`);
    } catch {
      // The benchmark reports a missing value; the run itself must not change.
    }
  });
}
