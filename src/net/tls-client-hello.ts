// Reads the server name (SNI) from the first bytes a client sends into a CONNECT tunnel.
//
// `CONNECT registry.npmjs.org:443` followed by a TLS ClientHello for `evil.example` is
// domain fronting: the connection goes to the allowed host's address, but a shared
// front end (a CDN) routes it by SNI to another customer. So when the tunnel carries TLS,
// its SNI must name the host that was allowed. Tunnels that do not start with a TLS
// handshake pass unchanged (the allowed host:port receives whatever it is sent anyway).
// Encrypted Client Hello would put another public name in the outer SNI and is refused by
// the same check; none of the package managers uses it.

export type ClientHelloScan =
  /** Not enough bytes yet to decide. */
  | { readonly kind: 'need-more' }
  | { readonly kind: 'not-tls' }
  /** A complete ClientHello; serverName is undefined when it has no SNI extension. */
  | { readonly kind: 'client-hello'; readonly serverName: string | undefined }
  | { readonly kind: 'malformed'; readonly reason: string };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const HOST_NAME = 0x00;
const MAX_RECORD = 16384 + 2048;
/** A ClientHello larger than this is refused (real ones are under 2 KiB, 8 KiB with PQ keys). */
export const MAX_CLIENT_HELLO = 64 * 1024;

export function scanClientHello(data: Uint8Array): ClientHelloScan {
  if (data.length === 0) return { kind: 'need-more' };
  if (data[0] !== HANDSHAKE) return { kind: 'not-tls' };
  if (data.length < 2) return { kind: 'need-more' };
  if (data[1] !== 0x03) return { kind: 'not-tls' };

  // The ClientHello may span several handshake records: join their fragments.
  const fragments: Uint8Array[] = [];
  let have = 0;
  let offset = 0;
  let needed: number | undefined;
  for (;;) {
    if (needed !== undefined && have >= needed) break;
    if (offset + 5 > data.length) return { kind: 'need-more' };
    if (data[offset] !== HANDSHAKE) return { kind: 'malformed', reason: 'the TLS handshake is interrupted by another record type' };
    const length = (data[offset + 3]! << 8) | data[offset + 4]!;
    if (length === 0 || length > MAX_RECORD) return { kind: 'malformed', reason: 'bad TLS record length' };
    if (offset + 5 + length > data.length) return { kind: 'need-more' };
    fragments.push(data.subarray(offset + 5, offset + 5 + length));
    have += length;
    offset += 5 + length;
    if (needed === undefined && have >= 4) {
      const head = concat(fragments, 4);
      if (head[0] !== CLIENT_HELLO) return { kind: 'malformed', reason: 'the first TLS handshake message is not a ClientHello' };
      needed = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
      if (needed > MAX_CLIENT_HELLO) return { kind: 'malformed', reason: 'the TLS ClientHello is too large' };
    }
  }
  const hello = concat(fragments, needed!).subarray(4);
  return parseClientHello(hello);
}

function concat(parts: readonly Uint8Array[], limit: number): Uint8Array {
  const out = new Uint8Array(Math.min(limit, parts.reduce((n, p) => n + p.length, 0)));
  let at = 0;
  for (const p of parts) {
    if (at >= out.length) break;
    const take = p.subarray(0, out.length - at);
    out.set(take, at);
    at += take.length;
  }
  return out;
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}
  get left(): number {
    return this.buf.length - this.at;
  }
  u8(): number {
    if (this.left < 1) throw new Truncated();
    return this.buf[this.at++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  bytes(n: number): Uint8Array {
    if (this.left < n) throw new Truncated();
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

class Truncated extends Error {}

function parseClientHello(body: Uint8Array): ClientHelloScan {
  try {
    const r = new Reader(body);
    r.bytes(2 + 32); // legacy_version, random
    r.bytes(r.u8()); // legacy_session_id
    const suites = r.u16();
    if (suites === 0 || suites % 2 !== 0) return { kind: 'malformed', reason: 'bad cipher suite list' };
    r.bytes(suites);
    r.bytes(r.u8()); // legacy_compression_methods
    if (r.left === 0) return { kind: 'client-hello', serverName: undefined };
    const extensions = new Reader(r.bytes(r.u16()));
    if (r.left !== 0) return { kind: 'malformed', reason: 'trailing bytes after the ClientHello extensions' };
    let serverName: string | undefined;
    let seen = false;
    while (extensions.left > 0) {
      const type = extensions.u16();
      const data = extensions.bytes(extensions.u16());
      if (type !== EXT_SERVER_NAME) continue;
      // Two server_name extensions, or two host names in one, could be read differently
      // by the proxy and by the front end: ambiguity is refused.
      if (seen) return { kind: 'malformed', reason: 'more than one server_name extension' };
      seen = true;
      const list = new Reader(data);
      const names = new Reader(list.bytes(list.u16()));
      if (list.left !== 0) return { kind: 'malformed', reason: 'bad server_name extension' };
      while (names.left > 0) {
        const nameType = names.u8();
        const name = names.bytes(names.u16());
        if (nameType !== HOST_NAME) continue;
        if (serverName !== undefined) return { kind: 'malformed', reason: 'more than one host name in server_name' };
        if (name.length === 0 || name.some((b) => b < 0x21 || b > 0x7e)) return { kind: 'malformed', reason: 'the server name is not printable ASCII' };
        serverName = String.fromCharCode(...name);
      }
    }
    return { kind: 'client-hello', serverName };
  } catch (err) {
    if (err instanceof Truncated) return { kind: 'malformed', reason: 'truncated TLS ClientHello' };
    throw err;
  }
}
