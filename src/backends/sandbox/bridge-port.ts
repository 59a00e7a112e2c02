// Where the bridge listens on the jail's own loopback (JAIL_PROXY_URL in
// policy/resolve.ts). A module of its own so that planning does not load the proxy.
export const BRIDGE_PORT = 3128;

/** How a plan's bridge source is shown (--explain, the report): its text is not worth printing. */
export const BRIDGE_CODE_SHOWN = '<the bridge, src/net/jail-bridge.ts>';
