// The scripts phase's writable folders, looked at again before each step: real files in
// a temporary upper layer and project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkStepBinds } from '../../../src/stage/step-binds.js';

function layers(): { root: string; upper: string; project: string } {
  const root = mkdtempSync(join(tmpdir(), 'sp-binds-'));
  const upper = join(root, 'upper');
  const project = join(root, 'project');
  mkdirSync(join(upper, 'node_modules', 'a', 'node_modules', 'b'), { recursive: true });
  mkdirSync(join(project, 'node_modules', 'old'), { recursive: true });
  return { root, upper, project };
}

test('real directories pass, and a nested node_modules inside is to be bound read-only', () => {
  const { root, upper, project } = layers();
  try {
    assert.deepEqual(checkStepBinds(upper, project, ['node_modules/a']), { ok: true, readOnlyInside: ['node_modules/a/node_modules'] });
    assert.deepEqual(checkStepBinds(upper, project, ['node_modules/old']), { ok: true, readOnlyInside: [] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder an earlier step turned into a link is refused, wherever on the path the link is', () => {
  const { root, upper, project } = layers();
  try {
    mkdirSync(join(upper, 'node_modules', 'c'));
    rmSync(join(upper, 'node_modules', 'c'), { recursive: true });
    symlinkSync('/etc', join(upper, 'node_modules', 'c'));
    const r = checkStepBinds(upper, project, ['node_modules/c']);
    assert.equal(r.ok, false);
    assert.match((r as { problem: string }).problem, /node_modules\/c is a symbolic link now/);
    symlinkSync('/tmp', join(upper, 'node_modules', 'a', 'node_modules', 'x'));
    assert.equal(checkStepBinds(upper, project, ['node_modules/a/node_modules/x/y']).ok, false);
    assert.equal(checkStepBinds(upper, project, ['../etc']).ok, false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder deleted in the upper layer (a whiteout) is not a directory any more', () => {
  const { root, upper, project } = layers();
  try {
    const r = spawnSync('mknod', [join(upper, 'node_modules', 'old'), 'c', '0', '0']);
    assert.equal(r.status, 0);
    assert.match((checkStepBinds(upper, project, ['node_modules/old']) as { problem: string }).problem, /not a directory any more/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
