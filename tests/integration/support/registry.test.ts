// Self-tests of the test registry: real verdaccio, real npm, real processes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  installScriptPackage,
  packFixture,
  runNpm,
  uniqueName,
  type FixturePackage,
} from '../../support/fixture-packages.js';
import { processesInGroup, startRegistry, type TestRegistry } from '../../support/registry.js';
import { explain, run } from './run.js';
import { fixtureUser } from '../../support/cli.js';

async function newProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sp-project-'));
  await writeFile(join(dir, 'package.json'), '{ "name": "project", "version": "1.0.0", "private": true }\n');
  return dir;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

describe('an offline test registry', () => {
  let registry: TestRegistry;
  const cleanup: string[] = [];
  const dep: FixturePackage = {
    name: `@sp-fixtures/${uniqueName('dep')}`,
    version: '1.2.0',
    files: { 'index.js': 'module.exports = "dep";\n' },
  };
  // A benign control: its postinstall writes into its own folder.
  const main = installScriptPackage(
    uniqueName('main'),
    { js: 'require("fs").writeFileSync("postinstall-ran", "yes");\n' },
    { dependencies: { [dep.name]: '^1.0.0' }, files: { 'index.js': 'module.exports = require("' + dep.name + '");\n' } },
  );

  before(async () => {
    registry = await startRegistry();
    await registry.publishFixtures([dep, main]);
  });
  after(async () => {
    await registry?.stop();
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  test('starts quickly on a loopback port', (t) => {
    t.diagnostic(`verdaccio ready with a token in ${registry.startupMs} ms`);
    assert.match(registry.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(registry.host, `127.0.0.1:${registry.port}`);
    assert.ok(registry.startupMs < 10_000, `startup took ${registry.startupMs} ms`);
  });

  test('npm install with --registry fetches a fixture, its dependency, and runs its postinstall', async () => {
    const project = await newProject();
    cleanup.push(project);
    // No registry and no token in the user config: --registry alone must do it.
    const npmrc = await registry.writeNpmrc(undefined, {
      registry: false,
      auth: false,
      cache: join(project, '.cache'),
    });
    const result = await runNpm(['install', main.name, '--registry', registry.url], {
      cwd: project,
      userconfig: npmrc,
    });
    assert.equal(result.code, 0, explain(result));

    const installed = await readJson(join(project, 'node_modules', main.name, 'package.json'));
    assert.equal(installed['version'], '1.0.0');
    const depManifest = await readJson(join(project, 'node_modules', dep.name, 'package.json'));
    assert.equal(depManifest['version'], '1.2.0');
    assert.equal(await readFile(join(project, 'node_modules', main.name, 'postinstall-ran'), 'utf8'), 'yes');

    const lock = await readFile(join(project, 'package-lock.json'), 'utf8');
    assert.ok(lock.includes(`${registry.url}${dep.name}/-/`), `lockfile resolves from the test registry:\n${lock}`);
    assert.ok((await readFile(registry.logFile, 'utf8')).includes(main.name), 'the log records requests');
  });

  test('npm install through a user config that names the registry', async () => {
    const project = await newProject();
    cleanup.push(project);
    const npmrc = await registry.writeNpmrc(join(project, '.test-npmrc'), { cache: join(project, '.cache') });
    assert.equal((await stat(npmrc)).mode & 0o777, 0o600, 'a file holding the token is private');
    assert.ok((await readFile(npmrc, 'utf8')).includes(`//${registry.host}/:_authToken=`));

    const result = await runNpm(['install', main.name], { cwd: project, userconfig: npmrc });
    assert.equal(result.code, 0, explain(result));
    const required = await run(process.execPath, ['-p', `require(${JSON.stringify(main.name)})`], {
      cwd: project,
    });
    assert.equal(required.stdout.trim(), 'dep', explain(required));
  });

  test('serves nothing it was not given: no uplink, so public packages are 404', async () => {
    const project = await newProject();
    cleanup.push(project);
    const npmrc = await registry.writeNpmrc(undefined, { cache: join(project, '.cache') });
    const result = await runNpm(['view', 'left-pad', 'version'], { cwd: project, userconfig: npmrc });
    assert.notEqual(result.code, 0, explain(result));
    assert.match(result.stderr, /E404/);
  });

  test("publishing and packing fixtures never run the fixture's own scripts on the host", async () => {
    const markers = await mkdtemp(join(tmpdir(), 'sp-markers-'));
    cleanup.push(markers);
    const events = ['prepublishOnly', 'prepack', 'prepare', 'postpack', 'publish', 'postpublish'];
    const spec = (name: string, version: string): FixturePackage => ({
      name,
      version,
      scripts: Object.fromEntries(
        events.map((e) => [e, `node -e "require('fs').writeFileSync('${markers}/${e}', '')"`]),
      ),
    });
    const single = uniqueName('publish-one');
    const batched = uniqueName('publish-many');
    await registry.publishFixture(spec(single, '1.0.0'));
    // Two versions of one name: publishFixtures must split them into two npm runs.
    await registry.publishFixtures([spec(batched, '1.0.0'), spec(batched, '2.0.0')]);
    assert.ok(existsSync(await packFixture(spec(single, '1.0.0'), markers)));

    const project = await newProject();
    cleanup.push(project);
    const npmrc = await registry.writeNpmrc(undefined, { cache: join(project, '.cache') });
    const one = await runNpm(['view', single, 'versions', '--json'], { cwd: project, userconfig: npmrc });
    assert.deepEqual(JSON.parse(one.stdout), ['1.0.0'], explain(one));
    const many = await runNpm(['view', batched, 'versions', '--json'], { cwd: project, userconfig: npmrc });
    assert.deepEqual(JSON.parse(many.stdout), ['1.0.0', '2.0.0'], explain(many));
    const ran = events.filter((e) => existsSync(join(markers, e)));
    assert.deepEqual(ran, [], `scripts that ran on the host: ${ran.join(', ')}`);
  });

  test('packFixture makes a real npm tarball holding the fixture files', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sp-pack-'));
    cleanup.push(out);
    const spec = installScriptPackage(
      '@sp-fixtures/packed',
      { sh: 'echo hi > "$PWD/out"\n' },
      { files: { 'lib/data.bin': Buffer.from([0, 1, 2, 255]), 'run.sh': { content: '#!/bin/sh\n', mode: 0o755 } } },
    );
    const tarball = await packFixture(spec, out);
    assert.equal(tarball, join(out, 'sp-fixtures-packed-1.0.0.tgz'));
    const listing = await run('tar', ['-tvzf', tarball]);
    assert.equal(listing.code, 0, explain(listing));
    for (const file of ['package/package.json', 'package/install.sh', 'package/lib/data.bin']) {
      assert.ok(listing.stdout.includes(file), `${file} in\n${listing.stdout}`);
    }
    assert.match(listing.stdout, /^-rwxr-xr-x .* package\/run\.sh$/m);
    const manifest = await run('tar', ['-xzOf', tarball, 'package/package.json']);
    assert.deepEqual(JSON.parse(manifest.stdout).scripts, { postinstall: 'sh install.sh' });
  });

  test('publishing the same version twice is an error that says so', async () => {
    await assert.rejects(registry.publishFixture(dep), /npm publish .* failed/);
  });
});

describe('a test registry with auth', () => {
  let registry: TestRegistry;
  const cleanup: string[] = [];
  const secretPackage: FixturePackage = { name: uniqueName('private'), files: { 'index.js': '' } };

  before(async () => {
    registry = await startRegistry({ auth: true });
    await registry.publishFixture(secretPackage);
  });
  after(async () => {
    await registry?.stop();
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  test('refuses an anonymous install', async () => {
    const project = await newProject();
    cleanup.push(project);
    const npmrc = await registry.writeNpmrc(undefined, { auth: false, cache: join(project, '.cache') });
    const result = await runNpm(['install', secretPackage.name], { cwd: project, userconfig: npmrc });
    assert.notEqual(result.code, 0, explain(result));
    assert.match(result.stderr, /E401|E403/);
    assert.equal(existsSync(join(project, 'node_modules', secretPackage.name)), false);
  });

  test('installs with the token from a user config file', async () => {
    const project = await newProject();
    cleanup.push(project);
    const npmrc = await registry.writeNpmrc(undefined, { cache: join(project, '.cache') });
    const result = await runNpm(['install', secretPackage.name], { cwd: project, userconfig: npmrc });
    assert.equal(result.code, 0, explain(result));
    assert.ok(existsSync(join(project, 'node_modules', secretPackage.name, 'index.js')));
  });

  test('a fixture user installs with a private user config it owns', async () => {
    const { uid, gid } = fixtureUser('sp-test');
    const user = { uid, gid };
    const project = await newProject();
    cleanup.push(project);
    await chown(project, user.uid, user.gid);
    await chown(join(project, 'package.json'), user.uid, user.gid);
    const npmrc = await registry.writeNpmrc(join(project, '.npmrc-sp-test'), {
      cache: join(project, '.cache'),
      owner: user,
    });
    const info = await stat(npmrc);
    assert.deepEqual([info.uid, info.mode & 0o777], [user.uid, 0o600]);
    const result = await runNpm(['install', secretPackage.name], {
      cwd: project,
      userconfig: npmrc,
      env: { HOME: project },
      ...user,
    });
    assert.equal(result.code, 0, explain(result));
    assert.equal((await stat(join(project, 'node_modules', secretPackage.name, 'index.js'))).uid, user.uid);
  });
});

describe('stopping a test registry', () => {
  test('stop() kills its process group, frees the port and removes its files', async () => {
    const registry = await startRegistry();
    const { pid, url, dir } = registry;
    assert.deepEqual(processesInGroup(pid), [pid]);
    await registry.stop();
    assert.deepEqual(processesInGroup(pid), []);
    assert.equal(existsSync(`/proc/${pid}`), false);
    assert.equal(existsSync(dir), false);
    await assert.rejects(fetch(new URL('-/ping', url)), 'nothing listens on the port any more');
    await registry.stop(); // a second stop is harmless
  });

  test('a registry dies with the test process, even one killed with SIGKILL', async () => {
    const moduleUrl = new URL('../../support/registry.js', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(moduleUrl)});
      const r = await m.startRegistry();
      console.log(JSON.stringify({ pid: r.pid, dir: r.dir }));
      setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const { pid, dir } = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
      owner.stdout.setEncoding('utf8').once('data', (line: string) => resolve(JSON.parse(line)));
      owner.once('exit', () => reject(new Error('the owner process exited before printing a pid')));
    });
    after(() => rm(dir, { recursive: true, force: true }));
    assert.ok(pid > 0 && processesInGroup(pid).includes(pid));
    owner.kill('SIGKILL');
    for (let i = 0; processesInGroup(pid).length > 0; i++) {
      assert.ok(i < 250, `registry ${pid} outlived its SIGKILLed owner by 5 s`);
      await sleep(20);
    }
  });
});
