// The plain-data parts of the test infrastructure: fixture manifests and registry config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fixtureFilePath,
  fixtureManifest,
  installScriptPackage,
  writeFixturePackage,
} from '../../support/fixture-packages.js';
import { batchesWithUniqueNames } from '../../support/registry.js';
import { verdaccioConfig } from '../../support/verdaccio/config.js';

test('an install-script package runs its script at the chosen event', () => {
  const js = installScriptPackage('evil', { js: 'steal()' }, { dependencies: { a: '^1' } });
  assert.deepEqual(fixtureManifest(js), {
    name: 'evil',
    version: '1.0.0',
    description: 'test fixture evil',
    license: 'MIT',
    scripts: { postinstall: 'node install.js' },
    dependencies: { a: '^1' },
  });
  assert.deepEqual(js.files, { 'install.js': 'steal()' });

  const sh = installScriptPackage('evil-sh', { sh: 'id' }, { event: 'preinstall', files: { 'x': '1' } });
  assert.deepEqual(sh.scripts, { preinstall: 'sh install.sh' });
  assert.deepEqual(sh.files, { x: '1', 'install.sh': 'id' });
});

test('manifest fields win over generated ones', () => {
  const manifest = fixtureManifest({ name: 'a', manifest: { version: '9.9.9', os: ['linux'] } });
  assert.equal(manifest['version'], '9.9.9');
  assert.deepEqual(manifest['os'], ['linux']);
});

test('a fixture file path cannot leave the package directory', () => {
  for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', './a', 'a\\b', '']) {
    assert.throws(() => fixtureFilePath('/pkg', bad), /must be relative/, bad);
  }
  assert.equal(fixtureFilePath('/pkg', 'lib/a.js'), '/pkg/lib/a.js');
  assert.equal(fixtureFilePath('/pkg', '.github/workflows/x.yml'), '/pkg/.github/workflows/x.yml');
});

test('writeFixturePackage writes bytes, modes, and a package.json override', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sp-fixture-data-'));
  try {
    await writeFixturePackage(dir, {
      name: 'a',
      files: {
        'bin/run': { content: '#!/bin/sh\n', mode: 0o755 },
        'blob': Buffer.from([0xff, 0]),
      },
    });
    assert.equal((await stat(join(dir, 'bin/run'))).mode & 0o777, 0o755);
    assert.deepEqual(await readFile(join(dir, 'blob')), Buffer.from([0xff, 0]));
    assert.equal(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).name, 'a');

    await writeFixturePackage(dir, { name: 'a', files: { 'package.json': '{ not json' } });
    assert.equal(await readFile(join(dir, 'package.json'), 'utf8'), '{ not json');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fixtures published together are split wherever a name repeats', () => {
  const specs = [{ name: 'a' }, { name: 'b' }, { name: 'a', version: '2.0.0' }, { name: 'c' }];
  assert.deepEqual(
    batchesWithUniqueNames(specs).map((batch) => batch.map((s) => s.name)),
    [['a', 'b'], ['a', 'c']],
  );
  assert.deepEqual(batchesWithUniqueNames([]), []);
});

test('the registry config is offline unless an uplink is asked for', () => {
  const offline = verdaccioConfig({ storageDir: '/s', htpasswdFile: '/h', auth: false });
  assert.deepEqual(offline['uplinks'], {});
  assert.deepEqual((offline['packages'] as Record<string, unknown>)['**'], {
    access: '$all',
    publish: '$authenticated',
    unpublish: '$authenticated',
  });
  assert.equal('middlewares' in offline, false, 'no audit middleware reaching the public registry');

  const mirror = verdaccioConfig({ storageDir: '/s', htpasswdFile: '/h', auth: true, uplink: 'https://r/' });
  const rule = (mirror['packages'] as Record<string, Record<string, unknown>>)['**']!;
  assert.equal(rule['access'], '$authenticated');
  assert.equal(rule['proxy'], 'upstream');
  assert.deepEqual(Object.keys(mirror['uplinks'] as object), ['upstream']);
});
