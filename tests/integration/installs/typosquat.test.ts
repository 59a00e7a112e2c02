// Typosquats are stopped before anything is downloaded (src/judge/typosquat.ts): a name
// being added that is one edit from a used name and not established on the registry,
// with "did you mean" and the option that lets it through. Real npm, real verdaccio.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { describeRun, makeWorkDir, runWrapped, userEnv, type WorkDir } from './support.js';

describe('typosquats', () => {
  let registry: TestRegistry;
  let work: WorkDir;
  before(async () => {
    registry = await startRegistry();
    // A lookalike of lodash, one release (as typosquats are).
    await registry.publishFixtures([{ name: 'lodahs', version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n' } }]);
    work = makeWorkDir('typosquat');
  });
  after(async () => {
    await registry?.stop();
    work?.remove();
  });

  const install = (name: string, args: string[], flags: string[] = []) => {
    const proj = work.project(name, { 'package.json': '{"name":"proj","version":"1.0.0","private":true}\n' });
    return runWrapped(flags, 'npm', args, { cwd: proj, env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: work.userDir(`${name}-cache`) }), reportFile: join(work.userDir(`${name}-r`), 'r.json') }).then((r) => ({ r, proj }));
  };

  test('npm install expresss: stopped before download with "did you mean express"', async () => {
    const { r, proj } = await install('expresss', ['install', 'expresss']);
    assert.equal(r.status, 4, describeRun('npm install expresss', r));
    assert.match(r.stderr, /expresss looks like a typo of express \(it is not on the registry\): did you mean express\?/);
    assert.match(r.stderr, /--allow-name expresss/);
    assert.equal(existsSync(join(proj, 'node_modules')), false);
    assert.equal(existsSync(join(proj, 'package-lock.json')), false);
  });

  test('a published lookalike with one release is stopped; --allow-name lets it through', async () => {
    const stopped = await install('lodahs', ['install', 'lodahs@1.0.0']);
    assert.equal(stopped.r.status, 4, stopped.r.stderr);
    assert.match(stopped.r.stderr, /lodahs looks like a typo of lodash \(it has 1 version\(s\)/);
    const allowed = await install('lodahs-allowed', ['install', 'lodahs'], ['--allow-name', 'lodahs']);
    assert.equal(allowed.r.status, 0, describeRun('npm install lodahs --allow-name', allowed.r));
    assert.match(readFileSync(join(allowed.proj, 'package.json'), 'utf8'), /"lodahs"/);
  });
});
