// The benchmark's floors: the argument lists (pure) and, with real bubblewrap, that
// they run what they claim to run (a floor that failed fast would look cheap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installScriptPackages, minimalJailArgs, nodeRunning, stagedJailArgs } from '../../../bench/lib/floors.js';
import { readTopLevel } from '../../../src/host/layout.js';

test('minimal jail: namespaces, /usr read-only, the host\'s usrmerge links or directories', () => {
  const args = minimalJailArgs({ '/bin': { kind: 'symlink', target: 'usr/bin' }, '/lib64': { kind: 'dir' } }, ['/usr/bin/true']);
  assert.deepEqual(args, [
    '--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin', '--ro-bind', '/lib64', '/lib64',
    '--proc', '/proc', '--dev', '/dev', '--', '/usr/bin/true',
  ]);
});

test('the lockfile\'s packages with install scripts, by name, nested and scoped ones too', () => {
  const lock = {
    packages: {
      '': { hasInstallScript: true },
      'node_modules/esbuild': { hasInstallScript: true },
      'node_modules/a/node_modules/@s/b': { hasInstallScript: true },
      'node_modules/c': { hasInstallScript: false },
      'node_modules/d': {},
      'node_modules/x/node_modules/esbuild': { hasInstallScript: true },
    },
  };
  assert.deepEqual(installScriptPackages(lock), ['@s/b', 'esbuild']);
  assert.deepEqual(installScriptPackages({}), []);
  assert.deepEqual(installScriptPackages(null), []);
});

const bwrap = ['/usr/bin/bwrap', '/usr/local/bin/bwrap'].find((p) => existsSync(p));

test('the floors run in real jails: exit statuses come through, the staged one writes to the overlay', { skip: bwrap ? false : 'bubblewrap is not installed' }, () => {
  const top = readTopLevel();
  const run = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1));
  const ok = run(nodeRunning(process.execPath, [bwrap!, ...minimalJailArgs(top, ['/usr/bin/true'])]));
  assert.equal(ok.status, 0, String(ok.stderr));
  assert.equal(run(nodeRunning(process.execPath, [bwrap!, ...minimalJailArgs(top, ['/bin/sh', '-c', 'exit 7'])])).status, 7);

  const stage = mkdtempSync(join(tmpdir(), 'sp-floor-'));
  try {
    for (const sub of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(stage, sub));
    const mount = ['/usr/bin/mount', '/bin/mount'].find((p) => existsSync(p))!;
    const r = run(nodeRunning(process.execPath, [bwrap!, ...stagedJailArgs({ bwrap: bwrap!, mount }, top, stage, ['/bin/sh', '-c', 'echo staged > /project/f'])]));
    assert.equal(r.status, 0, String(r.stderr));
    assert.equal(readFileSync(join(stage, 'upper', 'f'), 'utf8'), 'staged\n');
    assert.ok(!existsSync(join(stage, 'lower', 'f')));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
});
