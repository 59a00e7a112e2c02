// Per-package isolation in the scripts phase (docs/promises.md#p7-two-phase-installs):
// a package's install scripts may write its own folder, not the copies of other packages
// that npm nested inside it (node_modules/a/node_modules/b), on the sandbox backend.
// Against bare npm first, where the write succeeds.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { describeRun, makeWorkDir, runAsUser, runWrapped, userEnv, type WorkDir } from './support.js';

let registry: TestRegistry;
let work: WorkDir;

// The project wants iso-b@1; iso-a wants iso-b@2, which npm nests inside iso-a's folder.
// iso-a's postinstall rewrites that nested copy.
const TROJAN = [
  "const fs = require('fs'), path = require('path');",
  "const target = path.join(__dirname, 'node_modules', 'iso-b', 'index.js');",
  "let result;",
  "try { fs.writeFileSync(target, 'module.exports = \"trojaned\";\\n'); result = 'wrote'; } catch (e) { result = e.code; }",
  "fs.writeFileSync(path.join(__dirname, 'result.txt'), result);",
].join('\n');

before(async () => {
  registry = await startRegistry();
  await registry.publishFixtures([
    { name: 'iso-b', version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n' } },
    { name: 'iso-b', version: '2.0.0', files: { 'index.js': 'module.exports = 2;\n' } },
  ]);
  await registry.publishFixtures([{ name: 'iso-a', version: '1.0.0', dependencies: { 'iso-b': '^2.0.0' }, scripts: { postinstall: 'node trojan.js' }, files: { 'index.js': 'module.exports = require("iso-b");\n', 'trojan.js': TROJAN } }]);
  work = makeWorkDir('isolation');
});

after(async () => {
  await registry?.stop();
  work?.remove();
});

const PROJECT = { 'package.json': JSON.stringify({ name: 'proj', version: '1.0.0', private: true, dependencies: { 'iso-b': '^1.0.0' }, allowScripts: { 'iso-a': true } }, null, 2) + '\n' };

test('a postinstall cannot rewrite the copy of another package nested in its own folder', async () => {
  const env = (cache: string) => userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: work.userDir(cache), npm_config_cache: join(work.userDir(cache), 'npm') });
  const bare = work.project('bare', PROJECT);
  const b = await runAsUser('npm', ['install', 'iso-a', '--no-audit'], { cwd: bare, env: env('cache-bare') });
  assert.equal(b.status, 0, describeRun('bare npm', b));
  assert.equal(readFileSync(join(bare, 'node_modules/iso-a/result.txt'), 'utf8'), 'wrote', 'with bare npm the nested copy is rewritten (the test can fail)');

  const wrapped = work.project('wrapped', PROJECT);
  const w = await runWrapped([], 'npm', ['install', 'iso-a', '--no-audit'], { cwd: wrapped, env: env('cache-wrapped'), reportFile: join(work.userDir('reports'), 'isolation.json') });
  assert.equal(w.status, 0, describeRun('npm through safe-package', w));
  assert.equal(readFileSync(join(wrapped, 'node_modules/iso-a/node_modules/iso-b/index.js'), 'utf8'), 'module.exports = 2;\n');
  assert.equal(readFileSync(join(wrapped, 'node_modules/iso-a/result.txt'), 'utf8'), 'EROFS');
});
