// The receiving end of the bridge's handover (src/net/jail-bridge.ts): the bridge, in the
// jail's network namespace, sends each client connection it accepts over a Node IPC
// channel (the descriptor travels as SCM_RIGHTS), and the proxy serves it directly.
//
// What arrives is served as a client of the proxy, with every check a connection to the
// proxy's socket gets, so a socket here grants nothing a connection to the bridge would
// not. Anything else on the channel (another message, another kind of handle) is closed
// and ignored: the channel carries connections, nothing else.

import { Socket } from 'node:net';

/** What the bridge says with each connection; the bridge (standalone) spells it out too. */
export const HANDOVER_MESSAGE = 'sp-bridge-connection';

export interface Closable {
  close?: () => void;
  destroy?: () => void;
}

/** One message from the channel: adopts a handed-over socket, closes anything else. */
export function receiveHandover(message: unknown, handle: unknown, adopt: (socket: Socket) => void): boolean {
  if (message === HANDOVER_MESSAGE && handle instanceof Socket) {
    adopt(handle);
    return true;
  }
  const h = handle as Closable | undefined;
  try {
    if (typeof h?.destroy === 'function') h.destroy();
    else if (typeof h?.close === 'function') h.close();
  } catch {
    /* closing a stray handle must not break the run */
  }
  return false;
}
