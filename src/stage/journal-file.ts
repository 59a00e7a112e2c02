// Where commit journals live on disk, and flushing them.

import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
  constants,
} from 'node:fs';
import { join } from 'node:path';
import { serializeHeader, serializePhase, type JournalHeader, type Phase } from './journal.js';
import { shellQuote } from '../util/shell-quote.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;

export function journalDir(stateDir: string): string {
  return join(stateDir, 'commits');
}

/**
 * Makes the journal directory (mode 0700) and checks it: a directory, not a symlink,
 * owned by us, writable by nobody else. Another user able to write there could plant a
 * journal that makes recovery "restore" files of their choosing.
 */
export function ensureJournalDir(stateDir: string): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const dir = journalDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const d of [stateDir, dir]) checkPrivateDir(d);
  return dir;
}

export function checkPrivateDir(dir: string): void {
  const st = lstatSync(dir);
  const uid = process.getuid?.() ?? -1;
  if (!st.isDirectory()) throw new Error(`state directory ${dir} is not a directory (a symlink is not followed)`);
  if (st.uid !== uid) throw new Error(`state directory ${dir} belongs to uid ${st.uid}, not to us (uid ${uid}); fix: chown ${uid} ${shellQuote(dir)}`);
  if (st.mode & 0o022) throw new Error(`state directory ${dir} is writable by others (mode 0${(st.mode & 0o777).toString(8)}); fix: chmod go-w ${shellQuote(dir)}`);
}

export class JournalWriter {
  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  /** Writes the header and flushes it (and the directory entry) before returning. */
  static create(dir: string, header: JournalHeader): JournalWriter {
    const path = join(dir, `${header.id}.journal`);
    const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW, 0o600);
    const w = new JournalWriter(path, fd);
    writeAll(fd, serializeHeader(header));
    fsyncSync(fd);
    syncDir(dir);
    return w;
  }

  mark(phase: Phase): void {
    writeAll(this.fd, serializePhase(phase));
    fdatasyncSync(this.fd);
  }

  /** Deletes the journal: the commit needs nothing more. */
  remove(): void {
    closeSync(this.fd);
    unlinkSync(this.path);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off);
}

export function syncDir(dir: string): void {
  const fd = openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function listJournals(stateDir: string): string[] {
  const dir = journalDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => n.endsWith('.journal')).sort().map((n) => join(dir, n));
}

export function readJournal(path: string): string {
  const fd = openSync(path, O_RDONLY | O_NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Keeps an unreadable journal for inspection instead of deleting it. */
export function setAside(path: string): string {
  const to = `${path}.unreadable`;
  renameSync(path, to);
  return to;
}

/** Start time of a process (field 22 of /proc/PID/stat), or null when it is gone. */
export function processStart(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}
