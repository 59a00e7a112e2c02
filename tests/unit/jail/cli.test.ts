import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { runJailCommand } from '../../../src/commands/jail.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runJailCommand(args, { stdout, stderr });
  return { code, out, err };
}

test('jail --help prints both commands and exits 0', async () => {
  for (const args of [[], ['--help'], ['-h'], ['create', '--help']]) {
    const r = await run(args);
    assert.equal(r.code, 0);
    assert.match(r.out, /safe-package jail create DIR \[--with EXE\]/);
    assert.match(r.out, /safe-package jail check DIR \[--user USER\]/);
  }
});

test('usage errors exit 2 and say what was wrong', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown jail command "frobnicate"/],
    [['create'], /exactly one DIR \(got 0\)/],
    [['check', 'a', 'b'], /exactly one DIR \(got 2\)/],
    [['create', '/x', '--with'], /--with needs a value/],
    [['check', '/x', '--with', 'node'], /--with is for jail create/],
    [['check', '/x', '--bogus'], /unknown option "--bogus"/],
    [['check', '/x', '--user', 'a', '--user', 'b'], /one --user/],
  ];
  for (const [args, re] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, re);
  }
});

test('checking a directory that does not exist is a problem (exit 1), and --json gives the problems as data', async () => {
  const r = await run(['check', '/nonexistent/sp-jail-test']);
  assert.equal(r.code, 1);
  assert.match(r.out, /\/nonexistent\/sp-jail-test: does not exist/);
  const j = await run(['check', '/nonexistent/sp-jail-test', '--json', '--user', '65534:65534']);
  assert.equal(j.code, 1);
  const data = JSON.parse(j.out) as { problems: { rule: string; path: string }[]; target: { uid: number } };
  assert.equal(data.target.uid, 65534);
  assert.deepEqual(data.problems.map((p) => p.rule), ['missing']);
});

test('an unknown --user is an error naming it (exit 125: the command could not do its work)', async () => {
  const r = await run(['check', '/', '--user', 'no-such-user-sp']);
  assert.equal(r.code, 125);
  assert.match(r.err, /unknown user "no-such-user-sp"/);
});
