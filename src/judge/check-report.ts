// `safe-package check --report FILE`: the judgement written as a file, as a run writes
// its report: created new beside the target with mode 600, synced, then renamed into
// place (a reader never sees half a report; an existing file is replaced whole).

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VERSION } from '../version.js';
import type { Judgement } from './verdict.js';

export const CHECK_REPORT_SCHEMA = 'safe-package/check@1';

export function checkReport(judgement: Judgement, now = new Date()): { schema: string; version: string; checked_at: string; judgement: Judgement } {
  return { schema: CHECK_REPORT_SCHEMA, version: VERSION, checked_at: now.toISOString(), judgement };
}

export function writeCheckReport(file: string, judgement: Judgement): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(checkReport(judgement), null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
