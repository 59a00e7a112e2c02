// Real servers and clients on loopback for the proxy's integration tests (support module).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { receiveHandover } from '../../../src/net/bridge-handover.js';

export const BRIDGE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../../src/net/jail-bridge.js');

export function tempDir(prefix = 'sp-net-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server | ReturnType<typeof createHttpServer>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as ReturnType<typeof createHttpServer>).closeAllConnections?.();
  });
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly host: string | undefined;
  readonly body: string;
}

/** A plain HTTP upstream that answers every request and remembers it. */
export async function startHttpUpstream(): Promise<{ port: number; seen: SeenRequest[]; close: () => Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = createHttpServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, body });
      if (req.url?.startsWith('/bytes/')) {
        const n = Number(req.url.slice('/bytes/'.length));
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
        streamBytes(res, n);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`upstream says hello to ${req.method} ${req.url}\n`);
    });
  });
  const port = await listen(server);
  return { port, seen, close: () => closeServer(server) };
}

const CHUNK = Buffer.alloc(256 * 1024, 0x61);

/** Writes n bytes to a writable with backpressure, then ends it. */
export function streamBytes(out: NodeJS.WritableStream, n: number): void {
  let left = n;
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= piece.length;
      if (!out.write(piece)) return void out.once('drain', pump);
    }
    out.end();
  };
  pump();
}

/** A TCP service standing in for an HTTPS server: echoes, and counts what it received. */
export async function startEcho(): Promise<{ port: number; received: () => number; connections: () => number; open: () => number; close: () => Promise<void> }> {
  let received = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.on('data', (d: Buffer) => {
      received += d.length;
      s.write(d);
    });
    s.on('end', () => s.end());
  });
  const port = await listen(server);
  return {
    port,
    received: () => received,
    connections: () => connections,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}

/**
 * A UDP "DNS server" on loopback: records every query name; answers A records for the
 * names in `answers`, NXDOMAIN otherwise.
 */
export async function startFakeDns(answers: Record<string, string>): Promise<{ port: number; queries: string[]; resolver: (name: string) => Promise<string[]>; close: () => Promise<void> }> {
  const queries: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const q = readQuestion(msg);
    if (!q) return;
    queries.push(q.name);
    const address = answers[q.name.toLowerCase()];
    const header = Buffer.from(msg.subarray(0, 12));
    header.writeUInt16BE(address && q.type === 1 ? 0x8180 : address ? 0x8180 : 0x8183, 2);
    header.writeUInt16BE(1, 4);
    const answer = address && q.type === 1 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, ...address.split('.').map(Number)]) : Buffer.alloc(0);
    header.writeUInt16BE(answer.length > 0 ? 1 : 0, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    socket.send(Buffer.concat([header, msg.subarray(12, q.end), answer]), rinfo.port, rinfo.address);
  });
  const port = await new Promise<number>((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)));
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  return {
    port,
    queries,
    resolver: (name) => r.resolve4(name),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function readQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let at = 12;
  while (at < msg.length) {
    const len = msg[at]!;
    if (len === 0) break;
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('latin1'));
    at += 1 + len;
  }
  if (at + 5 > msg.length) return undefined;
  return { name: labels.join('.'), type: msg.readUInt16BE(at + 1), end: at + 5 };
}

/** Sends raw bytes to the proxy's Unix socket and returns everything it answers. */
export function rawExchange(path: string, text: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ path });
    let out = '';
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('connect', () => s.write(text));
  });
}

/** Opens a CONNECT tunnel over a Unix socket or a TCP port; resolves once 200 arrived. */
export function openTunnel(via: { path: string } | { port: number }, authority: string, extraHeaders = ''): Promise<{ socket: Socket; status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const s = 'path' in via ? connect({ path: via.path }) : connect({ port: via.port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.removeListener('data', onData);
      s.pause();
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      if (rest.length > 0) s.unshift(rest);
      resolve({ socket: s, status: Number(head.split(' ')[1]), head: buf.toString('latin1') });
    };
    s.on('data', onData);
    s.on('error', reject);
    s.on('connect', () => s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${extraHeaders}\r\n`));
  });
}

export function once<T = unknown>(emitter: NodeJS.EventEmitter, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
    emitter.once(event, (v: T) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

export async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await closeServer(s);
  return port;
}

/** Starts jail-bridge.js as a child on a free loopback port; resolves after "ready\n". */
/**
 * Starts the bridge on a free port. With `adopt`, as safe-package's sandbox backend does:
 * with an IPC channel, over which it hands each connection to `adopt` (the proxy's).
 * Without, it carries connections to the proxy's Unix socket.
 */
export async function startBridge(
  socketPath: string,
  script = BRIDGE_SCRIPT,
  adopt?: (socket: Socket) => void,
  /** The native bridge (dist/native/sp-bridge-<arch>) instead of node with `script`. */
  program?: string,
): Promise<{ port: number; child: ChildProcessWithoutNullStreams; stdout: () => string; exited: Promise<number | null> }> {
  const port = await freePort();
  const [file, args] = program ? [program, ['bridge', socketPath, String(port)]] : [process.execPath, [script, socketPath, String(port)]];
  const child = spawn(file, args, { stdio: adopt ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
  if (adopt) child.on('message', (message, handle) => receiveHandover(message, handle, adopt));
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bridge exited early (${code})`)));
  });
  return { port, child, stdout: () => stdout, exited };
}

export interface CurlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function curl(args: string[], timeoutMs = 15_000): Promise<CurlResult> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
