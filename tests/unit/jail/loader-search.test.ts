import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLibraryDirs, expandSearchEntry, dstValuesFor, librarySearchCandidates, type LoadingObject } from '../../../src/jail/loader-search.js';

const x64 = { elfClass: 64 as const, endian: 'le' as const, machine: 62 };
const obj = (o: Partial<LoadingObject['elf']>, origin: string, loader?: LoadingObject): LoadingObject => ({
  elf: { ...x64, rpath: [], runpath: [], nodeflib: false, ...o },
  origin,
  ...(loader ? { loader } : {}),
});
const cache = (m: Record<string, string[]>) => (name: string) => m[name] ?? [];

test('search order: DT_RPATH, then DT_RUNPATH, then ld.so.cache, then the default directories', () => {
  const exe = obj({ rpath: ['/opt/r'] }, '/usr/bin');
  const c = librarySearchCandidates('libq.so.1', exe, cache({ 'libq.so.1': ['/lib/x86_64-linux-gnu/libq.so.1'] }));
  assert.deepEqual(
    c.slice(0, 3).map((x) => [x.source, x.path]),
    [
      ['rpath', '/opt/r/libq.so.1'],
      ['cache', '/lib/x86_64-linux-gnu/libq.so.1'],
      // the cache's path is not repeated among the defaults
      ['default', '/usr/lib/x86_64-linux-gnu/libq.so.1'],
    ],
  );
  assert.ok(c.some((x) => x.path === '/usr/lib/libq.so.1' && x.source === 'default'));
});

test("DT_RPATH is inherited from the loading chain, unless the requester has DT_RUNPATH", () => {
  const exe = obj({ rpath: ['/exe/rpath'] }, '/app/bin');
  const lib = obj({ rpath: ['/lib/rpath'] }, '/app/lib', exe);
  const withRunpath = obj({ runpath: ['$ORIGIN/private'] }, '/app/lib', exe);
  assert.deepEqual(
    librarySearchCandidates('libz.so', lib, cache({})).filter((c) => c.source === 'rpath').map((c) => c.path),
    ['/lib/rpath/libz.so', '/exe/rpath/libz.so'],
  );
  const r = librarySearchCandidates('libz.so', withRunpath, cache({}));
  assert.equal(r.filter((c) => c.source === 'rpath').length, 0);
  assert.equal(r[0]!.path, '/app/lib/private/libz.so');
  assert.equal(r[0]!.source, 'runpath');
});

test('DF_1_NODEFLIB skips the cache and the default directories', () => {
  const c = librarySearchCandidates('libq.so.1', obj({ runpath: ['/only'], nodeflib: true }, '/x'), cache({ 'libq.so.1': ['/lib/libq.so.1'] }));
  assert.deepEqual(c.map((x) => x.path), ['/only/libq.so.1']);
});

test('a DT_NEEDED with a slash is a path; a relative one depends on the cwd and yields nothing', () => {
  assert.deepEqual(librarySearchCandidates('/opt/lib/../lib/libx.so', obj({}, '/'), cache({})), [{ path: '/opt/lib/libx.so', source: 'path' }]);
  assert.deepEqual(librarySearchCandidates('sub/libx.so', obj({}, '/'), cache({})), []);
});

test('$ORIGIN, ${ORIGIN}, $LIB and $PLATFORM expand; relative results are dropped', () => {
  const v = dstValuesFor(x64, '/opt/app/bin');
  assert.deepEqual(expandSearchEntry('$ORIGIN/../lib', v), ['/opt/app/lib']);
  assert.deepEqual(expandSearchEntry('${ORIGIN}/x', v), ['/opt/app/bin/x']);
  assert.deepEqual(expandSearchEntry('/usr/$LIB/foo', v), ['/usr/lib/x86_64-linux-gnu/foo', '/usr/lib64/foo', '/usr/lib/foo']);
  assert.deepEqual(expandSearchEntry('/p/$PLATFORM', v), ['/p/x86_64']);
  assert.deepEqual(expandSearchEntry('relative/dir', v), []);
  assert.deepEqual(expandSearchEntry('$ORIGINAL/x', v), [], '$ORIGINAL is not $ORIGIN: stays literal, hence relative');
});

test('default directories: Debian multiarch first, then lib64, then /lib and /usr/lib', () => {
  assert.deepEqual(defaultLibraryDirs(x64), ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib']);
  assert.deepEqual(defaultLibraryDirs({ elfClass: 32, endian: 'le', machine: 3 }).slice(0, 2), ['/lib/i386-linux-gnu', '/usr/lib/i386-linux-gnu']);
  assert.deepEqual(defaultLibraryDirs({ elfClass: 64, endian: 'le', machine: 183 }).slice(0, 2), ['/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu']);
});
