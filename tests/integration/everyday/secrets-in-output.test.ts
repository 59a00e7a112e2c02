// A token typed on the command line (`--registry=https://user:token@host/`,
// `--//host/:_authToken=…`) never reaches what safe-package prints or stores: the report,
// --explain (text and JSON), the summary, warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';
import { redactArg, redactArgs } from '../../../src/profiles/npmrc.js';

const user = fixtureUser();
const SECRET = 'npm_S3cr3tT0kenValue';
const ARGS = ['npm', '--version', `--registry=https://ci-user:${SECRET}@localhost:9/`, `--//localhost:9/:_authToken=${SECRET}x`, '--_auth', `${SECRET}y`];

test('redaction: userinfo in any URL, auth settings as --key=value and as --key value', () => {
  assert.equal(redactArg(`--registry=https://u:${SECRET}@h/`), '--registry=https://h/');
  assert.equal(redactArg(`--//h/:_authToken=${SECRET}`), '--//h/:_authToken=***');
  assert.equal(redactArg('--registry=https://h/'), '--registry=https://h/');
  assert.deepEqual(redactArgs(['--_authToken', SECRET, 'left-pad']), ['--_authToken', '***', 'left-pad']);
});

test('a run: neither stdout, stderr nor report.json carries the token', async () => {
  const cwd = makeProject(user);
  const report = join(cwd, '.report.json'); // beside the project's files, the user's own
  const r = await runCli(['--network', 'none', '--report', report, '--', ...ARGS], { cwd, user });
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(report, 'utf8');
  assert.ok(text.includes('localhost:9'), 'the report still names the registry');
  for (const [what, out] of [['stdout', r.stdout], ['stderr', r.stderr], ['report', text]] as const) assert.ok(!out.includes(SECRET), `${what} carries the token`);
});

test('--explain, as text and as JSON, does not carry the token', async () => {
  const cwd = makeProject(user);
  for (const flags of [['--explain'], ['--explain', '--json']]) {
    const r = await runCli([...flags, '--network', 'none', '--', ...ARGS], { cwd, user });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes('--version'));
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), `${flags.join(' ')} carries the token`);
  }
});
