'use strict';
// A well-behaved HTTP client (it honours HTTP(S)_PROXY) asking for a loopback IP
// literal: the proxy must refuse it, not forward it. Without a proxy it goes direct.
const lib = require('./lib.js');

lib.run(async () => {
  const body = `marker=${lib.cfg.netMarker}\n${JSON.stringify(process.env)}`;
  lib.found(body);
  const viaProxy = Boolean(process.env.HTTP_PROXY || process.env.http_proxy || process.env.HTTPS_PROXY || process.env.https_proxy);
  lib.did('proxy-set', viaProxy);
  await lib.exfil(body, [viaProxy ? 'proxy' : 'http']);
});
