// The two programs that build a git dependency the way bare npm does (run/git-deps.ts),
// run by the jail's own node with `node -e PROGRAM ARGS...` (an argument array: no
// shell, no file of ours that the jail would need to see). Both use npm's own pieces
// from npm's installation (pacote, npm-cli.js, bin-links), so what they make is what npm
// makes.
//
// Bare npm, for a git dependency with a prepare (pacote's GitFetcher): clones the
// repository into a temporary folder, runs `npm install --force` there with its
// devDependencies (which runs their install scripts and the clone's own lifecycle,
// prepare included), runs `prepare` once more (DirFetcher), packs the folder (npm-packlist:
// only what `files` allows) and extracts the packed result into node_modules. Split in two:
//
//   fetch (download phase: the registry, your credentials, no script runs): the clone,
//     taken by pacote itself (its documented `npmBin`/`npmInstallCmd` options name the
//     program it runs in the clone instead of npm: a copy), then the clone's dependencies
//     installed with scripts off. The clone's own .npmrc is set aside first: npm would
//     read it as that project's configuration, with your credentials in reach.
//   build (scripts phase: no network, no credentials, the cache read-only, only the build
//     folder and the package's own folder writable): the clone's .npmrc back, its
//     node_modules installed again from the cache (`--offline`) with scripts on, as bare
//     npm's `npm install --force` does, `prepare` once more, then pacote packs the folder
//     and extracts the result into the package's folder (its nested node_modules, other
//     packages' copies, kept), and the bins' targets made executable as npm does.

/** A program as one line: sp-confine's spec refuses arguments with a newline. The programs have no comments and end statements with semicolons. */
function oneLine(program: string): string {
  return program.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ');
}

/** The `npm install` options pacote adds to the clone's install (its npmCliConfig); the cache is the jail's npm cache. */
const CLI_CONFIG = `const cliConfig = (offline) => ['--prefer-offline=false', '--prefer-online=false', '--offline=' + offline, '--no-progress', '--no-save', '--no-audit', '--no-fund', '--include=dev', '--include=peer', '--include=optional', '--no-package-lock-only', '--no-dry-run'];
const npm = (npmRoot, args, cwd, env) => {
  const r = spawnSync(process.execPath, [path.join(npmRoot, 'bin', 'npm-cli.js'), ...args], { cwd, env: env || process.env, stdio: 'inherit' });
  if (r.status !== 0) { console.error('safe-package: npm ' + args[0] + ' in the git dependency failed (status ' + r.status + (r.signal ? ', ' + r.signal : '') + ')'); process.exit(r.status || 1); }
};`;

/**
 * argv: SPEC BUILD_DIR NPM_ROOT [BIN_DIR] (relative to the working directory, the project).
 * BIN_DIR: the node_modules/.bin its bins will be linked in, made now (the scripts phase
 * can make a folder writable only when it exists).
 */
export const FETCH_PROGRAM = oneLine(`'use strict';
const fs = require('fs'), path = require('path'), { spawnSync } = require('child_process');
${CLI_CONFIG}
(async () => {
  const [spec, buildRel, npmRoot, binRel] = process.argv.slice(1);
  if (binRel) fs.mkdirSync(path.resolve(binRel), { recursive: true });
  const build = path.resolve(buildRel), src = path.join(build, 'src');
  fs.rmSync(build, { recursive: true, force: true });
  fs.mkdirSync(build, { recursive: true });
  const req = (m) => require(path.join(npmRoot, 'node_modules', m));
  const pacote = req('pacote'), Arborist = req('@npmcli/arborist');
  const copy = "require('fs').cpSync('.', process.argv[1], { recursive: true, verbatimSymlinks: true })";
  const tarball = await pacote.tarball(spec, { cache: path.join(build, 'tmp-cache'), Arborist, ignoreScripts: true, npmBin: process.execPath, npmInstallCmd: ['-e', copy, src], npmCliConfig: [] });
  void tarball;
  if (!fs.existsSync(path.join(src, 'package.json'))) { console.error('safe-package: the clone of ' + spec + ' was not taken (pacote did not prepare it)'); process.exit(1); }
  if (fs.existsSync(path.join(src, '.npmrc'))) fs.renameSync(path.join(src, '.npmrc'), path.join(build, 'npmrc'));
  npm(npmRoot, ['install', '--force', '--ignore-scripts', ...cliConfig(false)], src, { ...process.env, npm_config_ignore_scripts: 'true' });
})().catch((e) => { console.error('safe-package: fetching ' + process.argv[1] + ' to build it failed: ' + (e && e.message)); process.exit(1); });
`);

/** argv: BUILD_DIR TARGET_DIR NPM_ROOT (relative to the working directory, the project). */
export const BUILD_PROGRAM = oneLine(`'use strict';
const fs = require('fs'), path = require('path'), { spawnSync } = require('child_process');
${CLI_CONFIG}
(async () => {
  const [buildRel, targetRel, npmRoot] = process.argv.slice(1);
  const build = path.resolve(buildRel), src = path.join(build, 'src'), target = path.resolve(targetRel);
  const req = (m) => require(path.join(npmRoot, 'node_modules', m));
  if (fs.existsSync(path.join(build, 'npmrc'))) fs.renameSync(path.join(build, 'npmrc'), path.join(src, '.npmrc'));
  const env = { ...process.env };
  delete env.npm_config_ignore_scripts;
  npm(npmRoot, ['rebuild'], src, env);
  npm(npmRoot, ['install', '--force', ...cliConfig(true)], src, env);
  const manifest = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
  if (manifest.scripts && manifest.scripts.prepare) npm(npmRoot, ['run', 'prepare', '--ignore-scripts'], src, env);
  for (const name of fs.readdirSync(target)) if (name !== 'node_modules') fs.rmSync(path.join(target, name), { recursive: true, force: true });
  const pacote = req('pacote'), Arborist = req('@npmcli/arborist');
  await pacote.extract('file:' + src, target, { cache: path.join(build, 'tmp-cache'), Arborist, ignoreScripts: true, umask: process.umask() });
  const built = JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf8'));
  const bins = typeof built.bin === 'string' ? [built.bin] : built.bin && typeof built.bin === 'object' ? Object.values(built.bin) : [];
  let fixBin;
  try { fixBin = req('bin-links/lib/fix-bin.js'); } catch { fixBin = undefined; }
  for (const rel of bins) {
    const file = path.resolve(target, String(rel));
    if (!file.startsWith(target + path.sep) || !fs.existsSync(file)) continue;
    if (fixBin) await fixBin(file); else fs.chmodSync(file, 0o777 & ~process.umask());
  }
  for (const name of fs.readdirSync(build)) fs.rmSync(path.join(build, name), { recursive: true, force: true });
})().catch((e) => { console.error('safe-package: building the git dependency failed: ' + (e && e.message)); process.exit(1); });
`);
