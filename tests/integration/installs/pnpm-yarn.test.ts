// pnpm (10) and yarn (classic, 1.x) through safe-package (docs/promises.md#p5-staged-writes, docs/promises.md#p8-profiles), run from this
// repository's node_modules as the fixture user against a verdaccio on loopback, each
// compared with the bare tool in a twin project. pnpm links packages from a store: the
// jail's store is safe-package's own, and whatever pnpm hard-links inside the project
// must arrive as independent copies (a hard link could tie a project file to a file
// elsewhere), while the symlinks pnpm lays out inside node_modules are kept.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import type { FixturePackage } from '../../support/fixture-packages.js';
import type { Report } from '../../../src/report/report.js';
import {
  describeRun,
  diffTrees,
  installedTools,
  makeWorkDir,
  runAsUser,
  runWrapped,
  snapshotTree,
  timingLine,
  userEnv,
  type TimedResult,
  type Timing,
  type WorkDir,
} from './support.js';

const FIXTURES: FixturePackage[] = [
  {
    name: 'fx-b',
    bin: 'cli.js',
    files: { 'cli.js': { content: '#!/usr/bin/env node\nconsole.log("b");\n', mode: 0o755 }, 'index.js': 'module.exports = "b";\n' },
  },
  { name: 'fx-a', dependencies: { 'fx-b': '^1.0.0' }, files: { 'index.js': 'module.exports = require("fx-b");\n', 'lib/x.js': 'x\n' } },
  { name: '@fx/scoped', dependencies: { 'fx-b': '^1.0.0' }, files: { 'index.js': 'module.exports = "scoped";\n' } },
  {
    name: 'fx-builder',
    scripts: { postinstall: 'node build.js' },
    files: {
      'build.js':
        'const fs = require("fs"), path = require("path");\n' +
        'fs.mkdirSync(path.join(__dirname, "built"), { recursive: true });\n' +
        'fs.writeFileSync(path.join(__dirname, "built", "output.txt"), "built\\n");\n',
    },
  },
];

const manifest = (m: Record<string, unknown>) => ({ 'package.json': `${JSON.stringify({ name: 'proj', version: '1.0.0', private: true, ...m }, null, 2)}\n` });

const PROJECT = manifest({ dependencies: { 'fx-a': '^1.0.0', '@fx/scoped': '^1.0.0' } });

// The same with a dependency whose postinstall builds a file; pnpm 10 runs no
// dependency's build script unless the project lists it.
const BUILD_PROJECT = manifest({
  dependencies: { 'fx-a': '^1.0.0', '@fx/scoped': '^1.0.0', 'fx-builder': '^1.0.0' },
  pnpm: { onlyBuiltDependencies: ['fx-builder'] },
});

// pnpm's state files: run times, and the store's absolute path (safe-package's own store
// inside the jail, a private one for bare pnpm). Compared without those fields.
const PNPM_STATE = ['node_modules/.modules.yaml', 'node_modules/.pnpm-workspace-state-v1.json'];
const VOLATILE_KEYS = new Set(['prunedAt', 'lastValidatedTimestamp', 'storeDir']);

function pnpmState(project: string, rel: string): unknown {
  const text = readFileSync(join(project, rel), 'utf8');
  return JSON.parse(text, (key, value: unknown) => (VOLATILE_KEYS.has(key) ? undefined : value));
}

/** Regular files with more than one link, relative to root. */
function hardLinked(snapshot: ReadonlyMap<string, string>): string[] {
  return [...snapshot].filter(([, line]) => line.startsWith('file ') && !line.endsWith(' nlink=1')).map(([p]) => p);
}

