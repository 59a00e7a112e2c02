// yarn's integrity file after the two phases (src/run/yarn-integrity.ts): the artifacts
// as yarn's saveBuildArtifacts counts them, and the program that rewrites the file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactsArgument, artifactsEntry, buildArtifacts, INTEGRITY_PROGRAM, walkMtimes } from '../../../src/run/yarn-integrity.js';

test('artifacts: what is new or has another mtime, folders too, never below node_modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-yarn-'));
  try {
    writeFileSync(join(dir, 'index.js'), 'x');
    writeFileSync(join(dir, 'kept.js'), 'x');
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    utimesSync(join(dir, 'index.js'), 1000, 1000);
    const before = walkMtimes(dir);
    assert.deepEqual([...before.keys()].sort(), ['index.js', 'kept.js']);
    mkdirSync(join(dir, 'built'));
    writeFileSync(join(dir, 'built', 'out.txt'), 'y');
    writeFileSync(join(dir, 'node_modules', 'dep', 'new.js'), 'y');
    utimesSync(join(dir, 'index.js'), 2000, 2000);
    assert.deepEqual(buildArtifacts(before, walkMtimes(dir)).sort(), ['built', 'built/out.txt', 'index.js']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the artifacts entry: name@version, the last instance wins, nothing for a build that made nothing', () => {
  assert.deepEqual(
    artifactsEntry([
      { name: 'a', version: '1.0.0', artifacts: ['x'] },
      { name: 'a', version: '1.0.0', artifacts: ['y'] },
      { name: 'b', version: '2.0.0', artifacts: [] },
    ]),
    { 'a@1.0.0': ['y'] },
  );
});

test('the argument stays below one argument\'s limit: the largest lists are dropped first', () => {
  const big = Array.from({ length: 20_000 }, (_, i) => `build/file-${i}.o`);
  const arg = artifactsArgument({ 'small@1.0.0': ['a'], 'big@1.0.0': big });
  assert.ok(arg.length < 128 * 1024);
  assert.deepEqual(JSON.parse(arg), { 'small@1.0.0': ['a'] });
});

test('the program takes out ignoreScripts, adds the artifacts to those kept, and writes as yarn does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-yarn-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    const file = join(dir, 'node_modules', '.yarn-integrity');
    writeFileSync(file, JSON.stringify({ systemParams: 's', flags: ['flat', 'ignoreScripts'], artifacts: { 'old@1.0.0': ['o'] } }, null, 2));
    const r = spawnSync(process.execPath, ['-e', INTEGRITY_PROGRAM, JSON.stringify({ 'a@1.0.0': ['built'] })], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), JSON.stringify({ systemParams: 's', flags: ['flat'], artifacts: { 'old@1.0.0': ['o'], 'a@1.0.0': ['built'] } }, null, 2));
    assert.ok(!INTEGRITY_PROGRAM.includes('\n'), 'sp-confine refuses an argument with a newline');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
