// Real npm installs through safe-package (docs/promises.md#p3-backends, docs/promises.md#p5-staged-writes, docs/promises.md#p6-network, docs/promises.md#p9-report), as the unprivileged
// fixture user, against a verdaccio on loopback: every install is done twice, once
// through the jail and once by bare npm (same user, same environment, its own cache) in
// a twin project, and the two projects must come out identical — node_modules (paths,
// types, modes, owners, contents, link targets), package.json and package-lock.json
// byte for byte. A jail that breaks, drops or bends any part of a real install fails here.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import { installedCli, runProcess } from '../../support/cli.js';
import type { FixturePackage } from '../../support/fixture-packages.js';
import type { Report } from '../../../src/report/report.js';
import {
  chownTree,
  describeRun,
  diffTrees,
  makeWorkDir,
  runAsUser,
  runWrapped,
  snapshotTree,
  timingLine,
  user,
  userEnv,
  type Timing,
  type WorkDir,
} from './support.js';

function lib(name: string, version: string, dependencies?: Record<string, string>, extra: Partial<FixturePackage> = {}): FixturePackage {
  return {
    name,
    version,
    ...(dependencies ? { dependencies } : {}),
    ...extra,
    files: {
      'index.js': `module.exports = ${JSON.stringify(`${name}@${version}`)};\n`,
      'lib/util.js': `exports.name = ${JSON.stringify(name)};\n`,
      ...extra.files,
    },
  };
}

// Seventeen package versions: a three-level tree (fx-core), two majors of one package so
// that npm must nest one of them, a scoped package with a bin, a bin, a chain four deep,
// a package whose postinstall builds a file into its own folder, and a package with a
// dependency of its own to uninstall later.
const FIXTURES: FixturePackage[] = [
  lib('fx-leaf-a', '1.0.0'),
  lib('fx-leaf-b', '1.0.0'),
  lib('fx-leaf-c', '1.0.0'),
  lib('fx-shared', '1.0.0'),
  lib('fx-shared', '2.0.0'),
  lib('fx-util-a', '1.0.0', { 'fx-shared': '^1.0.0', 'fx-leaf-a': '^1.0.0' }),
  lib('fx-util-b', '1.0.0', { 'fx-shared': '^2.0.0', 'fx-leaf-b': '^1.0.0' }),
  lib('@fx/scoped', '1.0.0', { 'fx-leaf-c': '^1.0.0' }, {
    bin: { 'fx-scoped': 'bin/cli.js' },
    files: { 'bin/cli.js': { content: '#!/usr/bin/env node\nconsole.log("scoped");\n', mode: 0o755 } },
  }),
  lib('fx-core', '1.0.0', { 'fx-util-a': '^1.0.0', 'fx-util-b': '^1.0.0', '@fx/scoped': '^1.0.0' }),
  lib('fx-tool', '1.0.0', undefined, {
    bin: 'cli.js',
    files: {
      'cli.js': { content: '#!/usr/bin/env node\nconsole.log("tool");\n', mode: 0o755 },
      'scripts/helper.sh': { content: '#!/bin/sh\necho helper\n', mode: 0o755 },
    },
  }),
  lib('fx-builder', '1.0.0', undefined, {
    scripts: { postinstall: 'node build.js' },
    files: {
      // Deterministic output (no paths, no times): both twins must build the same bytes.
      'build.js':
        'const fs = require("fs"), path = require("path");\n' +
        'fs.mkdirSync(path.join(__dirname, "built"), { recursive: true });\n' +
        'fs.writeFileSync(path.join(__dirname, "built", "output.txt"), "built by " + process.env.npm_package_name + "@" + process.env.npm_package_version + "\\n");\n',
    },
  }),
  lib('fx-deep-3', '1.0.0'),
  lib('fx-deep-2', '1.0.0', { 'fx-deep-3': '^1.0.0' }),
  lib('fx-deep-1', '1.0.0', { 'fx-deep-2': '^1.0.0' }),
  // Not fx-extra: one letter from fs-extra, which the typosquat check rightly stops.
  lib('fx-more', '1.0.0', { 'fx-deep-1': '^1.0.0', 'fx-shared': '^1.0.0' }),
  lib('fx-only-removable', '1.0.0'),
  lib('fx-removable', '1.0.0', { 'fx-only-removable': '^1.0.0' }),
];

