// The judgement of a pip install (src/judge/pip-*.ts), through real pip (Debian's,
// /usr/bin/python3's venv) as the fixture user against the loopback index of
// tests/support/pip-index.ts, whose PEP 691 JSON pages carry chosen upload times
// (PEP 700): a young version is refused and nothing reaches the venv or the project (its
// import-time canary cannot run on the host, its sdist build's write into the project is
// discarded); an exclude lets it through; an OSV MAL record refuses a transitive
// dependency; without an advisory endpoint --strict refuses; a lookalike of a popular
// PyPI name is stopped before pip downloads anything, unless --allow-name.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedCli } from '../../support/cli.js';
import { startPipIndex, type PipIndex } from '../../support/pip-index.js';
import { buildSdist, buildWheel } from '../../support/wheel.js';
import { describeRun, diffTrees, makeWorkDir, runAsUser, runWrapped, snapshotTree, userEnv, type WorkDir } from './support.js';
import type { Judgement } from '../../../src/judge/verdict.js';

const PYTHON = '/usr/bin/python3';
const PY_VERSION = spawnSync(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).stdout.trim();
const SITE = `.venv/lib/python${PY_VERSION}/site-packages`;
const HOURS = 3600_000;

describe('the judgement of what pip installed, before the commit', () => {
  let index: PipIndex;
  let work: WorkDir;
  let reports: string;
  let project: string;
  let osv: string;
  let n = 0;

  before(async () => {
    work = makeWorkDir('pip-judge');
    reports = work.userDir('reports');
    project = work.project('venv');
    const dists = join(work.root, 'dists');
    const young = new Date(Date.now() - 2 * HOURS).toISOString();
    index = await startPipIndex([
      await buildWheel({ name: 'fx-plain', version: '1.0', files: { 'fx_plain.py': 'PLAIN = 1\n' } }, dists),
      await buildWheel({ name: 'fx-app', version: '1.0', requires: ['fx-evil-dep'], files: { 'fx_app.py': 'import fx_evil_dep\nAPP = 1\n' } }, dists),
      await buildWheel({ name: 'fx-evil-dep', version: '1.0', files: { 'fx_evil_dep.py': 'EVIL = 1\n' } }, dists),
      // A lookalike of `requests`, old, one version: not established.
      await buildWheel({ name: 'reqeusts', version: '1.0', files: { 'reqeusts.py': 'R = 1\n' } }, dists),
    ]);
    // Uploaded two hours ago: an import-time canary, and an sdist whose build writes into the project.
    index.add(await buildWheel({ name: 'fx-young', version: '1.0', files: { 'fx_young/__init__.py': `open(${JSON.stringify(join(project, 'CANARY-import'))}, "w").write("ran")\nYOUNG = 1\n` } }, dists), young);
    index.add(
      await buildSdist(
        {
          name: 'fx-ybuilt',
          version: '1.0',
          setupCode: `try:\n    open(${JSON.stringify(join(project, 'CANARY-build'))}, "w").write("ran")\nexcept OSError:\n    pass\n`,
          files: { 'fx_ybuilt/__init__.py': 'Y = 1\n' },
        },
        dists,
      ),
      young,
    );
    osv = join(work.root, 'osv', 'osv', 'malicious', 'pypi', 'fx-evil-dep');
    mkdirSync(osv, { recursive: true });
    writeFileSync(
      join(osv, 'MAL-2026-9001.json'),
      JSON.stringify({ id: 'MAL-2026-9001', summary: 'Malicious code in fx-evil-dep (PyPI)', affected: [{ package: { ecosystem: 'PyPI', name: 'fx_evil_dep' }, versions: ['1.0'] }] }),
    );
    const r = await runAsUser(PYTHON, ['-m', 'venv', '.venv'], { cwd: project, env: pipEnv() });
    assert.equal(r.status, 0, describeRun('python3 -m venv .venv', r));
  });

  after(async () => {
    await index?.stop();
    work?.remove();
  });

  function pipEnv(extra: Record<string, string> = {}) {
    return userEnv({ PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', ...(index ? { PIP_INDEX_URL: index.url } : {}), ...extra });
  }

  const wrappedPip = (args: readonly string[], flags: readonly string[] = []) =>
    runWrapped(flags, '.venv/bin/pip', ['install', '--no-cache-dir', ...args], {
      cwd: project,
      env: pipEnv({ XDG_CACHE_HOME: work.userDir(`cache-${++n}`) }),
      reportFile: join(reports, `run-${n}.json`),
    });

  const venv = () => snapshotTree(join(project, '.venv'), { skipNames: ['__pycache__'] });
  const imports = (module: string) => runAsUser(join(project, '.venv', 'bin', 'python'), ['-c', `import ${module}`], { cwd: project, env: pipEnv() });
  const judgementOf = (r: { report?: { judgement?: unknown } | undefined }) => r.report?.judgement as Judgement | undefined;

  test('a version uploaded two hours ago is refused: name==version, its age, the option; nothing reaches the venv or the project', async () => {
    const before = venv();
    const r = await wrappedPip(['fx-young', 'fx-ybuilt']);
    assert.equal(r.status, 4, describeRun('safe-package pip install fx-young fx-ybuilt', r));
    assert.match(r.stderr, /fx-young==1\.0 was published 2h ago \([^)]*\), less than the minimum release age of 1d \(default\)/);
    assert.match(r.stderr, /fx-ybuilt==1\.0 was published/);
    assert.match(r.stderr, /to let it through: --min-release-age-exclude fx-young/);
    assert.match(r.stderr, /nothing was installed: nothing reached the project or its venv/);
    assert.match(r.stderr, /warning: known malware was not checked: Python package indexes \(PyPI included\) offer no bulk advisory endpoint/);
    assert.equal(diffTrees(venv(), before, ['after', 'before']), '', 'the refused install changed the venv');
    assert.ok(!existsSync(join(project, 'CANARY-build')), "the sdist build's write reached the project");
    assert.ok(!existsSync(join(project, 'CANARY-import')));
    const imported = await imports('fx_young');
    assert.notEqual(imported.status, 0, 'fx_young is importable on the host');
    assert.ok(!existsSync(join(project, 'CANARY-import')), 'the import-time canary ran');
    const j = judgementOf(r);
    assert.equal(j?.verdict, 'refused');
    assert.deepEqual(j?.refused.map((x) => `${x.name}==${x.version} ${x.reason}`).sort(), ['fx-ybuilt==1.0 young', 'fx-young==1.0 young']);
    assert.deepEqual(r.report?.writes.committed, []);
    assert.equal(j?.advisories.state, 'unavailable');
  });

  test('--min-release-age-exclude lets the young version through, and it is importable on the host', async () => {
    const r = await wrappedPip(['fx-young'], ['--min-release-age-exclude', 'fx_young']);
    assert.equal(r.status, 0, describeRun('safe-package --min-release-age-exclude fx_young pip install fx-young', r));
    assert.equal((await imports('fx_young')).status, 0);
    const j = judgementOf(r);
    assert.equal(j?.verdict, 'pass');
    assert.deepEqual(j?.min_release_age.excluded, ['fx-young==1.0']);
    assert.ok(existsSync(join(project, SITE, 'fx_young', '__init__.py')));
  });

  test('an OSV MAL record in --malware-db refuses a transitive dependency; nothing is committed', async () => {
    const before = venv();
    const r = await wrappedPip(['fx-app'], ['--malware-db', join(work.root, 'osv')]);
    assert.equal(r.status, 4, describeRun('safe-package --malware-db … pip install fx-app', r));
    assert.match(r.stderr, /fx-evil-dep==1\.0 is known malware: Malicious code in fx-evil-dep \(PyPI\) \(MAL-2026-9001, from the malware_db directory\)/);
    assert.equal(diffTrees(venv(), before, ['after', 'before']), '', 'the refused install changed the venv');
    assert.notEqual((await imports('fx_app')).status, 0);
    assert.deepEqual(judgementOf(r)?.refused.map((x) => x.advisory), ['MAL-2026-9001']);
  });

  test('--strict: an index without an advisory endpoint refuses even a mature version', async () => {
    const r = await wrappedPip(['fx-plain'], ['--strict']);
    assert.equal(r.status, 4, describeRun('safe-package --strict pip install fx-plain', r));
    assert.match(r.stderr, /--strict refuses an install whose advisories could not be checked/);
    assert.notEqual((await imports('fx_plain')).status, 0);
  });

  test('--explain shows the judgement settings: minimum release age, excludes, malware sources (text and --json)', async () => {
    const args = ['--min-release-age', '2d', '--min-release-age-exclude', 'fx-young', '--explain'];
    const text = await runAsUser(installedCli(), [...args, '--', '.venv/bin/pip', 'install', 'fx-plain'], { cwd: project, env: pipEnv() });
    assert.equal(text.status, 0, describeRun('safe-package --explain', text));
    assert.match(text.stdout, /judgement of what pip resolves/);
    assert.match(text.stdout, /minimum release age: 2d \(--min-release-age\)/);
    assert.match(text.stdout, /excluded from the age check: fx-young/);
    assert.match(text.stdout, /known malware from: none: http:\/\/127\.0\.0\.1:\d+\/simple\/ offer\(s\) no bulk advisory endpoint/);
    const json = await runAsUser(installedCli(), [...args, '--json', '--malware-db', join(work.root, 'osv'), '--', '.venv/bin/pip', 'install', 'fx-plain'], { cwd: project, env: pipEnv() });
    assert.equal(json.status, 0, describeRun('safe-package --explain --json', json));
    const j = (JSON.parse(json.stdout) as { judgement?: { min_release_age: { minutes: number; exclude: string[] }; malware_sources: string[] } }).judgement;
    assert.equal(j?.min_release_age.minutes, 2880);
    assert.deepEqual(j?.min_release_age.exclude, ['fx-young']);
    assert.deepEqual(j?.malware_sources, [`malware_db ${join(work.root, 'osv')}`]);
  });

  test('pip install reqeusts is stopped before anything is downloaded, with "did you mean requests"; --allow-name lets it through', async () => {
    const served = index.requests.length;
    const r = await wrappedPip(['reqeusts']);
    assert.equal(r.status, 4, describeRun('safe-package pip install reqeusts', r));
    assert.match(r.stderr, /reqeusts looks like a typo of requests .*did you mean requests\? .*--allow-name reqeusts/);
    assert.deepEqual(index.requests.slice(served).filter((q) => q.includes('/files/')), [], 'pip downloaded a file');
    const allowed = await wrappedPip(['reqeusts'], ['--allow-name', 'reqeusts']);
    assert.equal(allowed.status, 0, describeRun('safe-package --allow-name reqeusts pip install reqeusts', allowed));
    assert.equal((await imports('reqeusts')).status, 0);
  });
});
