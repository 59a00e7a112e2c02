// The jail's only way out: an allowlisting HTTP proxy on a Unix socket, run inside the
// safe-package process. The jail has no network interface but loopback; jail-bridge.ts
// carries its TCP connections to this socket.
//
// It speaks CONNECT (HTTPS tunnels) and absolute-form plain HTTP (`GET http://host/p`).
// Every decision is made by the pure functions in policy.ts, request-target.ts,
// method-policy.ts and tls-client-hello.ts; this module only moves bytes and keeps the
// ledger of what was contacted and what was refused.
//
// It must never take safe-package down: every socket has an error handler, every async
// handler catches, and connections, header sizes and idle time are bounded so that a
// hostile client cannot exhaust the process.

import { lookup } from 'node:dns/promises';
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, request as httpRequest, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatAuthority, formatHost, parseHost, printable, sameHost, type Host } from './host.js';
import { refuseMethod } from './method-policy.js';
import { decideAddresses, decideHost, type NetPolicy } from './policy.js';
import { parseConnectTarget, parseProxyTarget } from './request-target.js';
import { MAX_CLIENT_HELLO, scanClientHello } from './tls-client-hello.js';

/** A refused request, for the report. Identical refusals are merged (count). */
export interface BlockedAttempt {
  /** The host as asked for (IPv6 in brackets); '' when the request could not be parsed. */
  readonly host: string;
  /** 0 when unknown. */
  readonly port: number;
  /** The HTTP method; CONNECT for tunnels; absent when the request could not be parsed. */
  readonly method?: string;
  /** One line: why, and the option that would allow it when one would. */
  readonly reason: string;
  /** When it first happened (ISO 8601). */
  readonly time: string;
  /** How many times this exact refusal happened. */
  readonly count: number;
}

/** A host:port the jail reached through the proxy. */
export interface ContactedHost {
  /** As asked for (a name, or an IP literal; IPv6 in brackets). */
  readonly host: string;
  readonly port: number;
  /** Connections opened to it (one per tunnel or plain-HTTP request). */
  readonly count: number;
  /** Bytes received from it (downloads). */
  readonly bytesIn: number;
  /** Bytes sent to it (uploads, request headers, TLS handshakes). */
  readonly bytesOut: number;
}

export interface ProxyLimits {
  /** Client connections served at once; more are answered 503 and closed. */
  readonly maxConnections: number;
  /** Largest request head (request line and headers) in bytes. */
  readonly maxHeaderBytes: number;
  /** Time a client has to send a complete request head. */
  readonly headersTimeoutMs: number;
  /** A connection (either side of a tunnel) silent for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Time for DNS resolution and for connecting upstream, each. */
  readonly connectTimeoutMs: number;
  /** Distinct refusals kept; more are only counted (droppedBlocked). */
  readonly maxBlockedRecords: number;
}

export const DEFAULT_LIMITS: ProxyLimits = {
  maxConnections: 256,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 20_000,
  idleTimeoutMs: 120_000,
  connectTimeoutMs: 15_000,
  maxBlockedRecords: 1000,
};

/** Resolves a host name to IP addresses (text), in preference order. */
export type Resolve = (hostname: string) => Promise<string[]>;

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
  /** Refusals so far, oldest first. */
  blocked(): BlockedAttempt[];
  /** Refusals that were not kept because maxBlockedRecords was reached. */
  droppedBlocked(): number;
  /** Hosts reached so far, with live byte counts. */
  contacted(): ContactedHost[];
  /** Stops listening, closes every client connection and tunnel, removes the socket. */
  close(): Promise<void>;
}

export async function systemResolve(hostname: string): Promise<string[]> {
  const results = await lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => r.address);
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
]);

