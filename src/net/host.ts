// Host names, IP literals and authorities (`host:port`), normalised one way for rules and
// requests alike.
//
// An allowlist is only as good as the agreement between the string that is checked and
// the place that is connected to. Every host — from an `--allow-host` rule, a CONNECT
// authority, an absolute-form URL or a Host header — goes through parseHost, which uses
// the WHATWG URL host parser (Node's `URL`): `2130706433`, `0x7f.1` and `0177.0.0.1` all
// become the address 127.0.0.1, `Bücher.Example.` becomes `xn--bcher-kva.example`, and a
// string the parser would read differently from a resolver (percent escapes, userinfo,
// stray colons) is refused outright.

import { isIPv4, isIPv6 } from 'node:net';
import { clipped } from '../util/untrusted-text.js';

export type Host =
  /** A DNS name: lower case, punycode, no trailing dot. */
  | { readonly kind: 'name'; readonly name: string }
  /** An IP address in canonical form (`127.0.0.1`, `::ffff:7f00:1`), without brackets. */
  | { readonly kind: 'ip'; readonly address: string; readonly family: 4 | 6 };

export interface Authority {
  readonly host: Host;
  readonly port: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

// '@' is userinfo (`allowed.host@evil.com`), '%' would be decoded by the URL parser into
// something else than what a reader sees, '/', '\', '?', '#' end a host in a URL. None of
// them belongs in a host name, so a host containing one is refused rather than "fixed".
const FORBIDDEN_IN_HOST = /[\u0000-\u0020\u007f@%/\\?#]/;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Parses a host as it appears in a URL authority: a name, an IPv4 literal, or `[IPv6]`. */
export function parseHost(raw: string): Parsed<Host> {
  if (raw.length === 0) return fail('the host is empty');
  if (raw.length > 255) return fail('the host is longer than 255 characters');
  if (FORBIDDEN_IN_HOST.test(raw)) {
    return fail(raw.includes('@') ? 'user information ("user@") is not allowed in a host' : 'the host contains a character that is not allowed in a host name');
  }
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']')) return fail('an IPv6 address must be closed with "]"');
    const inner = raw.slice(1, -1);
    if (!isIPv6(inner)) return fail(`"${inner}" is not an IPv6 address`);
    const canonical = urlHostname(raw);
    if (canonical === undefined) return fail(`"${inner}" is not an IPv6 address`);
    return ok({ kind: 'ip', address: canonical.slice(1, -1), family: 6 });
  }
  if (raw.includes(':') || raw.includes(']')) {
    return fail(isIPv6(raw) ? 'an IPv6 address must be written in brackets, e.g. [::1]:443' : 'the host contains ":" (a port belongs after the host, e.g. host:443)');
  }
  const hostname = urlHostname(raw);
  if (hostname === undefined) return fail('not a valid host name or IP address');
  // The URL parser reads any host whose last label is a number as IPv4 (decimal, octal,
  // hex, shortened forms): the result is then an address, whatever it looked like.
  if (isIPv4(hostname)) return ok({ kind: 'ip', address: hostname, family: 4 });
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length === 0 || name.length > 253) return fail('not a valid host name');
  for (const label of name.split('.')) {
    if (!LABEL.test(label)) return fail(label === '' ? 'the host name has an empty label ("..")' : `"${label}" is not a valid label of a host name`);
  }
  return ok({ kind: 'name', name });
}

function urlHostname(raw: string): string | undefined {
  try {
    return new URL(`http://${raw}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Parses `host:port` (or `host` when defaultPort is given). The port is 1-65535, digits
 * only. IPv6 needs brackets: `[::1]:443`.
 */
export function parseAuthority(raw: string, defaultPort?: number): Parsed<Authority> {
  let hostPart: string;
  let portPart: string | undefined;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close < 0) return fail('an IPv6 address must be closed with "]"');
    hostPart = raw.slice(0, close + 1);
    const rest = raw.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return fail('unexpected text after "]"');
      portPart = rest.slice(1);
    }
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon >= 0 && raw.indexOf(':') !== colon) {
      return fail(isIPv6(raw) ? 'an IPv6 address must be written in brackets, e.g. [::1]:443' : 'too many ":" in host:port');
    }
    hostPart = colon >= 0 ? raw.slice(0, colon) : raw;
    portPart = colon >= 0 ? raw.slice(colon + 1) : undefined;
  }
  const host = parseHost(hostPart);
  if (!host.ok) return host;
  if (portPart === undefined) {
    if (defaultPort === undefined) return fail('a port is required (host:port)');
    return ok({ host: host.value, port: defaultPort });
  }
  const port = parsePort(portPart);
  if (port === undefined) return fail(`"${portPart}" is not a port (1-65535)`);
  return ok({ host: host.value, port });
}

export function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** The host as it is written in a URL: names and IPv4 as is, IPv6 in brackets. */
export function formatHost(host: Host): string {
  if (host.kind === 'name') return host.name;
  return host.family === 6 ? `[${host.address}]` : host.address;
}

export function formatAuthority(host: Host, port: number): string {
  return `${formatHost(host)}:${port}`;
}

export function sameHost(a: Host, b: Host): boolean {
  return formatHost(a) === formatHost(b);
}

/** Text that came from the network, made safe to show and cut to a sane length (src/util/untrusted-text.ts). */
export function printable(text: string, max = 200): string {
  return clipped(text, max);
}
