// Which IP addresses lead somewhere a jailed install script must not go on its own.
//
// A resolved name is refused when its address is anything but public unicast: the host's
// own loopback (a database, the Docker API on 2375), the LAN, the cloud metadata service
// at 169.254.169.254, and every form of IPv6 that carries one of those IPv4 addresses
// inside it (`::ffff:127.0.0.1`, 6to4, NAT64). Only an exact rule with a port lets a name
// or literal reach such an address (see policy.ts).
//
// Public IPv6 is allow-listed (2000::/3 minus special ranges) rather than the other way
// round: an address from a range nobody assigned is refused too.

import { isIPv4, isIPv6 } from 'node:net';

export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved';

export interface Classification {
  readonly class: AddressClass;
  /** The range that matched, for messages: "169.254.0.0/16 link-local (cloud metadata)". */
  readonly range: string;
  /** For IPv6 forms that embed IPv4: the embedded address that decided the class. */
  readonly embedded?: string;
}

interface Range {
  readonly prefix: Uint8Array;
  readonly bits: number;
  readonly class: AddressClass;
  readonly label: string;
}

// Most specific first: the first match wins.
const IPV4_RANGES: readonly Range[] = [
  v4('255.255.255.255/32', 'broadcast', 'limited broadcast'),
  v4('0.0.0.0/8', 'unspecified', '"this network" (Linux connects 0.0.0.0 to the local host)'),
  v4('10.0.0.0/8', 'private', 'private network (RFC 1918)'),
  v4('100.64.0.0/10', 'shared', 'carrier-grade NAT shared space (RFC 6598)'),
  v4('127.0.0.0/8', 'loopback', 'loopback (this machine)'),
  v4('169.254.0.0/16', 'link-local', 'link-local (includes the cloud metadata service 169.254.169.254)'),
  v4('172.16.0.0/12', 'private', 'private network (RFC 1918)'),
  v4('192.0.0.0/24', 'reserved', 'IETF protocol assignments'),
  v4('192.0.2.0/24', 'documentation', 'documentation (TEST-NET-1)'),
  v4('192.88.99.0/24', 'reserved', 'deprecated 6to4 relay anycast'),
  v4('192.168.0.0/16', 'private', 'private network (RFC 1918)'),
  v4('198.18.0.0/15', 'reserved', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation', 'documentation (TEST-NET-2)'),
  v4('203.0.113.0/24', 'documentation', 'documentation (TEST-NET-3)'),
  v4('224.0.0.0/4', 'multicast', 'multicast'),
  v4('240.0.0.0/4', 'reserved', 'reserved (class E)'),
];

// IPv6 forms that carry an IPv4 address: classified by the IPv4 address inside, because
// that is where a packet can end up (a kernel treats ::ffff:a.b.c.d as a.b.c.d; a NAT64
// or 6to4 gateway forwards to it).
interface Embedding {
  readonly range: Range;
  /** Offset of the four IPv4 bytes inside the sixteen. */
  readonly at: number;
}
const IPV6_EMBEDDINGS: readonly Embedding[] = [
  { range: v6('::ffff:0:0/96', 'reserved', 'IPv4-mapped'), at: 12 },
  { range: v6('64:ff9b::/96', 'reserved', 'NAT64 well-known prefix'), at: 12 },
  { range: v6('2002::/16', 'reserved', '6to4'), at: 2 },
];

const IPV6_RANGES: readonly Range[] = [
  v6('::/128', 'unspecified', 'unspecified address'),
  v6('::1/128', 'loopback', 'loopback (this machine)'),
  v6('64:ff9b:1::/48', 'private', 'local-use NAT64 (RFC 8215)'),
  v6('100::/64', 'reserved', 'discard-only'),
  v6('2001:db8::/32', 'documentation', 'documentation'),
  v6('2001::/23', 'reserved', 'IETF protocol assignments (includes Teredo)'),
  v6('3fff::/20', 'documentation', 'documentation (RFC 9637)'),
  v6('5f00::/16', 'reserved', 'SRv6 segment identifiers'),
  v6('fc00::/7', 'unique-local', 'unique local addresses (the IPv6 private network)'),
  v6('fe80::/10', 'link-local', 'link-local'),
  v6('fec0::/10', 'private', 'deprecated site-local'),
  v6('ff00::/8', 'multicast', 'multicast'),
];
const IPV6_GLOBAL_UNICAST = v6('2000::/3', 'public', 'global unicast');

/** Classifies an IP address (as text, IPv4 or IPv6 without brackets or zone). */
export function classifyAddress(address: string): Classification {
  // A zone (`fe80::1%eth0`) only says which interface: the address decides.
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  const v4bytes = parseIPv4(address);
  if (v4bytes) return classifyV4(v4bytes);
  const v6bytes = parseIPv6(address);
  if (!v6bytes) throw new Error(`not an IP address: ${address}`);
  for (const e of IPV6_EMBEDDINGS) {
    if (!inRange(v6bytes, e.range)) continue;
    const inner = v6bytes.subarray(e.at, e.at + 4);
    const c = classifyV4(inner);
    return { class: c.class, range: `${e.range.label} form of ${c.range}`, embedded: Array.from(inner).join('.') };
  }
  for (const r of IPV6_RANGES) if (inRange(v6bytes, r)) return { class: r.class, range: describe(r) };
  if (inRange(v6bytes, IPV6_GLOBAL_UNICAST)) return { class: 'public', range: describe(IPV6_GLOBAL_UNICAST) };
  // ::/8 (IPv4-compatible and other deprecated forms) and unassigned space.
  return { class: 'reserved', range: 'unassigned or deprecated IPv6 space' };
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).class === 'public';
}

