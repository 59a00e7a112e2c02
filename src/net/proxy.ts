// The jail's only way out: an allowlisting HTTP proxy run inside the safe-package process.
// This module is its listener and lifecycle: the Unix socket it listens on, the
// connections it accepts (or adopts), the limits on them, and closing it all.
//
// It speaks CONNECT (HTTPS tunnels, proxy-tunnel.ts) and absolute-form plain HTTP
// (`GET http://host/p`, proxy-forward.ts). Every decision is made by the pure functions in
// policy.ts, request-target.ts, method-policy.ts and tls-client-hello.ts; what was
// contacted and refused is kept in proxy-ledger.ts.
//
// It must never take safe-package down: every socket has an error handler, every async
// handler catches, and connections, header sizes and idle time are bounded so that a
// hostile client cannot exhaust the process.

import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatHost, printable } from './host.js';
import type { NetPolicy } from './policy.js';
import { parseProxyTarget } from './request-target.js';
import { endWith, headerValues } from './proxy-answer.js';
import { forwardRequest } from './proxy-forward.js';
import { Ledger, type BlockedAttempt, type ContactedHost } from './proxy-ledger.js';
import { DEFAULT_LIMITS, SOCKET_BUFFER_BYTES, type ProxyLimits } from './proxy-limits.js';
import { openTunnel } from './proxy-tunnel.js';
import { makeReach, systemResolve, type Resolve } from './proxy-upstream.js';

export type { BlockedAttempt, ContactedHost } from './proxy-ledger.js';
export { DEFAULT_LIMITS, type ProxyLimits } from './proxy-limits.js';
export { systemResolve, type Resolve } from './proxy-upstream.js';

export interface ProxyOptions {
  /** Where to listen. Must not exist; its directory should be private (mode 0700). */
  readonly socketPath: string;
  readonly policy: NetPolicy;
  /** Mode of the socket file (default 0o600: only the owner can connect). */
  readonly socketMode?: number;
  /** Owner to give the socket file, e.g. the jail's user when it is not this process's. */
  readonly socketOwner?: { readonly uid: number; readonly gid: number };
  readonly limits?: Partial<ProxyLimits>;
  /** Name resolution (default: the system resolver, like every other program). */
  readonly resolve?: Resolve;
  /** Called for each refusal as it happens (e.g. to warn live). Must not throw. */
  readonly onBlocked?: (attempt: BlockedAttempt) => void;
}

export interface RunningProxy {
  readonly socketPath: string;
  /**
   * Serves a client connection accepted elsewhere (the bridge's, handed over by
   * descriptor; the TCP front's) exactly as one made to the socket: same limits, same
   * checks, same ledger.
   */
  adopt(socket: Socket): void;
  /** Refusals so far, oldest first. */
  blocked(): BlockedAttempt[];
  /** Refusals that were not kept because maxBlockedRecords was reached. */
  droppedBlocked(): number;
  /** Hosts reached so far, with live byte counts. */
  contacted(): ContactedHost[];
  /** Stops listening, closes every client connection and tunnel, removes the socket. */
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const limits: ProxyLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const resolve = options.resolve ?? systemResolve;
  const ledger = new Ledger(limits.maxBlockedRecords, options.onBlocked);
  const live = new Set<Socket>();
  const overLimit = new WeakSet<Duplex>();
  let clients = 0;
  let closing = false;

