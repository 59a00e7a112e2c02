// The trust store: which project config files the user has reviewed (docs/promises.md#p2-configuration).
//
// A project file is trusted by its SHA-256, not its path alone, so any edit (a new
// commit pulled, a rebase, a malicious dependency that managed to write it) un-trusts it.

export { sha256Hex } from '../util/crypto.js';
import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface TrustEntry {
  readonly sha256: string;
  readonly trusted_at: string;
}

export interface TrustStore {
  readonly version: 1;
  readonly files: Record<string, TrustEntry>;
}

export function trustStorePath(home: string): string {
  return join(home, '.safe-package', 'trusted.json');
}

export function readTrustStore(home: string): TrustStore {
  let text: string;
  try {
    text = readFileSync(trustStorePath(home), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, files: {} };
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<TrustStore>;
  if (parsed.version !== 1 || typeof parsed.files !== 'object' || parsed.files === null) {
    throw new Error(`${trustStorePath(home)}: not a safe-package trust store (version 1)`);
  }
  return { version: 1, files: parsed.files };
}

export type TrustState = 'trusted' | 'untrusted' | 'changed';

export function trustStateOf(store: TrustStore, path: string, sha256: string): TrustState {
  const entry = store.files[path];
  if (!entry) return 'untrusted';
  return entry.sha256 === sha256 ? 'trusted' : 'changed';
}

/** Records a file's current hash, atomically (write, fsync, rename), mode 600. */
export function writeTrust(home: string, path: string, sha256: string, now: Date = new Date()): void {
  const store = readTrustStore(home);
  const next: TrustStore = { version: 1, files: { ...store.files, [path]: { sha256, trusted_at: now.toISOString() } } };
  const file = trustStorePath(home);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}
