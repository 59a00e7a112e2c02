// The program that runs `pnpm rebuild` and puts back the bin shims it rewrites
// (src/run/pnpm-rebuild.ts), with a stand-in for pnpm that rewrites a shim as
// `pnpm rebuild --pending` does, adds one and builds a file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNPM_REBUILD_PROGRAM } from '../../../src/run/pnpm-rebuild.js';

test('the rebuild runs with its arguments and status; the shims it rewrote are put back, new ones kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-pnpm-'));
  try {
    const bin = join(dir, 'node_modules/.pnpm/fx-a@1.0.0/node_modules/fx-a/node_modules/.bin');
    const scopedBin = join(dir, 'node_modules/.pnpm/@s+b@1.0.0/node_modules/@s/b/node_modules/.bin');
    mkdirSync(bin, { recursive: true });
    mkdirSync(scopedBin, { recursive: true });
    writeFileSync(join(bin, 'fx-b'), 'install shim\n', { mode: 0o755 });
    writeFileSync(join(scopedBin, 'fx-b'), 'install shim scoped\n', { mode: 0o755 });
    const fake = join(dir, 'fake-pnpm');
    writeFileSync(
      fake,
      '#!/usr/bin/env node\n' +
        "const fs = require('fs');\n" +
        `fs.writeFileSync(${JSON.stringify(join(bin, 'fx-b'))}, 'rebuild shim\\n');\n` +
        `fs.writeFileSync(${JSON.stringify(join(scopedBin, 'fx-b'))}, 'rebuild shim\\n');\n` +
        `fs.chmodSync(${JSON.stringify(join(scopedBin, 'fx-b'))}, 0o700);\n` +
        `fs.writeFileSync(${JSON.stringify(join(bin, 'new'))}, 'new shim\\n');\n` +
        "fs.writeFileSync('args.txt', process.argv.slice(2).join(' '));\n" +
        'process.exit(3);\n',
    );
    chmodSync(fake, 0o755);
    const r = spawnSync(process.execPath, ['-e', PNPM_REBUILD_PROGRAM, fake, 'rebuild', '--pending'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    assert.equal(readFileSync(join(dir, 'args.txt'), 'utf8'), 'rebuild --pending');
    assert.equal(readFileSync(join(bin, 'fx-b'), 'utf8'), 'install shim\n');
    assert.equal(readFileSync(join(scopedBin, 'fx-b'), 'utf8'), 'install shim scoped\n');
    assert.equal(spawnSync('stat', ['-c', '%a', join(scopedBin, 'fx-b')], { encoding: 'utf8' }).stdout.trim(), '755');
    assert.ok(existsSync(join(bin, 'new')), 'a shim the rebuild made is kept');
    assert.ok(!PNPM_REBUILD_PROGRAM.includes('\n'), 'sp-confine refuses an argument with a newline');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
