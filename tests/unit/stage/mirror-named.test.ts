// The landlock backend's copies of named paths (src/stage/shadow.ts mirrorNamed): hidden
// entries left out, links copied as links (never followed), and, when root runs the jail
// as another user, made by that user, so that only what that user can read is copied.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mirrorNamed } from '../../../src/stage/shadow.js';

const root = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };

function tree(): { dir: string; named: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sp-mirror-'));
  chmodSync(dir, 0o755);
  const named = join(dir, 'lib');
  mkdirSync(join(named, 'src'), { recursive: true });
  writeFileSync(join(named, 'index.js'), 'module.exports = 1;\n');
  writeFileSync(join(named, '.env'), 'TOKEN=x\n');
  writeFileSync(join(named, 'src', 'a.js'), 'a\n');
  symlinkSync('/etc/hostname', join(named, 'link'));
  return { dir, named };
}

test('as you: a copy with the hidden entries left out, links kept as links', () => {
  const { dir, named } = tree();
  try {
    const at = join(dir, 'copy');
    mirrorNamed(named, at, [join(named, '.env')]);
    assert.equal(readFileSync(join(at, 'index.js'), 'utf8'), 'module.exports = 1;\n');
    assert.equal(readFileSync(join(at, 'src', 'a.js'), 'utf8'), 'a\n');
    assert.equal(existsSync(join(at, '.env')), false);
    assert.equal(readlinkSync(join(at, 'link')), '/etc/hostname');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('root running the jail as another user: the copy is that user\'s, made with its rights', { skip: root ? false : 'needs root' }, () => {
  const { dir, named } = tree();
  try {
    chownSync(named, NOBODY.uid, NOBODY.gid);
    for (const f of ['index.js', '.env', 'src', 'src/a.js']) chownSync(join(named, f), NOBODY.uid, NOBODY.gid);
    const at = join(dir, 'copy');
    mirrorNamed(named, at, [join(named, '.env')], NOBODY);
    assert.equal(readFileSync(join(at, 'index.js'), 'utf8'), 'module.exports = 1;\n');
    assert.equal(lstatSync(join(at, 'src', 'a.js')).uid, NOBODY.uid, 'made by the user, not by root');
    assert.equal(existsSync(join(at, '.env')), false);
    assert.equal(readlinkSync(join(at, 'link')), '/etc/hostname');
    // A file only root may read, inside the tree: the user cannot copy it, and the run stops.
    writeFileSync(join(named, 'root-only'), 'canary-root-only\n', { mode: 0o600 });
    assert.throws(() => mirrorNamed(named, join(dir, 'copy2'), [], NOBODY), /copying .* for the jail failed/);
    assert.equal(existsSync(join(dir, 'copy2', 'root-only')) && readFileSync(join(dir, 'copy2', 'root-only'), 'utf8').includes('canary'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
