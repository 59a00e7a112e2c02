// The attack harness's own parts, checked on their own: a wrong verdict rule or a tree
// restore that misses a change would make the attack suite lie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTACKS } from './catalog.js';
import { hashesOf, makeCanaries, sha256 } from './harness/canaries.js';
import { PAYLOADS } from './harness/fixtures.js';
import { identitiesAnswer, sightings, type SinkEvent } from './harness/sinks.js';
import { diffTrees, restoreTree, snapshot } from './harness/tree.js';
import { insideEvidence, verdictOf } from './harness/verdict.js';

test('verdict: INVALID beats everything, then SUCCEEDED, CONTAINED, BLOCKED', () => {
  assert.equal(verdictOf({ escaped: ['x'], inside: ['y'], invalid: ['script did not run'] }), 'INVALID');
  assert.equal(verdictOf({ escaped: ['x'], inside: [], invalid: [] }), 'SUCCEEDED');
  assert.equal(verdictOf({ escaped: [], inside: ['read sshkey'], invalid: [] }), 'CONTAINED');
  assert.equal(verdictOf({ escaped: [], inside: [], invalid: [] }), 'BLOCKED');
});

test('inside evidence counts only the target canaries and the declared actions', () => {
  const set = makeCanaries('0123456789abcdef');
  const targets = hashesOf(set, ['sshkey']);
  const record = { attack: 'a', found: [sha256(set.values.get('npmrc')!), sha256(set.values.get('sshkey')!)], did: { wrote: true, 'sent:udp': true }, notes: [] };
  assert.deepEqual(insideEvidence(record, targets, ['wrote']), ['read sshkey', 'did wrote']);
  assert.deepEqual(insideEvidence({ ...record, found: [sha256(set.values.get('npmrc')!)], did: {} }, targets, ['wrote']), []);
});

test('canaries have the shape the payloads look for, one value per kind', () => {
  const set = makeCanaries('fedcba9876543210');
  const shape = /^spc-[a-z0-9]+-[0-9a-f]{16}$/;
  for (const v of set.values.values()) assert.match(v, shape);
  assert.equal(new Set(set.values.values()).size, set.values.size);
  for (const f of [...set.home, ...set.project, ...set.workspace]) if (f.kind) assert.ok(f.content.includes(set.values.get(f.kind)!), f.rel);
  for (const v of Object.values(set.env)) assert.match(v, /spc-[a-z0-9]+-fedcba9876543210/);
});

test('sightings find a marker split across the chunks of one connection', () => {
  const events: SinkEvent[] = [
    { sink: 'tcp', at: 1, chunks: [Buffer.from('abc-12'), Buffer.from('34-def')] },
    { sink: 'http', at: 2, chunks: [Buffer.from('POST /exfil/x\n{}\n\nnothing')] },
  ];
  assert.deepEqual(sightings(events, ['1234']), ['tcp']);
  assert.deepEqual(sightings(events, ['nothing']), ['http: POST /exfil/x']);
  assert.deepEqual(sightings(events, ['absent', '']), []);
});

test('the fake ssh-agent answers with one well-formed identity', () => {
  const msg = identitiesAnswer('spc-agent-0123456789abcdef');
  assert.equal(msg.readUInt32BE(0), msg.length - 4);
  assert.equal(msg[4], 12);
  assert.equal(msg.readUInt32BE(5), 1);
  assert.ok(msg.includes('spc-agent-0123456789abcdef'));
});

test('a tree snapshot sees every kind of change and restoreTree undoes them, times included', () => {
  const root = mkdtempSync(join(tmpdir(), 'sp-tree-'));
  try {
    mkdirSync(join(root, 'd/e'), { recursive: true });
    writeFileSync(join(root, 'a.txt'), 'a');
    writeFileSync(join(root, 'd/e/deep.txt'), 'deep');
    writeFileSync(join(root, 'mode.txt'), 'm', { mode: 0o600 });
    symlinkSync('a.txt', join(root, 'link'));
    mkdirSync(join(root, 'cache'));
    utimesSync(join(root, 'a.txt'), new Date(1_000_000_000_000), new Date(1_000_000_000_000));
    const opaque = { skip: (rel: string) => rel === 'cache' };
    const before = snapshot(root, opaque);

    writeFileSync(join(root, 'a.txt'), 'changed');
    rmSync(join(root, 'd'), { recursive: true });
    chmodSync(join(root, 'mode.txt'), 0o666);
    rmSync(join(root, 'link'));
    symlinkSync('/etc/passwd', join(root, 'link'));
    mkdirSync(join(root, 'new/dir'), { recursive: true });
    writeFileSync(join(root, 'cache', 'ignored'), 'x');

    const changes = diffTrees(before, snapshot(root, opaque));
    assert.deepEqual(changes, [
      { path: 'a.txt', change: 'modified' },
      { path: 'd', change: 'removed' },
      { path: 'link', change: 'modified' },
      { path: 'mode.txt', change: 'modified' },
      { path: 'new', change: 'added' },
    ]);
    restoreTree(root, before, opaque);
    assert.deepEqual(diffTrees(before, snapshot(root, opaque)), []);
    assert.equal(readFileSync(join(root, 'd/e/deep.txt'), 'utf8'), 'deep');
    assert.equal(lstatSync(join(root, 'a.txt')).mtimeMs, 1_000_000_000_000);
    assert.ok(!existsSync(join(root, 'new')));
    assert.ok(existsSync(join(root, 'cache', 'ignored')), 'skipped paths are left alone');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the catalogue: at least 25 distinct attacks, every payload present, every category covered', () => {
  assert.ok(ATTACKS.length >= 25);
  assert.equal(new Set(ATTACKS.map((a) => a.id)).size, ATTACKS.length);
  for (const a of ATTACKS) {
    assert.ok(existsSync(join(PAYLOADS, a.payload)), `${a.id}: payloads/${a.payload} is missing`);
    assert.ok(a.covers.length > 0 && a.title.length > 0, a.id);
    assert.ok((a.reads?.length ?? 0) + (a.does?.length ?? 0) > 0, `${a.id}: nothing counts as done inside, so CONTAINED could never be told from BLOCKED`);
  }
  for (const c of ['env', 'credentials', 'persistence', 'staging', 'process', 'escape', 'network']) {
    assert.ok(ATTACKS.some((a) => a.category === c), `no attack in ${c}`);
  }
});
