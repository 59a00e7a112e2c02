// The repository stands on its own: nothing in it points at documents that are not in it
// (the old specification's numbered sections, a threat catalogue beside the checkout),
// and every reference to a promise names an anchor that docs/promises.md really has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO } from '../../support/cli.js';

const SKIP_DIRS = new Set(['.git', 'node_modules', 'dist']);
const TEXT = /\.(ts|mts|cts|js|mjs|cjs|md|json|sh|c|h|txt|yml|yaml)$|^(run|test|Makefile)$/;
// Spelled with escapes so that this file does not match itself.
const FORBIDDEN = ['SPEC \u00a7', '..' + '/shared/', '/work' + '/shared'];

function textFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) textFiles(join(dir, entry.name), out);
    } else if (entry.isFile() && TEXT.test(entry.name) && statSync(join(dir, entry.name)).size < 2_000_000) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

const files = textFiles(REPO);

test('the walk sees the repository (README, docs, sources)', () => {
  const names = files.map((f) => relative(REPO, f));
  for (const expected of ['README.md', 'docs/promises.md', 'docs/threat-model.md', 'src/cli/main.ts']) {
    assert.ok(names.includes(expected), `${expected} not found by the walk`);
  }
});

test('no file refers to documents outside the repository', () => {
  const hits: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const needle of FORBIDDEN) {
      const at = text.indexOf(needle);
      if (at >= 0) hits.push(`${relative(REPO, file)}: ${JSON.stringify(text.slice(at, at + 40))}`);
    }
  }
  assert.deepEqual(hits, []);
});

test('every promise anchor referenced exists in docs/promises.md', () => {
  const anchors = new Set(
    readFileSync(join(REPO, 'docs/promises.md'), 'utf8')
      .split('\n')
      .filter((line) => /^#{1,4} /.test(line))
      .map((line) => line.replace(/^#+ /, '').trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')),
  );
  assert.ok(anchors.has('p5-staged-writes'), 'anchor computation sees the headings');
  const missing: string[] = [];
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/promises\.md#([a-z0-9-]+)/g)) {
      if (!anchors.has(m[1]!)) missing.push(`${relative(REPO, file)}: #${m[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('scripts/cite-docs.mjs --check finds nothing left to rewrite', () => {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts/cite-docs.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
