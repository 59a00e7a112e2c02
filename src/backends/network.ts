// The jail's network (docs/promises.md#p6-network): the allowlisting proxy in this process, and what the
// jail side needs to reach it (the bridge).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from '../net/proxy.js';
import { parseHostRules } from '../net/host-rule.js';
import type { Policy } from '../policy/types.js';
import type { BridgeSpec } from '../plan/sandbox.js';
import type { BlockedConnection, ContactedHost } from '../report/report.js';

import { BRIDGE_PORT } from './bridge-port.js';

/**
 * The proxy for a phase: the run's whole allowlist, or (the scripts phase) only the hosts
 * the user allowed by name. Either way every refusal is recorded.
 */
export function startJailProxy(p: Policy, runDir: string, scope: 'policy' | 'allowed-hosts-only' = 'policy'): Promise<RunningProxy> {
  const allow = scope === 'policy' ? p.network.allow : p.network.userAllowed;
  return startProxy({
    socketPath: join(runDir, scope === 'policy' ? 'proxy.sock' : 'proxy-scripts.sock'),
    policy: { allow: parseHostRules(allow) },
    // The bridge runs as the jail user; when that is not us, the socket must be theirs.
    ...(p.dropPrivileges ? { socketOwner: { uid: p.user.uid, gid: p.user.gid } } : {}),
  });
}

let bridgeSource: string | undefined;

/** The bridge's compiled source, handed to node with -e: no file has to be reachable by the jail user. */
export function bridgeCode(): string {
  bridgeSource ??= readFileSync(new URL('../net/jail-bridge.js', import.meta.url), 'utf8');
  return bridgeSource;
}

export function bridgeSpec(socket: string): BridgeSpec {
  return { node: process.execPath, code: bridgeCode(), socket, port: BRIDGE_PORT };
}

/** The proxy's ledger in the report's terms; `phase` names which part of the run tried. */
export function networkRecords(proxy: RunningProxy, phase?: string): { blocked: BlockedConnection[]; contacted: ContactedHost[] } {
  return {
    blocked: proxy.blocked().map((b) => ({
      host: b.host,
      port: b.port,
      ...(b.method ? { method: b.method } : {}),
      reason: b.reason,
      count: b.count,
      ...(phase ? { phase } : {}),
      ...(b.host && b.port ? { suggestion: `--allow-host ${b.host}:${b.port}` } : {}),
    })),
    contacted: proxy.contacted().map((c) => ({ host: c.host, port: c.port, connections: c.count, bytes_in: c.bytesIn, bytes_out: c.bytesOut })),
  };
}
