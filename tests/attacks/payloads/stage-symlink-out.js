'use strict';
// Symlinks out of the project: a later tool that writes "into node_modules" (a build
// step, a formatter, a copy) writes through them into ~/.bashrc or above the project.
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  const links = {
    'bashrc-link': path.join(lib.home(), '.bashrc'),
    'above-link': path.join('..', '..', '..', 'IMPORTANT-notes.txt'),
  };
  for (const [name, target] of Object.entries(links)) {
    try {
      fs.symlinkSync(target, path.join(__dirname, name));
      lib.did('linked');
    } catch (e) {
      lib.note(`${name}: ${e.code}`);
    }
  }
});
