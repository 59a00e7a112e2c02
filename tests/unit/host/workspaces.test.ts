import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceDirs, projectWorkspaces, workspaceGlobsFromManifest, workspaceGlobsFromPnpmYaml } from '../../../src/host/workspaces.js';

test('workspace globs from package.json (array and yarn\'s object form); exclusions, absolute and .. paths are not workspaces', () => {
  assert.deepEqual(workspaceGlobsFromManifest('{"workspaces":["packages/*","./apps/web/","!packages/skip","/abs","../up"]}'), ['packages/*', 'apps/web']);
  assert.deepEqual(workspaceGlobsFromManifest('{"workspaces":{"packages":["libs/*"]}}'), ['libs/*']);
  assert.deepEqual(workspaceGlobsFromManifest('{"name":"x"}'), []);
  assert.deepEqual(workspaceGlobsFromManifest('not json'), []);
});

test('workspace globs from pnpm-workspace.yaml', () => {
  const yaml = "packages:\n  - 'packages/*'\n  - \"apps/**\"  # all apps\n  - tools/cli\n  - '!**/test/**'\ncatalog:\n  - not-a-package\n";
  assert.deepEqual(workspaceGlobsFromPnpmYaml(yaml), ['packages/*', 'apps/**', 'tools/cli']);
});

test('workspace directories on disk: only those with a package.json, never inside node_modules', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-ws-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['packages/a', 'packages/b', 'packages/empty', 'node_modules/packages/x']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'packages/a/package.json'), '{}');
  writeFileSync(join(dir, 'packages/b/package.json'), '{}');
  writeFileSync(join(dir, 'package.json'), '{"workspaces":["packages/*"]}');
  assert.deepEqual(findWorkspaceDirs(dir, ['packages/*']), ['packages/a', 'packages/b', 'packages/empty']);
  assert.deepEqual(projectWorkspaces(dir), ['packages/a', 'packages/b']);
});
