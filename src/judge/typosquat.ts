// Typosquats (issue: judge what is downloaded): a name being added that is one edit, one
// swap of neighbouring letters, or a separator change away from a much more used name,
// and is not itself established, is stopped before anything is downloaded, with "did you
// mean". Only names the user adds now are checked (npm install NAME, pnpm add, yarn add),
// never the existing tree: that keeps false positives down. The list of used names is
// data/popular-npm.txt (made by scripts/make-popular-names.mjs; its header says from what).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Names of 3 characters or fewer are not compared: too many real names are one edit apart. */
const MIN_LENGTH = 4;

/** The used names shipped with safe-package (dist/src/judge/ and the bundle sit at the same depth). */
export function loadPopularNames(file: 'popular-npm.txt' | 'popular-pypi.txt' = 'popular-npm.txt'): ReadonlySet<string> {
  const text = readFileSync(fileURLToPath(new URL(`../../../data/${file}`, import.meta.url)), 'utf8');
  return new Set(text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
}

/** Separators npm names use interchangeably in people's memory: `lodash.merge`, `lodash-merge`. */
const bare = (name: string) => name.replace(/[-_.]/g, '');

/** Exactly one insertion, deletion or substitution apart (not 0). Pure. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) return a.slice(i + 1) === b.slice(i + 1);
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** Two neighbouring characters swapped. Pure. */
export function swapApart(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  const diff = [...a].map((c, i) => (c === b[i] ? -1 : i)).filter((i) => i >= 0);
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}

/**
 * The used name `candidate` looks like a typo of, or undefined. A scope is compared as part
 * of the name (`@types/node` vs `@types/nodee`); a candidate that is itself a used name is
 * never a typo. Pure.
 */
export function lookalikeOf(candidate: string, popular: ReadonlySet<string>): string | undefined {
  if (popular.has(candidate) || candidate.replace(/^@[^/]+\//, '').length < MIN_LENGTH) return undefined;
  const c = candidate.toLowerCase();
  let best: string | undefined;
  for (const p of popular) {
    if (p.replace(/^@[^/]+\//, '').length < MIN_LENGTH) continue;
    const near = oneEditApart(c, p) || swapApart(c, p) || (bare(c) === bare(p) && c !== p);
    // Several candidates: the shorter (usually the original) is the likelier meant.
    if (near && (best === undefined || p.length < best.length)) best = p;
  }
  return best;
}

/** The package name of an install argument (`express@4`, `@s/x@^1`), or undefined for paths, URLs, git and aliases. Pure. */
export function addedName(arg: string): string | undefined {
  if (arg.startsWith('-') || /^(\.|\/|~|file:|link:|git[+:]|https?:|github:|npm:)/.test(arg) || arg.includes('://')) return undefined;
  const at = arg.indexOf('@', arg.startsWith('@') ? 1 : 0);
  const name = at > 0 ? arg.slice(0, at) : arg;
  if (name.includes('@') && !name.startsWith('@')) return undefined;
  if (/\.(tgz|tar\.gz|tar)$/.test(name) || name.split('/').length > 2 || (name.includes('/') && !name.startsWith('@'))) return undefined;
  return /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/i.test(name) ? name : undefined;
}

/** What the registry says about a candidate, enough to tell an established package from a new one. */
export interface NameFacts {
  readonly exists: boolean;
  readonly versions?: number;
  readonly createdDaysAgo?: number;
}

/** An established package (a year old, several releases) is what its users meant, even one edit from another. Pure. */
export function established(f: NameFacts): boolean {
  return f.exists && (f.versions ?? 0) >= 3 && (f.createdDaysAgo ?? 0) >= 365;
}

export interface SquatSuspect {
  readonly name: string;
  readonly meant: string;
  readonly facts: NameFacts;
}

/** One line for the user, with "did you mean" and the option that lets it through. Pure. */
export function squatMessage(s: SquatSuspect): string {
  const what = !s.facts.exists
    ? 'is not on the registry'
    : `has ${s.facts.versions ?? '?'} version(s), first published ${s.facts.createdDaysAgo ?? '?'} day(s) ago`;
  return `${s.name} looks like a typo of ${s.meant} (it ${what}): did you mean ${s.meant}? If ${s.name} is what you want, run again with --allow-name ${s.name}`;
}