// npm 11 runs a dependency's install scripts only when the project allows them.
const PROJECT = {
  'package.json': `${JSON.stringify({ name: 'proj', version: '1.0.0', private: true, allowScripts: { 'fx-builder': true } }, null, 2)}\n`,
};

/**
 * The twin suite: each step run through safe-package (with `flags`) and with bare npm in a
 * twin project, the trees compared. `everything`: also the cases that are the sandbox's
 * own (root with --user, a mounted node_modules, ...).
 */
function twinSuite(title: string, flags: readonly string[], everything: boolean): void {
describe(title, () => {
  let registry: TestRegistry;
  let work: WorkDir;
  let wrappedCache: string;
  let bareCache: string;
  let reports: string;
  // The twins of the first steps, reused by the later ones.
  let wrapped: string;
  let bare: string;
  const timings: Timing[] = [];

  before(async () => {
    registry = await startRegistry();
    await registry.publishFixtures(FIXTURES);
    work = makeWorkDir('npm');
    wrappedCache = work.userDir('cache-wrapped');
    bareCache = work.userDir('cache-bare');
    reports = work.userDir('reports');
    wrapped = work.project('wrapped', PROJECT);
    bare = work.project('bare', PROJECT);
  });

  after(async () => {
    await registry?.stop();
    work?.remove();
    if (timings.length) process.stderr.write(`npm timings:\n${timings.map((t) => `  ${timingLine(t)}`).join('\n')}\n`);
  });

  /** Runs `npm args` in both twins, checks both succeeded and the trees are identical. */
  async function twinRun(
    t: TestContext,
    what: string,
    args: readonly string[],
    dirs: { wrapped: string; bare: string; wrappedCache?: string; bareCache?: string },
  ): Promise<Report> {
    const env = { npm_config_registry: registry.url };
    const w = await runWrapped(flags, 'npm', args, {
      cwd: dirs.wrapped,
      env: userEnv({ ...env, XDG_CACHE_HOME: dirs.wrappedCache ?? wrappedCache }),
      reportFile: join(reports, `${what.replace(/\W+/g, '-')}.json`),
    });
    const b = await runAsUser('npm', args, {
      cwd: dirs.bare,
      env: userEnv({ ...env, XDG_CACHE_HOME: dirs.bareCache ?? bareCache, npm_config_cache: join(dirs.bareCache ?? bareCache, 'npm') }),
    });
    assert.equal(b.status, 0, describeRun(`bare npm ${args.join(' ')}`, b));
    assert.equal(w.status, 0, describeRun(`safe-package npm ${args.join(' ')}`, w));
    const timing = { what: `npm ${args.join(' ')}`, wrappedMs: w.ms, bareMs: b.ms };
    timings.push(timing);
    t.diagnostic(timingLine(timing));

    const diff = diffTrees(snapshotTree(dirs.wrapped), snapshotTree(dirs.bare), ['through safe-package', 'bare npm']);
    assert.equal(diff, '', `the twins differ after npm ${args.join(' ')}:\n${diff}`);
    for (const file of ['package.json', 'package-lock.json']) {
      assert.deepEqual(readFileSync(join(dirs.wrapped, file)), readFileSync(join(dirs.bare, file)), `${file} differs`);
    }

    const report = w.report;
    assert.ok(report, `no report was written:\n${w.stderr}`);
    assert.equal(report.exit.status, 0);
    assert.deepEqual(report.network.blocked, [], 'nothing may be blocked in a plain install');
    const contacted = report.network.contacted.map((c) => `${c.host}:${c.port}`);
    assert.ok(contacted.includes(registry.host), `the registry ${registry.host} is not among the contacted hosts: ${contacted.join(', ')}`);
    assert.deepEqual(contacted.filter((h) => h !== registry.host), [], 'only the registry is contacted');
    assert.deepEqual(report.writes.discarded, [], 'an ordinary install has nothing to discard');
    assert.ok(report.writes.committed.length > 0, 'the install committed its writes');
    return report;
  }

  /** package.json and the lockfile of the wrapped twin as it is now, for a new project. */
  const wrappedManifests = () => ({
    'package.json': readFileSync(join(wrapped, 'package.json'), 'utf8'),
    'package-lock.json': readFileSync(join(wrapped, 'package-lock.json'), 'utf8'),
  });

  test('npm install of new dependencies: a nested tree, bins, a scoped package, a postinstall build', async (t) => {
    await twinRun(t, 'install', ['install', 'fx-core', 'fx-tool', 'fx-builder', 'fx-removable'], { wrapped, bare });

    const nm = join(wrapped, 'node_modules');
    // The tree really is what the fixtures describe (so "identical" is not "both empty").
    const version = (p: string) => (JSON.parse(readFileSync(join(nm, p, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(version('fx-shared'), '1.0.0');
    assert.equal(version('fx-util-b/node_modules/fx-shared'), '2.0.0', 'the second major is nested under its user');
    assert.equal(version('@fx/scoped'), '1.0.0');
    assert.equal(readlinkSync(join(nm, '.bin', 'fx-tool')), '../fx-tool/cli.js');
    assert.equal(readlinkSync(join(nm, '.bin', 'fx-scoped')), '../@fx/scoped/bin/cli.js');
    assert.equal(lstatSync(join(nm, 'fx-tool', 'cli.js')).mode & 0o777, 0o755);
    assert.equal(readFileSync(join(nm, 'fx-builder', 'built', 'output.txt'), 'utf8'), 'built by fx-builder@1.0.0\n');
    const manifest = JSON.parse(readFileSync(join(wrapped, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(manifest['dependencies'] as object).sort(), ['fx-builder', 'fx-core', 'fx-removable', 'fx-tool']);
    assert.deepEqual(manifest['allowScripts'], { 'fx-builder': true }, 'the rest of package.json is kept');
  });

  test('npm ci from the resulting lockfile into a fresh copy of the project (cold caches)', async (t) => {
    const files = wrappedManifests();
    const w2 = work.project('ci-wrapped', files);
    const b2 = work.project('ci-bare', files);
    await twinRun(t, 'ci-fresh', ['ci'], {
      wrapped: w2,
      bare: b2,
      wrappedCache: work.userDir('cache-ci-wrapped'),
      bareCache: work.userDir('cache-ci-bare'),
    });
    // The same lockfile gives the same node_modules as the install that wrote it.
    const diff = diffTrees(snapshotTree(join(wrapped, 'node_modules')), snapshotTree(join(w2, 'node_modules')), ['install', 'ci']);
    assert.equal(diff, '', `npm ci through safe-package did not reproduce the installed tree:\n${diff}`);
  });

  test('npm install <one more> into an existing project', async (t) => {
    await twinRun(t, 'install-more', ['install', 'fx-more'], { wrapped, bare });
    assert.ok(existsSync(join(wrapped, 'node_modules', 'fx-deep-3', 'index.js')));
    assert.ok(existsSync(join(wrapped, 'node_modules', 'fx-builder', 'built', 'output.txt')), 'earlier installs are kept');
  });

  test('npm uninstall commits the deletions', async (t) => {
    const report = await twinRun(t, 'uninstall', ['uninstall', 'fx-removable'], { wrapped, bare });
    for (const gone of ['fx-removable', 'fx-only-removable']) {
      assert.ok(!existsSync(join(wrapped, 'node_modules', gone)), `node_modules/${gone} is still there`);
      assert.ok(
        report.writes.committed.some((r) => r.path === `node_modules/${gone}` && r.kind === 'deleted'),
        `the report does not list the deletion of node_modules/${gone}`,
      );
    }
    assert.ok(!readFileSync(join(wrapped, 'package-lock.json'), 'utf8').includes('fx-removable'));
  });

  test('npm ci replaces an existing node_modules: the old content is gone', async (t) => {
    // Leftovers a previous install (or a user) left behind, the same in both twins.
    for (const dir of [wrapped, bare]) {
      const nm = join(dir, 'node_modules');
      mkdirSync(join(nm, 'fx-stale'), { recursive: true });
      writeFileSync(join(nm, 'fx-stale', 'index.js'), 'stale\n');
      writeFileSync(join(nm, 'fx-leaf-a', 'stale.txt'), 'stale\n');
      writeFileSync(join(nm, 'fx-leaf-b', 'index.js'), 'tampered\n');
      rmSync(join(nm, 'fx-leaf-c', 'lib'), { recursive: true });
      chownTree(nm);
    }
    const report = await twinRun(t, 'ci-existing', ['ci'], { wrapped, bare });
    const nm = join(wrapped, 'node_modules');
    assert.ok(!existsSync(join(nm, 'fx-stale')), 'a package that is not in the lockfile survived npm ci');
    assert.ok(!existsSync(join(nm, 'fx-leaf-a', 'stale.txt')), 'a stray file survived npm ci');
    assert.equal(readFileSync(join(nm, 'fx-leaf-b', 'index.js'), 'utf8'), 'module.exports = "fx-leaf-b@1.0.0";\n');
    assert.ok(existsSync(join(nm, 'fx-leaf-c', 'lib', 'util.js')));
    // The jail started from an empty node_modules (npm ci empties it anyway): the new tree
    // replaces the old one as a whole, instead of npm deleting the old one file by file
    // through the overlay, which would show here as one deletion per removed package.
    const nodeModules = report.writes.committed.find((w) => w.path === 'node_modules');
    assert.equal(nodeModules?.kind, 'replaced-dir', JSON.stringify(nodeModules));
    assert.deepEqual(report.writes.committed.filter((w) => w.kind === 'deleted').map((w) => w.path), []);
  });

  if (!everything) return;

  test('as root with --user: npm ci over an existing node_modules replaces it, owned by that user', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root (CI runs as root)');
    const project = work.project('ci-root', wrappedManifests());
    const nm = join(project, 'node_modules');
    mkdirSync(join(nm, 'fx-stale'), { recursive: true });
    writeFileSync(join(nm, 'fx-stale', 'index.js'), 'stale\n');
    chmodSync(nm, 0o750);
    chownTree(nm);
    const reportFile = join(reports, 'ci-root.json');
    const r = await runProcess(installedCli(), ['--user', user.name, '--report', reportFile, '--', 'npm', 'ci'], {
      cwd: project,
      env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: wrappedCache }),
    });
    assert.equal(r.status, 0, describeRun('safe-package --user npm ci (as root)', r));
    assert.equal(existsSync(join(nm, 'fx-stale')), false);
    for (const path of [nm, join(nm, 'fx-core'), join(nm, 'fx-core', 'index.js')]) {
      const st = lstatSync(path);
      assert.deepEqual([st.uid, st.gid], [user.uid, user.gid], `${path} is not the user's`);
    }
    assert.equal(lstatSync(nm).mode & 0o777, 0o750, 'the new node_modules keeps the mode of the old one');
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    assert.equal(report.writes.committed.find((w) => w.path === 'node_modules')?.kind, 'replaced-dir');
  });

  test('npm ci --dry-run over an existing node_modules changes nothing (the empty node_modules it was given is dropped)', async () => {
    const project = work.project('ci-dry-run', wrappedManifests());
    const nm = join(project, 'node_modules');
    mkdirSync(join(nm, 'fx-stale'), { recursive: true });
    writeFileSync(join(nm, 'fx-stale', 'index.js'), 'kept\n');
    chownTree(nm);
    const before = snapshotTree(project);
    const r = await runWrapped([], 'npm', ['ci', '--dry-run'], {
      cwd: project,
      env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: wrappedCache }),
      reportFile: join(reports, 'ci-dry-run.json'),
    });
    assert.equal(r.status, 0, describeRun('safe-package npm ci --dry-run', r));
    assert.equal(diffTrees(before, snapshotTree(project), ['before', 'after']), '', 'npm ci --dry-run changed the project');
    assert.ok(r.report, `no report was written:\n${r.stderr}`);
    assert.deepEqual(r.report.writes.committed, []);
  });

  test('a node_modules mounted on its own (a container volume) is refused before anything runs, with the reason', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to bind-mount a directory (CI runs as root)');
    const project = work.project('ci-volume', wrappedManifests());
    const volume = work.userDir('ci-volume-node_modules');
    mkdirSync(join(volume, 'fx-leaf-a'), { recursive: true });
    writeFileSync(join(volume, 'fx-leaf-a', 'index.js'), 'the old copy\n');
    const nm = join(project, 'node_modules');
    mkdirSync(nm);
    chownTree(volume);
    chownTree(nm);
    const mounted = spawnSync('mount', ['--bind', volume, nm], { encoding: 'utf8' });
    assert.equal(mounted.status, 0, mounted.stderr);
    try {
      const before = snapshotTree(project);
      const r = await runWrapped([], 'npm', ['ci'], {
        cwd: project,
        env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: wrappedCache }),
        reportFile: join(reports, 'ci-volume.json'),
      });
      // overlayfs cannot take a project with a mount inside it as its lower layer (in a
      // user namespace it refuses to mount): the run stops with the reason, not with
      // mount(8)'s "wrong fs type".
      assert.notEqual(r.status, 0, describeRun('safe-package npm ci (node_modules is a mount)', r));
      assert.match(r.stderr, /mounted inside the project: node_modules/);
      assert.match(r.stderr, /unmount it/);
      assert.doesNotMatch(r.stderr, /wrong fs type/);
      assert.equal(diffTrees(before, snapshotTree(project), ['before', 'after']), '', 'the project changed');
    } finally {
      spawnSync('umount', [nm]);
    }
  });

  test('npm ci whose install script fails leaves the old node_modules exactly as it was', async () => {
    // The install phase fills the fresh node_modules; the scripts phase then fails. Bare
    // npm would leave the new tree half-built; the jail commits nothing.
    await registry.publishFixtures([
      lib('fx-fails', '1.0.0', undefined, { scripts: { postinstall: 'node -e "process.exit(3)"' } }),
    ]);
    const project = work.project('ci-fails', {
      'package.json': `${JSON.stringify({ name: 'proj', version: '1.0.0', private: true, allowScripts: { 'fx-fails': true }, dependencies: { 'fx-leaf-a': '1.0.0', 'fx-fails': '1.0.0' } }, null, 2)}\n`,
    });
    const env = userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: wrappedCache });
    // The old tree: installed without scripts by bare npm (which writes the lockfile), then marked.
    const seed = await runAsUser('npm', ['install', '--ignore-scripts'], { cwd: project, env: { ...env, npm_config_cache: join(bareCache, 'npm') } });
    assert.equal(seed.status, 0, describeRun('bare npm install --ignore-scripts', seed));
    writeFileSync(join(project, 'node_modules', 'fx-leaf-a', 'index.js'), 'the old copy\n');
    chownTree(join(project, 'node_modules'));
    const before = snapshotTree(project);
    const r = await runWrapped([], 'npm', ['ci'], { cwd: project, env, reportFile: join(reports, 'ci-fails.json') });
    assert.notEqual(r.status, 0, describeRun('safe-package npm ci (a postinstall fails)', r));
    assert.equal(diffTrees(before, snapshotTree(project), ['before', 'after']), '', 'a failed npm ci changed the project');
    assert.ok(r.report, `no report was written:\n${r.stderr}`);
    assert.deepEqual(r.report.writes.committed, []);
    // What was staged was the whole new tree, and all of it was discarded.
    assert.ok(r.report.writes.discarded.some((w) => w.path === 'node_modules'), JSON.stringify(r.report.writes.discarded.slice(0, 5)));
  });

  test('the registry can come from the user\'s npmrc instead of the environment', async () => {
    const project = work.project('userconfig', PROJECT);
    const npmrc = join(work.userDir('npmrc'), 'npmrc');
    writeFileSync(npmrc, `registry=${registry.url}\n`, { mode: 0o600 });
    chownTree(npmrc);
    const r = await runWrapped([], 'npm', ['install', 'fx-leaf-a'], {
      cwd: project,
      env: userEnv({ npm_config_userconfig: npmrc, XDG_CACHE_HOME: wrappedCache }),
      reportFile: join(reports, 'userconfig.json'),
    });
    assert.equal(r.status, 0, describeRun('safe-package npm install with the registry in the user\'s npmrc', r));
    assert.deepEqual(r.report?.network.allowed, [registry.host]);
    assert.deepEqual(r.report?.network.blocked, []);
    assert.ok(existsSync(join(project, 'node_modules', 'fx-leaf-a', 'index.js')));
    assert.match(readFileSync(join(project, 'package-lock.json'), 'utf8'), new RegExp(`"resolved": "${registry.url}fx-leaf-a/-/fx-leaf-a-1\\.0\\.0\\.tgz"`));
  });
});
}

twinSuite('npm through safe-package, against bare npm in a twin project', [], true);
// The namespace-free jail gives the same trees: install, npm ci (fresh and over an
// existing node_modules), install of one more, uninstall, an install script's build.
twinSuite('npm through the landlock backend, against bare npm in a twin project', ['--backend', 'landlock'], false);
