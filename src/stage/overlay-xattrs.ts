// Reads overlayfs's marks on upper directories. Node cannot read extended attributes, so
// this runs `getfattr` (Debian package `attr`): one process for many directories, with an
// argument array (names never pass through a shell), never following symlinks (-h).
//
// `user.overlay.opaque` = "y" (or `trusted.overlay.opaque` for a mount made by real root
// without `userxattr`) means the directory was removed and made again in the jail: the
// project's content below it is gone from the merged view, so it must go on commit too.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/getfattr', '/bin/getfattr'];
const MAX_ARGS_CHARS = 96 * 1024;

export function getfattrPath(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'getfattr was not found (looked in /usr/bin and /bin); it reads the overlay markers of staged writes. ' +
        'Install it: apt-get install attr',
    );
  }
  return found;
}

/**
 * @param upperDir the upper directory (the working directory of getfattr)
 * @param relDirs directories relative to upperDir, all already lstat'ed as directories
 * @returns the subset that is opaque
 */
export async function opaqueDirs(upperDir: string, relDirs: readonly string[]): Promise<Set<string>> {
  const opaque = new Set<string>();
  if (relDirs.length === 0) return opaque;
  const exe = getfattrPath();
  let batch: string[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    for (const name of await runGetfattr(exe, upperDir, batch)) opaque.add(name);
    batch = [];
    size = 0;
  };
  for (const rel of relDirs) {
    // `./` keeps a name that starts with '-' from reading as an option.
    const arg = `./${rel}`;
    batch.push(arg);
    size += arg.length + 1;
    if (size > MAX_ARGS_CHARS) await flush();
  }
  await flush();
  return opaque;
}

function runGetfattr(exe: string, cwd: string, args: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      exe,
      ['-h', '--absolute-names', '-d', '-e', 'text', '-m', '^(user|trusted)\\.overlay\\.opaque$', '--', ...args],
      { cwd, env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        const msg = Buffer.concat(err).toString('utf8').slice(0, 500).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
        reject(new Error(`getfattr failed (exit ${code}) reading overlay markers in ${cwd}: ${msg}`));
        return;
      }
      resolve(parseDump(Buffer.concat(out).toString('latin1')).map((rel) => rel.replace(/^\.\//, '')));
    });
  });
}

/** Names whose block in `getfattr -d` output sets an opaque attribute to "y". */
export function parseDump(text: string): string[] {
  const found: string[] = [];
  for (const block of text.split(/\n\n+/)) {
    const lines = block.split('\n').filter((l) => l !== '');
    const head = lines[0];
    if (!head?.startsWith('# file: ')) continue;
    if (lines.slice(1).some((l) => /^(user|trusted)\.overlay\.opaque="y"$/.test(l))) {
      found.push(unquote(head.slice('# file: '.length)));
    }
  }
  return found;
}

/** getfattr escapes unprintable bytes and backslashes in names as `\ooo` and `\\`. */
function unquote(latin1: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < latin1.length; i++) {
    const c = latin1[i]!;
    if (c === '\\' && latin1[i + 1] === '\\') {
      bytes.push(0x5c);
      i++;
    } else if (c === '\\' && /^[0-7]{3}$/.test(latin1.slice(i + 1, i + 4))) {
      bytes.push(parseInt(latin1.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(latin1.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}
