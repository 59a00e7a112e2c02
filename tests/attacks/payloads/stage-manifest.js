'use strict';
// Tamper with the manifest: a `prepare` script that runs on the user's next plain
// `npm install`. npm writes package.json again after the install scripts, so the change
// is made by a process that waits for npm to finish (still inside the jail, if any).
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const lib = require('./lib.js');

const manifest = path.join(lib.projectRoot(), 'package.json');

if (process.argv[2] === 'later') {
  const tag = lib.cfg.runTag;
  const deadline = Date.now() + 8000;
  const tamper = () => {
    try {
      const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      if (pkg.dependencies && Object.keys(pkg.dependencies).length > 0) {
        pkg.scripts = { ...pkg.scripts, prepare: `node -e "0" # sp-persist-${tag}` };
        fs.writeFileSync(manifest, JSON.stringify(pkg, null, 2) + '\n');
        return;
      }
    } catch {
      /* mid-write */
    }
    if (Date.now() < deadline) setTimeout(tamper, 100);
  };
  tamper();
} else {
  lib.run(async () => {
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    pkg.scripts = { ...pkg.scripts, prepare: `node -e "0" # sp-persist-${lib.cfg.runTag}` };
    fs.writeFileSync(manifest, JSON.stringify(pkg, null, 2) + '\n');
    lib.did('wrote');
    spawn(process.execPath, [__filename, 'later'], { detached: true, stdio: 'ignore' }).unref();
  });
}
