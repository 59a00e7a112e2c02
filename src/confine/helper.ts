// sp-confine on this host: where it is, and what the kernel lets it do.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts a native program: dist/native/<name>-<arch>, beside dist/src/. */
function nativePath(name: string, arch: string): string | undefined {
  const machine = arch === 'x64' ? 'x86_64' : arch === 'arm64' ? 'aarch64' : undefined;
  if (!machine) return undefined;
  // This module is dist/src/confine/helper.js, or the bundle dist/src/cli/main.bundle.cjs: the same depth.
  return fileURLToPath(new URL(`../../native/${name}-${machine}`, import.meta.url));
}

/** sp-confine, the landlock and chroot backends' jail helper. */
export function helperPath(arch: string = process.arch): string | undefined {
  return nativePath('sp-confine', arch);
}

/** sp-bridge, the sandbox's network bridge (native/sp-bridge.c). */
export function bridgeProgramPath(arch: string = process.arch): string | undefined {
  return nativePath('sp-bridge', arch);
}

/**
 * Whether a user who is neither owner nor in the group can run a program: the modes of
 * the program and of every directory above it (program first, then up to /), each
 * needing its "others" execute bit. Pure.
 */
export function runnableByOthers(modes: readonly number[]): boolean {
  return modes.length > 0 && modes.every((m) => (m & 0o001) !== 0);
}

/**
 * The native bridge when the jail user can run it, else undefined (the sandbox then runs
 * the Node bridge, which needs nothing but node). `dropsPrivileges`: root runs the jail
 * as another user, who must reach the program through every directory above it; otherwise
 * the jail user is the invoker.
 */
export function usableBridgeProgram(dropsPrivileges: boolean, path: string | undefined = bridgeProgramPath()): string | undefined {
  if (!path) return undefined;
  try {
    if (!dropsPrivileges) {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile() ? path : undefined;
    }
    if (!statSync(path).isFile()) return undefined;
    const modes: number[] = [];
    for (let at = path; ; at = dirname(at)) {
      modes.push(statSync(at).mode);
      if (dirname(at) === at) break;
    }
    return runnableByOthers(modes) ? path : undefined;
  } catch {
    return undefined;
  }
}

export interface ConfineProbe {
  readonly ok: boolean;
  readonly helper?: string;
  /** sp-confine itself is there and runs (a failure is then the kernel's). */
  readonly helperRuns: boolean;
  /** The kernel's Landlock ABI version; 0 when it has none. */
  readonly abi: number;
  readonly reason?: string;
  readonly fix?: string;
}

export function probeConfine(arch: string = process.arch): ConfineProbe {
  const helper = helperPath(arch);
  if (!helper) return { ok: false, helperRuns: false, abi: 0, reason: `no sp-confine for this architecture (${arch}); the landlock backend supports x86-64 and arm64` };
  try {
    accessSync(helper, constants.X_OK);
  } catch {
    return { ok: false, helperRuns: false, helper, abi: 0, reason: `${helper} is missing`, fix: 'rebuild the package with a C compiler present (apt-get install gcc libc6-dev; npm run build)' };
  }
  const r = spawnSync(helper, ['--probe'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
  let out: { landlock_abi?: unknown; landlock_error?: unknown } = {};
  try {
    out = JSON.parse(r.stdout) as typeof out;
  } catch {
    return { ok: false, helperRuns: false, helper, abi: 0, reason: `${helper} --probe failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}` };
  }
  const abi = typeof out.landlock_abi === 'number' ? out.landlock_abi : 0;
  if (abi < 1) {
    return {
      ok: false,
      helperRuns: true,
      helper,
      abi: 0,
      reason: `the kernel has no Landlock (${String(out.landlock_error || 'unknown')})`,
      fix: 'Landlock needs Linux 5.13 or newer with landlock in the lsm= boot parameter (most distributions enable it since 2022)',
    };
  }
  return { ok: true, helperRuns: true, helper, abi };
}

/** What a Landlock ABI below 7 cannot enforce, as lines for the summary and doctor. Pure. */
export function missingFeatures(abi: number): string[] {
  const out: string[] = [];
  if (abi < 2) out.push('Landlock ABI < 2: files cannot be renamed or linked between directories (some installs fail)');
  if (abi < 3) out.push('Landlock ABI < 3: truncating files is not restricted (the write rules still hold for opening)');
  if (abi < 4) out.push('Landlock ABI < 4: TCP is not restricted: install scripts can reach any host (the network promise, P6, is not kept)');
  if (abi < 5) out.push('Landlock ABI < 5: ioctl on device files is not restricted');
  if (abi < 6) out.push('Landlock ABI < 6: signals and abstract Unix sockets are not scoped: the jail can signal your other processes of the same user');
  return out;
}
