// The proxy's own answers on a raw connection (refusals, limits) and reading raw headers.

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answers with a short plain-text HTTP response and closes, whatever the client does. */
export function endWith(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  const text = STATUS_CODES[status] ?? 'Error';
  socket.on('error', () => socket.destroy());
  // Read and discard what the client still sends, so closing does not turn into a reset
  // that loses the answer; give up on clients that never close their end.
  socket.resume();
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 2_000).unref();
}

/** Every value of header `name` (lower case) in Node's rawHeaders list. */
export function headerValues(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}
