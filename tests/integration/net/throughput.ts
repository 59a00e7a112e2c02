// Throughput through the jail's network path, for the benchmark (support module; also a
// script: `node dist/tests/integration/net/throughput.js [MiB]`).
//
// Measures a download of `bytes` from a loopback server: direct TCP, a CONNECT tunnel
// through bridge + proxy (how HTTPS registries are reached), and a plain-HTTP GET through
// bridge + proxy (how a local http:// registry is reached). The bridge hands each
// connection to the proxy as the sandbox backend's does; the "+socket" paths are the
// bridge's fallback, carrying bytes over the proxy's Unix socket.

import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseHostRules } from '../../../src/net/host-rule.js';
import { startProxy } from '../../../src/net/proxy.js';
import { startBridge, startHttpUpstream, streamBytes, tempDir } from './fixtures.js';

export interface Throughput {
  readonly path: 'direct TCP' | 'CONNECT via bridge+proxy' | 'HTTP GET via bridge+proxy' | 'CONNECT via bridge+socket+proxy' | 'HTTP GET via bridge+socket+proxy';
  readonly bytes: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
}

export async function measureThroughput(bytes: number): Promise<Throughput[]> {
  const dir = tempDir('sp-bench-');
  const source = createServer((s) => {
    s.on('error', () => s.destroy());
    streamBytes(s, bytes);
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  const sourcePort = (source.address() as AddressInfo).port;
  const http = await startHttpUpstream();
  const socketPath = join(dir.path, 'proxy.sock');
  const proxy = await startProxy({ socketPath, policy: { allow: parseHostRules([`127.0.0.1:${sourcePort}`, `127.0.0.1:${http.port}`]) } });
  const bridge = await startBridge(socketPath, undefined, (s) => proxy.adopt(s));
  const carrier = await startBridge(socketPath);
  try {
    const results: Throughput[] = [];
    const record = (path: Throughput['path'], seconds: number, got: number): void => {
      if (got !== bytes) throw new Error(`${path}: received ${got} of ${bytes} bytes`);
      results.push({ path, bytes, seconds, mibPerSecond: bytes / 1048576 / seconds });
    };
    const timed = async (path: Throughput['path'], socket: () => Socket, request: string): Promise<void> => {
      const start = process.hrtime.bigint();
      const got = await download(socket(), request);
      record(path, seconds(start), got);
    };
    const viaBridge = (): Socket => connect({ port: bridge.port, host: '127.0.0.1' });
    await timed('direct TCP', () => connect({ port: sourcePort, host: '127.0.0.1' }), '');
    await timed('CONNECT via bridge+proxy', viaBridge, `CONNECT 127.0.0.1:${sourcePort} HTTP/1.1\r\n\r\n`);
    await timed('HTTP GET via bridge+proxy', viaBridge, `GET http://127.0.0.1:${http.port}/bytes/${bytes} HTTP/1.1\r\nConnection: close\r\n\r\n`);
    const viaCarrier = (): Socket => connect({ port: carrier.port, host: '127.0.0.1' });
    await timed('CONNECT via bridge+socket+proxy', viaCarrier, `CONNECT 127.0.0.1:${sourcePort} HTTP/1.1\r\n\r\n`);
    await timed('HTTP GET via bridge+socket+proxy', viaCarrier, `GET http://127.0.0.1:${http.port}/bytes/${bytes} HTTP/1.1\r\nConnection: close\r\n\r\n`);
    return results;
  } finally {
    for (const b of [bridge, carrier]) {
      b.child.stdin.end();
      b.child.disconnect?.();
      await b.exited;
    }
    await proxy.close();
    await http.close();
    await new Promise((resolve) => source.close(resolve));
    dir.remove();
  }
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Sends `request` (if any), skips one response head when a request was sent, counts the rest. */
function download(socket: Socket, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let head = request !== '';
    let pending = Buffer.alloc(0);
    let count = 0;
    socket.on('connect', () => request && socket.write(request));
    socket.on('data', (d: Buffer) => {
      if (!head) {
        count += d.length;
        return;
      }
      pending = Buffer.concat([pending, d]);
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      head = false;
      count += pending.length - end - 4;
      pending = Buffer.alloc(0);
      // A CONNECT tunnel stays open after the download: the source ending is the signal.
    });
    socket.on('end', () => {
      socket.end();
      resolve(count);
    });
    socket.on('error', reject);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mib = Number(process.argv[2] ?? 200);
  for (const r of await measureThroughput(mib * 1048576)) {
    process.stdout.write(`${r.path.padEnd(34)} ${(r.bytes / 1048576).toFixed(0)} MiB in ${r.seconds.toFixed(3)} s = ${r.mibPerSecond.toFixed(0)} MiB/s\n`);
  }
}
