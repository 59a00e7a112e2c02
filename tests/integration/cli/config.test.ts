// Configuration layering, errors with file:line:col, and the untrusted project file
// (docs/promises.md#p2-configuration), through the real CLI as an unprivileged user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureUser, makeProject, runCli, writeAs } from '../../support/cli.js';

const user = fixtureUser();
const userConfig = join(user.home, '.safe-package', 'config.json');

function withUserConfig(content: string | undefined, fn: () => Promise<void>): Promise<void> {
  rmSync(join(user.home, '.safe-package'), { recursive: true, force: true });
  if (content !== undefined) writeAs(user, userConfig, content, 0o644);
  return fn().finally(() => rmSync(join(user.home, '.safe-package'), { recursive: true, force: true }));
}

const printVar = (name: string) => ['--backend', 'none', '-q', '--', 'sh', '-c', `echo "${name}=\${${name}:-unset}"; touch ran`];

test('a malformed user config names file, line and column, and nothing runs', () =>
  withUserConfig('{\n  "keep_env": ["A"]\n  "user": "x"\n}\n', async () => {
    const cwd = makeProject(user);
    const r = await runCli(printVar('A'), { cwd, user });
    assert.equal(r.status, 125);
    assert.match(r.stderr, new RegExp(`${userConfig}:3:3: malformed JSON: expected ',' or '}'`));
    assert.ok(!existsSync(join(cwd, 'ran')));
  }));

test('an unknown key is an error with a hint', () =>
  withUserConfig('{"keepenv": ["A"]}', async () => {
    const cwd = makeProject(user);
    const r = await runCli(printVar('A'), { cwd, user });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /unknown key "keepenv" \(did you mean "keep_env"\?\)/);
    assert.ok(!existsSync(join(cwd, 'ran')));
  }));

test('a config file others can write is refused', () =>
  withUserConfig('{}', async () => {
    const { chmodSync } = await import('node:fs');
    chmodSync(userConfig, 0o666);
    const cwd = makeProject(user);
    const r = await runCli(printVar('A'), { cwd, user });
    assert.equal(r.status, 125);
    assert.match(r.stderr, /writable by group or others/);
  }));

test('lists stack across layers: user config and command line', () =>
  withUserConfig('{"keep_env": ["ALPHA"]}', async () => {
    const cwd = makeProject(user);
    const r = await runCli(['--backend', 'none', '-q', '-k', 'BETA', '--', 'sh', '-c', 'echo "$ALPHA/$BETA/${GAMMA:-unset}"'], {
      cwd,
      user,
      env: { ALPHA: 'a', BETA: 'b', GAMMA: 'g' },
    });
    assert.equal(r.stdout.trim(), 'a/b/unset', r.stderr);
  }));

test('the project file cannot add keep_env until trusted, and an edit un-trusts it', () =>
  withUserConfig(undefined, async () => {
    const cwd = makeProject(user);
    const projectConfig = join(cwd, '.safe-package', 'config.json');
    writeAs(user, projectConfig, '{"keep_env": ["SECRET_TOKEN"]}', 0o644);
    const env = { SECRET_TOKEN: 'tok-123' };
    const before = await runCli(printVar('SECRET_TOKEN'), { cwd, user, env });
    assert.match(before.stdout, /SECRET_TOKEN=unset/);
    assert.match(before.stderr, /ignored keep_env from the untrusted project config/);

    const trust = await runCli(['trust'], { cwd, user });
    assert.equal(trust.status, 0, trust.stderr);
    assert.match(trust.stdout, /keep_env/);
    const trusted = await runCli(printVar('SECRET_TOKEN'), { cwd, user, env });
    assert.match(trusted.stdout, /SECRET_TOKEN=tok-123/);

    writeAs(user, projectConfig, '{"keep_env": ["SECRET_TOKEN"], "allow_hosts": ["evil.example"]}', 0o644);
    const edited = await runCli(printVar('SECRET_TOKEN'), { cwd, user, env });
    assert.match(edited.stdout, /SECRET_TOKEN=unset/);
    assert.match(edited.stderr, /changed since you trusted it/);
  }));

test('the project file may tighten without trust', () =>
  withUserConfig(undefined, async () => {
    const cwd = makeProject(user);
    writeAs(user, join(cwd, '.safe-package', 'config.json'), '{"network": "none", "hide": ["notes.txt"]}', 0o644);
    writeFileSync(join(cwd, 'notes.txt'), 'private');
    const r = await runCli(['-q', '--', 'sh', '-c', 'cat notes.txt; echo'], { cwd, user });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '');
    assert.doesNotMatch(r.stderr, /ignored/);
  }));

test('environment starts empty: secrets withheld, keep list with globs', async () => {
  const cwd = makeProject(user);
  const env = { NPM_TOKEN: 'npm_canary', AWS_SECRET_ACCESS_KEY: 'aws_canary', LC_ALL: 'C', LC_TIME: 'C' };
  const r = await runCli(['--network', 'none', '-k', 'LC_*', '--', 'sh', '-c', 'env'], { cwd, user, env });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /canary/);
  assert.match(r.stdout, /^LC_ALL=C$/m);
  assert.match(r.stdout, /^LC_TIME=C$/m);
  assert.match(r.stderr, /withheld \d+ variable\(s\):.*AWS_SECRET_ACCESS_KEY/);
  assert.doesNotMatch(r.stderr, /canary/);
});

test('--explain prints the policy and runs nothing; values of kept variables are not shown', async () => {
  const cwd = makeProject(user);
  const r = await runCli(['--explain', '-k', 'NPM_TOKEN', '--', 'touch', 'ran'], { cwd, user, env: { NPM_TOKEN: 'npm_canary' } });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!existsSync(join(cwd, 'ran')));
  assert.match(r.stdout, /NPM_TOKEN \(kept; value not shown\)/);
  assert.doesNotMatch(r.stdout, /npm_canary/);
  const j = await runCli(['--explain', '--json', '--', 'true'], { cwd, user });
  const doc = JSON.parse(j.stdout) as { backend: { name: string } };
  assert.equal(doc.backend.name, 'sandbox');
});

test('a system config is read first (root-owned, /etc/safe-package)', async () => {
  mkdirSync('/etc/safe-package', { recursive: true });
  const path = '/etc/safe-package/config.json';
  const had = existsSync(path);
  if (had) throw new Error(`${path} exists on this machine; the test will not overwrite it`);
  writeFileSync(path, '{"keep_env": ["FROM_SYSTEM"]}', { mode: 0o644 });
  try {
    const cwd = makeProject(user);
    const r = await runCli(printVar('FROM_SYSTEM'), { cwd, user, env: { FROM_SYSTEM: 'yes' } });
    assert.match(r.stdout, /FROM_SYSTEM=yes/);
  } finally {
    rmSync(path);
  }
});
