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
