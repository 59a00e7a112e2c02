// Sinks on the host: everywhere an install script could send a secret to. Each records
// what arrives, with a timestamp, so that a run (the attacks run one at a time) owns
// exactly the events between its start and its end.
//
//   http      HTTP server on 127.0.0.1 (also serves the "second stage" script)
//   tcp       raw TCP on 127.0.0.1
//   udp       UDP "DNS" listener on 127.0.0.1
//   unix      a Unix socket in /tmp, mode 777 (an X11- or D-Bus-like socket)
//   abstract  an abstract Unix socket (no file at all; per network namespace)
//   ssh-agent a fake ssh-agent the install finds through SSH_AUTH_SOCK

import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { join } from 'node:path';

export type SinkName = 'http' | 'tcp' | 'udp' | 'unix' | 'abstract' | 'ssh-agent';

export interface SinkEvent {
  readonly sink: SinkName;
  readonly at: number;
  /** What arrived (for streams: everything until the peer closed, or until now). */
  readonly chunks: Buffer[];
}

export interface SinkAddresses {
  readonly http: number;
  readonly tcp: number;
  readonly udp: number;
  readonly unixPath: string;
  readonly abstractName: string;
  readonly agentSocket: string;
}

export interface SinkOptions {
  /** The fixture user: owns the fake agent's socket, as a real agent's would be. */
  readonly user: { readonly uid: number; readonly gid: number };
  /** Random per run; unique names for the Unix sockets. */
  readonly id: string;
  /** Put in the second-stage script the HTTP sink serves; only running that script sends it back. */
  readonly stage2Marker: string;
  /** The comment of the one key the fake agent lists. */
  readonly agentKeyComment: string;
}

function listen(server: NetServer | HttpServer, arg: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(arg, () => resolve());
  });
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function agentMessage(type: number, body: Buffer): Buffer {
  return sshString(Buffer.concat([Buffer.from([type]), body]));
}

/** SSH2_AGENT_IDENTITIES_ANSWER with one ed25519 key whose comment is given. Pure. */
export function identitiesAnswer(comment: string): Buffer {
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(Buffer.alloc(32, 7))]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  return agentMessage(12, Buffer.concat([count, sshString(blob), sshString(Buffer.from(comment))]));
}

export class Sinks {
  readonly events: SinkEvent[] = [];
  private readonly servers: Array<NetServer | HttpServer> = [];
  private udp?: UdpSocket;
  private readonly sockets = new Set<Socket>();
  private agentDir = '';
  addresses!: SinkAddresses;

  private constructor(private readonly options: SinkOptions) {}

  static async start(options: SinkOptions): Promise<Sinks> {
    const sinks = new Sinks(options);
    await sinks.open();
    return sinks;
  }

  /** Events that arrived at or after `since`. */
  since(since: number): SinkEvent[] {
    return this.events.filter((e) => e.at >= since);
  }

  private record(sink: SinkName, data?: Buffer): SinkEvent {
    const event: SinkEvent = { sink, at: Date.now(), chunks: data ? [data] : [] };
    this.events.push(event);
    return event;
  }

  private streamSink(sink: SinkName): NetServer {
    const server = createNetServer((socket) => {
      this.sockets.add(socket);
      const event = this.record(sink);
      socket.on('data', (d) => event.chunks.push(d));
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('end', () => socket.end());
    });
    this.servers.push(server);
    return server;
  }

  private async open(): Promise<void> {
    const { id, user } = this.options;

    const http = createHttpServer((req, res) => {
      const event = this.record('http', Buffer.from(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n\n`));
      req.on('data', (d: Buffer) => event.chunks.push(d));
      req.on('end', () => {
        if (req.method === 'GET' && req.url === '/stage2.sh') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(this.stage2Script());
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok\n');
        }
      });
    });
    http.keepAliveTimeout = 100;
    this.servers.push(http);
    await listen(http, { port: 0, host: '127.0.0.1' });

    const tcp = this.streamSink('tcp');
    await listen(tcp, { port: 0, host: '127.0.0.1' });

    const unixPath = `/tmp/sp-sink-${id}.sock`;
    rmSync(unixPath, { force: true });
    const unix = this.streamSink('unix');
    await listen(unix, { path: unixPath });
    chmodSync(unixPath, 0o777);

    const abstractName = `sp-sink-${id}`;
    const abstract = this.streamSink('abstract');
    await listen(abstract, { path: '\0' + abstractName });

    this.udp = createSocket('udp4');
    this.udp.on('message', (msg) => this.record('udp', msg));
    await new Promise<void>((resolve, reject) => {
      this.udp!.once('error', reject);
      this.udp!.bind(0, '127.0.0.1', () => resolve());
    });

    // The fake ssh-agent, where a real one puts its socket: /tmp/ssh-XXXX/agent.<pid>,
    // the directory 700 and the socket 600, both the user's.
    this.agentDir = mkdtempSync('/tmp/ssh-');
    const agentSocket = join(this.agentDir, `agent.${process.pid}`);
    const agent = createNetServer((socket) => {
      this.sockets.add(socket);
      const event = this.record('ssh-agent');
      let buf = Buffer.alloc(0);
      socket.on('data', (d) => {
        event.chunks.push(d);
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
          const type = buf[4];
          buf = buf.subarray(4 + buf.readUInt32BE(0));
          socket.write(type === 11 ? identitiesAnswer(this.options.agentKeyComment) : agentMessage(5, Buffer.alloc(0)));
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.servers.push(agent);
    await listen(agent, { path: agentSocket });
    chownSync(this.agentDir, user.uid, user.gid);
    chmodSync(this.agentDir, 0o700);
    chownSync(agentSocket, user.uid, user.gid);
    chmodSync(agentSocket, 0o600);

    this.addresses = {
      http: (http.address() as AddressInfo).port,
      tcp: (tcp.address() as AddressInfo).port,
      udp: this.udp.address().port,
      unixPath,
      abstractName,
      agentSocket,
    };
  }

  private stage2Script(): string {
    const port = this.addresses.http;
    return [
      '#!/bin/sh',
      '# the second stage: report that it ran',
      `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}/stage2-ran', data=b'${this.options.stage2Marker}', timeout=3)"`,
      '',
    ].join('\n');
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.udp?.close();
    rmSync(this.addresses?.unixPath ?? '/nonexistent', { force: true });
    if (this.agentDir) rmSync(this.agentDir, { recursive: true, force: true });
  }
}

/** Where in the events a marker shows up ("http: POST /exfil/x"). Pure. */
export function sightings(events: readonly SinkEvent[], markers: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const data = Buffer.concat(e.chunks);
    const hit = markers.find((m) => m.length > 0 && data.includes(m));
    if (hit === undefined) continue;
    const first = data.toString('latin1').split('\n')[0]!.slice(0, 60);
    out.push(`${e.sink}${e.sink === 'http' ? `: ${first}` : ''}`);
  }
  return [...new Set(out)];
}
