// node:crypto, loaded on first use. Loading it costs several milliseconds, about a tenth
// of everything safe-package does before a trivial command starts, and most runs need it
// only for a random name in a commit or the hash of a project config file.

import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
let loaded: typeof import('node:crypto') | undefined;

function nodeCrypto(): typeof import('node:crypto') {
  return (loaded ??= load('node:crypto') as typeof import('node:crypto'));
}

/** `bytes` random bytes as hex: for names that must not be guessed or collide. */
export function randomHex(bytes: number): string {
  return nodeCrypto().randomBytes(bytes).toString('hex');
}

export function sha256Hex(data: string | Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(data).digest('hex');
}
