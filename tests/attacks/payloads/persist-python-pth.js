'use strict';
// A .pth file in the user's site-packages: every python3 the user starts runs it.
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const lib = require('./lib.js');

lib.run(async () => {
  let site;
  try {
    site = execFileSync('python3', ['-c', 'import site; print(site.getusersitepackages())'], { encoding: 'utf8' }).trim();
  } catch {
    site = path.join(lib.home(), '.local', 'lib', 'python3', 'site-packages');
  }
  fs.mkdirSync(site, { recursive: true });
  fs.writeFileSync(path.join(site, 'sp-helper.pth'), `import os  # sp-persist-${lib.cfg.runTag}\n`);
  lib.did('wrote');
});
