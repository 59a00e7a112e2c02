// The attack suite (docs/attacks.md): each test installs one malicious package twice as the
// unprivileged fixture user, in the same environment full of canaries: with bare npm,
// where the attack must SUCCEED (otherwise the test proves nothing and fails), and
// through safe-package with its default policy, where it must be BLOCKED (could not
// even read or do it) or CONTAINED (could, but nothing got out). Benign controls must
// work both ways. A table of all verdicts is printed at the end and written as JSON.
//
// Run: npx tsc -p . && node --test dist/tests/attacks/   (as root; needs bwrap and the
// fixture users sp-test and sp-other, as scripts/test sets up).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTACKS } from './catalog.js';
import { CONTROL_BUILD, CONTROL_NATIVE } from './harness/fixtures.js';
import { buildSuiteReport, formatTable, writeReport } from './harness/report.js';
import { AttackSuite, type RunRecord } from './harness/suite.js';

const suite = new AttackSuite();

before(async () => {
  await suite.setup();
});

after(async () => {
  const report = buildSuiteReport(suite.runTag, suite.elapsedMs, ATTACKS, suite.records, suite.controls);
  const path = join(tmpdir(), `safe-package-attacks-${suite.runTag}.json`);
  writeReport(path, report);
  await suite.teardown();
  console.log(`\n${formatTable(report)}\nverdicts written to ${path}\n`);
});

function explain(r: RunRecord): string {
  return JSON.stringify({ verdict: r.verdict, status: r.status, ...r.evidence, notes: r.notes, output: r.outputTail }, null, 2);
}

for (const attack of ATTACKS) {
  test(`${attack.id}: an install script ${attack.title}`, async (t) => {
    const bare = await suite.run(attack, 'bare');
    const safe = await suite.run(attack, 'safe');
    await t.test('with bare npm it succeeds (so this test can fail)', () => {
      assert.equal(bare.verdict, 'SUCCEEDED', explain(bare));
    });
    await t.test('through safe-package it is blocked or contained', attack.pending ? { todo: attack.pending } : {}, () => {
      assert.ok(safe.verdict === 'BLOCKED' || safe.verdict === 'CONTAINED', explain(safe));
    });
  });
}

for (const [control, what] of [
  [CONTROL_BUILD, 'a postinstall that generates code into its own folder'],
  [CONTROL_NATIVE, 'a native addon compiled by node-gyp at install time'],
] as const) {
  test(`control: ${what} works with bare npm and through safe-package`, async () => {
    for (const mode of ['bare', 'safe'] as const) {
      const r = await suite.control(control, mode);
      assert.ok(r.works, `${control} (${mode}): install exit ${r.status}; ${r.check}\n${r.outputTail}`);
    }
  });
}
