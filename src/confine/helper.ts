// sp-confine on this host: where it is, and what the kernel lets it do.

import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the helper: dist/native/sp-confine-<arch>, beside dist/src/. */
export function helperPath(arch: string = process.arch): string | undefined {
  const machine = arch === 'x64' ? 'x86_64' : arch === 'arm64' ? 'aarch64' : undefined;
  if (!machine) return undefined;
  // This module is dist/src/confine/helper.js, or the bundle dist/src/cli/main.bundle.cjs: the same depth.
  return fileURLToPath(new URL(`../../native/sp-confine-${machine}`, import.meta.url));
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
