// The launcher (bin/launch.cjs): the bundle with its V8 code cache, and what it does
// when the cache is missing or belongs to another build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../../support/cli.js';

interface Launcher {
  readonly BUNDLE: string;
  readonly CACHE: string;
  buildIdOf(source: string): string | undefined;
  cachedDataFor(source: string): Buffer | undefined;
  loadBundle(source: string, cachedData: Buffer | undefined): { script: { cachedDataRejected?: boolean }; exports: Record<string, unknown> };
}

const launcher = createRequire(import.meta.url)(join(REPO, 'bin', 'launch.cjs')) as Launcher;

test('npm run build leaves a code cache that V8 accepts for this bundle, named for its build', () => {
  const source = readFileSync(launcher.BUNDLE, 'utf8');
  const id = launcher.buildIdOf(source);
  assert.match(id ?? '', /^[0-9a-f]{32}$/);
  const file = readFileSync(launcher.CACHE);
  const nl = file.indexOf(0x0a);
  assert.equal(file.subarray(0, nl).toString('latin1'), id);
  // In a fresh Node: this process has compiled the bundle already (other tests load it).
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `const l = require(${JSON.stringify(join(REPO, 'bin', 'launch.cjs'))});
       const fs = require('fs');
       const f = fs.readFileSync(l.CACHE);
       const { script, exports } = l.loadBundle(fs.readFileSync(l.BUNDLE, 'utf8'), f.subarray(f.indexOf(10) + 1));
       console.log(JSON.stringify({ rejected: script.cachedDataRejected, main: typeof exports.main }));`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { rejected: false, main: 'function' });
});

test('a cache of another build is not used, and a missing one is not needed: the CLI runs either way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-launcher-'));
  try {
    cpSync(join(REPO, 'bin'), join(dir, 'bin'), { recursive: true, preserveTimestamps: true });
    cpSync(join(REPO, 'dist', 'src'), join(dir, 'dist', 'src'), { recursive: true, preserveTimestamps: true });
    copyFileSync(join(REPO, 'package.json'), join(dir, 'package.json'));
    const copy = createRequire(import.meta.url)(join(dir, 'bin', 'launch.cjs')) as Launcher;
    const version = () => spawnSync(process.execPath, [join(dir, 'bin', 'safe-package'), '--version'], { encoding: 'utf8' });
    const cache = readFileSync(copy.CACHE);
    const source = readFileSync(copy.BUNDLE, 'utf8');
    assert.deepEqual(copy.cachedDataFor(source), cache.subarray(cache.indexOf(0x0a) + 1));
    // Another build's id in front of this build's data: refused before V8 sees it.
    writeFileSync(copy.CACHE, Buffer.concat([Buffer.from('0'.repeat(32)), cache.subarray(cache.indexOf(0x0a))]));
    assert.equal(copy.cachedDataFor(source), undefined);
    let r = version();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^safe-package \d+\.\d+\.\d+/);
    rmSync(copy.CACHE);
    assert.equal(copy.cachedDataFor(source), undefined);
    r = version();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^safe-package \d+\.\d+\.\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
