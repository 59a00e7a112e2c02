// Builds TLS ClientHello records for tests (support module, not a test).

export interface HelloOptions {
  /** Host names for the server_name extension; none means no extension. */
  readonly serverNames?: readonly string[];
  /** Put two server_name extensions in. */
  readonly duplicateExtension?: boolean;
  /** Split the handshake message over records of at most this many bytes. */
  readonly recordSize?: number;
  /** Padding extension bytes (to make a large hello). */
  readonly padding?: number;
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

export function clientHello(opts: HelloOptions = {}): Buffer {
  const extensions: number[] = [];
  const sni = () => {
    const names = (opts.serverNames ?? []).flatMap((n) => [0x00, ...u16(n.length), ...Buffer.from(n, 'latin1')]);
    const body = [...u16(names.length), ...names];
    extensions.push(...u16(0), ...u16(body.length), ...body);
  };
  if (opts.serverNames) sni();
  if (opts.duplicateExtension) sni();
  // supported_versions: TLS 1.3, TLS 1.2
  extensions.push(...u16(43), ...u16(5), 4, 0x03, 0x04, 0x03, 0x03);
  if (opts.padding) extensions.push(...u16(21), ...u16(opts.padding), ...new Array<number>(opts.padding).fill(0));
  const body = [
    0x03, 0x03,
    ...new Array<number>(32).fill(7),
    0,
    ...u16(4), 0x13, 0x01, 0x13, 0x02,
    1, 0,
    ...u16(extensions.length), ...extensions,
  ];
  const handshake = Buffer.from([0x01, ...u24(body.length), ...body]);
  const size = opts.recordSize ?? 16384;
  const records: Buffer[] = [];
  for (let at = 0; at < handshake.length; at += size) {
    const fragment = handshake.subarray(at, at + size);
    records.push(Buffer.from([0x16, 0x03, 0x01, ...u16(fragment.length)]), fragment);
  }
  return Buffer.concat(records);
}
