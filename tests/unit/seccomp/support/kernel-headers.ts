// Reads syscall numbers out of this machine's kernel headers (linux-libc-dev), so the
// committed tables in src/seccomp/syscalls/ can be regenerated and checked.
//
// The x86_64 header is a flat list of #defines. The aarch64 numbers live in the
// generic header, behind #if blocks that arm64's own <asm/unistd.h> switches on by
// defining a few __ARCH_WANT_* macros first — so this is a very small preprocessor.

import { readFileSync } from 'node:fs';

export const X86_64_HEADER = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
export const GENERIC_HEADER = '/usr/include/asm-generic/unistd.h';

/** What arch/arm64/include/uapi/asm/unistd.h defines before including the generic header. */
export const ARM64_MACROS: Readonly<Record<string, string>> = {
  __BITS_PER_LONG: '64',
  __ARCH_WANT_RENAMEAT: '',
  __ARCH_WANT_NEW_STAT: '',
  __ARCH_WANT_SET_GET_RLIMIT: '',
  __ARCH_WANT_TIME32_SYSCALLS: '',
  __ARCH_WANT_SYS_CLONE3: '',
  __ARCH_WANT_MEMFD_SECRET: '',
};

export type SyscallNumbers = Map<string, number>;

export function readX86_64Syscalls(path = X86_64_HEADER): SyscallNumbers {
  return syscallsFromHeader(readFileSync(path, 'utf8'), { __x86_64__: '1' });
}

export function readAarch64Syscalls(path = GENERIC_HEADER): SyscallNumbers {
  return syscallsFromHeader(readFileSync(path, 'utf8'), ARM64_MACROS);
}

/** Runs the header's conditionals and returns every `__NR_name` that ends up a number. */
export function syscallsFromHeader(text: string, predefined: Readonly<Record<string, string>>): SyscallNumbers {
  const macros = new Map<string, string>(Object.entries(predefined));
  const active: boolean[] = [];
  const taken: boolean[] = [];
  const on = (): boolean => active.every(Boolean);

  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\*.*?\*\//g, '').trim();
    const m = /^#\s*(\w+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, directive, rest = ''] = m;
    switch (directive) {
      case 'if': {
        const value = on() && evaluate(rest, macros);
        active.push(value);
        taken.push(value);
        break;
      }
      case 'ifdef':
      case 'ifndef': {
        const value = macros.has(rest.trim()) === (directive === 'ifdef');
        active.push(value);
        taken.push(value);
        break;
      }
      case 'else':
        active[active.length - 1] = !taken[taken.length - 1];
        break;
      case 'endif':
        active.pop();
        taken.pop();
        break;
      case 'define': {
        if (!on()) break;
        const d = /^(\w+)(\([^)]*\))?\s*(.*)$/.exec(rest);
        if (d && !d[2]) macros.set(d[1]!, (d[3] ?? '').trim());
        break;
      }
      case 'undef':
        if (on()) macros.delete(rest.trim());
        break;
      case 'include':
      case 'error':
        break;
      default:
        throw new Error(`unsupported preprocessor directive #${directive} in a syscall header`);
    }
  }

  const out: SyscallNumbers = new Map();
  for (const name of macros.keys()) {
    if (!name.startsWith('__NR_') || name === '__NR_syscalls') continue;
    const value = resolve(name, macros);
    if (value !== undefined) out.set(name.slice('__NR_'.length), value);
  }
  return new Map([...out].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])));
}

function resolve(name: string, macros: ReadonlyMap<string, string>, depth = 0): number | undefined {
  const body = macros.get(name);
  if (body === undefined || depth > 8) return undefined;
  if (/^\d+$/.test(body)) return Number(body);
  if (/^\w+$/.test(body)) return resolve(body, macros, depth + 1);
  return undefined;
}

function evaluate(expr: string, macros: ReadonlyMap<string, string>): boolean {
  const substituted = expr
    .replace(/defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)/g, (_, a: string | undefined, b: string | undefined) =>
      macros.has((a ?? b)!) ? '1' : '0',
    )
    .replace(/[A-Za-z_]\w*/g, (id) => {
      const v = macros.get(id);
      return v !== undefined && /^\d+$/.test(v) ? v : '0';
    });
  if (!/^[\d\s()!=<>&|]*$/.test(substituted)) throw new Error(`cannot evaluate #if ${expr}`);
  return Boolean(new Function(`return (${substituted});`)());
}

/** TypeScript source for one committed table (what src/seccomp/syscalls/*.ts hold). */
export function renderTable(constName: string, source: string, numbers: SyscallNumbers): string {
  const lines = [...numbers].map(([name, nr]) => `  ${name}: ${nr},`);
  return [
    `// Syscall numbers, generated from ${source}`,
    '// (Debian 12 linux-libc-dev 6.1) by tests/unit/seccomp/support/kernel-headers.ts.',
    '// tests/unit/seccomp/syscall-tables.test.ts checks they still match the headers.',
    '',
    `export const ${constName}: Readonly<Record<string, number>> = Object.freeze({`,
    ...lines,
    '});',
    '',
  ].join('\n');
}
