// Reaching a host for the proxy: the three decisions before any byte goes out (host rule,
// resolution, address class), then a connection to a checked address, never re-resolved.

import { lookup } from 'node:dns/promises';
import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import { formatHost, printable, type Host } from './host.js';
import { decideAddresses, decideHost, type NetPolicy } from './policy.js';
import { SOCKET_BUFFER_BYTES, type ProxyLimits } from './proxy-limits.js';

/** Resolves a host name to IP addresses (text), in preference order. */
export type Resolve = (hostname: string) => Promise<string[]>;

export async function systemResolve(hostname: string): Promise<string[]> {
  const results = await lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => r.address);
}

/** An error whose message is ours (and safe to show), not the system's. */
export class ProxyError extends Error {}

/** How a request handler refuses: the answer to the client, and (blocked) a ledger entry. */
export type Refuse = (status: number, host: string, port: number, reason: string, blocked?: boolean) => void;

/** Decides, resolves and connects; refuses and returns undefined when it cannot. */
export type Reach = (host: Host, port: number, refuse: Refuse) => Promise<Socket | undefined>;

export interface ReachOptions {
  readonly policy: NetPolicy;
  readonly resolve: Resolve;
  readonly limits: ProxyLimits;
  /** Every upstream socket is tracked, so that close() can destroy it. */
  readonly track: (socket: Socket) => void;
  readonly closing: () => boolean;
}

export function makeReach(o: ReachOptions): Reach {
  async function route(host: Host, port: number): Promise<{ ok: true; addresses: readonly string[] } | { ok: false; status: number; reason: string; blocked: boolean }> {
    const decision = decideHost(o.policy, host, port);
    if (!decision.allowed) return { ok: false, status: 403, reason: decision.reason, blocked: true };
    let addresses: string[];
    if (host.kind === 'ip') {
      addresses = [host.address];
    } else {
      try {
        addresses = await withTimeout(o.resolve(host.name), o.limits.connectTimeoutMs, `resolving ${host.name} timed out`);
      } catch (err) {
        return { ok: false, status: 502, reason: `could not resolve ${host.name} (${errorCode(err)})`, blocked: false };
      }
    }
    const checked = decideAddresses(host, port, decision, addresses);
    if (!checked.allowed) return { ok: false, status: 403, reason: checked.reason, blocked: true };
    return { ok: true, addresses: checked.addresses };
  }

  async function connectUpstream(addresses: readonly string[], port: number): Promise<Socket> {
    let last: unknown;
    for (const address of addresses) {
      if (o.closing()) break;
      try {
        return await connectOne(address, port, o.limits.connectTimeoutMs, o.track);
      } catch (err) {
        last = err;
      }
    }
    throw last ?? new ProxyError('the proxy is closing');
  }

  return async (host, port, refuse) => {
    const asked = formatHost(host);
    const routed = await route(host, port);
    if (!routed.ok) return void refuse(routed.status, asked, port, routed.reason, routed.blocked);
    try {
      return await connectUpstream(routed.addresses, port);
    } catch (err) {
      return void refuse(502, asked, port, `could not connect (${errorCode(err)})`, false);
    }
  };
}

function connectOne(address: string, port: number, timeoutMs: number, track: (s: Socket) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(<NetConnectOpts>{
      host: address,
      port,
      noDelay: true,
      // Passed on to the stream (Node's types do not list them).
      readableHighWaterMark: SOCKET_BUFFER_BYTES,
      writableHighWaterMark: SOCKET_BUFFER_BYTES,
      // The address was checked; a name here would be a bug, and resolving it now would
      // undo the check (DNS rebinding). isIP addresses never reach lookup.
      lookup: (hostname, _opts, callback) => callback(new ProxyError(`refusing to resolve ${hostname} a second time`), '', 4),
    });
    track(socket);
    // A permanent listener: an error between connecting and the caller attaching its own
    // must not become an uncaught exception.
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProxyError(`timed out connecting to ${address}:${port}`));
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProxyError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A short, printable name for what went wrong: our own message, or the system's code. */
export function errorCode(err: unknown): string {
  if (err instanceof ProxyError) return err.message;
  const e = err as NodeJS.ErrnoException | undefined;
  return printable(e?.code ?? e?.message ?? String(err), 80);
}
