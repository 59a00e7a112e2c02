// yarn classic's integrity file (node_modules/.yarn-integrity) after the two phases, as
// bare yarn writes it (docs/promises.md#p7-two-phase-installs).
//
// The download phase runs yarn with scripts ignored, so the file it writes says
// `"flags": ["ignoreScripts"]` and lists no build artifacts; the scripts phase builds with
// `npm rebuild`, which knows nothing of the file. Left so, the next bare `yarn install`
// sees flags that do not match, relinks every package and throws the builds' output away,
// and `yarn check --integrity` fails. Bare yarn (PackageInstallScripts) walks each
// package folder with install scripts before and after its scripts run and records what
// was created or changed (by mtime) under `artifacts["name@version"]`; the integrity
// file keeps them so a later relink leaves them in place.
//
// Here the walks are done by safe-package, reading the tree the jail wrote (no link
// followed), and the file is rewritten by one last step in a jail (as every write to the
// project is: staged, reviewed), running only the program below, never a package's code.

import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const INTEGRITY_FILE = 'node_modules/.yarn-integrity';

/** yarn's walk of a package folder: every entry (folders too) but node_modules, path → mtime in ms, in readdir order. */
export function walkMtimes(dir: string, rel = '', out = new Map<string, number>()): Map<string, number> {
  if (out.size > 100_000) return out;
  let names: string[];
  try {
    names = readdirSync(join(dir, rel));
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules') continue;
    const r = rel ? `${rel}/${name}` : name;
    let st;
    try {
      st = lstatSync(join(dir, r));
    } catch {
      continue;
    }
    out.set(r, Math.floor(st.mtimeMs));
    if (st.isDirectory()) walkMtimes(dir, r, out);
  }
  return out;
}

/** What the scripts created or changed, as yarn's saveBuildArtifacts counts it. Pure. */
export function buildArtifacts(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): string[] {
  return [...after].filter(([file, mtime]) => before.get(file) !== mtime).map(([file]) => file);
}

export interface BuiltInstance {
  readonly name: string;
  readonly version: string;
  readonly artifacts: readonly string[];
}

/**
 * The artifacts entry yarn would write: `name@version` → files, the last instance of a
 * package winning (yarn walks each location in turn), none for a package whose scripts
 * made nothing. Pure.
 */
export function artifactsEntry(built: readonly BuiltInstance[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const b of built) if (b.artifacts.length) out[`${b.name}@${b.version}`] = [...b.artifacts];
  return out;
}

/** The version in a package folder's manifest, as yarn keys its artifacts. */
export function versionIn(dir: string): string | undefined {
  try {
    const st = lstatSync(join(dir, 'package.json'));
    if (!st.isFile() || st.size > 1024 * 1024) return undefined;
    const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof m.version === 'string' ? m.version : undefined;
  } catch {
    return undefined;
  }
}

/** An argument stays below the kernel's limit for one (MAX_ARG_STRLEN, 128 KiB). */
const MAX_ARG = 100_000;

/**
 * The argument for the program: the artifacts as JSON; a package's list is dropped when
 * all of them together would not fit in one argument (yarn would then only lose what
 * saves a relink, not what is installed). Pure.
 */
export function artifactsArgument(entry: Record<string, string[]>): string {
  const kept: Record<string, string[]> = {};
  let size = 2;
  for (const [key, files] of Object.entries(entry).sort((a, b) => a[1].length - b[1].length)) {
    const add = JSON.stringify(key).length + JSON.stringify(files).length + 2;
    if (size + add > MAX_ARG) continue;
    kept[key] = files;
    size += add;
  }
  return JSON.stringify(Object.fromEntries(Object.keys(entry).filter((k) => k in kept).map((k) => [k, kept[k]!])));
}

/**
 * argv: ARTIFACTS_JSON. Run by the jail's node in the project. Takes out the flag the
 * download phase's ignored scripts put there (the user's own --ignore-scripts means no
 * scripts phase, so the flag stays then) and adds the artifacts to what yarn kept; yarn
 * writes the file with JSON.stringify(file, null, 2), and so does this. One line: sp-confine's
 * spec refuses arguments with a newline.
 */
export const INTEGRITY_PROGRAM = [
  "'use strict';",
  "const fs = require('fs');",
  `const file = ${JSON.stringify(INTEGRITY_FILE)};`,
  'let st; try { st = fs.lstatSync(file); } catch { process.exit(0); }',
  'if (!st.isFile()) process.exit(0);',
  'let data; try { data = JSON.parse(fs.readFileSync(file, "utf8")); } catch { process.exit(0); }',
  'if (!data || typeof data !== "object" || Array.isArray(data)) process.exit(0);',
  'if (Array.isArray(data.flags)) data.flags = data.flags.filter((f) => f !== "ignoreScripts");',
  'const built = JSON.parse(process.argv[1] || "{}");',
  'data.artifacts = Object.assign(data.artifacts && typeof data.artifacts === "object" ? data.artifacts : {}, built);',
  'fs.writeFileSync(file, JSON.stringify(data, null, 2));',
].join(' ');
