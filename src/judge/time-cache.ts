// The judgement's cache of publish times, one JSON file per (registry or index, name),
// in a subdirectory of the judgement's cache directory (npm metadata: meta/, Python
// indexes: pypi/). A missing, damaged or foreign entry is asked for again; a cache that
// cannot be written only costs time.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface CacheEntry {
  readonly v: 1;
  readonly source: string;
  readonly name: string;
  readonly time: Record<string, string>;
}

export interface TimeCache {
  read(source: string, name: string): Record<string, string> | undefined;
  write(source: string, name: string, time: Record<string, string>): void;
}

export function timeCache(dir: string, sub: string): TimeCache {
  const file = (source: string, name: string) => join(dir, sub, `${createHash('sha256').update(`${source}\0${name}`).digest('hex')}.json`);
  return {
    read(source, name) {
      try {
        const e = JSON.parse(readFileSync(file(source, name), 'utf8')) as CacheEntry;
        if (e.v === 1 && e.source === source && e.name === name && typeof e.time === 'object' && e.time !== null) return e.time;
      } catch {
        /* absent or damaged: ask again */
      }
      return undefined;
    },
    write(source, name, time) {
      try {
        mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
        const path = file(source, name);
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ v: 1, source, name, time } satisfies CacheEntry), { mode: 0o600 });
        renameSync(tmp, path);
      } catch {
        /* a cache that cannot be written only costs time */
      }
    },
  };
}
