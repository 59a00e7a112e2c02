// Self-tests of the pip index and the wheel/sdist builders: real pip, real HTTP.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  pipEnv,
  pipInstallArgs,
  projectOfFile,
  startPipIndex,
  SYSTEM_PYTHON,
  type PipIndex,
} from '../../support/pip-index.js';
import { buildSdist, buildWheel, normalizeProjectName } from '../../support/wheel.js';
import { explain, run } from './run.js';

// Opens a wheel with Python's own zipfile and checks every RECORD hash and size.
const VERIFY_WHEEL = `
import base64, csv, hashlib, io, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, "corrupt member"
record = [n for n in z.namelist() if n.endswith(".dist-info/RECORD")]
assert len(record) == 1, record
rows = list(csv.reader(io.StringIO(z.read(record[0]).decode())))
listed = set()
for path, digest, size in rows:
    listed.add(path)
    if path == record[0]:
        continue
    data = z.read(path)
    algo, value = digest.split("=", 1)
    expected = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
    assert value == expected, path
    assert int(size) == len(data), path
assert listed == set(z.namelist()), (listed, z.namelist())
for info in z.infolist():
    assert (info.external_attr >> 16) == 0o100644, (info.filename, oct(info.external_attr >> 16))
print(len(rows))
`;

describe('a pip index on loopback', () => {
  let index: PipIndex;
  let out: string;
  const cleanup: string[] = [];
  const marker = join(tmpdir(), `sp-setup-py-ran-${process.pid}`);

  let wheel: string;
  let sdist: string;

  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'sp-pip-out-'));
    cleanup.push(out, marker);
    wheel = await buildWheel(
      {
        name: 'Benign.Pkg',
        version: '1.0',
        files: { 'benign_pkg/__init__.py': 'VALUE = 42\n', 'benign_top.py': 'TOP = "top"\n' },
      },
      out,
    );
    sdist = await buildSdist(
      {
        name: 'setup-runs',
        version: '2.0',
        // Install-time code execution, the behaviour attack tests will try to contain.
        setupCode: `open(${JSON.stringify(marker)}, "w").write("setup.py ran")`,
        files: { 'setup_runs/__init__.py': 'from benign_pkg import VALUE\n' },
        requires: ['benign-pkg>=1.0'],
      },
      out,
    );
    index = await startPipIndex([wheel, sdist]);
  });
  after(async () => {
    await index?.stop();
    for (const path of cleanup) await rm(path, { recursive: true, force: true });
  });

  test('a built wheel is a valid zip whose RECORD matches every file', async () => {
    assert.equal(wheel, join(out, 'benign_pkg-1.0-py3-none-any.whl'));
    const result = await run(SYSTEM_PYTHON, ['-c', VERIFY_WHEEL, wheel]);
    assert.equal(result.code, 0, explain(result));
    assert.equal(result.stdout.trim(), '5'); // 2 files, METADATA, WHEEL, RECORD
  });

  test('an sdist is a gzipped tar with setup.py, pyproject.toml and PKG-INFO', async () => {
    assert.equal(sdist, join(out, 'setup_runs-2.0.tar.gz'));
    const listing = await run('tar', ['-tzf', sdist]);
    assert.equal(listing.code, 0, explain(listing));
    assert.deepEqual(listing.stdout.trim().split('\n').sort(), [
      'setup_runs-2.0/PKG-INFO',
      'setup_runs-2.0/pyproject.toml',
      'setup_runs-2.0/setup.py',
      'setup_runs-2.0/setup_runs/__init__.py',
    ]);
  });

  test('serves PEP 503 pages with hashes, redirects to normalised names, 404s the rest', async () => {
    const root = await (await fetch(index.url)).text();
    for (const project of ['benign-pkg', 'setup-runs', 'setuptools', 'wheel']) {
      assert.ok(root.includes(`href="${project}/"`), root);
    }
    const redirected = await fetch(new URL('Benign_Pkg', index.url), { redirect: 'manual' });
    assert.equal(redirected.status, 301);
    assert.equal(redirected.headers.get('location'), '/simple/benign-pkg/');
    const page = await (await fetch(new URL('benign-pkg/', index.url))).text();
    assert.match(page, /href="\/files\/benign_pkg-1\.0-py3-none-any\.whl#sha256=[0-9a-f]{64}"/);
    assert.equal((await fetch(new URL('no-such-project/', index.url))).status, 404);
  });

  test('pip installs a wheel from the index into --target', async () => {
    const target = await mkdtemp(join(tmpdir(), 'sp-pip-target-'));
    cleanup.push(target);
    const result = await run(
      SYSTEM_PYTHON,
      ['-m', 'pip', ...pipInstallArgs(index, ['benign-pkg'], { target })],
      { env: pipEnv() },
    );
    assert.equal(result.code, 0, explain(result));
    // Only this index: the developer's pip.conf (extra indexes, find-links) is not read.
    assert.match(result.stdout, new RegExp(`Looking in indexes: ${index.url}\\n`));
    const imported = await run(SYSTEM_PYTHON, ['-c', 'import benign_pkg, benign_top; print(benign_pkg.VALUE, benign_top.TOP)'], {
      env: { ...pipEnv(), PYTHONPATH: target },
    });
    assert.equal(imported.stdout.trim(), '42 top', explain(imported));
    assert.ok(existsSync(join(target, 'benign_pkg-1.0.dist-info', 'RECORD')));
  });

  test('pip builds an sdist with setuptools from the index, running its setup.py', async (t) => {
    const target = await mkdtemp(join(tmpdir(), 'sp-pip-target-'));
    cleanup.push(target);
    await rm(marker, { force: true });
    const before = index.requests.length;
    const started = performance.now();
    const result = await run(
      SYSTEM_PYTHON,
      ['-m', 'pip', ...pipInstallArgs(index, ['setup-runs'], { target })],
      { env: pipEnv() },
    );
    t.diagnostic(`pip install of an sdist took ${Math.round(performance.now() - started)} ms`);
    assert.equal(result.code, 0, explain(result));
    assert.equal(await readFile(marker, 'utf8'), 'setup.py ran');

    const fetched = index.requests.slice(before);
    for (const file of ['setup_runs-2.0.tar.gz', 'benign_pkg-1.0-py3-none-any.whl']) {
      assert.ok(fetched.includes(`GET /files/${file}`), fetched.join('\n'));
    }
    assert.ok(fetched.some((r) => /^GET \/files\/setuptools-.*\.whl$/.test(r)), fetched.join('\n'));
    const imported = await run(SYSTEM_PYTHON, ['-c', 'import setup_runs; print(setup_runs.VALUE)'], {
      env: { ...pipEnv(), PYTHONPATH: target },
    });
    assert.equal(imported.stdout.trim(), '42', explain(imported));
  });
});

test('file names map to PEP 503 project names', () => {
  assert.equal(normalizeProjectName('Foo.Bar__baz'), 'foo-bar-baz');
  assert.equal(projectOfFile('foo_bar-1.0-py3-none-any.whl'), 'foo-bar');
  assert.equal(projectOfFile('foo_bar-1.0.tar.gz'), 'foo-bar');
  assert.equal(projectOfFile('my-pkg-2.0.tar.gz'), 'my-pkg');
  assert.throws(() => projectOfFile('readme.txt'), /neither a wheel/);
});
