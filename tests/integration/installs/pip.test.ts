// pip through safe-package (docs/promises.md#p5-staged-writes, docs/promises.md#p8-profiles): the pip profile commits a virtual environment
// inside the project (.venv/**, venv/**). Real pip, real wheels and an sdist whose
// setup.py runs inside the jail, from a PEP 503 index on loopback; the result must be
// importable on the host afterwards and equal to what bare pip makes in a twin venv.
//
// Every run sets PIP_CONFIG_FILE=/dev/null (pip then reads no configuration file), as
// the other pip tests do: a developer's or this machine's pip.conf must not decide the
// outcome. The two todo tests near the end show what that setting hides here.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { installedCli } from '../../support/cli.js';
import { join } from 'node:path';
import { startPipIndex, type PipIndex } from '../../support/pip-index.js';
import { buildSdist, buildWheel } from '../../support/wheel.js';
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

const PYTHON = '/usr/bin/python3';
// Debian 12 has Python 3.11, Debian 13 has 3.13: the venv's layout follows the interpreter.
const PY_VERSION = spawnSync(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).stdout.trim();
const SITE = `.venv/lib/python${PY_VERSION}/site-packages`;

describe('pip through safe-package into a virtual environment in the project', () => {
  let index: PipIndex;
  let work: WorkDir;
  let reports: string;
  let venvMs = 0;
  let n = 0;
  // The venv of the first test, made by bare python (~6 s each on these machines); the
  // later tests install more packages into it.
  let shared: string;
  const timings: Timing[] = [];

  before(async () => {
    work = makeWorkDir('pip');
    reports = work.userDir('reports');
    const dists = join(work.root, 'dists');
    index = await startPipIndex([
      await buildWheel({ name: 'fx-dep', version: '1.0', files: { 'fx_dep/__init__.py': 'VALUE = 41\n' } }, dists),
      await buildWheel(
        { name: 'fx-top', version: '1.0', requires: ['fx-dep>=1.0'], files: { 'fx_top/__init__.py': 'from fx_dep import VALUE\nTOP = VALUE + 1\n' } },
        dists,
      ),
      // setup.py generates a module at build time: importing it proves the code ran.
      await buildSdist(
        {
          name: 'fx-built',
          version: '1.0',
          setupCode: 'import pathlib\npathlib.Path("fx_built", "generated.py").write_text("GENERATED = True\\n")\n',
          files: { 'fx_built/__init__.py': 'from .generated import GENERATED\n' },
        },
        dists,
      ),
      await buildWheel({ name: 'fx-more', version: '1.0', files: { 'fx_more.py': 'MORE = 1\n' } }, dists),
      await buildWheel({ name: 'fx-alone', version: '1.0', files: { 'fx_alone.py': 'ALONE = 1\n' } }, dists),
      await buildWheel({ name: 'fx-constrained', version: '1.0', files: { 'fx_constrained.py': 'C = 1\n' } }, dists),
      // A package that ships a certificate, as certifi and pip itself do.
      await buildWheel(
        { name: 'fx-certs', version: '1.0', files: { 'fx_certs/__init__.py': '', 'fx_certs/ca.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' } },
        dists,
      ),
      // setup.py silences a tool the usual way: by writing to /dev/null.
      await buildSdist(
        {
          name: 'fx-quiet',
          version: '1.0',
          setupCode: 'import os\nwith open(os.devnull, "w") as sink:\n    sink.write("noise")\n',
          files: { 'fx_quiet/__init__.py': '' },
        },
        dists,
      ),
    ]);
  });

  after(async () => {
    await index?.stop();
    work?.remove();
    if (timings.length) {
      process.stderr.write(`pip timings (python3 -m venv by bare python: ${venvMs} ms):\n${timings.map((t) => `  ${timingLine(t)}`).join('\n')}\n`);
    }
  });

  const pipEnv = (extra: Record<string, string> = {}) =>
    userEnv({
      PIP_CONFIG_FILE: '/dev/null',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      PIP_NO_INPUT: '1',
      PIP_INDEX_URL: index.url,
      ...extra,
    });

  /** A project with a venv made by bare python as the fixture user. */
  async function projectWithVenv(name: string): Promise<string> {
    const project = work.project(name);
    const r = await runAsUser(PYTHON, ['-m', 'venv', '.venv'], { cwd: project, env: pipEnv() });
    assert.equal(r.status, 0, describeRun('python3 -m venv .venv', r));
    venvMs = Math.max(venvMs, r.ms);
    return project;
  }

  const wrappedPip = (project: string, args: readonly string[], flags: readonly string[] = [], env: Record<string, string> = {}) =>
    runWrapped(flags, '.venv/bin/pip', args, {
      cwd: project,
      env: pipEnv({ XDG_CACHE_HOME: work.userDir(`cache-${++n}`), ...env }),
      reportFile: join(reports, `run-${n}.json`),
    });

  /** Runs python code with the project's venv on the host, outside any jail. */
  async function hostPython(project: string, code: string): Promise<string> {
    const r = await runAsUser(join(project, '.venv', 'bin', 'python'), ['-c', code], { cwd: project, env: pipEnv() });
    assert.equal(r.status, 0, describeRun(`.venv/bin/python -c ${code}`, r));
    return r.stdout.trim();
  }

  test('venv made by bare python: a wheel with a dependency and an sdist land in .venv, importable on the host, as bare pip does', async (t: TestContext) => {
    const [wrapped, bare] = await Promise.all([projectWithVenv('venv-wrapped'), projectWithVenv('venv-bare')]);
    shared = wrapped;
    const args = ['install', '--no-cache-dir', 'fx-top', 'fx-built'];
    const w = await wrappedPip(wrapped, args);
    const b = await runAsUser(join(bare, '.venv', 'bin', 'pip'), args, { cwd: bare, env: pipEnv({ XDG_CACHE_HOME: work.userDir('cache-bare') }) });
    assert.equal(b.status, 0, describeRun('bare pip install', b));
    assert.equal(w.status, 0, describeRun('safe-package .venv/bin/pip install', w));
    const timing = { what: `pip ${args.join(' ')}`, wrappedMs: w.ms, bareMs: b.ms };
    timings.push(timing);
    t.diagnostic(timingLine(timing));

    assert.equal(await hostPython(wrapped, 'import fx_top, fx_built; print(fx_top.TOP, fx_built.GENERATED)'), '42 True');
    assert.ok(existsSync(join(wrapped, SITE, 'fx_built', 'generated.py')), 'setup.py ran in the jail');

    // The venvs name their own paths (pyvenv.cfg, scripts' #! lines, and so the hashes in
    // pip's own RECORD, written by python3 -m venv); .pyc files record times.
    const pipRecord = readdirSync(join(wrapped, SITE)).filter((f) => /^pip-.*\.dist-info$/.test(f)).map((d) => `${SITE.slice('.venv/'.length)}/${d}/RECORD`);
    const snap = (p: string) =>
      snapshotTree(join(p, '.venv'), { replace: [[p, '<project>']], skip: pipRecord, skipNames: ['__pycache__'] });
    const diff = diffTrees(snap(wrapped), snap(bare), ['through safe-package', 'bare pip']);
    assert.equal(diff, '', `the venvs differ:\n${diff}`);

    const report = w.report;
    assert.ok(report, w.stderr);
    assert.deepEqual(report.network.blocked, []);
    assert.deepEqual(report.network.contacted.map((c) => `${c.host}:${c.port}`), [index.host]);
    assert.deepEqual(report.writes.discarded, []);
    assert.ok(report.writes.committed.some((c) => c.path === `${SITE}/fx_top/__init__.py`));
    assert.equal(lstatSync(join(wrapped, SITE, 'fx_top', '__init__.py')).uid, user.uid, 'committed files belong to the project owner');
  });

  test('--index-url on the command line with --allow-host for its host', async () => {
    const project = shared;
    const r = await wrappedPip(project, ['install', '--index-url', index.url, 'fx-more'], ['--allow-host', index.host], { PIP_INDEX_URL: '' });
    assert.equal(r.status, 0, describeRun('safe-package --allow-host … pip install --index-url …', r));
    assert.equal(await hostPython(project, 'import fx_more; print(fx_more.MORE)'), '1');
  });

  test('--index-url on the command line alone: the index it names is the registry', async () => {
    const r = await wrappedPip(shared, ['install', '--index-url', index.url, 'fx-alone'], [], { PIP_INDEX_URL: '' });
    assert.equal(r.status, 0, describeRun('safe-package pip install --index-url …', r));
    assert.deepEqual(r.report?.network.blocked, []);
  });

  test('venv made inside the jail (python3 -m venv with --profile pip) is usable on the host', async () => {
    const project = work.project('venv-in-jail');
    const made = await runWrapped(['--profile', 'pip'], PYTHON, ['-m', 'venv', '.venv'], {
      cwd: project,
      env: pipEnv({ XDG_CACHE_HOME: work.userDir('cache-venv-in-jail') }),
      reportFile: join(reports, 'venv-in-jail.json'),
    });
    assert.equal(made.status, 0, describeRun('safe-package --profile pip python3 -m venv .venv', made));
    assert.deepEqual(made.report?.writes.discarded, []);
    assert.ok(lstatSync(join(project, '.venv', 'bin', 'python3')).isSymbolicLink());
    const r = await wrappedPip(project, ['install', '--no-cache-dir', 'fx-top']);
    assert.equal(r.status, 0, describeRun('safe-package .venv/bin/pip install fx-top', r));
    assert.equal(await hostPython(project, 'import fx_top; print(fx_top.TOP)'), '42');
  });

  test('pip3 install --target ./vendor-libs: pip succeeds, nothing is committed, the report says how to keep it, and that works', async () => {
    const project = work.project('target');
    const r = await runWrapped([], 'pip3', ['install', '--no-cache-dir', '--target', './vendor-libs', 'fx-top'], {
      cwd: project,
      env: pipEnv({ XDG_CACHE_HOME: work.userDir('cache-target') }),
      reportFile: join(reports, 'target.json'),
    });
    assert.equal(r.status, 0, describeRun('safe-package pip3 install --target', r));
    assert.ok(!existsSync(join(project, 'vendor-libs')), 'writes outside the pip profile\'s venv paths reached the project');
    assert.ok(r.report);
    assert.deepEqual(r.report.writes.committed, []);
    const top = r.report.writes.discarded.find((d) => d.path === 'vendor-libs');
    assert.ok(top, JSON.stringify(r.report.writes.discarded.slice(0, 3)));
    assert.match(top.reason, /write rules/);
    assert.match(r.stderr, /discarded/);

    // --strict refuses a pip install whose known malware nothing checked (Python indexes
    // have no advisory endpoint): a malware_db directory is that check.
    const osv = work.userDir('osv');
    writeFileSync(join(osv, 'MAL-2026-0000.json'), JSON.stringify({ id: 'MAL-2026-0000', affected: [{ package: { ecosystem: 'PyPI', name: 'fx-unrelated' }, versions: ['9'] }] }));
    const strict = await runWrapped(['--strict', '--malware-db', osv], 'pip3', ['install', '--no-cache-dir', '--target', './vendor-libs', 'fx-top'], {
      cwd: project,
      env: pipEnv({ XDG_CACHE_HOME: work.userDir('cache-target') }),
      reportFile: join(reports, 'target-strict.json'),
    });
    assert.equal(strict.status, 3, describeRun('safe-package --strict pip3 install --target', strict));

    // The report says how to keep such writes; following that advice (here in the
    // project's config, trusted with `safe-package trust`) makes the same install land.
    const globs = new Set<string>();
    for (const d of r.report.writes.discarded) {
      const m = /"write": (\[[^\]]*\])/.exec(d.suggestion ?? '');
      if (m) for (const g of JSON.parse(m[1]!) as string[]) globs.add(g);
    }
    assert.ok(globs.size > 0, `no write suggestion in the report: ${JSON.stringify(r.report.writes.discarded[0])}`);
    mkdirSync(join(project, '.safe-package'));
    writeFileSync(join(project, '.safe-package', 'config.json'), `${JSON.stringify({ write: [...globs] })}\n`);
    chownTree(project);
    const trusted = await runAsUser(installedCli(), ['trust'], { cwd: project, env: pipEnv() });
    assert.equal(trusted.status, 0, describeRun('safe-package trust', trusted));
    const kept = await runWrapped([], 'pip3', ['install', '--no-cache-dir', '--target', './vendor-libs', 'fx-top'], {
      cwd: project,
      env: pipEnv({ XDG_CACHE_HOME: work.userDir('cache-target') }),
      reportFile: join(reports, 'target-kept.json'),
    });
    assert.equal(kept.status, 0, describeRun('safe-package pip3 install --target with the suggested write rule', kept));
    assert.deepEqual(kept.report?.writes.discarded, []);
    const imported = await runAsUser(PYTHON, ['-c', 'import fx_top; print(fx_top.TOP)'], { cwd: project, env: pipEnv({ PYTHONPATH: 'vendor-libs' }) });
    assert.equal(imported.stdout.trim(), '42', describeRun('python3 with PYTHONPATH=vendor-libs', imported));
  });

  test('a package that ships a .pem file can be uninstalled from the venv', async () => {
    const project = shared;
    const installed = await wrappedPip(project, ['install', '--no-cache-dir', 'fx-certs']);
    assert.equal(installed.status, 0, describeRun('pip install fx-certs', installed));
    const r = await wrappedPip(project, ['uninstall', '-y', 'fx-certs']);
    assert.equal(r.status, 0, describeRun('pip uninstall -y fx-certs', r));
    assert.ok(!existsSync(join(project, SITE, 'fx_certs')));
  });

  test('pip.conf naming a constraints file: the file is readable in the jail', async () => {
    const constraints = join(work.root, 'constraints.txt');
    const conf = join(work.root, 'pip.conf');
    writeFileSync(constraints, 'fx-constrained==1.0\n');
    writeFileSync(conf, `[global]\nconstraint = ${constraints}\n`);
    const r = await wrappedPip(shared, ['install', '--no-cache-dir', 'fx-constrained'], [], { PIP_CONFIG_FILE: conf });
    assert.equal(r.status, 0, describeRun('pip install with a constraint in pip.conf', r));
    assert.equal(await hostPython(shared, 'import fx_constrained; print(fx_constrained.C)'), '1');
  });

  test('PIP_CONFIG_FILE=/dev/null leaves /dev/null writable in the jail', async () => {
    const r = await wrappedPip(shared, ['install', '--no-cache-dir', 'fx-quiet']);
    assert.equal(r.status, 0, describeRun('pip install of an sdist that writes to /dev/null', r));
  });
});
