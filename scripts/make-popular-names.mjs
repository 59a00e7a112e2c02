#!/usr/bin/env node
// Makes data/popular-npm.txt: npm package names widely enough used that Debian packages
// them (binary packages `node-NAME` of the Debian release this runs on, and the
// `node-NAME` names other packages provide, such as `webpack` providing node-webpack;
// from its package archive through `apt-cache dumpavail`). A name one edit away from one of these, and
// itself new or barely published, is what a typosquat looks like (src/judge/typosquat.ts).
// Debian's names map onto npm's by dropping `node-`; `node-types-x` is `@types/x`. Names
// of 3 characters or fewer are left out: too many legitimate names lie one edit away.
//
// Usage (on Debian or Ubuntu, after apt-get update): node scripts/make-popular-names.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const dump = execFileSync('apt-cache', ['dumpavail'], { encoding: 'utf8', maxBuffer: 1 << 30 });
const debianNames = new Set();
for (const line of dump.split('\n')) {
  const m = /^(Package|Provides): (.*)$/.exec(line);
  if (!m) continue;
  for (const item of m[2].split(',')) {
    const n = item.trim().split(/\s/)[0];
    if (n.startsWith('node-')) debianNames.add(n);
  }
}
const out = [...debianNames].join('\n');
const release = (() => {
  try {
    return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
const names = new Set();
for (const pkg of out.split('\n')) {
  if (!pkg.startsWith('node-')) continue;
  let name = pkg.slice('node-'.length);
  if (name.startsWith('types-')) name = `@types/${name.slice('types-'.length)}`;
  if (name.replace(/^@types\//, '').length <= 3) continue;
  if (!/^(@types\/)?[a-z0-9][a-z0-9._-]*$/.test(name)) continue;
  names.add(name);
}
const sorted = [...names].sort();
const header = [
  '# npm names packaged by Debian as node-NAME, a proxy for "widely used".',
  `# Source: Package and Provides names node-* in apt-cache dumpavail on ${release}, ${new Date().toISOString().slice(0, 10)}.`,
  '# Made by scripts/make-popular-names.mjs; used by src/judge/typosquat.ts.',
  `# ${sorted.length} names.`,
];
writeFileSync(new URL('../data/popular-npm.txt', import.meta.url), [...header, ...sorted, ''].join('\n'));
console.log(`data/popular-npm.txt: ${sorted.length} names`);
