// Crash safety (docs/promises.md#p5-staged-writes): a commit of a few thousand entries is killed with SIGKILL at
// random instants; after each kill, recovery must leave the project exactly as it was
// before or exactly as a finished commit leaves it — compared in full: paths, types,
// modes, contents, link targets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recoverCommits } from '../../../src/stage/index.js';
import { cpTree, fastScratchBase, makeLayout, removeLayout, runInOverlay, snapshot, writeTree, type Layout } from './support.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const PACKAGES = 40;
const FILES = 50;

function project(): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': '{"name":"app","dependencies":{"p0":"1"}}\n',
    'package-lock.json': '{"lockfileVersion":3,"packages":{}}\n',
    'src/index.js': 'mine\n',
  };
  for (let p = 0; p < PACKAGES; p++) {
    for (let f = 0; f < FILES; f++) files[`node_modules/p${p}/f${f}.js`] = `old ${p}/${f}\n`;
  }
  return files;
}

// ~500 replaced files, ~500 new files in kept directories, 10 new packages of 100 files,
// 5 deleted packages, one replaced package, 50 single deletions, a chmod, links, and the
// manifest: every kind of operation, in the thousands.
const WORKLOAD = String.raw`
i=0; while [ $i -lt 20 ]; do
  f=0; while [ $f -lt 25 ]; do
    printf 'new %s/%s\n' $i $f > node_modules/p$i/f$f.js
    printf 'added %s/%s\n' $i $f > node_modules/p$i/n$f.js
    f=$((f+1)); done
  i=$((i+1)); done
for i in 20 21 22 23 24; do rm -rf node_modules/p$i; done
rm -rf node_modules/p25; mkdir node_modules/p25
f=0; while [ $f -lt 50 ]; do printf 'replaced %s\n' $f > node_modules/p25/r$f.js; f=$((f+1)); done
n=0; while [ $n -lt 10 ]; do
  mkdir node_modules/q$n
  f=0; while [ $f -lt 100 ]; do printf 'q %s/%s\n' $n $f > node_modules/q$n/f$f.js; f=$((f+1)); done
  n=$((n+1)); done
for i in 30 31 32 33 34; do f=0; while [ $f -lt 10 ]; do rm node_modules/p$i/f$f.js; f=$((f+1)); done; done
chmod 700 node_modules/p35
mkdir node_modules/.bin
ln -s ../q0/f0.js node_modules/.bin/q0
rm node_modules/p36/f0.js; ln -s f1.js node_modules/p36/f0.js
printf '{"name":"app","dependencies":{"p0":"1","q0":"1"}}\n' > package.json
printf '{"lockfileVersion":3,"packages":{"node_modules/q0":{}}}\n' > package-lock.json
`;

interface Run {
  readonly dir: string;
  readonly project: string;
  readonly upper: string;
  readonly state: string;
}

function prepareRun(base: Layout, pristineProject: string, pristineUpper: string, n: number): Run {
  const dir = join(base.root, `run${n}`);
  mkdirSync(dir);
  cpTree(pristineProject, join(dir, 'project'));
  cpTree(pristineUpper, join(dir, 'upper'));
  return { dir, project: join(dir, 'project'), upper: join(dir, 'upper'), state: join(dir, 'state') };
}

/** Starts the child, waits for "ready", says "go"; kills it after `killAfterMs` if given. */
function commitInChild(run: Run, transfer: string, killAfterMs?: number): Promise<{ killed: boolean; commitMs?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, run.upper, run.project, run.state, transfer], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out === 'ready\n') {
        child.stdin.write('go\n');
        if (killAfterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL') return resolve({ killed: true });
      if (code !== 0) return reject(new Error(`child failed (${code}): ${err}`));
      const m = /done ([\d.]+)/.exec(out);
      resolve({ killed: false, commitMs: m ? Number(m[1]) : undefined });
    });
  });
}

for (const transfer of ['auto', 'copy'] as const) {
  test(`a ${transfer === 'auto' ? 'rename' : 'copy'} commit killed at random instants is always recovered to exactly before or after`, async (t) => {
    const base = makeLayout(`crash-${transfer}`, undefined, fastScratchBase());
    try {
      writeTree(base.lower, project());
      runInOverlay(base, WORKLOAD);
      const before = snapshot(base.lower);

      // One uninterrupted commit gives the "after" tree and the time window to aim at.
      const cal = prepareRun(base, base.lower, base.upper, 0);
      const calRun = await commitInChild(cal, transfer);
      const after = snapshot(cal.project);
      assert.notDeepEqual(after, before);
      assert.ok(after.length > 2000 && before.length > 2000, `a few thousand entries (${before.length} before, ${after.length} after)`);
      const window = Math.max(calRun.commitMs ?? 100, 20);
      rmSync(cal.dir, { recursive: true, force: true });

      const iterations = transfer === 'auto' ? 12 : 8;
      const outcomes: string[] = [];
      for (let i = 1; i <= iterations; i++) {
        const run = prepareRun(base, base.lower, base.upper, i);
        // Most kills aim at the journaled part (the second half of the window); some land
        // in the preparation, which must leave the project untouched too.
        const delay = window * (0.2 + Math.random() * 1.0);
        const r = await commitInChild(run, transfer, delay);
        const recovered = await recoverCommits(run.state);
        const actions = recovered.commits.map((c) => c.action).join(',') || 'no-journal';
        for (const c of recovered.commits) assert.deepEqual(c.keptAside, [], 'nothing had to be kept aside');
        const now = snapshot(run.project);
        const which = sameTree(now, before) ? 'before' : sameTree(now, after) ? 'after' : 'NEITHER';
        outcomes.push(`${delay.toFixed(0)}ms:${r.killed ? 'killed' : 'finished'}:${actions}:${which}`);
        assert.notEqual(which, 'NEITHER', `kill at ${delay.toFixed(1)} ms (${actions}) left a mixed project:\n${diff(now, before, after)}`);
        const journals = existsSync(join(run.state, 'commits')) ? readdirSync(join(run.state, 'commits')) : [];
        assert.deepEqual(journals, [], 'no journal is left after recovery');
        rmSync(run.dir, { recursive: true, force: true });
      }
      t.diagnostic(`commit took ${window.toFixed(0)} ms uninterrupted (${transfer}); kills: ${outcomes.join(' ')}`);
      assert.ok(
        outcomes.some((o) => /rolled-back|rolled-forward/.test(o)),
        `at least one kill must land inside a commit, or this test proved nothing: ${outcomes.join(' ')}`,
      );
    } finally {
      removeLayout(base);
    }
  });
}

function sameTree(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function diff(now: string[], before: string[], after: string[]): string {
  const b = new Set(before);
  const a = new Set(after);
  return now.filter((x) => !b.has(x) && !a.has(x)).slice(0, 10).join('\n') +
    '\nmissing from both: ' + [...new Set([...before, ...after])].filter((x) => !now.includes(x)).slice(0, 10).join('\n');
}
