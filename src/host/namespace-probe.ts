// Can the chroot backend make its namespaces here? Decided by trying (a no-op through
// unshare with the namespaces a run uses), never from the presence of the binary: inside
// a container with Docker's default profile unshare is installed and refused.

import { spawnSync } from 'node:child_process';
import { findTool } from './system-tools.js';

export interface NamespaceProbe {
  readonly ok: boolean;
  readonly reason?: string;
}

export function probeNamespaces(env: Readonly<Record<string, string | undefined>> = process.env): NamespaceProbe {
  const unshare = findTool('unshare', env);
  if (!unshare) return { ok: false, reason: 'unshare (util-linux) is not installed' };
  const r = spawnSync(unshare, ['--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--ipc', '--uts', '--net', '--', unshare, '--help'], {
    encoding: 'utf8',
    timeout: 5000,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status === 0) return { ok: true };
  const said = (r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `exit ${r.status ?? r.signal}`;
  return { ok: false, reason: said };
}
