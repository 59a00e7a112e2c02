// `safe-package shell-init bash|zsh|fish`: shell functions so that plain npm, npx,
// pnpm, yarn, pip and pip3 go through safe-package. `command npm ...` (bash/zsh) or
// `command npm ...` (fish) bypasses it for one command; SAFE_PACKAGE_BYPASS=1 too.

import type { Io } from '../cli/io.js';
import { EXIT_SAFE_PACKAGE_FAILED } from '../exit-codes.js';

export const WRAPPED = ['npm', 'npx', 'pnpm', 'yarn', 'pip', 'pip3'] as const;

/** The shell code. `self` is how to invoke safe-package (an absolute path when known). Pure. */
export function shellInit(shell: 'bash' | 'zsh' | 'fish', self: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  if (shell === 'fish') {
    const lines = ['# safe-package: route package managers through the jail. Bypass once: command npm ...'];
    for (const tool of WRAPPED) {
      lines.push(
        `function ${tool} --wraps ${tool} --description 'safe-package ${tool}'`,
        `    if test -n "$SAFE_PACKAGE_BYPASS"; command ${tool} $argv; else; ${q(self)} ${tool} $argv; end`,
        'end',
      );
    }
    return lines.join('\n') + '\n';
  }
  const lines = [`# safe-package: route package managers through the jail. Bypass once: command npm ...`];
  for (const tool of WRAPPED) {
    lines.push(`${tool}() { if [ -n "\${SAFE_PACKAGE_BYPASS:-}" ]; then command ${tool} "$@"; else ${q(self)} ${tool} "$@"; fi; }`);
  }
  return lines.join('\n') + '\n';
}

export async function runShellInit(args: readonly string[], io: Io, name: string): Promise<number> {
  const shell = args[0] ?? 'bash';
  if (shell === '--help' || shell === '-h') {
    io.stdout.write(`usage: ${name} shell-init [bash|zsh|fish]\n  add to your shell's rc file: eval "$(${name} shell-init bash)"\n`);
    return 0;
  }
  if (shell !== 'bash' && shell !== 'zsh' && shell !== 'fish') {
    io.stderr.write(`${name}: shell-init: unsupported shell "${shell}" (bash, zsh or fish)\n`);
    return EXIT_SAFE_PACKAGE_FAILED;
  }
  // The launcher's own path, so the functions work whatever PATH says later.
  const self = process.argv[1] && process.argv[1].startsWith('/') ? process.argv[1] : name;
  io.stdout.write(shellInit(shell, self));
  return 0;
}
