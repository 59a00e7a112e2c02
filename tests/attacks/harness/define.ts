// The attack suite's tests, for one way of running safe-package (the default backend, or
// --backend landlock): each attack installed with bare npm, where it must SUCCEED (or the
// test proves nothing), and through safe-package, where it must be BLOCKED or CONTAINED;
// the benign controls must work both ways. A table of all verdicts is printed at the end
// and written as JSON.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTACKS } from '../catalog.js';
import { CONTROL_BUILD, CONTROL_NATIVE } from './fixtures.js';
import { buildSuiteReport, formatTable, writeReport } from './report.js';
import { AttackSuite, type RunRecord } from './suite.js';

function explain(r: RunRecord): string {
  return JSON.stringify({ verdict: r.verdict, status: r.status, ...r.evidence, notes: r.notes, output: r.outputTail }, null, 2);
}

export function defineAttackSuite(label: string, safeArgs: readonly string[] = [], dockerDefault = false): void {
  const suite = new AttackSuite(safeArgs, dockerDefault);

  before(async () => {
    await suite.setup();
  });

  after(async () => {
    const report = buildSuiteReport(suite.runTag, suite.elapsedMs, ATTACKS, suite.records, suite.controls);
    const path = join(tmpdir(), `safe-package-attacks-${label}-${suite.runTag}.json`);
    writeReport(path, report);
    await suite.teardown();
    console.log(`\n${label}\n${formatTable(report)}\nverdicts written to ${path}\n`);
  });

  const through = `${safeArgs.length ? `safe-package ${safeArgs.join(' ')}` : 'safe-package'}${dockerDefault ? " under Docker's default refusals" : ''}`;
  for (const attack of ATTACKS) {
    test(`${attack.id}: an install script ${attack.title}`, async (t) => {
      const bare = await suite.run(attack, 'bare');
      const safe = await suite.run(attack, 'safe');
      await t.test('with bare npm it succeeds (so this test can fail)', () => {
        assert.equal(bare.verdict, 'SUCCEEDED', explain(bare));
      });
      await t.test(`through ${through} it is blocked or contained`, attack.pending ? { todo: attack.pending } : {}, () => {
        assert.ok(safe.verdict === 'BLOCKED' || safe.verdict === 'CONTAINED', explain(safe));
      });
    });
  }

  for (const [control, what] of [
    [CONTROL_BUILD, 'a postinstall that generates code into its own folder'],
    [CONTROL_NATIVE, 'a native addon compiled by node-gyp at install time'],
  ] as const) {
    test(`control: ${what} works with bare npm and through ${through}`, async () => {
      for (const mode of ['bare', 'safe'] as const) {
        const r = await suite.control(control, mode);
        assert.ok(r.works, `${control} (${mode}): install exit ${r.status}; ${r.check}\n${r.outputTail}`);
      }
    });
  }
}
