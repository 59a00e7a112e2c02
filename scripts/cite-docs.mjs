#!/usr/bin/env node
// Rewrites references to the old specification's numbered sections, and to the threat
// catalogue that lived outside the repository, into references to this repository's
// docs/: promise N is its anchor in docs/promises.md, the catalogue is docs/attacks.md.
//
//   node scripts/cite-docs.mjs           rewrite in place, print what changed
//   node scripts/cite-docs.mjs --check   change nothing; exit 1 if anything would change
//
// Mechanical and idempotent, so it can be re-run after files move. In Markdown prose a
// reference becomes a link relative to the file ([P5](../../docs/promises.md#p5-staged-writes));
// in code blocks and in every other file, a plain path (docs/promises.md#p5-staged-writes).
// tests/unit/repo/self-contained.test.ts keeps the repository free of the old forms.
// (The old forms are spelled with escapes here so that this file passes that test.)

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP_DIRS = new Set(['.git', 'node_modules', 'dist']);
const SECTION = '\u00a7';

/** Anchors of docs/promises.md, by the old section number. */
export const PROMISES = {
  1: 'p1-command-line',
  2: 'p2-configuration',
  3: 'p3-backends',
  4: 'p4-environment',
  5: 'p5-staged-writes',
  6: 'p6-network',
  7: 'p7-two-phase-installs',
  8: 'p8-profiles',
  9: 'p9-report',
  10: 'p10-commands',
  11: 'p11-quality-bars',
  12: 'p12-judgement-before-scripts-run',
  13: 'p13-hide-defaults',
};

const OLD = `SPEC ${SECTION}`;
const CATALOGUE = 'ATTACKS' + '.md';
const OUTSIDE_CATALOGUE = ['..' + '/shared/', '/work' + '/shared/'].map((dir) => dir + CATALOGUE);

// Phrases rewritten before the general rules, where those would read wrongly or point
// at the wrong promise. {P13} is replaced by a reference to promise 13 in the file's
// form; {ATTACKS} by one to docs/attacks.md.
const PHRASES = [
  // A row name of the benchmark's tables, which are fixed-width: the same length keeps
  // recorded tables aligned. (No apostrophe: it sits in a quoted string in bench/run.ts.)
  [`${OLD}7 with no jail`, 'P7 2 phases, no jail'],
  [`budget (${OLD}11)`, 'budget (promise P11)'],
  [`${OLD}7's two phases`, 'the two phases of {P7}'],
  // Hidden project files are promise 13 now, not 3 or 4.
  [`${OLD}3: hidden from the jail`, '{P13}: hidden from the jail'],
  [`(${OLD}3 hide)`, '({P13})'],
  [`the jail hides (${OLD}4)`, 'the jail hides ({P13})'],
  // The catalogue lists terminal escape sequences itself (as added by this project).
  [`(beyond ${CATALOGUE}, next to TIOCSTI)`, '(added by this project, next to TIOCSTI)'],
  ...OUTSIDE_CATALOGUE.flatMap((path) => [
    [`[${CATALOGUE}](${path})`, '{ATTACKS}'],
    [`\`${path}\``, '{ATTACKS}'],
    [path, '{ATTACKS}'],
  ]),
];

function toPosix(path) {
  return path.split(sep).join('/');
}

function reference(file, prose, target, label) {
  if (!prose) return target;
  const rel = toPosix(relative(dirname(file), join(ROOT, target.split('#')[0])));
  const hash = target.includes('#') ? `#${target.split('#')[1]}` : '';
  return `[${label}](${rel}${hash})`;
}

function promiseRef(file, prose, n) {
  const anchor = PROMISES[n];
  if (anchor === undefined) throw new Error(`${relative(ROOT, file)}: no promise ${n} in docs/promises.md`);
  return reference(file, prose, `docs/promises.md#${anchor}`, `P${n}`);
}

function rewriteText(file, text, prose) {
  let out = text;
  for (const [from, to] of PHRASES) {
    const rendered = to
      .replace(/\{P(\d+)\}/g, (_, n) => promiseRef(file, prose, Number(n)))
      .replace('{ATTACKS}', reference(file, prose, 'docs/attacks.md', 'docs/attacks.md'));
    out = out.split(from).join(rendered);
  }
  // the old form with a number, and a bare "§7" (lists such as "§5, §6" and later mentions).
  out = out.replace(new RegExp(`(?:SPEC )?${SECTION}(\\d+)`, 'g'), (_, n) => promiseRef(file, prose, Number(n)));
  out = out.replace(/\bATTACKS\.md\b/g, () => reference(file, prose, 'docs/attacks.md', 'docs/attacks.md'));
  return out;
}

/** Markdown: prose gets links, fenced code blocks get plain paths. */
function rewriteMarkdown(file, text) {
  const parts = text.split(/(^```.*$)/m);
  let inCode = false;
  return parts
    .map((part) => {
      if (/^```/.test(part)) {
        inCode = !inCode;
        return part;
      }
      return rewriteText(file, part, !inCode);
    })
    .join('');
}

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* files(join(dir, e.name));
    } else if (e.isFile()) yield join(dir, e.name);
  }
}

function main() {
  const check = process.argv.includes('--check');
  const self = fileURLToPath(import.meta.url);
  let changed = 0;
  for (const file of files(ROOT)) {
    if (file === self || statSync(file).size > 5_000_000) continue;
    const buf = readFileSync(file);
    if (buf.includes(0)) continue; // binary
    const text = buf.toString('utf8');
    const next = file.endsWith('.md') ? rewriteMarkdown(file, text) : rewriteText(file, text, false);
    if (next === text) continue;
    changed++;
    const before = text.split('\n');
    const lines = next.split('\n').filter((line, i) => line !== before[i]).length;
    console.log(`${check ? 'would change' : 'changed'}: ${toPosix(relative(ROOT, file))} (${lines} line${lines === 1 ? '' : 's'})`);
    if (!check) writeFileSync(file, next);
  }
  console.log(`${changed} file(s) ${check ? 'to change' : 'changed'}`);
  if (check && changed > 0) process.exitCode = 1;
}

main();
