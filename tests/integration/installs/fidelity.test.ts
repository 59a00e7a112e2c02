// Fidelity (docs/promises.md#p7-two-phase-installs): a wrapped install behaves and reads
// like the bare one. Each case runs through safe-package and with bare npm in twin
// projects (same relative layout, so paths outside the project are the same relative
// paths) and the trees are compared file by file; for script output, the script's lines
// must reach the user as they do with bare npm.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import type { FixturePackage } from '../../support/fixture-packages.js';
import type { Report } from '../../../src/report/report.js';
import { chownTree, describeRun, diffTrees, makeWorkDir, runAsUser, runWrapped, snapshotTree, userEnv, type TimedResult, type WorkDir } from './support.js';

const lib = (name: string, extra: Partial<FixturePackage> = {}): FixturePackage => ({
  name,
  version: '1.0.0',
  ...extra,
  files: { 'index.js': `module.exports = ${JSON.stringify(name)};\n`, ...extra.files },
});

const FIXTURES: FixturePackage[] = [
  lib('fi-leaf'),
  lib('fi-dep', { dependencies: { 'fi-leaf': '^1.0.0' } }),
  lib('fi-talker', {
    scripts: { postinstall: 'node talk.js' },
    files: { 'talk.js': 'console.log("FIDELITY-STDOUT from the postinstall"); console.error("FIDELITY-STDERR from the postinstall");\n' },
  }),
];

const manifest = (extra: Record<string, unknown> = {}) => `${JSON.stringify({ name: 'proj', version: '1.0.0', private: true, ...extra }, null, 2)}\n`;

