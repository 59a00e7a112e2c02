// What a pip run installed, read from what the jail left: the `*.dist-info` directories
// it wrote (each holds METADATA with `Name:` and `Version:`), in the staging layer's
// upper directory (sandbox) or the landlock backend's shadow. A distribution whose
// METADATA is byte for byte what the project already had was there before this run and
// is not this install's doing. Files are opened without following symbolic links and
// read up to a limit; the walk is bounded in depth and entries.
//
// pip's own record of the run (`--report`) would say the same, but it is written by the
// same untrusted process and needs an option added to the user's command; the dist-info
// directories are what the commit would actually put in the project.

import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedPackage } from './lockfile.js';
import { readWhole } from './tree.js';

const MAX_METADATA = 4 * 1024 * 1024;
const MAX_DEPTH = 8;
const MAX_ENTRIES = 200_000;

/** PEP 503: runs of `-`, `_`, `.` are one separator; case does not matter. Pure. */
export function normalizePipName(name: string): string {
  return name.trim().toLowerCase().replace(/[-_.]+/g, '-');
}

/** `Name:` and `Version:` of a METADATA file (RFC 822 headers, up to the first empty line). Pure. */
export function parseMetadata(text: string): { name: string; version: string } | undefined {
  let name: string | undefined;
  let version: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    const m = /^(Name|Version):\s*(.*?)\s*$/i.exec(line);
    if (!m) continue;
    if (m[1]!.toLowerCase() === 'name') name ??= m[2]!;
    else version ??= m[2]!;
  }
  return name && version ? { name, version } : undefined;
}

function readNoFollow(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (st.size > MAX_METADATA) throw new Error(`${path} is larger than ${MAX_METADATA} bytes`);
    return readWhole(fd, st.size).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export interface PipDists {
  /** Distinct distributions, names PEP 503-normalised. */
  readonly packages: ResolvedPackage[];
  /** Where they were found, relative to the project (`.venv/lib/python3.11/site-packages/x-1.0.dist-info`). */
  readonly found: string[];
}

/**
 * The distributions this run wrote: every `*.dist-info/METADATA` under `upper` that the
 * project (`lower`) does not already have with the same content. A METADATA file that
 * cannot be read as one is an error (fail closed: an unreadable tree is not a pass).
 */
export function readPipDists(view: { readonly upper?: string; readonly lower: string }): PipDists {
  const root = view.upper ?? view.lower;
  const packages = new Map<string, ResolvedPackage>();
  const found: string[] = [];
  let entries = 0;
  const visit = (rel: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch {
      return;
    }
    for (const e of names) {
      if (++entries > MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} entries written: the installed distributions cannot be read`);
      const r = rel ? `${rel}/${e}` : e;
      let st;
      try {
        st = lstatSync(join(root, r));
      } catch {
        continue;
      }
      if (!st.isDirectory()) continue;
      if (!e.endsWith('.dist-info')) {
        visit(r, depth + 1);
        continue;
      }
      const text = readNoFollow(join(root, r, 'METADATA'));
      if (text === undefined) continue; // a dist-info the run only touched (copied up), not one it wrote
      // Unchanged from the project's own copy: installed before this run.
      if (view.upper !== undefined && view.upper !== view.lower && readNoFollow(join(view.lower, r, 'METADATA')) === text) continue;
      const meta = parseMetadata(text);
      if (!meta) throw new Error(`${r}/METADATA names no distribution (no Name: or Version:)`);
      const name = normalizePipName(meta.name);
      packages.set(`${name}==${meta.version}`, { name, version: meta.version });
      found.push(r);
    }
  };
  visit('', 0);
  return { packages: [...packages.values()], found };
}
