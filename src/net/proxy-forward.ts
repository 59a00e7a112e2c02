// Plain HTTP through the proxy: an absolute-form request (`GET http://host/p`) is checked
// (target, method, host, addresses) and forwarded on a fresh upstream connection, with the
// hop-by-hop headers of both sides removed.

import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { formatAuthority, formatHost, printable } from './host.js';
import { refuseMethod } from './method-policy.js';
import { parseProxyTarget } from './request-target.js';
import { headerValues } from './proxy-answer.js';
import type { Ledger } from './proxy-ledger.js';
import type { ProxyLimits } from './proxy-limits.js';
import { errorCode, type Reach } from './proxy-upstream.js';

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

export interface ForwardContext {
  readonly limits: ProxyLimits;
  readonly ledger: Ledger;
  readonly reach: Reach;
  readonly closing: () => boolean;
}

export async function forwardRequest(cx: ForwardContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { ledger, limits } = cx;
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

  const upstream = await cx.reach(host, port, refuse);
  if (!upstream) return;
  if (res.destroyed || cx.closing()) return void upstream.destroy();
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

/** rawHeaders minus hop-by-hop headers (and those the Connection header names). */
export function forwardableHeaders(raw: readonly string[]): string[] {
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
