import { test } from 'node:test';
import assert from 'node:assert/strict';
import { profileForProgram, PROFILES } from '../../../src/profiles/catalog.js';

test('profiles are chosen from the program name', () => {
  assert.equal(profileForProgram('npm'), 'npm');
  assert.equal(profileForProgram('/usr/lib/node_modules/npm/bin/npm-cli.js'), 'npm');
  assert.equal(profileForProgram('npx-cli.js'), 'npx');
  assert.equal(profileForProgram('pip3'), 'pip');
  assert.equal(profileForProgram('pip3.11'), 'pip');
  assert.equal(profileForProgram('/usr/bin/pnpm'), 'pnpm');
  assert.equal(profileForProgram('yarn'), 'yarn');
  assert.equal(profileForProgram('make'), 'generic');
  assert.equal(profileForProgram('pipx'), 'generic');
});

test('write rules never cover what persistence attacks use', () => {
  for (const p of Object.values(PROFILES)) {
    for (const w of p.write) assert.doesNotMatch(w, /^(\.git|\.github|\.vscode|\.npmrc|\.safe-package|\*\*)/, `${p.name}: ${w}`);
  }
});
