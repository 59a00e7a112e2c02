// How long committing a fresh node_modules takes (docs/promises.md#p11-quality-bars budgets an install at 1.10×
// bare npm, so the commit must be cheap): ~300 packages, ~10k files, by rename (upper
// directory on the project's file system, the normal case) and by copy. The numbers
// are printed as test diagnostics. SP_STAGE_SCRATCH_DIR picks the file system to measure
// on (default: tmpfs when available, to keep the suite fast; /tmp measures the disk).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { commitReview, reviewStage } from '../../../src/stage/index.js';
import { cpTree, fastScratchBase, makeLayout, removeLayout, snapshot } from './support.js';

const PACKAGES = 300;
const LIB_FILES = 30;

/** A synthetic node_modules shaped like npm's: package.json, index.js, lib/, README, .bin links. */
function writeNodeModules(dir: string, version: string): number {
  let files = 0;
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  for (let p = 0; p < PACKAGES; p++) {
    const pkg = join(dir, 'node_modules', `pkg-${p}`);
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), `{"name":"pkg-${p}","version":"${version}","main":"index.js"}\n`);
    writeFileSync(join(pkg, 'index.js'), `module.exports = require('./lib/m0.js');\n`);
    writeFileSync(join(pkg, 'README.md'), `# pkg-${p} ${version}\n`.repeat(20));
    for (let f = 0; f < LIB_FILES; f++) writeFileSync(join(pkg, 'lib', `m${f}.js`), `exports.v = '${version}-${p}-${f}';\n`.repeat(8));
    files += 3 + LIB_FILES;
    if (p % 6 === 0) {
      symlinkSync(`../pkg-${p}/index.js`, join(dir, 'node_modules', '.bin', `pkg-${p}`));
      files++;
    }
  }
  return files;
}

const writeGlobs = ['node_modules/**', 'package.json', 'package-lock.json'];

test('committing a fresh node_modules of ~300 packages / ~10k files: rename is fast, copy is measured', async (t) => {
  const base = fastScratchBase();
  const l = makeLayout('speed', undefined, base);
  try {
    writeFileSync(join(l.lower, 'package.json'), '{"name":"app"}\n');
    const files = writeNodeModules(l.upper, '1.0.0');
    const pristineUpper = join(l.root, 'pristine-upper');
    cpTree(l.upper, pristineUpper);
    const copyProject = join(l.root, 'copy-project');
    cpTree(l.lower, copyProject);

    let t0 = performance.now();
    const review = await reviewStage({ upperDir: l.upper, projectDir: l.lower, writeGlobs, lockfiles: [] });
    const reviewMs = performance.now() - t0;
    assert.equal(review.changes.filter((c) => c.verdict === 'commit').length, files + PACKAGES * 2 + 2);

    t0 = performance.now();
    const byRename = await commitReview(review, { upperDir: l.upper, projectDir: l.lower, stateDir: join(l.root, 'state') });
    const renameMs = performance.now() - t0;
    assert.equal(byRename.transfer, 'rename');

    const review2 = await reviewStage({ upperDir: pristineUpper, projectDir: copyProject, writeGlobs, lockfiles: [] });
    t0 = performance.now();
    const byCopy = await commitReview(review2, { upperDir: pristineUpper, projectDir: copyProject, stateDir: join(l.root, 'state'), transfer: 'copy' });
    const copyMs = performance.now() - t0;
    assert.equal(byCopy.transfer, 'copy');
    assert.deepEqual(snapshot(copyProject), snapshot(l.lower), 'rename and copy give the same project');

    // npm ci over an existing node_modules: the old tree goes to a backup and is removed.
    const upper2 = join(l.root, 'upper2');
    mkdirSync(upper2);
    writeNodeModules(upper2, '2.0.0');
    const opaque = spawnSync('/usr/bin/setfattr', ['-n', 'user.overlay.opaque', '-v', 'y', join(upper2, 'node_modules')]);
    assert.equal(opaque.status, 0, String(opaque.stderr));
    const review3 = await reviewStage({ upperDir: upper2, projectDir: l.lower, writeGlobs, lockfiles: [] });
    assert.equal(review3.changes.find((c) => c.path === 'node_modules')!.kind, 'replaced-dir');
    t0 = performance.now();
    await commitReview(review3, { upperDir: upper2, projectDir: l.lower, stateDir: join(l.root, 'state') });
    const replaceMs = performance.now() - t0;

    t.diagnostic(
      `on ${base}: ${files} files in ${PACKAGES} packages; review ${reviewMs.toFixed(0)} ms; ` +
        `commit by rename ${renameMs.toFixed(0)} ms; by copy ${copyMs.toFixed(0)} ms; ` +
        `replacing an existing node_modules by rename (old one removed) ${replaceMs.toFixed(0)} ms`,
    );
    assert.ok(renameMs < 2000, `a fresh node_modules commits by rename in well under 2 s (took ${renameMs.toFixed(0)} ms)`);
  } finally {
    removeLayout(l);
  }
});
