// --explain shows the plan the run carries out: the same planner, the same host facts,
// the same policy (fallbacks included). The run records each step's jail in the report
// (steps[].jail) in the form --explain --json prints; apart from the names of the
// directories a run makes (run-XXXXXX) and the proxy's port, the first step's jail must
// equal the explained plan exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureUser, makeProject, runCli } from '../../support/cli.js';

const user = fixtureUser('sp-test');

/**
 * What a run names differently from --explain, which makes nothing: its directory and the
 * proxy's port; and the process limit, which counts the user's processes when the policy
 * is resolved (the two commands run at different moments). The port is also inside sp-confine's spec, whose length therefore differs
 * by the port's digits beyond the one of --explain's 0 (checked, then set aside).
 */
function comparable(plan: unknown, other?: unknown): unknown {
  const text = JSON.stringify(plan)
    .replace(/\/run-[A-Za-z0-9]{6}\b/g, '/run-XXXXXX')
    .replace(/(127\.0\.0\.1:|port )\d+/g, '$1PORT')
    .replace(/(--nproc=|RLIMIT_NPROC )\d+/g, '$1N');
  const doc = JSON.parse(text) as { descriptors: { purpose: string; bytes?: number }[] };
  const mine = doc.descriptors.find((d) => d.purpose === 'sp-confine spec');
  const theirs = (other as typeof doc | undefined)?.descriptors.find((d) => d.purpose === 'sp-confine spec');
  if (mine && theirs) {
    assert.ok(Math.abs(mine.bytes! - theirs.bytes!) <= 4, `sp-confine specs of ${mine.bytes} and ${theirs.bytes} bytes differ by more than a port number`);
    delete mine.bytes;
  }
  return doc;
}

async function explainedAndRun(args: readonly string[], env: Record<string, string> = {}, opts: { asRoot?: boolean } = {}): Promise<{ explained: unknown; ran: unknown; backend: string }> {
  const cwd = makeProject(user, { 'package.json': JSON.stringify({ name: 'app', version: '1.0.0' }) });
  const who = opts.asRoot ? {} : { user };
  const e = await runCli(['--explain', '--json', ...args], { cwd, env, ...who });
  assert.equal(e.status, 0, e.stderr);
  const explained = JSON.parse(e.stdout) as { plan: unknown; backend: { name: string } };
  // Beside the project would be reviewed as a project write; the report goes to the user's home.
  const report = join(opts.asRoot ? '/tmp' : user.home, `explain-run-${process.pid}-${Date.now()}.json`);
  const r = await runCli(['--report', report, ...args], { cwd, env, ...who });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(readFileSync(report, 'utf8')) as { backend: string; steps: { jail?: unknown }[] };
  assert.equal(doc.backend, explained.backend.name, 'the run used the backend --explain named');
  assert.ok(doc.steps[0]?.jail, 'the report records the jail of each step');
  return { explained: explained.plan, ran: doc.steps[0]!.jail, backend: doc.backend };
}

test('the sandbox: the explained plan is the jail the run started', async () => {
  const { explained, ran, backend } = await explainedAndRun(['--backend', 'sandbox', '--', 'true']);
  assert.equal(backend, 'sandbox');
  assert.deepEqual(comparable(ran, explained), comparable(explained, ran));
});

test('the sandbox with the registry proxied (bridge and staging): the same plan', async () => {
  // npm's own check of an empty project: the download phase with the bridge, no package fetched.
  const env = { npm_config_registry: 'http://127.0.0.1:9/', npm_config_update_notifier: 'false' };
  const { explained, ran } = await explainedAndRun(['--backend', 'sandbox', 'npm', 'install', '--no-audit', '--no-fund'], env);
  const argv = (ran as { argv: string[] }).argv;
  // The native bridge (the build makes it, and the installed copy is world-readable), by its path.
  assert.ok(argv.some((a) => /\/dist\/native\/sp-bridge-(x86_64|aarch64)$/.test(a)), 'the bridge is in the plan, by name');
  assert.deepEqual(comparable(ran, explained), comparable(explained, ran));
});

test('the landlock backend: the same plan', async () => {
  const env = { npm_config_registry: 'http://127.0.0.1:9/', npm_config_update_notifier: 'false' };
  const { explained, ran, backend } = await explainedAndRun(['--backend', 'landlock', 'npm', 'install', '--no-audit', '--no-fund'], env);
  assert.equal(backend, 'landlock');
  assert.deepEqual(comparable(ran, explained), comparable(explained, ran));
});

test('auto, where the jail user cannot write the project: --explain names the fallback the run takes', async () => {
  // Root runs the jail as nobody, who cannot write a project owned by sp-test (mode 755).
  const { explained, ran, backend } = await explainedAndRun(['--', 'true'], {}, { asRoot: true });
  assert.equal(backend, 'landlock');
  assert.deepEqual(comparable(ran, explained), comparable(explained, ran));
});