  const track = (socket: Socket): void => {
    live.add(socket);
    socket.once('close', () => live.delete(socket));
  };

  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 4))),
    noDelay: true,
    // For the sockets accepted on the Unix socket (adopted ones: see raiseWriteBuffer).
    highWaterMark: SOCKET_BUFFER_BYTES,
    // The target is in the request line; a Host header is only checked against it.
    requireHostHeader: false,
  });
  server.setTimeout(limits.idleTimeoutMs);

  server.on('connection', (socket: Socket) => {
    track(socket);
    clients++;
    socket.once('close', () => clients--);
    if (closing || clients > limits.maxConnections) {
      // Answer rather than drop, so a legitimate client sees why; never read its request.
      overLimit.add(socket);
      endWith(socket, 503, `safe-package proxy: too many connections (limit ${limits.maxConnections}); try again\n`);
    }
  });

  const reach = makeReach({ policy: options.policy, resolve, limits, track, closing: () => closing });
  const cx = { limits, ledger, reach, closing: () => closing };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (overLimit.has(req.socket)) return void req.socket.destroy();
    forwardRequest(cx, req, res).catch(() => res.destroy());
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (overLimit.has(socket)) return void socket.destroy();
    openTunnel(cx, req, socket, head).catch(() => socket.destroy());
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    const reason = 'protocol upgrades (WebSocket) are not proxied';
    const parsed = parseProxyTarget(req.url ?? '', headerValues(req.rawHeaders, 'host'));
    const host = parsed.ok ? formatHost(parsed.target.host) : parsed.asked;
    const port = parsed.ok ? parsed.target.port : parsed.port;
    ledger.block({ host, port, method: printable(req.method ?? '', 20), reason });
    endWith(socket, 403, `safe-package blocked ${printable(req.method ?? '', 20)} ${host}${port ? `:${port}` : ''}: ${reason}\n`);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const code = err.code ?? 'ERROR';
    if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable || overLimit.has(socket)) return void socket.destroy();
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADER_OVERFLOW') {
      return endWith(socket, code === 'HPE_HEADER_OVERFLOW' ? 431 : 408, `safe-package proxy: ${code === 'HPE_HEADER_OVERFLOW' ? `request head larger than ${limits.maxHeaderBytes} bytes` : 'request head took too long'}\n`);
    }
    ledger.block({ host: '', port: 0, reason: `malformed HTTP request (${printable(code, 40)})` });
    endWith(socket, 400, 'safe-package proxy: malformed HTTP request\n');
  });
  server.on('error', () => {
    /* listen errors are reported by listen() below; nothing else may crash the host */
  });

  await listenOnSocket(server, options.socketPath, options.socketMode ?? 0o600, options.socketOwner);

  return {
    socketPath: options.socketPath,
    adopt: (socket: Socket) => {
      socket.on('error', () => socket.destroy());
      if (closing) return void socket.destroy();
      // As the HTTP server's own sockets: a client's half-close does not cut the answer.
      socket.allowHalfOpen = true;
      raiseWriteBuffer(socket);
      // The same path as an accepted connection: the 'connection' handler above counts
      // it against the limit, and the HTTP server parses it.
      server.emit('connection', socket);
    },
    blocked: () => ledger.blockedList(),
    droppedBlocked: () => ledger.dropped,
    contacted: () => ledger.contactedList(),
    close: async () => {
      if (!closing) {
        closing = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of live) socket.destroy();
        await closed;
        removeSocketFile(options.socketPath);
      }
    },
  };
}

/**
 * An adopted socket was made by someone else (Node's IPC code, a TCP server) with the
 * default 16 KiB write buffer, and Node has no public setter for it; its stream state
 * has one. Without the field (another Node), the socket keeps its default: slower, not
 * less safe.
 */
function raiseWriteBuffer(socket: Socket): void {
  const state = (socket as unknown as { _writableState?: { highWaterMark?: unknown } })._writableState;
  if (state && typeof state.highWaterMark === 'number' && state.highWaterMark < SOCKET_BUFFER_BYTES) state.highWaterMark = SOCKET_BUFFER_BYTES;
}

async function listenOnSocket(server: ReturnType<typeof createServer>, path: string, mode: number, owner: { uid: number; gid: number } | undefined): Promise<void> {
  let exists = false;
  try {
    lstatSync(path);
    exists = true;
  } catch {
    /* absent, as it should be */
  }
  if (exists) throw new Error(`cannot start the network proxy: ${path} already exists (remove it, or use a fresh private directory)`);
  // Node cuts a longer path to fit sun_path and listens there: somewhere else entirely.
  if (Buffer.byteLength(path) > 107) throw new Error(`cannot start the network proxy on ${path}: a Unix socket's path has at most 107 bytes`);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(new Error(`cannot start the network proxy on ${path}: ${err.message}`));
    server.once('error', onError);
    server.listen(path, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
  try {
    chmodSync(path, mode);
    if (owner) chownSync(path, owner.uid, owner.gid);
  } catch (err) {
    server.close();
    removeSocketFile(path);
    throw new Error(`cannot set the owner or mode of the network proxy socket ${path}: ${(err as Error).message}`);
  }
}

function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    /* already gone */
  }
}

