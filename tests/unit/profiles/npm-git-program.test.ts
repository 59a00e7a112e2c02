// The git program npm runs is always the user's (src/profiles/tool-config.ts npmGitProgram):
// it is handed to npm in the environment, which outranks a project's .npmrc — also the
// .npmrc inside a git dependency's clone, which npm reads while preparing it in the
// download phase. tests/integration/two-phase/credentials.test.ts shows the attack.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { npmGitProgram } from '../../../src/profiles/tool-config.js';

test('no choice anywhere: plain git from the PATH', () => {
  assert.equal(npmGitProgram({}, [undefined, 'registry=https://r.example/\n']), 'git');
});

test("the user's .npmrc names it: kept, and the user's file wins over the global one", () => {
  assert.equal(npmGitProgram({}, ['git=/opt/global-git\n', 'git = /home/u/bin/git\n']), '/home/u/bin/git');
  assert.equal(npmGitProgram({}, ['git=/opt/global-git\n', undefined]), '/opt/global-git');
});

test('the environment names it (npm reads the name in any case): it wins, as with npm', () => {
  assert.equal(npmGitProgram({ NPM_CONFIG_GIT: '/usr/local/bin/git' }, ['git=/home/u/bin/git\n']), '/usr/local/bin/git');
});
