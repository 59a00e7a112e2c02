// safe-package doctor on this machine, and with bubblewrap missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';

const user = fixtureUser();

/**
 * SAFE_PACKAGE_BWRAP is honoured only for a root-owned bwrap in root-owned directories:
 * the stand-ins for a missing and a broken bubblewrap live in such a directory.
 */
function rootToolDir(): { missing: string; broken: string } {
  const base = '/usr/local/lib/sp-test-tools';
  for (const d of [base, `${base}/missing`, `${base}/broken`]) {
    mkdirSync(d, { recursive: true, mode: 0o755 });
    chmodSync(d, 0o755);
  }
  copyFileSync('/usr/bin/false', `${base}/broken/bwrap`);
  chmodSync(`${base}/broken/bwrap`, 0o755);
  return { missing: `${base}/missing/bwrap`, broken: `${base}/broken/bwrap` };
}
const tools = rootToolDir();

test('doctor: every required check passes here', async () => {
  const cwd = makeProject(user);
  const r = await runCli(['doctor'], { cwd, user });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^ok   bubblewrap: \d+\.\d+\.\d+/m);
  assert.match(r.stdout, /^ok   user, PID and network namespaces/m);
  assert.match(r.stdout, /^ok   overlayfs in a user namespace/m);
  assert.match(r.stdout, /^ok   seccomp: filter for (x86_64|aarch64) loads/m);
  assert.match(r.stdout, /The sandbox backend works on this host/);
});

test('doctor as root also checks the jail after dropping to nobody', async () => {
  const cwd = makeProject();
  const r = await runCli(['doctor'], { cwd });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^ok   sandbox as an unprivileged user/m);
});

test('doctor with bubblewrap missing: says so, gives the install command, and that auto uses the landlock backend', async () => {
  const cwd = makeProject(user);
  const r = await runCli(['doctor'], { cwd, user, env: { SAFE_PACKAGE_BWRAP: tools.missing } });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^FAIL bubblewrap: not installed/m);
  assert.match(r.stdout, /fix: sudo apt-get install -y bubblewrap/);
  assert.match(r.stdout, /^ok   landlock backend \(no namespaces needed\): a confined no-op jail runs \(Landlock ABI \d+/m);
  assert.match(r.stdout, /The sandbox backend cannot run here.*\nauto uses the landlock backend/);
});

test('a run with bubblewrap missing takes the landlock backend (never runs unprotected)', async () => {
  const cwd = makeProject(user);
  const r = await runCli(['--', 'sh', '-c', 'touch ran; cat ~/.bashrc'], { cwd, user, env: { SAFE_PACKAGE_BWRAP: tools.missing } });
  assert.equal(r.status, 1, 'the jail cannot read the user\'s home');
  assert.match(r.stderr, /\[landlock, sp-test/);
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  assert.ok(!existsSync(join(cwd, 'ran')), 'the write was staged and discarded');
});

test('a sandbox that cannot start is diagnosed after the try; the run then goes through the landlock backend', async () => {
  const cwd = makeProject(user);
  // A "bubblewrap" that exists but cannot build anything.
  const r = await runCli(['--', 'touch', 'ran'], { cwd, user, env: { SAFE_PACKAGE_BWRAP: tools.broken } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /note: the sandbox cannot start here: bubblewrap could not build a sandbox.*; using the landlock backend/);
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  assert.ok(!existsSync(join(cwd, 'ran')));
});

test('SAFE_PACKAGE_BWRAP naming a bwrap the user (or a project) could change is refused: the run stops, doctor fails', async () => {
  const cwd = makeProject(user);
  const dir = mkdtempSync(join(tmpdir(), 'sp-fake-bwrap-'));
  chmodSync(dir, 0o755);
  const fake = join(dir, 'bwrap');
  copyFileSync('/usr/bin/true', fake);
  chownSync(fake, user.uid, user.gid);
  chmodSync(fake, 0o755);
  const r = await runCli(['--', 'touch', 'ran'], { cwd, user, env: { SAFE_PACKAGE_BWRAP: fake } });
  assert.equal(r.status, 125, r.stderr);
  assert.match(r.stderr, /SAFE_PACKAGE_BWRAP=.* is refused: .*bwrap is not owned by root/);
  assert.match(r.stderr, /fix: unset SAFE_PACKAGE_BWRAP/);
  const { existsSync } = await import('node:fs');
  assert.ok(!existsSync(join(cwd, 'ran')));
  const d = await runCli(['doctor'], { cwd, user, env: { SAFE_PACKAGE_BWRAP: '/usr/bin/false' } });
  assert.match(d.stdout, /^FAIL bubblewrap: SAFE_PACKAGE_BWRAP=\/usr\/bin\/false is refused: it does not name a file called bwrap/m);
});
