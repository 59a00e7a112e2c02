// Runs inside the jail (as `node jail-bridge.mjs SOCKET PORT`): listens on the jail's own
// loopback at 127.0.0.1:PORT and carries every connection to the proxy's Unix socket,
// which is bound into the jail. npm, pip and curl find it through HTTP(S)_PROXY.
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

const server = createServer({ allowHalfOpen: true, noDelay: true }, (client: Socket) => {
  const upstream = connect({ path: socketPath, allowHalfOpen: true });
  client.on('error', () => upstream.destroy());
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    client.destroy();
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') proxyGone(err.code);
  });
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.end());
  client.pipe(upstream);
  upstream.pipe(client);
});
server.on('error', (err: NodeJS.ErrnoException) => {
  process.stderr.write(`safe-package jail bridge: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));

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
setInterval(() => {
  stat(socketPath, (err) => {
    if (err && err.code === 'ENOENT') proxyGone('socket removed');
  });
}, 500).unref();