describe('pnpm and yarn through safe-package, against the bare tools in twin projects', () => {
  let registry: TestRegistry;
  let work: WorkDir;
  let reports: string;
  let tools: string;
  const timings: Timing[] = [];
  let yarnTwins: Twins | undefined;

  before(async () => {
    registry = await startRegistry();
    await registry.publishFixtures(FIXTURES);
    work = makeWorkDir('pnpm-yarn');
    reports = work.userDir('reports');
    tools = installedTools(['pnpm', 'yarn'], { pnpm: '../pnpm/bin/pnpm.cjs', yarn: '../yarn/bin/yarn.js' });
  });

  after(async () => {
    await registry?.stop();
    work?.remove();
    if (timings.length) process.stderr.write(`pnpm/yarn timings:\n${timings.map((x) => `  ${timingLine(x)}`).join('\n')}\n`);
  });

  interface Twins {
    readonly wrapped: string;
    readonly bare: string;
    readonly w: TimedResult & { readonly report: Report | undefined };
    readonly b: TimedResult;
  }

  /**
   * Runs the tool in fresh twin projects. The bare one gets the same environment plus its
   * own caches; the wrapped one gets safe-package's (under its own XDG_CACHE_HOME).
   */
  async function twins(
    t: TestContext,
    name: string,
    exe: string,
    args: readonly string[],
    bareEnv: Record<string, string>,
    project: Record<string, string> = PROJECT,
    flags: readonly string[] = [],
  ): Promise<Twins> {
    const wrapped = work.project(`${name}-wrapped`, project);
    const bare = work.project(`${name}-bare`, project);
    const env = { npm_config_registry: registry.url };
    const w = await runWrapped(flags, exe, args, {
      cwd: wrapped,
      env: userEnv({ ...env, XDG_CACHE_HOME: work.userDir(`${name}-cache-wrapped`) }),
      reportFile: join(reports, `${name}.json`),
    });
    const bareCache = work.userDir(`${name}-cache-bare`);
    const b = await runAsUser(exe, args, {
      cwd: bare,
      env: userEnv({ ...env, XDG_CACHE_HOME: bareCache, ...Object.fromEntries(Object.entries(bareEnv).map(([k, v]) => [k, join(bareCache, v)])) }),
    });
    assert.equal(b.status, 0, describeRun(`bare ${name}`, b));
    assert.equal(w.status, 0, describeRun(`${name} through safe-package`, w));
    const timing = { what: `${name}: ${exe.split('/').pop()} ${args.join(' ')}`, wrappedMs: w.ms, bareMs: b.ms };
    timings.push(timing);
    t.diagnostic(timingLine(timing));

    const report = w.report;
    assert.ok(report, w.stderr);
    assert.deepEqual(report.network.blocked, [], 'nothing may be blocked in a plain install');
    assert.deepEqual(report.network.contacted.map((c) => `${c.host}:${c.port}`), [registry.host]);
    assert.deepEqual(report.writes.discarded, []);
    return { wrapped, bare, w, b };
  }

  // pnpm's .bin shims name the project's absolute path, which differs between twins.
  function assertSameInstall(r: Twins, skip: readonly string[]): void {
    const wrapped = snapshotTree(r.wrapped, { skip, replace: [[r.wrapped, '<project>']] });
    const bare = snapshotTree(r.bare, { skip, replace: [[r.bare, '<project>']] });
    const diff = diffTrees(wrapped, bare, ['through safe-package', 'bare']);
    assert.equal(diff, '', `the twins differ:\n${diff}`);
  }

  test('pnpm install: copies instead of the store\'s hard links, pnpm\'s symlinks kept, same tree as bare pnpm', async (t) => {
    const r = await twins(t, 'pnpm', join(tools, 'pnpm', 'bin', 'pnpm.cjs'), ['install'], { npm_config_store_dir: 'pnpm-store' });
    assertSameInstall(r, PNPM_STATE);
    for (const rel of PNPM_STATE) assert.deepEqual(pnpmState(r.wrapped, rel), pnpmState(r.bare, rel), `${rel} differs`);

    // Bare pnpm hard-links from its store (so this check means something) ...
    const bareLinks = hardLinked(snapshotTree(r.bare, { nlink: true }));
    assert.ok(bareLinks.length > 0, 'bare pnpm made no hard links: the comparison below proves nothing');
    // ... the project that safe-package wrote has none.
    assert.deepEqual(hardLinked(snapshotTree(r.wrapped, { nlink: true })), []);

    const nm = join(r.wrapped, 'node_modules');
    assert.equal(readlinkSync(join(nm, 'fx-a')), '.pnpm/fx-a@1.0.0/node_modules/fx-a');
    assert.equal(readlinkSync(join(nm, '@fx', 'scoped')), '../.pnpm/@fx+scoped@1.0.0/node_modules/@fx/scoped');
    assert.equal(readlinkSync(join(nm, '.pnpm', 'fx-a@1.0.0', 'node_modules', 'fx-b')), '../../fx-b@1.0.0/node_modules/fx-b');
    assert.equal(realpathSync(join(nm, 'fx-a', 'index.js')), join(nm, '.pnpm', 'fx-a@1.0.0', 'node_modules', 'fx-a', 'index.js'));
    assert.ok(existsSync(join(r.wrapped, 'pnpm-lock.yaml')));
  });

  let pnpmBuild: Awaited<ReturnType<typeof twins>> | undefined;
  test('pnpm runs the build script of a dependency the project allows (onlyBuiltDependencies)', async (t) => {
    const r = await twins(t, 'pnpm-build', join(tools, 'pnpm', 'bin', 'pnpm.cjs'), ['install'], { npm_config_store_dir: 'pnpm-store' }, BUILD_PROJECT);
    pnpmBuild = r;
    const nm = join(r.wrapped, 'node_modules');
    assert.equal(readFileSync(join(nm, 'fx-builder', 'built', 'output.txt'), 'utf8'), 'built\n', 'the allowed build script did not run');
    for (const rel of PNPM_STATE) assert.deepEqual(pnpmState(r.wrapped, rel), pnpmState(r.bare, rel), `${rel} differs`);
  });

  // `pnpm rebuild --pending` in the scripts phase rewrites every .bin shim under
  // node_modules/.pnpm with a shorter NODE_PATH than `pnpm install` writes; safe-package
  // puts back the ones the download phase's install wrote.
  test('after pnpm rebuild, the bin shims are the same as bare pnpm\'s', () => {
    assert.ok(pnpmBuild, 'the build test did not run');
    assertSameInstall(pnpmBuild, PNPM_STATE);
  });

  test('pnpm install with a build through the landlock backend: the same tree as bare pnpm, the allowed build run', async (t) => {
    const r = await twins(t, 'pnpm-landlock', join(tools, 'pnpm', 'bin', 'pnpm.cjs'), ['install'], { npm_config_store_dir: 'pnpm-store' }, BUILD_PROJECT, ['--backend', 'landlock']);
    assert.match(r.w.stderr, /\[landlock, /);
    const nm = join(r.wrapped, 'node_modules');
    assert.equal(readFileSync(join(nm, 'fx-builder', 'built', 'output.txt'), 'utf8'), 'built\n', 'the allowed build script did not run');
    for (const rel of PNPM_STATE) assert.deepEqual(pnpmState(r.wrapped, rel), pnpmState(r.bare, rel), `${rel} differs`);
    // The shadow's path must not reach what pnpm wrote (its shims name the project's path).
    const namingShadow = (readdirSync(r.wrapped, { recursive: true }) as string[]).filter((rel) => {
      const abs = join(r.wrapped, rel);
      return lstatSync(abs).isFile() && readFileSync(abs, 'latin1').includes('/shadow/');
    });
    assert.deepEqual(namingShadow, [], 'files that name the shadow instead of the project');
    // The .bin shims too: the ones pnpm rebuild rewrites are put back.
    assertSameInstall(r, PNPM_STATE);
  });

  test('pnpm workspaces: an install at the root gives each workspace its node_modules and links, as bare pnpm does', async (t) => {
    const project = {
      ...manifest({}),
      'pnpm-workspace.yaml': "packages:\n  - 'packages/*'\n",
      'packages/a/package.json': `${JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { 'fx-a': '^1.0.0' } }, null, 2)}\n`,
      'packages/b/package.json': `${JSON.stringify({ name: 'b', version: '1.0.0', dependencies: { a: 'workspace:*' } }, null, 2)}\n`,
    };
    const r = await twins(t, 'pnpm-ws', join(tools, 'pnpm', 'bin', 'pnpm.cjs'), ['install'], { npm_config_store_dir: 'pnpm-store' }, project);
    assert.equal(readlinkSync(join(r.wrapped, 'packages/b/node_modules/a')), '../../a');
    assert.ok(existsSync(join(r.wrapped, 'packages/a/node_modules/fx-a/index.js')));
    assertSameInstall(r, PNPM_STATE);
  });

  test('pnpm hard-linking from a store inside node_modules: the commit turns every link into its own copy', async (t) => {
    const args = ['install', '--store-dir', 'node_modules/.pnpm-store', '--package-import-method', 'hardlink'];
    const r = await twins(t, 'pnpm-hardlink', join(tools, 'pnpm', 'bin', 'pnpm.cjs'), args, {});
    const bareLinks = hardLinked(snapshotTree(r.bare, { nlink: true }));
    assert.ok(bareLinks.some((p) => p.startsWith('node_modules/.pnpm/fx-a@1.0.0/')), `bare pnpm did not hard-link: ${bareLinks.join(', ')}`);
    assert.deepEqual(hardLinked(snapshotTree(r.wrapped, { nlink: true })), [], 'a hard link reached the project');
    // Everything but the store's own index (which records when it checked each file).
    assertSameInstall(r, [...PNPM_STATE, 'node_modules/.pnpm-store/v10/index']);
    assert.ok(r.w.report!.writes.committed.some((c) => c.path.startsWith('node_modules/.pnpm-store/v10/files/')));
  });

  test('yarn install (classic): the same tree and yarn.lock as bare yarn, the postinstall has run', async (t) => {
    const r = await twins(t, 'yarn', join(tools, 'yarn', 'bin', 'yarn.js'), ['install', '--non-interactive'], { YARN_CACHE_FOLDER: 'yarn' }, BUILD_PROJECT);
    yarnTwins = r;
    assertSameInstall(r, []);
    const nm = join(r.wrapped, 'node_modules');
    assert.equal(readlinkSync(join(nm, '.bin', 'fx-b')), '../fx-b/cli.js');
    assert.equal(readFileSync(join(nm, 'fx-builder', 'built', 'output.txt'), 'utf8'), 'built\n', 'yarn ran the postinstall');
    assert.ok(existsSync(join(nm, '@fx', 'scoped', 'index.js')));
    assert.match(readFileSync(join(r.wrapped, 'yarn.lock'), 'utf8'), new RegExp(`resolved "${registry.url}fx-a/-/fx-a-1\\.0\\.0\\.tgz`));
  });

  test('yarn install (classic) through the landlock backend: the same tree as bare yarn, its integrity file included', async (t) => {
    const r = await twins(t, 'yarn-landlock', join(tools, 'yarn', 'bin', 'yarn.js'), ['install', '--non-interactive'], { YARN_CACHE_FOLDER: 'yarn' }, BUILD_PROJECT, ['--backend', 'landlock']);
    assert.match(r.w.stderr, /\[landlock, /);
    assert.equal(readFileSync(join(r.wrapped, 'node_modules', 'fx-builder', 'built', 'output.txt'), 'utf8'), 'built\n', 'the postinstall did not run');
    assertSameInstall(r, []);
  });

  test('yarn workspaces (classic): an install at the root gives the same tree as bare yarn, the workspace symlinks kept', async (t) => {
    const project = {
      ...manifest({ workspaces: ['packages/*'] }),
      'packages/a/package.json': `${JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { 'fx-a': '^1.0.0' } }, null, 2)}\n`,
      'packages/a/index.js': 'module.exports = "a";\n',
      'packages/b/package.json': `${JSON.stringify({ name: 'b', version: '1.0.0', dependencies: { a: '^1.0.0', 'fx-b': '^1.0.0' } }, null, 2)}\n`,
    };
    const r = await twins(t, 'yarn-ws', join(tools, 'yarn', 'bin', 'yarn.js'), ['install', '--non-interactive'], { YARN_CACHE_FOLDER: 'yarn' }, project);
    const nm = join(r.wrapped, 'node_modules');
    assert.equal(readlinkSync(join(nm, 'a')), '../packages/a');
    assert.equal(readlinkSync(join(nm, 'b')), '../packages/b');
    assert.ok(existsSync(join(nm, 'fx-a', 'index.js')) && existsSync(join(nm, 'fx-b', 'cli.js')));
    assertSameInstall(r, []);
  });

  // Phase 1 runs yarn with scripts ignored and phase 2 builds with npm rebuild: unless
  // safe-package rewrites it, the integrity file says "flags": ["ignoreScripts"] and lists
  // no build artifacts, and the next bare `yarn install` relinks everything.
  test('yarn\'s integrity file is the same as bare yarn\'s: no ignoreScripts flag, the build\'s artifacts listed; yarn check --integrity passes', async () => {
    assert.ok(yarnTwins, 'the yarn test did not run');
    const rel = 'node_modules/.yarn-integrity';
    const bare = JSON.parse(readFileSync(join(yarnTwins.bare, rel), 'utf8')) as { artifacts?: Record<string, string[]> };
    assert.deepEqual(bare.artifacts, { 'fx-builder@1.0.0': ['built', 'built/output.txt'] }, 'bare yarn lists the build (so the check means something)');
    assert.equal(readFileSync(join(yarnTwins.wrapped, rel), 'utf8'), readFileSync(join(yarnTwins.bare, rel), 'utf8'));
    const check = await runAsUser(join(tools, 'yarn', 'bin', 'yarn.js'), ['check', '--integrity'], { cwd: yarnTwins.wrapped, env: userEnv({ npm_config_registry: registry.url }) });
    assert.equal(check.status, 0, describeRun('yarn check --integrity in the wrapped twin', check));
  });

  test('pnpm and yarn run through their node_modules/.bin symlinks', async () => {
    for (const tool of ['pnpm', 'yarn']) {
      const project = work.project(`bin-${tool}`, PROJECT);
      const r = await runWrapped([], join(tools, '.bin', tool), ['install'], {
        cwd: project,
        env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: work.userDir(`bin-${tool}-cache`) }),
        reportFile: join(reports, `bin-${tool}.json`),
      });
      assert.equal(r.status, 0, describeRun(`safe-package node_modules/.bin/${tool} install`, r));
      assert.ok(existsSync(join(project, 'node_modules', 'fx-a', 'index.js')));
    }
  });

  // Code the project chooses must not run in the download phase, where the registry
  // token is: pnpm runs .pnpmfile.cjs on every install, yarn 1 the release `yarn-path` names.
  test('pnpm: the project\'s .pnpmfile.cjs runs with bare pnpm, and not in safe-package\'s download phase', async () => {
    const pnpmfile =
      "const fs = require('fs'), path = require('path');\n" +
      "fs.writeFileSync(path.join(__dirname, 'pnpmfile-ran'), 'x');\n" +
      "if (process.env.pnpm_config_ignore_scripts === 'true') fs.writeFileSync(path.join(__dirname, 'pnpmfile-ran-in-download'), 'x');\n" +
      'module.exports = { hooks: {} };\n';
    const files = { ...PROJECT, '.pnpmfile.cjs': pnpmfile };
    const pnpm = join(tools, 'pnpm', 'bin', 'pnpm.cjs');
    const bare = work.project('pnpmfile-bare', files);
    const bareCache = work.userDir('pnpmfile-cache-bare');
    const b = await runAsUser(pnpm, ['install'], { cwd: bare, env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: bareCache, npm_config_store_dir: join(bareCache, 'store') }) });
    assert.equal(b.status, 0, describeRun('bare pnpm', b));
    assert.ok(existsSync(join(bare, 'pnpmfile-ran')), 'bare pnpm ran the pnpmfile (the test can fail)');
    const wrapped = work.project('pnpmfile-wrapped', files);
    const w = await runWrapped([], pnpm, ['install'], { cwd: wrapped, env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: work.userDir('pnpmfile-cache-wrapped') }), reportFile: join(reports, 'pnpmfile.json') });
    assert.equal(w.status, 0, describeRun('pnpm through safe-package', w));
    assert.ok(existsSync(join(wrapped, 'node_modules', 'fx-a', 'index.js')));
    const discarded = (w.report?.writes.discarded ?? []).map((d) => d.path);
    assert.ok(!discarded.includes('pnpmfile-ran-in-download'), `the pnpmfile ran in the download phase: ${discarded.join(', ')}`);
    assert.ok(!existsSync(join(wrapped, 'pnpmfile-ran-in-download')));
  });

  test('yarn 1: the release `yarn-path` names runs with bare yarn, never through safe-package', async () => {
    const evil = "require('fs').writeFileSync(require('path').join(__dirname, 'yarn-path-ran'), 'x');\nprocess.exit(0);\n";
    const files = { ...PROJECT, '.yarnrc': 'yarn-path "./evil-yarn.js"\n', 'evil-yarn.js': evil };
    const yarn = join(tools, 'yarn', 'bin', 'yarn.js');
    const bare = work.project('yarnpath-bare', files);
    const b = await runAsUser(yarn, ['install', '--non-interactive'], { cwd: bare, env: userEnv({ npm_config_registry: registry.url, YARN_CACHE_FOLDER: work.userDir('yarnpath-cache-bare') }) });
    assert.equal(b.status, 0, describeRun('bare yarn', b));
    assert.ok(existsSync(join(bare, 'yarn-path-ran')), 'bare yarn ran the yarn-path release (the test can fail)');
    const wrapped = work.project('yarnpath-wrapped', files);
    const w = await runWrapped([], yarn, ['install', '--non-interactive'], { cwd: wrapped, env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: work.userDir('yarnpath-cache-wrapped') }), reportFile: join(reports, 'yarnpath.json') });
    assert.equal(w.status, 0, describeRun('yarn through safe-package', w));
    assert.ok(existsSync(join(wrapped, 'node_modules', 'fx-a', 'index.js')), 'the real yarn installed');
    assert.ok(!(w.report?.writes.discarded ?? []).some((d) => d.path === 'yarn-path-ran'));
    assert.ok(!existsSync(join(wrapped, 'yarn-path-ran')));
  });
});
