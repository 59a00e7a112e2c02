// CONNECT tunnels through the proxy: the target is checked and connected, then the
// client's first bytes are held until they are known not to be a TLS ClientHello for
// another host (domain fronting); only then are bytes carried both ways, untouched.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatHost, parseHost, printable, sameHost, type Host } from './host.js';
import { parseConnectTarget } from './request-target.js';
import { MAX_CLIENT_HELLO, scanClientHello } from './tls-client-hello.js';
import { endWith, headerValues } from './proxy-answer.js';
import type { ForwardContext } from './proxy-forward.js';
import type { Ledger } from './proxy-ledger.js';
import type { ProxyLimits } from './proxy-limits.js';

export type TunnelContext = ForwardContext;

export async function openTunnel(cx: TunnelContext, req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
  const { ledger } = cx;
  client.on('error', () => client.destroy());
  const refuse = (status: number, host: string, port: number, reason: string, blocked = true): void => {
    if (blocked) ledger.block({ host, port, method: 'CONNECT', reason });
    endWith(client, status, `safe-package ${blocked ? 'blocked' : 'proxy failed on'} CONNECT ${host}${port ? `:${port}` : ''}: ${reason}\n`);
  };

  const parsed = parseConnectTarget(req.url ?? '', headerValues(req.rawHeaders, 'host'));
  if (!parsed.ok) return refuse(parsed.status, parsed.asked, parsed.port, parsed.reason);
  const { host, port } = parsed.target;
  const asked = formatHost(host);
  const upstream = await cx.reach(host, port, refuse);
  if (!upstream) return;
  if (client.destroyed || cx.closing()) return void upstream.destroy();
  ledger.contact(asked, port, upstream);
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  tunnel(cx.limits, ledger, client as Socket, upstream, head, host, port);
}

function tunnel(limits: ProxyLimits, ledger: Ledger, client: Socket, upstream: Socket, head: Buffer, host: Host, port: number): void {
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
