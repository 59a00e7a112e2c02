// The launchers bin/safe-package and bin/spm: runs the CLI built by `npm run build`.
//
// Start-up is most of what a short run costs (docs/promises.md#p11-quality-bars), so this file is CommonJS
// (bin/package.json says so: no ES module loader to start) and it loads the bundle,
// dist/src/cli/main.bundle.cjs: the whole CLI in one file, with the Node built-ins of
// code a run does not reach never loaded. Without a bundle (tsc alone) it imports the
// module tree tsc emits. A bundle older than that tree is stale (tsc ran after an edit to
// src/): then the tree runs, so an edit is never silently ignored.
//
// Compiling the bundle is a large part of loading it. `npm run bundle` also writes V8's
// code cache for it (scripts/code-cache.cjs): the compiled code of a typical run, which
// V8 checks against its own version and flags and rejects when they differ. V8 checks
// only the length of the source, so the cache also names the build it belongs to
// (a random id, also written at the end of the bundle) and is used only for that build.
// The cache is code: it lives beside the bundle, written by whoever wrote the bundle.
'use strict';

const { readFileSync, statSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const DIST = join(__dirname, '..', 'dist', 'src', 'cli');
const BUNDLE = join(DIST, 'main.bundle.cjs');
const CACHE = `${BUNDLE}.cache`;
const TREE = join(DIST, 'main.js');
/** The last line of a bundle with a code cache: `//# safe-package-build <id>`. */
const BUILD_MARK = '//# safe-package-build ';

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The build id a bundle's source ends with, or undefined. */
function buildIdOf(source) {
  const at = source.lastIndexOf(BUILD_MARK);
  return at < 0 ? undefined : source.slice(at + BUILD_MARK.length).trim();
}

/**
 * A cache file is `<build id>\n` and V8's data. Returns the data when it was made for
 * this build, else undefined (then the bundle is compiled as usual).
 */
function cachedDataFor(source) {
  const id = buildIdOf(source);
  if (!id) return undefined;
  let file;
  try {
    file = readFileSync(CACHE);
  } catch {
    return undefined;
  }
  const nl = file.indexOf(0x0a);
  if (nl < 0 || file.subarray(0, nl).toString('latin1') !== id) return undefined;
  return file.subarray(nl + 1);
}

/**
 * Compiles the bundle as Node would compile a CommonJS file, with the code cache when
 * there is one for it; returns the script (for createCachedData) and its exports.
 */
function loadBundle(source, cachedData) {
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {}, filename: BUNDLE, id: BUNDLE };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return { script, exports: module.exports };
}

/** The CLI's module: the bundle when it is current, else the module tree. */
function loadCli() {
  const bundled = mtime(BUNDLE);
  const compiled = mtime(TREE);
  if (bundled !== undefined && (compiled === undefined || bundled >= compiled)) {
    return Promise.resolve().then(() => {
      const source = readFileSync(BUNDLE, 'utf8');
      return loadBundle(source, cachedDataFor(source)).exports;
    });
  }
  return import(pathToFileURL(TREE).href);
}

function run() {
  loadCli()
    .then(({ main, invokedName }) => main(process.argv.slice(2), invokedName(process.argv[1])))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err) => {
        process.stderr.write(`safe-package: internal error: ${err && err.stack ? err.stack : err}\n`);
        process.exitCode = 125;
      },
    );
}

module.exports = { BUNDLE, CACHE, BUILD_MARK, buildIdOf, cachedDataFor, loadBundle, run };
