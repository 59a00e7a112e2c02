// The trash (src/stage/trash.ts): a replaced node_modules leaves the project with one
// rename and is removed after the commit. Each crash window this opens is hit on purpose
// (a child kills itself with SIGKILL at that instant, see trash-child.ts), then recovery
// must leave the project exactly as before or after, with nothing of the old tree left
// in the project or in the trash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recoverCommits } from '../../../src/stage/index.js';
import { processStart } from '../../../src/stage/journal-file.js';
import { ensureTrashDir, startTrashCleaner, sweepTrash, trashDirOf } from '../../../src/stage/trash.js';
import { cpTree, makeLayout, removeLayout, runInOverlay, snapshot, writeTree, type Layout } from './support.js';

const CHILD = fileURLToPath(new URL('./trash-child.js', import.meta.url));
const CLEANER = fileURLToPath(new URL('../../../src/stage/trash-cleaner.js', import.meta.url));

function project(): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': '{"name":"app","dependencies":{"p0":"1"}}\n',
    'package-lock.json': '{"lockfileVersion":3,"packages":{}}\n',
    'src/index.js': 'mine\n',
  };
  for (let p = 0; p < 10; p++) for (let f = 0; f < 20; f++) files[`node_modules/p${p}/f${f}.js`] = `old ${p}/${f}\n`;
  return files;
}

// What npm ci does over an installed node_modules: the whole tree is replaced.
const WORKLOAD = String.raw`
rm -rf node_modules
mkdir node_modules
for p in 0 1 2 3 4 5 6 7 8 9; do
  mkdir node_modules/p$p
  f=0; while [ $f -lt 20 ]; do printf 'new %s/%s\n' $p $f > node_modules/p$p/f$f.js; f=$((f+1)); done
done
mkdir node_modules/.bin
ln -s ../p0/f0.js node_modules/.bin/p0
printf '{"lockfileVersion":3,"packages":{"node_modules/p0":{}}}\n' > package-lock.json
`;

interface Run {
  readonly dir: string;
  readonly project: string;
  readonly upper: string;
  readonly state: string;
}

function setUp(): { base: Layout; before: string[]; run: (n: number) => Run } {
  const base = makeLayout('trash');
  writeTree(base.lower, project());
  runInOverlay(base, WORKLOAD);
  const before = snapshot(base.lower);
  const run = (n: number): Run => {
    const dir = join(base.root, `run${n}`);
    mkdirSync(dir);
    cpTree(base.lower, join(dir, 'project'));
    cpTree(base.upper, join(dir, 'upper'));
    return { dir, project: join(dir, 'project'), upper: join(dir, 'upper'), state: join(dir, 'state') };
  };
  return { base, before, run };
}

function commitInChild(r: Run, where: string): { killed: boolean; out: string } {
  const c = spawnSync(process.execPath, [CHILD, r.upper, r.project, r.state, where], { encoding: 'utf8' });
  if (c.signal !== 'SIGKILL' && c.status !== 0) throw new Error(`child failed (${c.status}): ${c.stderr}`);
  return { killed: c.signal === 'SIGKILL', out: c.stdout };
}

function trashOf(r: Run): string[] {
  const dir = trashDirOf(r.state);
  return existsSync(dir) ? readdirSync(dir) : [];
}