class ProxyError extends Error {}

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

  /** The three decisions before any byte goes out: host, resolution, addresses. */
  async function route(host: Host, port: number): Promise<{ ok: true; addresses: readonly string[] } | { ok: false; status: number; reason: string; blocked: boolean }> {
    const decision = decideHost(options.policy, host, port);
    if (!decision.allowed) return { ok: false, status: 403, reason: decision.reason, blocked: true };
    let addresses: string[];
    if (host.kind === 'ip') {
      addresses = [host.address];
    } else {
      try {
        addresses = await withTimeout(resolve(host.name), limits.connectTimeoutMs, `resolving ${host.name} timed out`);
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
      if (closing) break;
      try {
        return await connectOne(address, port, limits.connectTimeoutMs, track);
      } catch (err) {
        last = err;
      }
    }
    throw last ?? new ProxyError('the proxy is closing');
  }

  type Refuse = (status: number, host: string, port: number, reason: string, blocked?: boolean) => void;

  /** Decides, resolves and connects, for both kinds of request; refuses and returns undefined when it cannot. */
  async function reach(host: Host, port: number, refuse: Refuse): Promise<Socket | undefined> {
    const asked = formatHost(host);
    const routed = await route(host, port);
    if (!routed.ok) return void refuse(routed.status, asked, port, routed.reason, routed.blocked);
    try {
      return await connectUpstream(routed.addresses, port);
    } catch (err) {
      return void refuse(502, asked, port, `could not connect (${errorCode(err)})`, false);
    }
  }

  // --- absolute-form plain HTTP -------------------------------------------------------

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (overLimit.has(req.socket)) return void req.socket.destroy();
    const method = req.method ?? 'GET';
    res.on('error', () => res.destroy());
    const refuse = (status: number, host: string, port: number, reason: string, blocked = true): void => {
      if (blocked) ledger.block({ host, port, method: printable(method, 20), reason });
      req.resume();
      const body = `safe-package ${blocked ? 'blocked' : 'proxy failed on'} ${printable(method, 20)} ${host}${port ? `:${port}` : ''}: ${reason}\n`;
      if (res.headersSent || res.destroyed) return void res.destroy();
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body);
    };

    const parsed = parseProxyTarget(req.url ?? '', headerValues(req.rawHeaders, 'host'));
    if (!parsed.ok) return refuse(parsed.status, parsed.asked, parsed.port, parsed.reason);
    const { host, port, path } = parsed.target;
    const asked = formatHost(host);
    const methodRefusal = refuseMethod(method, path);
    if (methodRefusal) return refuse(403, asked, port, methodRefusal);

    const upstream = await reach(host, port, refuse);
    if (!upstream) return;
    if (res.destroyed || closing) return void upstream.destroy();
    ledger.contact(asked, port, upstream);
    upstream.setTimeout(limits.idleTimeoutMs, () => upstream.destroy());

    const headers: string[] = ['Host', port === 80 ? asked : formatAuthority(host, port), ...forwardableHeaders(req.rawHeaders)];
    const upReq = httpRequest({ createConnection: () => upstream, method, path, headers, setHost: false });
    const abort = (): void => {
      upReq.destroy();
      upstream.destroy();
      res.destroy();
    };
    upReq.on('error', (err) => {
      upstream.destroy();
      // Before the answer started, the client gets a 502 that says why; after, a cut.
      if (!res.headersSent && !res.destroyed) refuse(502, asked, port, `the upstream failed (${errorCode(err)})`, false);
      else abort();
    });
    upReq.on('response', (upRes) => {
      upRes.on('error', abort);
      upRes.on('close', () => {
        if (!upRes.complete) abort();
      });
      try {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, forwardableHeaders(upRes.rawHeaders));
      } catch (err) {
        upstream.destroy();
        return refuse(502, asked, port, `the upstream sent an unusable response (${errorCode(err)})`, false);
      }
      upRes.pipe(res);
    });
    res.on('close', () => {
      if (!res.writableFinished) abort();
    });
    req.on('error', abort);
    req.pipe(upReq);
  }

  // --- CONNECT tunnels ----------------------------------------------------------------

  async function onConnect(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    if (overLimit.has(client)) return void client.destroy();
    const refuse = (status: number, host: string, port: number, reason: string, blocked = true): void => {
      if (blocked) ledger.block({ host, port, method: 'CONNECT', reason });
      endWith(client, status, `safe-package ${blocked ? 'blocked' : 'proxy failed on'} CONNECT ${host}${port ? `:${port}` : ''}: ${reason}\n`);
    };

    const parsed = parseConnectTarget(req.url ?? '', headerValues(req.rawHeaders, 'host'));
    if (!parsed.ok) return refuse(parsed.status, parsed.asked, parsed.port, parsed.reason);
    const { host, port } = parsed.target;
    const asked = formatHost(host);
    const upstream = await reach(host, port, refuse);
    if (!upstream) return;
    if (client.destroyed || closing) return void upstream.destroy();
    ledger.contact(asked, port, upstream);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    tunnel(client as Socket, upstream, head, host, port);
  }

  function tunnel(client: Socket, upstream: Socket, head: Buffer, host: Host, port: number): void {
    const kill = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    client.setTimeout(limits.idleTimeoutMs, kill);
    upstream.setTimeout(limits.idleTimeoutMs, kill);
    // Nothing more can reach a client that is gone; what the upstream already sent is
    // still flushed to the client after the upstream closes (end, not destroy).
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.end());
    upstream.pipe(client);

    // Hold the client's first bytes until they are known not to be a TLS ClientHello for
    // another host (domain fronting); only then do they reach the upstream.
    const held: Buffer[] = [];
    let heldBytes = 0;
    const release = (): void => {
      client.removeListener('data', onData);
      client.removeListener('end', onEnd);
      if (heldBytes > 0) upstream.write(Buffer.concat(held));
      client.pipe(upstream);
    };
    const refuseTunnel = (reason: string): void => {
      ledger.block({ host: formatHost(host), port, method: 'CONNECT', reason });
      kill();
    };
    const inspect = (): void => {
      const scan = scanClientHello(Buffer.concat(held));
      switch (scan.kind) {
        case 'need-more':
          if (heldBytes > MAX_CLIENT_HELLO + 1024) refuseTunnel('the TLS ClientHello is too large');
          return;
        case 'not-tls':
          return release();
        case 'malformed':
          return refuseTunnel(`the tunnel started with a malformed TLS ClientHello (${scan.reason})`);
        case 'client-hello': {
          if (scan.serverName === undefined) return release();
          const sni = parseHost(scan.serverName);
          if (sni.ok && sni.value.kind === 'name' && sameHost(sni.value, host)) return release();
          return refuseTunnel(`the TLS server name (SNI) "${printable(scan.serverName, 100)}" is not the host of the CONNECT (${formatHost(host)}): domain fronting is refused`);
        }
      }
    };
    const onData = (chunk: Buffer): void => {
      held.push(chunk);
      heldBytes += chunk.length;
      inspect();
    };
    const onEnd = (): void => {
      if (heldBytes === 0) upstream.end();
      else kill();
    };
    client.on('data', onData);
    client.on('end', onEnd);
    if (head.length > 0) onData(head);
  }

  // --- everything else ------------------------------------------------------------------

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch(() => res.destroy());
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onConnect(req, socket, head).catch(() => socket.destroy());
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

