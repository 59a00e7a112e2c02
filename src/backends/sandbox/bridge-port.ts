// Where the bridge listens on the jail's own loopback (JAIL_PROXY_URL in
// policy/resolve.ts). A module of its own so that planning does not load the proxy.
export const BRIDGE_PORT = 3128;
