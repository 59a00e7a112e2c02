// "#!" lines, read the way the Linux kernel's binfmt_script reads them: the interpreter is
// the first word after "#!", and everything after it up to the end of the line (trimmed) is
// ONE optional argument. `#!/usr/bin/env node` therefore runs /usr/bin/env with "node",
// which env then looks up on the PATH the program gets (inside the jail: the jail's PATH).
// Pure.

import { posix } from 'node:path';

/** The kernel reads at most this much of a script to find its interpreter (BINPRM_BUF_SIZE). */
export const SHEBANG_MAX = 256;

export interface Shebang {
  readonly interpreter: string;
  readonly arg?: string;
}

/** Returns the interpreter line of a script, or undefined when `head` does not start with "#!". */
export function parseShebang(head: Buffer): Shebang | undefined {
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const slice = head.subarray(2, Math.min(head.length, SHEBANG_MAX));
  const nl = slice.indexOf(0x0a);
  // The kernel also accepts a truncated line (no newline within the buffer).
  const line = slice.toString('latin1', 0, nl === -1 ? slice.length : nl).replace(/\0.*$/s, '');
  const trimmed = line.replace(/^[ \t]+/, '').replace(/[ \t\r]+$/, '');
  if (trimmed === '') return undefined;
  const m = /^([^ \t]+)(?:[ \t]+(.*))?$/.exec(trimmed);
  if (!m) return undefined;
  const interpreter = m[1]!;
  const arg = m[2]?.trim();
  return arg !== undefined && arg !== '' ? { interpreter, arg } : { interpreter };
}

/**
 * The program `env` will run for a shebang like `#!/usr/bin/env node` or
 * `#!/usr/bin/env -S node --flag`, or undefined when the interpreter is not env or names
 * no program. Options and NAME=VALUE assignments are skipped as env(1) does.
 */
export function envProgram(sb: Shebang): string | undefined {
  if (posix.basename(sb.interpreter) !== 'env' || sb.arg === undefined) return undefined;
  let words: string[];
  if (/^(-S|--split-string)(\s|=|$)/.test(sb.arg) || /^-[a-zA-Z]*S/.test(sb.arg)) {
    words = sb.arg.replace(/^(--split-string=?|-[a-zA-Z]*S)/, '').trim().split(/\s+/).filter((w) => w !== '');
  } else {
    // Without -S the kernel's single argument is one word to env, spaces included.
    words = [sb.arg];
  }
  const withValue = new Set(['-u', '--unset', '-C', '--chdir']);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') return words[i + 1];
    if (withValue.has(w)) {
      i++;
      continue;
    }
    if (w.startsWith('-')) continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) continue;
    return w;
  }
  return undefined;
}