class Ledger {
  private readonly blocked = new Map<string, { attempt: Omit<BlockedAttempt, 'count'>; count: number }>();
  dropped = 0;
  private readonly contacted = new Map<string, { host: string; port: number; count: number; bytesIn: number; bytesOut: number; live: Set<Socket> }>();

  constructor(
    private readonly maxBlocked: number,
    private readonly onBlocked: ((attempt: BlockedAttempt) => void) | undefined,
  ) {}

  block(what: { host: string; port: number; method?: string; reason: string }): void {
    const key = JSON.stringify([what.host, what.port, what.method ?? '', what.reason]);
    const seen = this.blocked.get(key);
    let attempt: BlockedAttempt;
    if (seen) {
      seen.count++;
      attempt = { ...seen.attempt, count: seen.count };
    } else {
      const entry = { attempt: { ...what, time: new Date().toISOString() }, count: 1 };
      attempt = { ...entry.attempt, count: 1 };
      if (this.blocked.size < this.maxBlocked) this.blocked.set(key, entry);
      else this.dropped++;
    }
    try {
      this.onBlocked?.(attempt);
    } catch {
      /* a reporting callback must not break the proxy */
    }
  }

  contact(host: string, port: number, upstream: Socket): void {
    const key = `${host}:${port}`;
    let entry = this.contacted.get(key);
    if (!entry) {
      entry = { host, port, count: 0, bytesIn: 0, bytesOut: 0, live: new Set() };
      this.contacted.set(key, entry);
    }
    const e = entry;
    e.count++;
    e.live.add(upstream);
    upstream.once('close', () => {
      e.live.delete(upstream);
      e.bytesIn += upstream.bytesRead;
      e.bytesOut += upstream.bytesWritten;
    });
  }

  blockedList(): BlockedAttempt[] {
    return [...this.blocked.values()].map((b) => ({ ...b.attempt, count: b.count }));
  }

  contactedList(): ContactedHost[] {
    return [...this.contacted.values()].map((e) => {
      let bytesIn = e.bytesIn;
      let bytesOut = e.bytesOut;
      for (const s of e.live) {
        bytesIn += s.bytesRead;
        bytesOut += s.bytesWritten;
      }
      return { host: e.host, port: e.port, count: e.count, bytesIn, bytesOut };
    });
  }
}

function connectOne(address: string, port: number, timeoutMs: number, track: (s: Socket) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({
      host: address,
      port,
      noDelay: true,
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

/** Answers with a short plain-text HTTP response and closes, whatever the client does. */
function endWith(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  const text = STATUS_CODES[status] ?? 'Error';
  socket.on('error', () => socket.destroy());
  // Read and discard what the client still sends, so closing does not turn into a reset
  // that loses the answer; give up on clients that never close their end.
  socket.resume();
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 2_000).unref();
}

function headerValues(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

/** rawHeaders minus hop-by-hop headers (and those the Connection header names). */
function forwardableHeaders(raw: readonly string[]): string[] {
  const named = new Set(
    headerValues(raw, 'connection')
      .flatMap((v) => v.split(','))
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(key) || named.has(key)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
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

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProxyError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorCode(err: unknown): string {
  if (err instanceof ProxyError) return err.message;
  const e = err as NodeJS.ErrnoException | undefined;
  return printable(e?.code ?? e?.message ?? String(err), 80);
}

