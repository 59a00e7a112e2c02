// HTTP for the judgement, from safe-package's own process (outside the jail): JSON GETs
// and POSTs to the user's registry with the user's credentials. The Authorization header
// is the only place a credential goes: never a URL, a message or a log line.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { RegistryConfig } from './registry.js';
import { authFor, shownUrl } from './registry.js';
import { openTunnel, proxyFor } from './proxy.js';
import { connect as tlsConnect } from 'node:tls';

export interface HttpAnswer {
  readonly status: number;
  readonly body: Buffer;
}

export interface RequestOptions {
  readonly method: 'GET' | 'POST';
  readonly body?: unknown;
  readonly config: RegistryConfig;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** The Accept header (JSON unless said: a PEP 691 index wants its own media type). */
  readonly accept?: string;
}

export class HttpError extends Error {}

let caCache: { path: string; ca: Buffer | undefined } | undefined;
function caOf(config: RegistryConfig): Buffer | undefined {
  if (!config.cafile) return undefined;
  if (caCache?.path !== config.cafile) {
    let ca: Buffer | undefined;
    try {
      ca = readFileSync(config.cafile);
    } catch {
      ca = undefined;
    }
    caCache = { path: config.cafile, ca };
  }
  return caCache.ca;
}

async function once(url: URL, o: RequestOptions, auth: string | undefined): Promise<{ res: IncomingMessage; body: Buffer }> {
  const proxy = proxyFor(o.config.proxy, url);
  const tunnel = proxy ? await openTunnel(proxy, url, o.timeoutMs ?? 30_000) : undefined;
  return onceOver(url, o, auth, tunnel);
}

function onceOver(url: URL, o: RequestOptions, auth: string | undefined, tunnel: import('node:net').Socket | undefined): Promise<{ res: IncomingMessage; body: Buffer }> {
  const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
  const headers: Record<string, string> = { accept: o.accept ?? 'application/json', 'accept-encoding': 'gzip', 'user-agent': 'safe-package (judgement)' };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (auth) headers.authorization = auth;
  const max = o.maxBytes ?? 128 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    const ca = isHttps ? caOf(o.config) : undefined;
    const req = (isHttps ? httpsRequest : httpRequest)(
      url,
      {
        method: o.method,
        headers,
        timeout: o.timeoutMs ?? 30_000,
        ...(isHttps ? { ...(ca ? { ca } : {}), rejectUnauthorized: !o.config.insecure } : {}),
        // Through the user's proxy: the request rides the CONNECT tunnel (TLS inside it for https).
        ...(tunnel
          ? {
              agent: false,
              createConnection: () =>
                isHttps ? tlsConnect({ socket: tunnel, servername: url.hostname, ...(ca ? { ca } : {}), rejectUnauthorized: !o.config.insecure }) : tunnel,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) {
            req.destroy(new HttpError(`the answer is larger than ${max} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          let body = Buffer.concat(chunks);
          try {
            if (/gzip/i.test(String(res.headers['content-encoding'] ?? ''))) body = gunzipSync(body);
          } catch (err) {
            reject(new HttpError(`cannot decompress the answer: ${(err as Error).message}`));
            return;
          }
          resolve({ res, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new HttpError(`no answer within ${Math.round((o.timeoutMs ?? 30_000) / 1000)}s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** One request, following up to 3 redirects (credentials only to the host they are for). */
export async function requestJson(url: string, o: RequestOptions): Promise<HttpAnswer> {
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    let answer;
    try {
      answer = await once(target, o, authFor(o.config, target.href));
    } catch (err) {
      throw new HttpError(`${o.method} ${shownUrl(target.href)}: ${(err as Error).message}`);
    }
    const { res, body } = answer;
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location && hop < 3) {
      target = new URL(res.headers.location, target);
      continue;
    }
    return { status, body };
  }
}

/** Runs `work` over `items` with at most `limit` at once, results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return out;
}
