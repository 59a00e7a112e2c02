// End-to-end crash safety (docs/promises.md#p5-staged-writes): a real `safe-package npm install` that adds a few
// thousand files, upgrades a package (files replaced and removed) and rewrites
// package.json and the lockfile, is killed with SIGKILL at instants spread over the whole
// run — start-up, the jail, the review, the commit — then `safe-package recover` runs.
// Each time the project must be exactly as it was before or exactly as a clean run leaves
// it (paths, types, modes, owners, contents, link targets), and no process of the jail
// may be left alive.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import type { FixturePackage } from '../../support/fixture-packages.js';
import { installedCli } from '../../support/cli.js';
import {
  alive,
  commandOf,
  copyProject,
  describeRun,
  descendants,
  diffTrees,
  makeWorkDir,
  runAsUser,
  runWrapped,
  snapshotTree,
  user,
  userEnv,
  type WorkDir,
} from './support.js';

const KILLS = 10;
const BIG_FILES = 1500;

function big(name: string): FixturePackage {
  const files: Record<string, string> = {};
  for (let i = 0; i < BIG_FILES; i++) files[`d${i % 30}/f${i}.js`] = `module.exports = ${i};\n`;
  return { name, files: { 'index.js': 'module.exports = "big";\n', ...files } };
}

