// The jail's network (docs/promises.md#p6-network): the allowlisting proxy in this process, and what the
// jail side needs to reach it (the bridge).

import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from '../net/proxy.js';
import { parseHostRules } from '../net/host-rule.js';
import type { Policy } from '../policy/types.js';
import type { BridgeSpec } from '../backends/sandbox/plan.js';
import type { BlockedConnection, ContactedHost } from '../report/report.js';

import { bridgeFor } from '../backends/sandbox/bridge-port.js';

/**
 * The proxy for a phase: the run's whole allowlist, or (the scripts phase) only the hosts
 * the user allowed by name. Either way every refusal is recorded.
 */
export async function startJailProxy(p: Policy, runDir: string, scope: 'policy' | 'allowed-hosts-only' = 'policy'): Promise<RunningProxy> {
  const allow = scope === 'policy' ? p.network.allow : p.network.userAllowed;
  const name = scope === 'policy' ? 'proxy.sock' : 'proxy-scripts.sock';
  // A Unix socket's path has at most 107 bytes; a long cache directory (XDG_CACHE_HOME)
  // would not fit, so the socket then goes in a private directory of its own in /tmp.
  const short = join(runDir, name).length > MAX_SOCKET_PATH ? mkdtempSync('/tmp/sp-proxy-') : undefined;
  if (short && p.dropPrivileges) chmodSync(short, 0o711);
  try {
    const proxy = await startProxy({
      socketPath: join(short ?? runDir, name),
      policy: { allow: parseHostRules(allow) },
      // The bridge runs as the jail user; when that is not us, the socket must be theirs.
      ...(p.dropPrivileges ? { socketOwner: { uid: p.user.uid, gid: p.user.gid } } : {}),
    });
    if (!short) return proxy;
    return { ...proxy, close: async () => {
      await proxy.close();
      rmSync(short, { recursive: true, force: true });
    } };
  } catch (err) {
    if (short) rmSync(short, { recursive: true, force: true });
    throw err;
  }
}

/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

let bridgeSource: string | undefined;

/** The bridge's compiled source, handed to node with -e: no file has to be reachable by the jail user. */
export function bridgeCode(): string {
  bridgeSource ??= readFileSync(new URL('../net/jail-bridge.js', import.meta.url), 'utf8');
  return bridgeSource;
}

/** The bridge a sandboxed step gets (see bridgeFor). */
export function bridgeSpec(socket: string, dropsPrivileges: boolean): BridgeSpec {
  return bridgeFor(socket, dropsPrivileges, bridgeCode);
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

export interface TcpFront {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The landlock backend has no network namespace to run the bridge in: the proxy is
 * reached on a loopback TCP port of the host instead, and Landlock lets the jail connect
 * to that port only. Each connection is served by the proxy itself (adopted: no second
 * socket, no copy), with every check a connection to its Unix socket gets.
 * Anyone on the host can connect too; they get what the proxy grants (the allowlisted
 * registry, no credentials: the proxy adds none).
 */
export async function startTcpFront(proxy: Pick<RunningProxy, 'adopt'>): Promise<TcpFront> {
  const open = new Set<Socket>();
  const server = createServer({ noDelay: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    proxy.adopt(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy front has no TCP port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
