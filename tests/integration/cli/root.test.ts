// Invoked as root (docs/promises.md#p3-backends): privileges are dropped before the jail is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';

const user = fixtureUser();

test('as root with --user U: the jail is really U on the host', async () => {
  const cwd = makeProject(user);
  const r = await runCli(['-u', user.name, '--network', 'none', '-q', '--', 'sh', '-c', 'id; grep -E "^(Uid|Gid|Groups):" /proc/self/status'], { cwd });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^uid=${user.uid}\\(${user.name}\\) gid=${user.gid}\\(${user.name}\\) groups=${user.gid}\\(${user.name}\\)$`, 'm'));
  assert.match(r.stdout, /Groups:\s*$/m);
});

test('as root without --user in a root-owned project (a CI checkout): nobody, through the landlock backend, writes staged', async () => {
  const cwd = makeProject(); // owned by root
  const r = await runCli(['--network', 'none', '--', 'sh', '-c', 'id -u; touch ran'], { cwd });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '65534');
  assert.match(r.stderr, /note: the jail user nobody cannot write the project: .*; using the landlock backend \(Landlock ABI \d+\)/);
  // The generic profile writes nothing: the file was staged, reviewed and discarded.
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  assert.equal(existsSync(join(cwd, 'ran')), false);
  assert.match(r.stderr, /1 discarded/);
});

test('as root without --user in a project nobody owns: runs as nobody', async () => {
  const cwd = makeProject();
  const { chownSync } = await import('node:fs');
  chownSync(cwd, 65534, 65534);
  const r = await runCli(['--network', 'none', '-q', '--', 'id', '-u'], { cwd });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '65534');
});

test('--user root is explicit and warned', async () => {
  const cwd = makeProject();
  const r = await runCli(['-u', 'root', '--network', 'none', '--', 'id', '-u'], { cwd });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '0');
  assert.match(r.stderr, /runs as root inside the jail/);
});

test('an unknown user is refused with 125', async () => {
  const cwd = makeProject();
  const r = await runCli(['-u', 'no-such-user-xyz', '--', 'true'], { cwd });
  assert.equal(r.status, 125);
  assert.match(r.stderr, /unknown user "no-such-user-xyz"/);
});

test('as root, the jail user\'s cache directory is made reachable even after a run without caches made its base first', async () => {
  const { rmSync, statSync, chownSync } = await import('node:fs');
  rmSync('/var/cache/safe-package', { recursive: true, force: true });
  const cwd = makeProject();
  chownSync(cwd, 65534, 65534);
  // A generic run creates the base first (no profile caches)...
  const first = await runCli(['--network', 'none', '-q', '--', 'true'], { cwd });
  assert.equal(first.status, 0, first.stderr);
  assert.equal(statSync('/var/cache/safe-package').mode & 0o777, 0o755);
  // ...then npm's cache must be reachable by nobody's bubblewrap.
  const npm = await runCli(['--network', 'none', '-q', '--', 'npm', '--version'], { cwd });
  assert.equal(npm.status, 0, npm.stderr);
  assert.match(npm.stdout, /^\d+\.\d+\.\d+/);
  assert.equal(statSync('/var/cache/safe-package/uid-65534/npm').uid, 65534);
});

test('fix lines quote the project path: a directory named `proj; touch pwned` cannot run a command when pasted', async () => {
  const { mkdirSync, mkdtempSync, chmodSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const base = mkdtempSync(join(tmpdir(), 'sp-quote-'));
  chmodSync(base, 0o755);
  const cwd = join(base, 'proj; touch pwned');
  mkdirSync(cwd); // root-owned: nobody cannot write it, and the sandbox was asked for
  const r = await runCli(['--backend', 'sandbox', '--network', 'none', '--', 'true'], { cwd });
  assert.equal(r.status, 125, r.stderr);
  const fix = r.stderr.split('\n').find((l) => l.includes('fix:')) ?? '';
  assert.ok(fix.includes(`'${cwd}'`), fix);
  // Pasted into a shell, the quoted fix names the directory and runs nothing else.
  const { spawnSync } = await import('node:child_process');
  spawnSync('/bin/sh', ['-c', `echo ${fix.slice(fix.indexOf("'"), fix.lastIndexOf("'") + 1)}`], { cwd: base });
  assert.equal(existsSync(join(base, 'pwned')), false);
});
