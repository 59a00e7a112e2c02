// The proxy's ledger: what the jail was refused and what it reached, for the report.
// Identical refusals are merged into a count and the number of distinct ones is bounded,
// so a client that loops on a refused host cannot grow the record without limit.

import type { Socket } from 'node:net';

/** A refused request, for the report. Identical refusals are merged (count). */
export interface BlockedAttempt {
  /** The host as asked for (IPv6 in brackets); '' when the request could not be parsed. */
  readonly host: string;
  /** 0 when unknown. */
  readonly port: number;
  /** The HTTP method; CONNECT for tunnels; absent when the request could not be parsed. */
  readonly method?: string;
  /** One line: why, and the option that would allow it when one would. */
  readonly reason: string;
  /** When it first happened (ISO 8601). */
  readonly time: string;
  /** How many times this exact refusal happened. */
  readonly count: number;
}

/** A host:port the jail reached through the proxy. */
export interface ContactedHost {
  /** As asked for (a name, or an IP literal; IPv6 in brackets). */
  readonly host: string;
  readonly port: number;
  /** Connections opened to it (one per tunnel or plain-HTTP request). */
  readonly count: number;
  /** Bytes received from it (downloads). */
  readonly bytesIn: number;
  /** Bytes sent to it (uploads, request headers, TLS handshakes). */
  readonly bytesOut: number;
}

export class Ledger {
  private readonly blocked = new Map<string, { attempt: Omit<BlockedAttempt, 'count'>; count: number }>();
  dropped = 0;
  private readonly contacted = new Map<string, { host: string; port: number; count: number; bytesIn: number; bytesOut: number; live: Set<Socket> }>();

  constructor(
    private readonly maxBlocked: number,
    private readonly onBlocked: ((attempt: BlockedAttempt) => void) | undefined,
  ) {}

  block(what: { host: string; port: number; method?: string; reason: string }): void {
    const key = JSON.stringify([what.host, what.port, what.method ?? '', what.reason]);
    const seen = this.blocked.get(key);
    let attempt: BlockedAttempt;
    if (seen) {
      seen.count++;
      attempt = { ...seen.attempt, count: seen.count };
    } else {
      const entry = { attempt: { ...what, time: new Date().toISOString() }, count: 1 };
      attempt = { ...entry.attempt, count: 1 };
      if (this.blocked.size < this.maxBlocked) this.blocked.set(key, entry);
      else this.dropped++;
    }
    try {
      this.onBlocked?.(attempt);
    } catch {
      /* a reporting callback must not break the proxy */
    }
  }

  /** Counts a connection to host:port; its bytes are read off the upstream socket itself. */
  contact(host: string, port: number, upstream: Socket): void {
    const key = `${host}:${port}`;
    let entry = this.contacted.get(key);
    if (!entry) {
      entry = { host, port, count: 0, bytesIn: 0, bytesOut: 0, live: new Set() };
      this.contacted.set(key, entry);
    }
    const e = entry;
    e.count++;
    e.live.add(upstream);
    upstream.once('close', () => {
      e.live.delete(upstream);
      e.bytesIn += upstream.bytesRead;
      e.bytesOut += upstream.bytesWritten;
    });
  }

  blockedList(): BlockedAttempt[] {
    return [...this.blocked.values()].map((b) => ({ ...b.attempt, count: b.count }));
  }

  contactedList(): ContactedHost[] {
    return [...this.contacted.values()].map((e) => {
      let bytesIn = e.bytesIn;
      let bytesOut = e.bytesOut;
      for (const s of e.live) {
        bytesIn += s.bytesRead;
        bytesOut += s.bytesWritten;
      }
      return { host: e.host, port: e.port, count: e.count, bytesIn, bytesOut };
    });
  }
}
