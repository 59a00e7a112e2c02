// pnpm's builds in the scripts phase (docs/promises.md#p7-two-phase-installs), leaving the
// bin shims as bare pnpm does.
//
// The download phase runs `pnpm install` with scripts ignored, which records every
// package as a pending build; `pnpm rebuild --pending` then builds those pnpm allows
// (onlyBuiltDependencies), and on the way links the bins of every pending package again
// (node_modules/.pnpm/<dir>/node_modules/<name>/node_modules/.bin) with a shorter
// NODE_PATH than `pnpm install` writes. The shims `pnpm install` wrote in the download
// phase are the ones bare pnpm leaves, so the program below runs the rebuild and then
// puts back every shim the rebuild rewrote (new ones it made are kept). It runs in the
// same jail as the rebuild, with node_modules writable as the rebuild has it, and only
// touches regular files it found there before (never through a link).

/** argv: PNPM ARGS... (relative to the project, the working directory). */
export const PNPM_REBUILD_PROGRAM = [
  "'use strict';",
  "const fs = require('fs'), path = require('path'), { spawnSync } = require('child_process');",
  'const list = (dir) => { try { return fs.readdirSync(dir, { withFileTypes: true }); } catch { return []; } };',
  'const shims = new Map();',
  'const keep = (bin) => { for (const e of list(bin)) { if (!e.isFile()) continue; const file = path.join(bin, e.name); try { shims.set(file, { data: fs.readFileSync(file), mode: fs.lstatSync(file).mode & 0o7777 }); } catch {} } };',
  "const store = path.join('node_modules', '.pnpm');",
  "for (const d of list(store)) { if (!d.isDirectory() || d.name === 'node_modules') continue; const nm = path.join(store, d.name, 'node_modules');",
  "  for (const p of list(nm)) { if (!p.isDirectory()) continue;",
  "    if (p.name.startsWith('@')) { for (const s of list(path.join(nm, p.name))) if (s.isDirectory()) keep(path.join(nm, p.name, s.name, 'node_modules', '.bin')); }",
  "    else keep(path.join(nm, p.name, 'node_modules', '.bin')); } }",
  "const r = spawnSync(process.argv[1], process.argv.slice(2), { stdio: 'inherit' });",
  'for (const [file, was] of shims) { let st; try { st = fs.lstatSync(file); } catch { continue; } if (!st.isFile()) continue;',
  '  let now; try { now = fs.readFileSync(file); } catch { continue; }',
  '  if (!now.equals(was.data)) fs.writeFileSync(file, was.data);',
  '  if ((st.mode & 0o7777) !== was.mode) fs.chmodSync(file, was.mode); }',
  "if (r.error) { console.error('safe-package: pnpm rebuild did not start: ' + r.error.message); process.exit(1); }",
  'if (r.signal) process.kill(process.pid, r.signal);',
  'process.exit(r.status === null ? 1 : r.status);',
].join(' ');
