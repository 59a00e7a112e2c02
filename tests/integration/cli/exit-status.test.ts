// Exit statuses of docs/promises.md#p1-command-line, through the real CLI, with the sandbox and the none backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';

const user = fixtureUser();

for (const backend of ['sandbox', 'none'] as const) {
  test(`${backend}: the program's own status passes through`, async () => {
    const cwd = makeProject(user);
    const r = await runCli(['--backend', backend, '--network', 'none', '-q', '--', 'sh', '-c', 'exit 7'], { cwd, user });
    assert.equal(r.status, 7, r.stderr);
  });

  test(`${backend}: killed by a signal gives 128+N`, async () => {
    const cwd = makeProject(user);
    const r = await runCli(['--backend', backend, '--network', 'none', '-q', '--', 'sh', '-c', 'kill -TERM $$'], { cwd, user });
    assert.equal(r.status, 128 + 15, r.stderr);
  });

  test(`${backend}: a program that is not found gives 127`, async () => {
    const cwd = makeProject(user);
    const r = await runCli(['--backend', backend, '--', 'no-such-program-xyz'], { cwd, user });
    assert.equal(r.status, 127);
    assert.match(r.stderr, /no-such-program-xyz: command not found/);
  });

  test(`${backend}: a program that cannot be executed gives 126`, async () => {
    const cwd = makeProject(user);
    const script = join(cwd, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    const r = await runCli(['--backend', backend, '--', './not-executable.sh'], { cwd, user });
    assert.equal(r.status, 126);
    assert.match(r.stderr, /permission denied/);
  });
}

test('safe-package\'s own failures give 125 and run nothing', async () => {
  const cwd = makeProject(user);
  const r = await runCli(['--backend', 'sandbx', '--', 'touch', 'ran'], { cwd, user });
  assert.equal(r.status, 125);
  assert.match(r.stderr, /did you mean "sandbox"/);
});

test('--help and --version exit 0; no program is an error', async () => {
  const cwd = makeProject(user);
  assert.match((await runCli(['--help'], { cwd, user })).stdout, /Usage: safe-package/);
  assert.match((await runCli(['-V'], { cwd, user })).stdout, /^safe-package \d+\.\d+\.\d+/);
  const none = await runCli([], { cwd, user });
  assert.equal(none.status, 125);
  assert.match(none.stderr, /no program to run/);
});

test('a limits.timeout of 700 hours does not kill the jail at once (timer overflow)', async () => {
  const { mkdirSync, chownSync } = await import('node:fs');
  const cwd = makeProject(user);
  const home = mkdtempSync(join(tmpdir(), 'sp-home-'));
  chmodSync(home, 0o755);
  mkdirSync(join(home, '.safe-package'));
  writeFileSync(join(home, '.safe-package', 'config.json'), JSON.stringify({ limits: { timeout: '700h' } }));
  chownSync(home, user.uid, user.gid);
  chownSync(join(home, '.safe-package'), user.uid, user.gid);
  chownSync(join(home, '.safe-package', 'config.json'), user.uid, user.gid);
  const r = await runCli(['--network', 'none', '--', 'sh', '-c', 'sleep 1; echo survived'], { cwd, user, env: { HOME: home } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /survived/);
});
