// Signals the user sends reach the package manager, and safe-package never exits
// before its child does (docs/promises.md#p1-command-line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, fixtureUser, installedCli, makeProject } from '../../support/cli.js';

const user = fixtureUser();

// Traps the signal, writes which one arrived into the project, takes a moment (so an
// early exit of safe-package would be visible), then exits 0.
// It writes under node_modules/, which the npm profile commits after review.
const TRAPPER = 'mkdir -p node_modules; for s in TERM INT HUP; do trap "echo $s > node_modules/got-signal; sleep 0.5; echo done >> node_modules/got-signal; exit 0" $s; done; echo ready; while :; do sleep 0.05; done';

for (const backend of ['sandbox', 'none'] as const) {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    test(`${backend}: ${signal} reaches the program and safe-package waits for it`, async () => {
      const cwd = makeProject(user);
      const child = spawn(installedCli(), ['--backend', backend, '--network', 'none', '--profile', 'npm', '-q', '--', 'sh', '-c', TRAPPER], {
        cwd,
        env: baseEnv(user),
        uid: user.uid,
        gid: user.gid,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, as under a terminal: the signal goes to safe-package only.
        detached: true,
      });
      let out = '';
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      await new Promise<void>((res) => child.stdout.setEncoding('utf8').on('data', (d: string) => ((out += d), out.includes('ready') && res())));
      child.kill(signal);
      const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      assert.equal(status, 0, err);
      const marker = join(cwd, 'node_modules', 'got-signal');
      assert.ok(existsSync(marker), 'the program did not get the signal');
      // "done" is written after the program's own delay: safe-package waited for it.
      assert.equal(readFileSync(marker, 'utf8'), `${signal.slice(3)}\ndone\n`);
    });
  }
}
