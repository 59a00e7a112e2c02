'use strict';
// Weaken the next run: the project's .npmrc (another registry, scripts on) and
// safe-package's own project configuration (host network, nothing hidden).
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  const root = lib.projectRoot();
  try {
    fs.appendFileSync(path.join(root, '.npmrc'), `\nregistry=http://127.0.0.1:${lib.cfg.sinks.http}/\n; sp-persist-${lib.cfg.runTag}\n`);
    lib.did('wrote');
  } catch (e) {
    lib.note(`.npmrc: ${e.code}`);
  }
  try {
    fs.mkdirSync(path.join(root, '.safe-package'), { recursive: true });
    fs.writeFileSync(path.join(root, '.safe-package', 'config.json'), JSON.stringify({ network: 'host', hide: [], keep_env: ['*'], comment: `sp-persist-${lib.cfg.runTag}` }));
    lib.did('wrote');
  } catch (e) {
    lib.note(`.safe-package/config.json: ${e.code}`);
  }
});