const FIXTURES: FixturePackage[] = [
  big('fx-big-1'),
  big('fx-big-2'),
  { name: 'fx-old', version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n', 'only-in-1.js': 'gone in 2\n' } },
  { name: 'fx-old', version: '2.0.0', files: { 'index.js': 'module.exports = 2;\n', 'only-in-2.js': 'new in 2\n' } },
];

const INSTALL = ['install', 'fx-big-1', 'fx-big-2', 'fx-old@2.0.0'];

describe('SIGKILL of safe-package during a real npm install, then safe-package recover', () => {
  let registry: TestRegistry;
  let work: WorkDir;
  let cache: string;
  let reports: string;
  let template: string;
  let env: Record<string, string>;

  before(async () => {
    registry = await startRegistry();
    await registry.publishFixtures(FIXTURES);
    work = makeWorkDir('crash');
    cache = work.userDir('cache');
    reports = work.userDir('reports');
    env = userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: cache });
    // "Before": a project with fx-old 1.0.0 installed (by bare npm, its own cache).
    template = work.project('template', { 'package.json': '{\n  "name": "proj",\n  "version": "1.0.0",\n  "private": true\n}\n' });
    const r = await runAsUser('npm', ['install', 'fx-old@1.0.0'], { cwd: template, env: { ...env, npm_config_cache: work.userDir('cache-bare') } });
    assert.equal(r.status, 0, describeRun('npm install fx-old@1.0.0', r));
  });

  after(async () => {
    await registry?.stop();
    work?.remove();
  });

  // The commit journal safe-package writes (and flushes) before it changes the project;
  // its header names the committing process.
  const journals = join(user.home, '.safe-package', 'state', 'commits');
  function journalOf(pid: number): boolean {
    let names: string[];
    try {
      names = readdirSync(journals);
    } catch {
      return false;
    }
    const head = Buffer.alloc(160);
    for (const name of names) {
      let fd: number | undefined;
      try {
        fd = openSync(join(journals, name), 'r');
        const n = readSync(fd, head, 0, head.length, 0);
        if (head.subarray(0, n).toString('utf8').includes(`"pid":${pid},`)) return true;
      } catch {
        // gone meanwhile
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    return false;
  }

  interface Install {
    readonly pid: number;
    readonly started: number;
    readonly exited: Promise<{ how: string; at: number }>;
    /** Resolves with the time the commit journal appeared (or undefined when the run ended without one). */
    readonly journal: Promise<number | undefined>;
    kill(): void;
  }

  function startInstall(project: string, reportFile?: string): Install {
    const args = [...(reportFile ? ['--report', reportFile] : []), '--', 'npm', ...INSTALL];
    const child = spawn(installedCli(), args, { cwd: project, env, uid: user.uid, gid: user.gid, stdio: 'ignore' });
    const started = performance.now();
    let done = false;
    const exited = new Promise<{ how: string; at: number }>((resolve) =>
      child.once('exit', (code, signal) => {
        done = true;
        resolve({ how: signal ?? `exit ${code}`, at: performance.now() - started });
      }),
    );
    const pid = child.pid!;
    const journal = (async () => {
      while (!done) {
        if (journalOf(pid)) return performance.now() - started;
        await sleep(2);
      }
      return undefined;
    })();
    return { pid, started, exited, journal, kill: () => child.kill('SIGKILL') };
  }

  test(`${KILLS} kills at instants spread over the run: the project is the "before" or the "after" tree, nothing else`, async (t) => {
    const beforeTree = snapshotTree(template);

    // Two clean runs: the first warms safe-package's npm cache, the second is timed; both
    // must leave the same "after" tree.
    let afterTree: Map<string, string> | undefined;
    let wallMs = 0;
    let commitWindowMs = 0;
    for (const round of [1, 2]) {
      const project = join(work.root, `clean-${round}`, 'proj');
      copyProject(template, project);
      const run = startInstall(project);
      const [journalAt, end] = await Promise.all([run.journal, run.exited]);
      assert.equal(end.how, 'exit 0', 'the clean run failed');
      assert.ok(journalAt !== undefined, 'the clean run wrote no commit journal (or it was not seen)');
      const tree = snapshotTree(project);
      if (afterTree === undefined) afterTree = tree;
      else assert.equal(diffTrees(afterTree, tree, ['clean run 1', 'clean run 2']), '', 'two clean runs differ');
      wallMs = Math.round(end.at);
      commitWindowMs = Math.round(end.at - journalAt);
    }
    assert.ok(afterTree);
    assert.ok(afterTree.size > 2 * BIG_FILES, `the install is too small to test: ${afterTree.size} entries`);
    t.diagnostic(`clean run: ${wallMs} ms wall; from the commit journal to exit ${commitWindowMs} ms; ${afterTree.size} entries after`);

    // Half the kills at instants spread evenly over the whole run; the other half at
    // instants spread over the commit itself, counted from the moment its journal appears.
    const plans: { readonly delay: number; readonly inCommit: boolean }[] = [];
    const half = Math.ceil(KILLS / 2);
    for (let i = 0; i < half; i++) plans.push({ delay: Math.round(((i + Math.random()) / half) * wallMs * 0.9), inCommit: false });
    for (let i = 0; i < KILLS - half; i++) plans.push({ delay: Math.round(((i + Math.random()) / (KILLS - half)) * commitWindowMs * 0.9), inCommit: true });

    const outcomes: string[] = [];
    const counts = { before: 0, after: 0 };
    for (const [i, { delay, inCommit }] of plans.entries()) {
      const project = join(work.root, `kill-${i}`, 'proj');
      copyProject(template, project);
      const run = startInstall(project);
      if (inCommit) {
        const seen = await run.journal;
        assert.ok(seen !== undefined, `run ${i} ended before its commit journal was seen`);
      }
      await sleep(delay);
      const at = Math.round(performance.now() - run.started);
      const jail = descendants(run.pid).filter((p) => p !== run.pid);
      run.kill();
      const end = await run.exited;

      // Everything the jail was running dies with safe-package (die-with-parent, PID namespace).
      let survivors = alive(jail);
      for (let waited = 0; survivors.length > 0 && waited < 5000; waited += 50) {
        await sleep(50);
        survivors = alive(jail);
      }
      assert.deepEqual(survivors.map((p) => `${p} ${commandOf(p)}`), [], `kill ${i} at ${at} ms left processes of the jail alive`);

      const recovered = await runAsUser(installedCli(), ['recover'], { cwd: work.root, env });
      assert.equal(recovered.status, 0, describeRun('safe-package recover', recovered));
      const tree = snapshotTree(project);
      const isBefore = diffTrees(beforeTree, tree) === '';
      const isAfter = diffTrees(afterTree, tree) === '';
      if (isBefore) counts.before++;
      if (isAfter) counts.after++;
      const said = recovered.stdout.split('\n').filter((l) => l.startsWith(`${project}:`)).map((l) => l.slice(project.length + 2)).join(', ') || 'nothing';
      outcomes.push(
        `kill at ${at} ms${inCommit ? ` (${delay} ms into the commit)` : ''}, ${end.how}, ${jail.length} child processes: ` +
          `${isBefore ? 'before' : isAfter ? 'after' : 'NEITHER'}; recover: ${said}`,
      );
      assert.ok(
        isBefore || isAfter,
        `kill ${i} at ${at} ms: after recovery the project is neither the before nor the after tree.\n` +
          `against before:\n${diffTrees(beforeTree, tree, ['before', 'recovered'], 10)}\n` +
          `against after:\n${diffTrees(afterTree, tree, ['after', 'recovered'], 10)}\nrecover said: ${recovered.stdout}${recovered.stderr}`,
      );
    }
    for (const o of outcomes) t.diagnostic(o);
    t.diagnostic(`${counts.before} × before, ${counts.after} × after`);

    // A normal run into a project whose install was killed still works.
    const last = join(work.root, `kill-${KILLS - 1}`, 'proj');
    const again = await runWrapped([], 'npm', INSTALL, { cwd: last, env, reportFile: join(reports, 'again.json') });
    assert.equal(again.status, 0, describeRun('safe-package npm install after a killed run', again));
    assert.equal(diffTrees(afterTree, snapshotTree(last), ['after', 'rerun']), '');
  });
});
