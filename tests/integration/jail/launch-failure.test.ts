// How the launcher names a failed start (src/run/launch.ts). When bubblewrap cannot build
// a jail (a CI container forbids namespaces), every pipe it held closes at once; the
// bridge's readiness pipe may be seen closing before the builder's exit. That must still
// read as "the jail builder failed" — which the wrapped run diagnoses and, under auto,
// answers by falling back to the landlock backend — and not as "the network bridge did
// not start", which is final. (CI once failed an attack under Docker's refusals so.)
// A stand-in builder makes the order certain: it closes the readiness pipe, waits, and
// exits, with or without first reporting a started jail on the status pipe.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../../../src/run/launch.js';
import type { LaunchPlan } from '../../../src/plan/types.js';

const builder = (script: string): LaunchPlan => ({
  backend: 'sandbox',
  argv: ['/bin/sh', '-c', script],
  env: { PATH: '/usr/bin:/bin' },
  cwd: '/',
  // fd 3: readiness (the bridge writes "ready"), fd 4: the builder's JSON status.
  fds: [
    { kind: 'ready', purpose: 'bridge readiness' },
    { kind: 'status', purpose: 'builder status' },
  ],
  mounts: [],
  namespaces: [],
  hardening: [],
  lifetime: 'none',
  mainProcess: 'spawned',
});

test('a builder that fails before any jail started: its own failure, even when the readiness pipe closed first', async () => {
  const outcome = await launch(builder('exec 3>&-; sleep 0.3; exit 1'), { timeoutSeconds: 30 });
  assert.equal(outcome.setupFailed, true);
  assert.equal(outcome.setupProblem, undefined, 'not blamed on the bridge: the caller must diagnose the builder (and may fall back)');
});

test('a jail that started but whose bridge never said ready: the bridge is named', async () => {
  const outcome = await launch(builder('printf \'{"child-pid": 4242}\\n\' >&4; exec 3>&-; sleep 0.3; exit 1'), { timeoutSeconds: 30 });
  assert.equal(outcome.setupFailed, true);
  assert.equal(outcome.setupProblem, 'the network bridge did not start');
});