function classifyV4(bytes: Uint8Array): Classification {
  for (const r of IPV4_RANGES) if (inRange(bytes, r)) return { class: r.class, range: describe(r) };
  return { class: 'public', range: 'public IPv4' };
}

function describe(r: Range): string {
  return `${formatPrefix(r)} ${r.label}`;
}

function formatPrefix(r: Range): string {
  if (r.prefix.length === 4) return `${Array.from(r.prefix).join('.')}/${r.bits}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((r.prefix[i]! << 8) | r.prefix[i + 1]!).toString(16));
  return `${compressV6(groups)}/${r.bits}`;
}

function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function inRange(bytes: Uint8Array, r: Range): boolean {
  if (bytes.length !== r.prefix.length) return false;
  let bits = r.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (r.prefix[i]! & mask)) return false;
  }
  return true;
}

function v4(cidr: string, cls: AddressClass, label: string): Range {
  const [addr, bits] = cidr.split('/') as [string, string];
  return { prefix: parseIPv4(addr)!, bits: Number(bits), class: cls, label };
}

function v6(cidr: string, cls: AddressClass, label: string): Range {
  const [addr, bits] = cidr.split('/') as [string, string];
  // The table's constants are known to be valid: skip net.isIPv6, whose pattern costs
  // milliseconds to compile at start-up.
  return { prefix: ipv6Bytes(addr)!, bits: Number(bits), class: cls, label };
}

/** Strict dotted-quad IPv4 (as resolvers and the URL parser print it) to four bytes. */
export function parseIPv4(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

/** IPv6 text (any valid form, including a dotted IPv4 tail; no zone) to sixteen bytes. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.includes('%') || !isIPv6(text)) return undefined;
  return ipv6Bytes(text);
}

/** The conversion itself, for text already known to be a valid IPv6 address. */
function ipv6Bytes(text: string): Uint8Array | undefined {
  let groups: number[] = [];
  let tail = text;
  let v4tail: Uint8Array | undefined;
  const lastColon = tail.lastIndexOf(':');
  if (tail.slice(lastColon + 1).includes('.')) {
    v4tail = parseIPv4(tail.slice(lastColon + 1));
    if (!v4tail) return undefined;
    tail = tail.slice(0, lastColon + 1) + '0:0';
  }
  const halves = tail.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 && missing !== 0) return undefined;
  groups = [...head.map((g) => parseInt(g, 16)), ...new Array<number>(halves.length > 1 ? missing : 0).fill(0), ...rest.map((g) => parseInt(g, 16))];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  if (v4tail) bytes.set(v4tail, 12);
  return bytes;
}
