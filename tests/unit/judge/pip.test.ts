// The pip judgement's pure decisions: reading METADATA, file names to versions, PEP 691
// pages to upload times, the names a command line adds, the pass-down, the proxy choice.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePipName, parseMetadata } from '../../../src/judge/pip-dists.js';
import { pipIndexRef, uploadTimeOfPypiJson, uploadTimesOfPage, versionOfFile } from '../../../src/judge/pip-times.js';
import { isPipInstall, pipAddedNames, pipArgsOf, pipPassDownEnv, uploadedPriorTo } from '../../../src/judge/pip-judge.js';
import { pipNameFacts } from '../../../src/judge/pip-squat.js';
import { lookalikeOf } from '../../../src/judge/typosquat.js';
import { proxyFor, proxySettings } from '../../../src/judge/proxy.js';
import { osvHits } from '../../../src/judge/advisories.js';

test('METADATA: Name and Version from the headers only; names PEP 503-normalised', () => {
  assert.deepEqual(parseMetadata('Metadata-Version: 2.1\nName: Foo_Bar.baz\nVersion: 1.0rc1\n\nName: not-this\n'), { name: 'Foo_Bar.baz', version: '1.0rc1' });
  assert.equal(parseMetadata('Name: x\n'), undefined);
  assert.equal(normalizePipName('Foo_Bar..baz'), 'foo-bar-baz');
});

test('file names to versions: wheels, sdists whose names keep their separators, other projects not', () => {
  assert.equal(versionOfFile('fx_young-1.0-py3-none-any.whl', 'fx-young'), '1.0');
  assert.equal(versionOfFile('Foo-Bar-2.0.tar.gz', 'foo-bar'), '2.0');
  assert.equal(versionOfFile('foo-2.0.tar.gz', 'foo-bar'), undefined);
  assert.equal(versionOfFile('foo-2.0.exe', 'foo'), undefined);
});

test('a version is as old as its newest file; a file without upload-time makes it unknown', () => {
  const page = {
    files: [
      { filename: 'x-1.0.tar.gz', 'upload-time': '2020-01-01T00:00:00Z' },
      { filename: 'x-1.0-py3-none-any.whl', 'upload-time': '2026-12-01T00:00:00Z' },
      { filename: 'x-2.0.tar.gz' },
    ],
  };
  const t = uploadTimesOfPage(page, 'x');
  assert.equal(t.get('1.0'), '2026-12-01T00:00:00Z');
  assert.ok(t.has('2.0') && t.get('2.0') === undefined);
  assert.equal(uploadTimeOfPypiJson({ urls: [{ upload_time_iso_8601: '2020-01-01T00:00:00Z' }, { upload_time_iso_8601: '2021-01-01T00:00:00Z' }] }), '2021-01-01T00:00:00Z');
  assert.equal(uploadTimeOfPypiJson({ urls: [] }), undefined);
});

test('index credentials become a header, never part of the URL', () => {
  const r = pipIndexRef('https://me:s3cret@pkgs.example/simple')!;
  assert.equal(r.url, 'https://pkgs.example/simple/');
  assert.ok(!JSON.stringify(r.url).includes('s3cret'));
  assert.equal(r.config.auth['//pkgs.example/'], `Basic ${Buffer.from('me:s3cret').toString('base64')}`);
});

test('pip commands: which runs install, which names it adds', () => {
  assert.ok(isPipInstall({ command: { exe: '.venv/bin/pip', path: '/p/.venv/bin/pip', args: ['install', 'x'] } }));
  assert.ok(isPipInstall({ command: { exe: 'python3', path: '/usr/bin/python3', args: ['-m', 'pip', '--proxy', 'http://p', 'install', 'x'] } }));
  assert.ok(!isPipInstall({ command: { exe: 'python3', path: '/usr/bin/python3', args: ['-m', 'venv', '.venv'] } }));
  assert.deepEqual(pipArgsOf('pip3.11', ['list']), ['list']);
  assert.deepEqual(pipAddedNames(['install', '-r', 'req.txt', '--index-url', 'http://i/simple', 'Flask[async]>=2', 'requests==2.31', './local', 'x.whl', 'git+https://h/r', 'Py_YAML']), ['flask', 'requests', 'py-yaml']);
});

test('the age passed down: an absolute UTC time pip parses; none with excludes', () => {
  assert.equal(uploadedPriorTo(Date.parse('2026-12-03T12:00:00Z'), 1440), '2026-12-02T12:00:00+00:00');
  const s = { minAgeMinutes: 1440, minAgeFrom: 'default', excludes: [] as string[], advisories: false, strict: false };
  assert.ok(pipPassDownEnv(s, Date.now()).PIP_UPLOADED_PRIOR_TO);
  assert.deepEqual(pipPassDownEnv({ ...s, excludes: ['x'] }, Date.now()), {});
  assert.deepEqual(pipPassDownEnv({ ...s, minAgeMinutes: 0 }, Date.now()), {});
});

test('typosquats compare normalised names; an established project is what its users meant', () => {
  const popular = new Set(['requests', 'python-dateutil']);
  assert.equal(lookalikeOf('reqeusts', popular), 'requests');
  assert.equal(lookalikeOf(normalizePipName('python_dateutil'), popular), undefined);
  const facts = pipNameFacts({ files: [{ filename: 'a-1.tar.gz', 'upload-time': '2020-01-01T00:00:00Z' }, { filename: 'a-2.tar.gz' }], versions: ['1', '2', '3'] }, 'a', Date.parse('2026-01-01T00:00:00Z'));
  assert.equal(facts.versions, 3);
  assert.ok((facts.createdDaysAgo ?? 0) > 365);
});

test('OSV records of ecosystem PyPI match normalised names, not npm ones', () => {
  const rec = { id: 'MAL-2026-1', affected: [{ package: { ecosystem: 'PyPI', name: 'Evil_Pkg' }, versions: ['1.0'] }] };
  assert.equal(osvHits([rec], [{ name: 'evil-pkg', version: '1.0' }], 'PyPI').length, 1);
  assert.equal(osvHits([rec], [{ name: 'evil-pkg', version: '1.1' }], 'PyPI').length, 0);
  assert.equal(osvHits([rec], [{ name: 'evil-pkg', version: '1.0' }]).length, 0);
});

test('proxy choice: https-proxy for https, proxy for http, NO_PROXY bypasses', () => {
  const s = proxySettings([{ key: 'https-proxy', value: 'http://p:3128' }], { NO_PROXY: 'internal.example,.corp' });
  assert.equal(proxyFor(s, new URL('https://registry.npmjs.org/x'))?.host, 'p:3128');
  assert.equal(proxyFor(s, new URL('http://registry.local/x')), undefined);
  assert.equal(proxyFor(s, new URL('https://a.internal.example/x')), undefined);
  assert.equal(proxyFor(s, new URL('https://b.corp/x')), undefined);
  assert.equal(proxyFor(proxySettings([], { HTTP_PROXY: 'http://q:8080' }), new URL('http://r/x'))?.host, 'q:8080');
  assert.equal(proxyFor(proxySettings([], {}), new URL('https://r/x')), undefined);
});
