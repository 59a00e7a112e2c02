// What a request to the proxy asks for: the target of `CONNECT host:port` or of
// `GET http://host:port/path`, cross-checked against its Host header.
//
// Allowlist confusion is refused here, before any rule is consulted: user information
// (`http://allowed.host@evil.com/`), a Host header that names another host than the
// request line (one of them would be checked, the other believed by the upstream), more
// than one Host header, and anything the URL host parser would read differently from a
// resolver.

import { formatAuthority, formatHost, parseAuthority, printable, sameHost, type Host } from './host.js';

export interface Target {
  readonly host: Host;
  readonly port: number;
}

export interface HttpTarget extends Target {
  /** origin-form path and query to send upstream (`/pkg?x=1`), as the client wrote it. */
  readonly path: string;
}

export type TargetResult<T> =
  | { readonly ok: true; readonly target: T }
  | {
      readonly ok: false;
      readonly status: 400 | 403;
      readonly reason: string;
      /** Best-effort description of what was asked for, printable, for the record. */
      readonly asked: string;
      readonly port: number;
    };

function refuse<T>(status: 400 | 403, reason: string, asked: string, port = 0): TargetResult<T> {
  return { ok: false, status, reason, asked: printable(asked), port };
}

/** `CONNECT host:port`: the port is required; hostHeaders are every Host header value. */
export function parseConnectTarget(authority: string, hostHeaders: readonly string[]): TargetResult<Target> {
  if (authority.includes('@')) return refuseUserinfo('user information ("user@") in a CONNECT target is refused', authority);
  const parsed = parseAuthority(authority);
  if (!parsed.ok) return refuse(400, `bad CONNECT target: ${parsed.error}`, withoutPort(authority), portGuess(authority));
  const target = parsed.value;
  // Only the request line decides where a tunnel goes; the Host header must agree with it
  // (host, and port when it has one: Python's http.client sends none).
  const mismatch = checkHostHeader(target, hostHeaders, target.port);
  if (mismatch) return refuse(mismatch.status, mismatch.reason, formatHost(target.host), target.port);
  return { ok: true, target };
}

/**
 * Absolute-form `http://host[:port]/path?query`. Origin-form (`/path`, a client that does
 * not know it talks to a proxy) and other schemes are refused: HTTPS goes through CONNECT.
 */
export function parseProxyTarget(url: string, hostHeaders: readonly string[]): TargetResult<HttpTarget> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!scheme) {
    return refuse(400, 'this is a proxy: send absolute-form requests (GET http://host/path) or CONNECT host:port', url.startsWith('/') ? (hostHeaders[0] ?? url) : url);
  }
  const rest = url.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  let path = end < 0 ? '/' : rest.slice(end);
  if (scheme[1]!.toLowerCase() !== 'http') {
    return refuse(400, `${scheme[1]}:// is not proxied as a plain request; HTTPS goes through CONNECT`, authority);
  }
  if (authority.includes('@')) return refuseUserinfo('user information ("user@") in a URL is refused', authority, 80);
  const parsed = parseAuthority(authority, 80);
  if (!parsed.ok) return refuse(400, `bad URL host: ${parsed.error}`, withoutPort(authority), portGuess(authority, 80));
  const { host, port } = parsed.value;
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (path.startsWith('?')) path = `/${path}`;
  if (path === '') path = '/';
  const target = { host, port, path };
  const mismatch = checkHostHeader(target, hostHeaders, 80);
  if (mismatch) return refuse(mismatch.status, mismatch.reason, formatHost(host), port);
  return { ok: true, target };
}

function checkHostHeader(target: Target, hostHeaders: readonly string[], defaultPort: number): { status: 400 | 403; reason: string } | undefined {
  if (hostHeaders.length === 0) return undefined;
  if (hostHeaders.length > 1) return { status: 400, reason: 'more than one Host header' };
  const header = parseAuthority(hostHeaders[0]!.trim(), defaultPort);
  if (!header.ok) return { status: 400, reason: `bad Host header: ${header.error}` };
  if (!sameHost(header.value.host, target.host) || header.value.port !== target.port) {
    return {
      status: 403,
      reason: `the Host header (${printable(hostHeaders[0]!, 100)}) names another host than the request (${formatAuthority(target.host, target.port)})`,
    };
  }
  return undefined;
}

// `allowed.host@evil.com` is recorded under the host a URL parser would actually connect
// to: the part after the last '@'.
function refuseUserinfo<T>(reason: string, authority: string, defaultPort?: number): TargetResult<T> {
  const real = authority.slice(authority.lastIndexOf('@') + 1);
  const parsed = parseAuthority(real, defaultPort);
  if (parsed.ok) return refuse(403, reason, formatHost(parsed.value.host), parsed.value.port);
  return refuse(403, reason, withoutPort(real), portGuess(real, defaultPort));
}

/** For the record of an authority that did not parse: the port goes in its own field. */
function withoutPort(authority: string): string {
  return authority.replace(/:[0-9]{1,5}$/, '');
}

function portGuess(authority: string, fallback = 0): number {
  const m = /:([0-9]{1,5})$/.exec(authority);
  const n = m ? Number(m[1]) : fallback;
  return n >= 0 && n <= 65535 ? n : 0;
}
