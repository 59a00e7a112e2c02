// Where the bridge listens on the jail's own loopback (JAIL_PROXY_URL in
// policy/resolve.ts), and which bridge runs. A module of its own so that planning does
// not load the proxy.

import { usableBridgeProgram } from '../../confine/helper.js';
import type { BridgeSpec } from './plan.js';

export const BRIDGE_PORT = 3128;

/** How a plan's bridge source is shown (--explain, the report): its text is not worth printing. */
export const BRIDGE_CODE_SHOWN = '<the bridge, src/net/jail-bridge.ts>';

/**
 * The bridge of a sandboxed step (a run's and --explain's alike): the native one
 * (sp-bridge) when the jail user can run it, else Node with the bridge's source, which
 * `nodeCode` gives. `dropsPrivileges`: Policy.dropPrivileges.
 */
export function bridgeFor(socket: string, dropsPrivileges: boolean, nodeCode: () => string): BridgeSpec {
  const native = usableBridgeProgram(dropsPrivileges);
  return native ? { node: native, code: '', native: true, socket, port: BRIDGE_PORT } : { node: process.execPath, code: nodeCode(), socket, port: BRIDGE_PORT };
}
