// Which project files the jail hides (docs/promises.md#p13-hide-defaults): the walk over a real temporary project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHidden } from '../../../src/host/layout.js';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sp-hide-'));
  mkdirSync(join(dir, 'certs'));
  mkdirSync(join(dir, 'node_modules', 'x'), { recursive: true });
  writeFileSync(join(dir, '.env'), 'A=1\n');
  writeFileSync(join(dir, 'certs', 'server.key'), 'k');
  writeFileSync(join(dir, 'node_modules', 'x', 'bundle.pem'), 'public');
  writeFileSync(join(dir, 'notes.txt'), 'secret behind a link');
  return dir;
}

const patterns = ['.env', '*.pem', '*.key'];
const rel = (dir: string, hidden: { path: string; dir: boolean }[]) => hidden.map((h) => [h.path.slice(dir.length + 1), h.dir]).sort();

test('hidden: matching files anywhere but in tool-owned directories', () => {
  const dir = project();
  try {
    assert.deepEqual(rel(dir, findHidden(dir, patterns)), [['.env', false], ['certs/server.key', false]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hidden: a matching link hides what it leads to inside the project, and nothing for a link outside or nowhere', () => {
  const dir = project();
  try {
    symlinkSync('../notes.txt', join(dir, 'certs', 'client.pem')); // leads to a project file
    symlinkSync('/etc/ssl/certs/ca-certificates.crt', join(dir, 'certs', 'ca.pem')); // the system's bundle
    symlinkSync('/nonexistent/old.pem', join(dir, 'old.pem')); // dangling
    symlinkSync('certs', join(dir, 'keys.pem')); // a directory of the project
    symlinkSync('server.key', join(dir, 'certs', 'again.key')); // a file already hidden
    symlinkSync('loop.pem', join(dir, 'loop.pem'));
    symlinkSync('node_modules/x/bundle.pem', join(dir, 'vendor.pem')); // a package's file: the tool's
    symlinkSync('node_modules', join(dir, 'modules.key'));
    assert.deepEqual(rel(dir, findHidden(dir, patterns)), [
      ['.env', false],
      ['certs', true],
      ['certs/server.key', false],
      ['notes.txt', false],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the default hide list: the secrets CI has (.git/config with the checkout token, .netrc, subfolder .npmrc, keystores)', async () => {
  const { DEFAULT_HIDE } = await import('../../../src/policy/resolve.js');
  const dir = project();
  try {
    const files = ['.git/config', '.git/HEAD', '.envrc', '.netrc', '.pypirc', '.git-credentials', '.docker/config.json', 'deploy/prod.tfvars', 'certs/client.p12', 'certs/client.pfx', 'packages/a/.npmrc', 'packages/a/.yarnrc.yml', '.npmrc', '.yarnrc.yml'];
    for (const f of files) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), 'token');
    }
    const hidden = rel(dir, findHidden(dir, DEFAULT_HIDE)).map(([p]) => p);
    for (const f of files.filter((f) => !['.git/HEAD', '.npmrc', '.yarnrc.yml'].includes(f))) assert.ok(hidden.includes(f), `${f} is hidden`);
    // Kept: git's own state, and the top-level registry configuration the package manager
    // reads (the sandbox shows the top-level .npmrc without its credentials).
    for (const f of ['.git/HEAD', '.npmrc', '.yarnrc.yml']) assert.ok(!hidden.includes(f), `${f} stays`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the walk is complete or the run is refused: more entries than the limit stop it with the reason', async () => {
  const { IncompleteWalkError } = await import('../../../src/host/layout.js');
  const dir = project();
  try {
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${i}`), '');
    assert.throws(() => findHidden(dir, patterns, 10), (e: unknown) => e instanceof IncompleteWalkError && /more than 10 files/.test(e.message));
    assert.equal(findHidden(dir, patterns, 1000).length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory the walk cannot read refuses the run instead of leaving its files visible', async () => {
  const { IncompleteWalkError } = await import('../../../src/host/layout.js');
  const { spawnSync } = await import('node:child_process');
  const { chmodSync, chownSync } = await import('node:fs');
  const dir = project();
  try {
    mkdirSync(join(dir, 'locked'));
    writeFileSync(join(dir, 'locked', '.env'), 'SECRET');
    chmodSync(join(dir, 'locked'), 0o000);
    chmodSync(dir, 0o755);
    chownSync(dir, 65534, 65534);
    // As nobody (root reads everything): the walk itself runs in a child process.
    const code = `import('${new URL('../../../src/host/layout.js', import.meta.url).href}').then((m) => { try { m.findHidden(${JSON.stringify(dir)}, ['.env']); console.log('complete'); } catch (e) { console.log(e instanceof m.IncompleteWalkError ? 'refused: ' + e.message : 'other: ' + e.message); } })`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.match(r.stdout, /^refused: cannot look for hidden files in .*locked \(EACCES\)/, r.stderr);
    assert.ok(IncompleteWalkError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
