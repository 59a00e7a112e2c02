// The proxy's bounds: what a hostile client in the jail can make the safe-package process
// hold (connections, header bytes, time). Defaults are documented in src/net/README.md.

export interface ProxyLimits {
  /** Client connections served at once; more are answered 503 and closed. */
  readonly maxConnections: number;
  /** Largest request head (request line and headers) in bytes. */
  readonly maxHeaderBytes: number;
  /** Time a client has to send a complete request head. */
  readonly headersTimeoutMs: number;
  /** A connection (either side of a tunnel) silent for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Time for DNS resolution and for connecting upstream, each. */
  readonly connectTimeoutMs: number;
  /** Distinct refusals kept; more are only counted (droppedBlocked). */
  readonly maxBlockedRecords: number;
}

export const DEFAULT_LIMITS: ProxyLimits = {
  maxConnections: 256,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 20_000,
  idleTimeoutMs: 120_000,
  connectTimeoutMs: 15_000,
  maxBlockedRecords: 1000,
};

/**
 * Bytes a socket of the proxy buffers before it pushes back (stream highWaterMark), for
 * both sides of every connection. Node's default, 16 KiB, is a quarter of one 64 KiB
 * read: every chunk of a download paused the upstream and waited for a drain, and the
 * proxy path ran at ~0.7x of a direct download; at 256 KiB the copy keeps flowing. Per
 * connection the proxy holds at most about this much for a client that stops reading
 * (256 connections: 64 MiB), so it is not larger.
 */
export const SOCKET_BUFFER_BYTES = 256 * 1024;
