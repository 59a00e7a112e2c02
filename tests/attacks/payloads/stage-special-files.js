'use strict';
// Things a copy out of the jail must not carry over: a setuid/setgid file, a FIFO (a
// later `cp -r` or backup tool blocks on it), and a file whose name holds a terminal
// escape sequence (it rewrites the screen of whoever lists node_modules).
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const lib = require('./lib.js');

lib.run(async () => {
  const tag = lib.cfg.runTag;
  try {
    const p = path.join(__dirname, `setuid-${tag}`);
    fs.writeFileSync(p, '#!/bin/sh\nid\n');
    fs.chmodSync(p, 0o6755);
    if ((fs.statSync(p).mode & 0o6000) !== 0) lib.did('setuid');
  } catch (e) {
    lib.note(`setuid: ${e.code}`);
  }
  try {
    execFileSync('mkfifo', [path.join(__dirname, `fifo-${tag}`)]);
    lib.did('fifo');
  } catch (e) {
    lib.note(`mkfifo: ${e.status}`);
  }
  try {
    fs.writeFileSync(path.join(__dirname, `\u001b[2J\u001b[31mescape-${tag}`), 'x');
    lib.did('escape-name');
  } catch (e) {
    lib.note(`escape name: ${e.code}`);
  }
});
