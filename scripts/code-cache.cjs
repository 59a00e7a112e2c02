#!/usr/bin/env node
// Part of `npm run bundle`: gives the bundle a build id and writes V8's code cache for
// it (see bin/launch.cjs, which uses it). The cache holds what V8 compiled while the
// bundle loaded and planned a trivial run (`--explain -- true`, nothing is started),
// compiled through the same loader the launcher uses, so that V8 accepts it there.
'use strict';

const { randomBytes } = require('node:crypto');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { BUNDLE, CACHE, BUILD_MARK, buildIdOf, loadBundle } = require('../bin/launch.cjs');

async function main() {
  let source = readFileSync(BUNDLE, 'utf8');
  if (buildIdOf(source) !== undefined) source = source.slice(0, source.lastIndexOf(BUILD_MARK));
  const id = randomBytes(16).toString('hex');
  source = `${source.replace(/\n*$/, '\n')}${BUILD_MARK}${id}\n`;
  writeAtomically(BUNDLE, source);

  const { script, exports } = loadBundle(source, undefined);
  const quiet = { write: () => true, isTTY: false };
  try {
    await exports.main(['--explain', '--', 'true'], 'safe-package', { stdout: quiet, stderr: quiet });
  } catch {
    // A machine that cannot plan a run still gets the cache of what loading compiled.
  }
  process.exitCode = 0; // the workload's status is not the build's
  writeAtomically(CACHE, Buffer.concat([Buffer.from(`${id}\n`, 'latin1'), script.createCachedData()]));
}

function writeAtomically(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

main().catch((err) => {
  process.stderr.write(`code-cache: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