describe('fidelity: the same install bare and through safe-package', () => {
  let registry: TestRegistry;
  let work: WorkDir;

  before(async () => {
    registry = await startRegistry();
    await registry.publishFixtures(FIXTURES);
    work = makeWorkDir('fidelity');
  });
  after(async () => {
    await registry?.stop();
    work?.remove();
  });

  /** Twin projects `<name>-wrapped/proj` and `<name>-bare/proj`, each with `outside` files beside proj. */
  function twins(name: string, files: Record<string, string>, outside: Record<string, string> = {}) {
    const made = (side: string) => {
      const proj = work.project(`${name}-${side}`, files);
      for (const [rel, content] of Object.entries(outside)) {
        const path = join(dirname(proj), rel);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
      }
      chownTree(dirname(proj));
      return proj;
    };
    return { wrapped: made('wrapped'), bare: made('bare') };
  }

  async function run(t: TestContext, name: string, dirs: { wrapped: string; bare: string }, args: string[], flags: readonly string[] = []): Promise<{ w: TimedResult & { readonly report: Report | undefined }; b: TimedResult }> {
    const env = { npm_config_registry: registry.url };
    const b = await runAsUser('npm', args, { cwd: dirs.bare, env: userEnv({ ...env, npm_config_cache: join(work.userDir(`${name}-cache-bare`), 'npm') }) });
    const w = await runWrapped(flags, 'npm', args, { cwd: dirs.wrapped, env: userEnv({ ...env, XDG_CACHE_HOME: work.userDir(`${name}-cache-wrapped`) }), reportFile: join(work.userDir(`${name}-reports`), 'r.json') });
    assert.equal(b.status, 0, describeRun(`bare npm ${args.join(' ')}`, b));
    assert.equal(w.status, 0, describeRun(`safe-package npm ${args.join(' ')}`, w));
    const diff = diffTrees(snapshotTree(dirs.wrapped), snapshotTree(dirs.bare), ['through safe-package', 'bare npm']);
    assert.equal(diff, '', `the twins differ after npm ${args.join(' ')}:\n${diff}`);
    t.diagnostic(`bare ${b.ms} ms, wrapped ${w.ms} ms`);
    return { w, b };
  }

  test('--foreground-scripts: the install script\'s output reaches the user, as with bare npm', async (t) => {
    const dirs = twins('foreground', { 'package.json': manifest({ allowScripts: { 'fi-talker': true } }) });
    const { w, b } = await run(t, 'foreground', dirs, ['install', '--foreground-scripts', 'fi-talker']);
    for (const line of ['FIDELITY-STDOUT from the postinstall', 'FIDELITY-STDERR from the postinstall']) {
      assert.ok((b.stdout + b.stderr).includes(line), `bare npm shows "${line}" (so the check means something)`);
      assert.ok((w.stdout + w.stderr).includes(line), `safe-package does not show "${line}":\n${w.stdout}\n${w.stderr}`);
    }
  });

  test('npm install-scripts approve through safe-package records the approval, as bare npm does; a plain install may not', async (t) => {
    const dirs = twins('approve', { 'package.json': manifest() });
    await run(t, 'approve-install', dirs, ['install', 'fi-talker']);
    await run(t, 'approve', dirs, ['install-scripts', 'approve', 'fi-talker']);
    const m = JSON.parse(readFileSync(join(dirs.wrapped, 'package.json'), 'utf8')) as { allowScripts?: Record<string, unknown> };
    assert.ok(m.allowScripts && Object.keys(m.allowScripts).length === 1, JSON.stringify(m));
  });

  test('npm workspaces: install at the root, then npm install -w a <dep>: the same tree, workspace links kept', async (t) => {
    const files = {
      'package.json': manifest({ workspaces: ['packages/*'] }),
      'packages/a/package.json': `${JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { 'fi-dep': '^1.0.0' } }, null, 2)}\n`,
      'packages/a/index.js': 'module.exports = "a";\n',
      'packages/b/package.json': `${JSON.stringify({ name: 'b', version: '1.0.0', dependencies: { a: '^1.0.0' } }, null, 2)}\n`,
    };
    const dirs = twins('workspaces', files);
    await run(t, 'workspaces', dirs, ['install']);
    assert.equal(readlinkSync(join(dirs.wrapped, 'node_modules', 'a')), '../packages/a');
    await run(t, 'workspaces-w', dirs, ['install', '-w', 'a', 'fi-leaf']);
    assert.match(readFileSync(join(dirs.wrapped, 'packages/a/package.json'), 'utf8'), /"fi-leaf"/);
  });

  // Relative paths lead where the user meant under every backend: the landlock backend's
  // jail works in a shadow of the project elsewhere (src/backends/landlock/shadow-run.ts).
  for (const backend of ['sandbox', 'landlock']) {
    test(`${backend}: a tarball beside the project, named on the command line`, async (t) => {
      const dirs = twins(`tarball-${backend}`, { 'package.json': manifest() });
      for (const proj of [dirs.wrapped, dirs.bare]) {
        const src = join(dirname(proj), 'local-lib');
        mkdirSync(src);
        writeFileSync(join(src, 'package.json'), `${JSON.stringify({ name: 'local-lib', version: '1.0.0' })}\n`);
        writeFileSync(join(src, 'index.js'), 'module.exports = "local";\n');
        const r = spawnSync('npm', ['pack', '--pack-destination', dirname(proj)], { cwd: src, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        chownTree(dirname(proj));
      }
      const { w } = await run(t, `tarball-${backend}`, dirs, ['install', '../local-lib-1.0.0.tgz'], ['--backend', backend]);
      assert.match(w.stderr, new RegExp(`\\[${backend}, `));
      assert.equal(readFileSync(join(dirs.wrapped, 'node_modules/local-lib/index.js'), 'utf8'), 'module.exports = "local";\n');
      assert.match(readFileSync(join(dirs.wrapped, 'package.json'), 'utf8'), /"local-lib": "file:\.\.\/local-lib-1\.0\.0\.tgz"/);
    });

    test(`${backend}: a file: dependency outside the project, and one named on the command line`, async (t) => {
      const outside = {
        'common/package.json': `${JSON.stringify({ name: 'common', version: '1.0.0' })}\n`,
        'common/index.js': 'module.exports = "common";\n',
        'other/package.json': `${JSON.stringify({ name: 'other', version: '1.0.0' })}\n`,
        'other/index.js': 'module.exports = "other";\n',
      };
      const dirs = twins(`file-dep-${backend}`, { 'package.json': manifest({ dependencies: { common: 'file:../common' } }) }, outside);
      const { w } = await run(t, `file-dep-${backend}`, dirs, ['install'], ['--backend', backend]);
      assert.match(w.stderr, new RegExp(`\\[${backend}, `));
      assert.equal(readlinkSync(join(dirs.wrapped, 'node_modules/common')), '../../common');
      await run(t, `file-dep-${backend}-cli`, dirs, ['install', '../other'], ['--backend', backend]);
      assert.equal(readlinkSync(join(dirs.wrapped, 'node_modules/other')), '../../other');
      assert.match(readFileSync(join(dirs.wrapped, 'package.json'), 'utf8'), /"other": "file:\.\.\/other"/);
    });
  }

  // A git dependency whose prepare builds it (bare npm: clone, devDependencies, prepare,
  // pack). Its prepare also looks for a secret in the environment and for a loopback
  // service, and writes what it found into the package: bare npm's finds both, the
  // wrapped one's must find neither (the scripts phase), and otherwise the trees are equal.
  for (const backend of ['sandbox', 'landlock']) {
    test(`${backend}: a git dependency with prepare lands built, as with bare npm; its prepare had no secret and no network`, async (t) => {
      const connections: string[] = [];
      const server: Server = createServer((s) => {
        connections.push(String(s.remotePort));
        s.on('error', () => {}); // the probe hangs up at once
        s.end('hello\n');
      });
      await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
      const port = (server.address() as AddressInfo).port;
      try {
        const repo = join(work.root, `gitrepo-${backend}`);
        const build = [
          "const fs = require('fs'), net = require('net');",
          "const leaf = require('fi-leaf');",
          "fs.mkdirSync('dist', { recursive: true });",
          "fs.writeFileSync('dist/index.js', 'module.exports = ' + JSON.stringify('built with ' + leaf) + ';\\n');",
          "fs.writeFileSync('dist/cli.js', '#!/usr/bin/env node\\nconsole.log(require(\"./index.js\"));\\n');",
          "const secret = process.env.FIDELITY_GIT_CANARY ? 'secret: ' + process.env.FIDELITY_GIT_CANARY : 'secret: absent';",
          `const s = net.connect(${port}, '127.0.0.1');`,
          "const done = (what) => { fs.writeFileSync('dist/probe.txt', secret + '\\nloopback: ' + what + '\\n'); s.destroy(); };",
          "s.on('connect', () => done('connected'));",
          "s.on('error', (e) => done('refused ' + e.code));",
          "setTimeout(() => done('timeout'), 3000).unref();",
        ].join('\n');
        const files: Record<string, string> = {
          'package.json': `${JSON.stringify({ name: 'fi-gitlib', version: '1.0.0', main: 'dist/index.js', files: ['dist'], bin: { 'fi-gitlib': 'dist/cli.js' }, scripts: { prepare: 'node build.js' }, devDependencies: { 'fi-leaf': '^1.0.0' } }, null, 2)}\n`,
          'build.js': `${build}\n`,
          'src.ts': '// the sources, never packed\n',
        };
        for (const [rel, content] of Object.entries(files)) {
          mkdirSync(dirname(join(repo, rel)), { recursive: true });
          writeFileSync(join(repo, rel), content);
        }
        const git = (args: string[]) => {
          const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd: repo, encoding: 'utf8' });
          assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
        };
        git(['init', '-q']);
        git(['add', '-A']);
        git(['commit', '-q', '-m', 'lib']);
        // A bare repository, as a shared one is: a working copy's .git/config is a hidden
        // file, absent under the landlock backend, and git refuses a repository without it.
        const bareRepo = `${repo}.git`;
        assert.equal(spawnSync('git', ['clone', '-q', '--bare', repo, bareRepo]).status, 0);
        chownTree(bareRepo);
        // The fixture user clones it: a repository owned by someone else is refused by git.
        chownTree(repo);
        const name = `git-${backend}`;
        const dirs = twins(name, { 'package.json': manifest({ dependencies: { 'fi-gitlib': `git+file://${bareRepo}` } }) });
        const env = { npm_config_registry: registry.url, FIDELITY_GIT_CANARY: 'canary-git-prepare' };
        const b = await runAsUser('npm', ['install'], { cwd: dirs.bare, env: userEnv({ ...env, npm_config_cache: join(work.userDir(`${name}-cache-bare`), 'npm') }) });
        assert.equal(b.status, 0, describeRun('bare npm install', b));
        const seenBare = connections.length;
        const w = await runWrapped(['--backend', backend], 'npm', ['install'], { cwd: dirs.wrapped, env: userEnv({ ...env, XDG_CACHE_HOME: work.userDir(`${name}-cache-wrapped`) }), reportFile: join(work.userDir(`${name}-reports`), 'r.json') });
        assert.equal(w.status, 0, describeRun('safe-package npm install', w));
        t.diagnostic(`bare ${b.ms} ms, wrapped ${w.ms} ms`);

        const probe = 'node_modules/fi-gitlib/dist/probe.txt';
        const diff = diffTrees(snapshotTree(dirs.wrapped, { skip: [probe] }), snapshotTree(dirs.bare, { skip: [probe] }), ['through safe-package', 'bare npm']);
        assert.equal(diff, '', `the twins differ:\n${diff}`);
        const lib = join(dirs.wrapped, 'node_modules', 'fi-gitlib');
        assert.equal(readFileSync(join(lib, 'dist', 'index.js'), 'utf8'), 'module.exports = "built with fi-leaf";\n', 'the prepare did not build it');
        assert.ok(!existsSync(join(lib, 'src.ts')) && !existsSync(join(lib, 'build.js')), 'more than the packed files landed');
        assert.equal(readlinkSync(join(dirs.wrapped, 'node_modules', '.bin', 'fi-gitlib')), '../fi-gitlib/dist/cli.js');

        // Bare npm's prepare saw both (so the check means something) ...
        assert.equal(readFileSync(join(dirs.bare, probe), 'utf8'), 'secret: canary-git-prepare\nloopback: connected\n');
        assert.ok(seenBare > 0);
        // ... the wrapped one neither: no secret in its environment, and no connection reached the host.
        assert.match(readFileSync(join(dirs.wrapped, probe), 'utf8'), /^secret: absent\nloopback: refused E[A-Z]+\n$/);
        assert.equal(connections.length, seenBare, 'the prepare through safe-package reached the loopback service');
        assert.doesNotMatch(JSON.stringify(w.report ?? {}) + w.stderr, /canary-git-prepare/);
        const steps = (w.report?.steps ?? []).map((s) => `${s.phase}:${s.package ?? ''}`);
        assert.ok(steps.includes('install:fi-gitlib') && steps.includes('scripts:fi-gitlib'), steps.join(' '));
        // ... and the summary names it once.
        assert.match(w.stderr, /install scripts: fi-gitlib \(git dependency: fetched, then built with its prepare\) — /);
        assert.deepEqual(w.report?.writes.committed.filter((c) => c.path.includes('.safe-package-git-')), []);
      } finally {
        await new Promise<void>((res) => server.close(() => res()));
      }
    });
  }

  for (const backend of ['sandbox', 'landlock']) {
    test(`${backend}: a named path outside the project is readable, its hidden files are not, and its siblings are out of sight`, async () => {
      const outside = {
        'common/package.json': `${JSON.stringify({ name: 'common', version: '1.0.0' })}\n`,
        'common/index.js': 'module.exports = "common";\n',
        'common/.env': 'TOKEN=canary-named-path\n',
        'sibling/secret.txt': 'canary-sibling\n',
      };
      // Absolute paths: the named paths themselves (under the landlock backend a relative
      // path leads to their copies beside the shadow, which the cases above check).
      const side = join(work.root, `named-${backend}-wrapped`);
      const script = `cat ${side}/common/index.js; cat ${side}/common/.env 2>&1 || true; echo; cat ${side}/sibling/secret.txt 2>&1 || true`;
      const dirs = twins(`named-${backend}`, { 'package.json': manifest({ dependencies: { common: 'file:../common' }, scripts: { look: script } }) }, outside);
      const r = await runWrapped(['--backend', backend], 'npm', ['run', 'look'], { cwd: dirs.wrapped, env: userEnv({ npm_config_registry: registry.url, XDG_CACHE_HOME: work.userDir(`named-${backend}-cache`) }), reportFile: join(work.userDir(`named-${backend}-reports`), 'r.json') });
      assert.equal(r.status, 0, describeRun('npm run look', r));
      assert.match(r.stdout, /module\.exports = "common";/);
      assert.doesNotMatch(r.stdout + r.stderr, /canary-named-path/);
      assert.doesNotMatch(r.stdout + r.stderr, /canary-sibling/);
      assert.match(r.stderr, /read-only in the jail, as you named them: .*\/common/);
    });
  }
});