function journalsOf(r: Run): string[] {
  const dir = join(r.state, 'commits');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Nothing of ours is left in the project: no backup, no temporary name. */
function scratchNames(r: Run): string[] {
  return snapshot(r.project).filter((l) => /\.safe-package-/.test(l.split(' ')[0]!));
}

test('a commit over a replaced node_modules moves the old tree to the trash; the next sweep removes it', async () => {
  const { base, before, run } = setUp();
  try {
    const r = run(0);
    const { out } = commitInChild(r, 'none');
    assert.deepEqual(JSON.parse(out), { trashed: 1, transfer: 'rename' });
    const after = snapshot(r.project);
    assert.notDeepEqual(after, before);
    assert.ok(after.includes('node_modules/p3/f7.js file 0644 nlink=1 "new 3/7\\n"'), 'the new tree is in place');
    assert.deepEqual(scratchNames(r), [], 'nothing of the old tree is visible in the project');
    assert.deepEqual(journalsOf(r), [], 'the journal is gone: the commit is done');
    assert.equal(trashOf(r).length, 1, 'the old tree waits in the trash');
    // A run started now (its recovery sweeps the trash) removes it.
    assert.deepEqual((await recoverCommits(r.state)).commits, []);
    assert.deepEqual(trashOf(r), []);
    assert.deepEqual(snapshot(r.project), after);
  } finally {
    removeLayout(base);
  }
});

test('killed between the two renames (the old tree in the trash, the new one not in place): recovery puts the old one back', async () => {
  const { base, before, run } = setUp();
  try {
    const r = run(0);
    assert.equal(commitInChild(r, 'between-renames').killed, true);
    assert.equal(existsSync(join(r.project, 'node_modules')), false, 'the kill landed between the renames');
    assert.equal(trashOf(r).length, 1);
    const rec = await recoverCommits(r.state);
    assert.deepEqual(rec.commits.map((c) => [c.action, c.keptAside]), [['rolled-back', []]]);
    assert.deepEqual(snapshot(r.project), before);
    assert.deepEqual(trashOf(r), []);
    assert.deepEqual(journalsOf(r), []);
  } finally {
    removeLayout(base);
  }
});

test('killed between the renames while something else took the place: the old tree is kept aside in the project, never swept', async () => {
  const { base, run } = setUp();
  try {
    const r = run(0);
    assert.equal(commitInChild(r, 'between-renames').killed, true);
    writeTree(r.project, { 'node_modules/other.js': 'other\n' });
    const rec = await recoverCommits(r.state);
    assert.equal(rec.commits[0]!.action, 'rolled-back');
    const [aside] = rec.commits[0]!.keptAside;
    assert.ok(aside?.startsWith(`${r.project}/.safe-package-`), `kept aside in the project: ${aside}`);
    assert.ok(existsSync(join(aside!, 'p3/f7.js')));
    assert.ok(existsSync(join(r.project, 'node_modules/other.js')));
    assert.deepEqual(trashOf(r), []);
  } finally {
    removeLayout(base);
  }
});

test('killed after the commit point, before the old tree is removed: recovery keeps the new tree and empties the trash', async () => {
  const { base, before, run } = setUp();
  try {
    const ref = run(0);
    commitInChild(ref, 'none');
    const after = snapshot(ref.project);
    const r = run(1);
    assert.equal(commitInChild(r, 'applied').killed, true);
    assert.equal(journalsOf(r).length, 1);
    assert.equal(trashOf(r).length, 1);
    assert.deepEqual(scratchNames(r), []);
    const rec = await recoverCommits(r.state);
    assert.deepEqual(rec.commits.map((c) => c.action), ['rolled-forward']);
    assert.deepEqual(snapshot(r.project), after);
    assert.notDeepEqual(after, before);
    assert.deepEqual(trashOf(r), []);
    assert.deepEqual(journalsOf(r), []);
  } finally {
    removeLayout(base);
  }
});

test('the sweep leaves alone what a journaled commit or a live cleaner owns, and takes over a dead cleaner\'s claim', () => {
  const l = makeLayout('trash-sweep');
  try {
    const state = join(l.root, 'state');
    const trash = ensureTrashDir(state);
    mkdirSync(join(state, 'commits'), { mode: 0o700 });
    writeTree(trash, { 'aaaa-0/x': '1', 'bbbb-0/x': '2', 'cccc-1/d/x': '3', 'not-ours/x': '4' });
    writeTree(join(state, 'commits'), { 'aaaa.journal': '' });
    const live = `.claim-${process.pid}-${processStart(process.pid)}-dddd-0`;
    const dead = spawnSync('/bin/true').pid!;
    mkdirSync(join(trash, live));
    renameSync(join(trash, 'cccc-1'), join(trash, `.claim-${dead}-1-cccc-1`));
    // Our own claims are ours to finish: seen from a child, the live one is someone else's.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { sweepTrash } from ${JSON.stringify(new URL('../../../src/stage/trash.js', import.meta.url).href)}; process.stdout.write(JSON.stringify(sweepTrash(${JSON.stringify(state)})));`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { removed: 2, skipped: 3 });
    assert.deepEqual(readdirSync(trash).sort(), [live, 'aaaa-0', 'not-ours'].sort());
    assert.deepEqual(sweepTrash(state), { removed: 1, skipped: 2 }, 'our own claim is removed by us');
  } finally {
    removeLayout(l);
  }
});

test('the detached cleaner empties the trash after the commit returned', async () => {
  const { base, run } = setUp();
  try {
    const r = run(0);
    commitInChild(r, 'none');
    assert.equal(trashOf(r).length, 1);
    startTrashCleaner(r.state, CLEANER);
    for (let i = 0; i < 200 && trashOf(r).length > 0; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(trashOf(r), []);
  } finally {
    removeLayout(base);
  }
});

test('with the trash off, the commit removes the old tree itself (the behaviour beside a mount)', async () => {
  const { base, run } = setUp();
  try {
    const r = run(0);
    const { commitReview, reviewStage } = await import('../../../src/stage/index.js');
    const review = await reviewStage({ upperDir: r.upper, projectDir: r.project, writeGlobs: ['node_modules/**', 'package-lock.json'], lockfiles: ['package-lock.json'] });
    const res = await commitReview(review, { upperDir: r.upper, projectDir: r.project, stateDir: r.state, trash: false });
    assert.equal(res.trashed, 0);
    assert.deepEqual(trashOf(r), []);
    assert.deepEqual(scratchNames(r), []);
    rmSync(r.dir, { recursive: true, force: true });
  } finally {
    removeLayout(base);
  }
});
