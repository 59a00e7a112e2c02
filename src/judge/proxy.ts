// The user's proxy for the judgement's own requests (outside the jail): the same settings
// npm reads — `https-proxy` / `proxy` and `noproxy` in the npmrc, npm_config_https_proxy /
// npm_config_proxy, then HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case) — so a machine
// that can reach its registry only through a proxy can be judged too. Deciding is pure;
// opening the tunnel is the one edge.
//
// Every request goes through a CONNECT tunnel, http and https alike: one path, and the
// proxy relays bytes without reading the request (the Authorization header for the
// registry stays between safe-package and the registry on https). Credentials in the
// proxy URL become a Proxy-Authorization header on the CONNECT only.

import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { NpmrcLine } from '../profiles/npmrc.js';

export interface ProxySettings {
  readonly http?: string;
  readonly https?: string;
  /** Host names (or `.suffix`) and `*` that bypass the proxy. */
  readonly noProxy: readonly string[];
}

const envGet = (env: Readonly<Record<string, string | undefined>>, ...names: string[]) => {
  for (const n of names) for (const [k, v] of Object.entries(env)) if (k.toLowerCase() === n.toLowerCase() && v) return v;
  return undefined;
};

/** The proxy settings from npmrc lines (later wins) and the environment (npm's variables over the generic ones). Pure. */
export function proxySettings(lines: readonly NpmrcLine[], env: Readonly<Record<string, string | undefined>>): ProxySettings {
  let https: string | undefined;
  let http: string | undefined;
  let noProxy: string | undefined;
  for (const { key, value } of lines) {
    const k = key.toLowerCase();
    if (k === 'https-proxy') https = value;
    else if (k === 'proxy') http = value;
    else if (k === 'noproxy' || k === 'no-proxy') noProxy = value;
  }
  https = envGet(env, 'npm_config_https_proxy') ?? https ?? envGet(env, 'HTTPS_PROXY');
  http = envGet(env, 'npm_config_proxy') ?? http ?? envGet(env, 'HTTP_PROXY');
  noProxy = envGet(env, 'npm_config_noproxy') ?? noProxy ?? envGet(env, 'NO_PROXY');
  return {
    // npm: https-proxy for https registries, falling back to proxy.
    ...(https ?? http ? { https: (https ?? http)! } : {}),
    ...(http ? { http } : {}),
    noProxy: (noProxy ?? '').split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean),
  };
}

/** The proxy for one URL, or undefined for a direct connection. Pure. */
export function proxyFor(settings: ProxySettings | undefined, url: URL): URL | undefined {
  if (!settings) return undefined;
  const raw = url.protocol === 'https:' ? settings.https : settings.http;
  if (!raw) return undefined;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  for (const n of settings.noProxy) {
    if (n === '*') return undefined;
    const bare = n.replace(/^\*?\./, '').replace(/:\d+$/, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    return undefined;
  }
}

/** A CONNECT tunnel through `proxy` to the URL's host and port. */
export function openTunnel(proxy: URL, target: URL, timeoutMs: number): Promise<Socket> {
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const authority = `${target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.username || proxy.password) headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: proxy.hostname.replace(/^\[|\]$/g, ''), port: proxy.port || 80, method: 'CONNECT', path: authority, headers, timeout: timeoutMs });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`the proxy ${proxy.host} answered HTTP ${res.statusCode} to CONNECT ${authority}`));
        return;
      }
      resolve(socket);
    });
    req.on('timeout', () => req.destroy(new Error(`the proxy ${proxy.host} did not answer within ${Math.round(timeoutMs / 1000)}s`)));
    req.on('error', (e) => reject(new Error(`the proxy ${proxy.host}: ${e.message}`)));
    req.end();
  });
}
