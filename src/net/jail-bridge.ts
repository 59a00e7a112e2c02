// Runs inside the jail (as `node jail-bridge.mjs SOCKET PORT`): listens on the jail's own
// loopback at 127.0.0.1:PORT and gets every connection to the proxy outside. npm, pip and
// curl find it through HTTP(S)_PROXY.
//
// Two ways, the first when it can:
// - Handed over: when started with a Node IPC channel (safe-package's sandbox backend
//   gives it one), each accepted connection's descriptor is sent to safe-package over
//   that channel (SCM_RIGHTS) and closed here; the proxy then reads and writes the
//   client's socket itself. No byte passes through the bridge or a second socket: one
//   copy in the proxy instead of three (bridge, Unix socket, proxy). The bridge never
//   reads from a connection, so what reaches the proxy is exactly what the client sent.
// - Carried: otherwise, each connection is copied to and from the proxy's Unix socket.
//
// Standalone on purpose: Node built-ins only, nothing else from safe-package, so it can
// be bound into the jail as one file and starts as fast as `node` itself. It decides
// nothing; all policy lives in the proxy outside the jail.
//
// Protocol with its parent: prints exactly "ready\n" once listening; exits when its stdin
// closes (the parent's lifeline, when stdin is a pipe) or when the proxy's socket is gone
// (the file vanished or a connection to it is refused).

import { fstatSync, stat } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';

const [socketPath, portText] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !/^[0-9]+$/.test(portText ?? '') || port < 1 || port > 65535) {
  process.stderr.write('usage: jail-bridge SOCKET_PATH PORT\n');
  process.exit(2);
}

function proxyGone(why: string): never {
  process.stderr.write(`safe-package jail bridge: the proxy is gone (${why}); exiting\n`);
  process.exit(1);
}

/** What the bridge says with each handed-over connection (the parent accepts nothing else). */
const HANDOVER = 'sp-bridge-connection';
const channel = typeof process.send === 'function';

function handOver(client: Socket): void {
  // A connection that cannot be handed over is closed: never served some other way.
  client.on('error', () => client.destroy());
  process.send!(HANDOVER, client, {}, (err) => {
    if (err) client.destroy();
  });
}

function carry(client: Socket): void {
  const upstream = connect({ path: socketPath!, allowHalfOpen: true });
  client.on('error', () => upstream.destroy());
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    client.destroy();
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') proxyGone(err.code);
  });
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.end());
  client.pipe(upstream);
  upstream.pipe(client);
}

// pauseOnConnect: a handed-over connection must not be read here first (the bytes would
// be lost to the proxy).
const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: channel }, channel ? handOver : carry);
server.on('error', (err: NodeJS.ErrnoException) => {
  process.stderr.write(`safe-package jail bridge: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));

// With a channel, its end is the parent's end.
if (channel) process.on('disconnect', () => process.exit(0));

// The lifeline is used only when stdin is a pipe or socket. safe-package starts the bridge
// with stdin on /dev/null inside a PID namespace of its own, whose end kills it instead.
const stdinKind = fstatSync(0);
if (stdinKind.isFIFO() || stdinKind.isSocket()) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

// When the socket's directory is bound (not the file), the proxy removing its socket
// shows here; a bound file stays, and a refused connection tells instead (above).
if (!channel) setInterval(() => {
  stat(socketPath, (err) => {
    if (err && err.code === 'ENOENT') proxyGone('socket removed');
  });
}, 500).unref();
