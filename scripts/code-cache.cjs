#!/usr/bin/env node
// Part of `npm run bundle`: gives the bundle a build id and writes V8's code cache for
// it (see bin/launch.cjs, which uses it). The cache holds what V8 compiled while the
// bundle loaded, planned a trivial run (`--explain -- true`, nothing is started) and ran
// two (`-- true`, and the same with a host allowed: proxy and bridge), compiled through
// the same loader the launcher uses, so that V8 accepts it there. Without the runs, every
// function of the run itself (the launch, the proxy, review, report) was compiled anew
// on each run: ≈8 ms of `-- true`. The runs are real ones, in an empty directory of
// their own with a cache directory of their own; where no jail can start (a build
// container), they fail and the cache has what they reached.
'use strict';

const { randomBytes } = require('node:crypto');
const { chmodSync, chownSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { BUNDLE, CACHE, BUILD_MARK, buildIdOf, loadBundle } = require('../bin/launch.cjs');

async function main() {
  let source = readFileSync(BUNDLE, 'utf8');
  if (buildIdOf(source) !== undefined) source = source.slice(0, source.lastIndexOf(BUILD_MARK));
  const id = randomBytes(16).toString('hex');
  source = `${source.replace(/\n*$/, '\n')}${BUILD_MARK}${id}\n`;
  writeAtomically(BUNDLE, source);

  const { script, exports } = loadBundle(source, undefined);
  const quiet = { write: () => true, isTTY: false };
  const scratch = mkdtempSync(join(tmpdir(), 'sp-code-cache-'));
  chmodSync(scratch, 0o755);
  // As root the jails run as nobody, who must be able to write the project to get the
  // sandbox (the usual backend) rather than the landlock fallback.
  const nobody = process.getuid?.() === 0 ? /^nobody:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8')) : null;
  if (nobody) chownSync(scratch, Number(nobody[1]), Number(nobody[2]));
  const cwd = process.cwd();
  const cache = process.env.XDG_CACHE_HOME;
  try {
    process.chdir(scratch);
    process.env.XDG_CACHE_HOME = join(scratch, 'cache');
    for (const args of [['--explain', '--', 'true'], ['-q', '--', 'true'], ['-q', '--allow-host', '127.0.0.1:9', '--', 'true']]) {
      try {
        await exports.main(args, 'safe-package', { stdout: quiet, stderr: quiet });
      } catch {
        // A machine that cannot plan or run one still gets the cache of what it reached.
      }
    }
  } finally {
    process.chdir(cwd);
    if (cache === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = cache;
    rmSync(scratch, { recursive: true, force: true });
  }
  process.exitCode = 0; // the workloads' status is not the build's
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
