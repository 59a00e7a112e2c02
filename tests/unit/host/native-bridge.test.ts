import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeProgramPath, runnableByOthers, usableBridgeProgram } from '../../../src/confine/helper.js';
import { bridgeFor } from '../../../src/backends/sandbox/bridge-port.js';

test('runnableByOthers: every mode on the way needs the others execute bit', () => {
  assert.equal(runnableByOthers([0o755, 0o755, 0o755]), true);
  assert.equal(runnableByOthers([0o755, 0o700, 0o755]), false);
  assert.equal(runnableByOthers([0o750, 0o755]), false);
  assert.equal(runnableByOthers([]), false);
});

test('usableBridgeProgram: an executable file, reachable by the jail user when privileges are dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-bridge-test-'));
  try {
    chmodSync(dir, 0o755);
    const program = join(dir, 'sub', 'sp-bridge-x86_64');
    mkdirSync(join(dir, 'sub'), { mode: 0o755 });
    assert.equal(usableBridgeProgram(false, program), undefined, 'missing');
    writeFileSync(program, '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(usableBridgeProgram(false, program), program);
    assert.equal(usableBridgeProgram(true, program), program);
    // A directory on the way that others cannot enter (a root-only home): Node's bridge instead.
    chmodSync(join(dir, 'sub'), 0o700);
    assert.equal(usableBridgeProgram(true, program), undefined);
    assert.equal(usableBridgeProgram(false, program), program);
    chmodSync(join(dir, 'sub'), 0o755);
    chmodSync(program, 0o644);
    assert.equal(usableBridgeProgram(true, program), undefined);
    mkdirSync(join(dir, 'adir'), { mode: 0o755 });
    assert.equal(usableBridgeProgram(false, join(dir, 'adir')), undefined, 'a directory is no program');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bridgeFor: the native bridge when it is built and runnable, else node with the code', () => {
  const spec = bridgeFor('/run/x/proxy.sock', false, () => 'CODE');
  if (usableBridgeProgram(false)) {
    assert.deepEqual(spec, { node: bridgeProgramPath(), code: '', native: true, socket: '/run/x/proxy.sock', port: 3128 });
  } else {
    assert.deepEqual(spec, { node: process.execPath, code: 'CODE', socket: '/run/x/proxy.sock', port: 3128 });
  }
  assert.match(bridgeProgramPath('x64')!, /\/native\/sp-bridge-x86_64$/);
  assert.match(bridgeProgramPath('arm64')!, /\/native\/sp-bridge-aarch64$/);
  assert.equal(bridgeProgramPath('ia32'), undefined);
});
