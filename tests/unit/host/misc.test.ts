import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePasswd, parseGroup } from '../../../src/host/users.js';
import { installPrefix, underSystemDir } from '../../../src/host/program.js';
import { parseShebang } from '../../../src/host/shebang.js';
import { permits, writeBlocker } from '../../../src/host/permissions.js';
import { fdinfoFlags } from '../../../src/cli/close-fds.js';
import { diagnoseSandboxFailure } from '../../../src/backends/sandbox/probe.js';
import { VERSION } from '../../../src/version.js';
import { readFileSync } from 'node:fs';

test('passwd and group parsing', () => {
  const users = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# c\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nbad:x:y:0::/:/bin/sh\n');
  assert.deepEqual(users.map((u) => [u.name, u.uid, u.gid, u.home]), [['root', 0, 0, '/root'], ['nobody', 65534, 65534, '/nonexistent']]);
  assert.deepEqual(parseGroup('root:x:0:\nnogroup:x:65534:\n').map((g) => g.gid), [0, 65534]);
});

test('shebangs and install prefixes', () => {
  assert.deepEqual(parseShebang(Buffer.from('#!/usr/bin/env node\nx')), { interpreter: '/usr/bin/env', arg: 'node' });
  assert.deepEqual(parseShebang(Buffer.from('#!/usr/bin/python3\n')), { interpreter: '/usr/bin/python3' });
  assert.equal(parseShebang(Buffer.from('\x7fELF')), undefined);
  assert.equal(installPrefix('/home/u/.nvm/versions/node/v20.1.0/lib/node_modules/npm/bin/npm-cli.js'), '/home/u/.nvm/versions/node/v20.1.0');
  assert.equal(installPrefix('/home/u/.nvm/versions/node/v20.1.0/bin/node'), '/home/u/.nvm/versions/node/v20.1.0');
  assert.equal(installPrefix('/root/.pyenv/shims/pip3'), '/root/.pyenv');
  assert.equal(underSystemDir('/usr/bin/npm'), true);
  assert.equal(underSystemDir('/usrx/bin'), false);
});

test('permission arithmetic for the jail user', () => {
  assert.equal(permits({ uid: 0, gid: 0, mode: 0o755 }, 65534, 65534, 'w'), false);
  assert.equal(permits({ uid: 0, gid: 0, mode: 0o755 }, 65534, 65534, 'x'), true);
  assert.equal(permits({ uid: 0, gid: 0, mode: 0o700 }, 65534, 65534, 'x'), false);
  assert.equal(permits({ uid: 1000, gid: 1000, mode: 0o700 }, 1000, 5, 'w'), true);
  assert.equal(
    writeBlocker([{ path: '/', st: { uid: 0, gid: 0, mode: 0o755 } }, { path: '/root', st: { uid: 0, gid: 0, mode: 0o700 } }, { path: '/root/p', st: { uid: 0, gid: 0, mode: 0o777 } }], 65534, 65534),
    '/root is not searchable by uid 65534',
  );
  assert.equal(writeBlocker([{ path: '/', st: { uid: 0, gid: 0, mode: 0o755 } }, { path: '/p', st: { uid: 0, gid: 0, mode: 0o755 } }], 65534, 65534), '/p is not writable by uid 65534');
});

test('fdinfo flags are octal', () => {
  assert.equal(fdinfoFlags('pos:\t0\nflags:\t02000002\nmnt_id:\t1\n'), 0o2000002);
});

test('sandbox failures are diagnosed with a concrete fix', () => {
  const ubuntu = diagnoseSandboxFailure('bwrap: setting up uid map: Permission denied', (p) => (p.endsWith('apparmor_restrict_unprivileged_userns') ? '1' : undefined));
  assert.match(ubuntu.reason, /AppArmor/);
  assert.match(ubuntu.fix, /apparmor_parser/);
  const disabled = diagnoseSandboxFailure('bwrap: No permissions to create new namespace', (p) => (p.endsWith('max_user_namespaces') ? '0' : undefined));
  assert.match(disabled.fix, /max_user_namespaces/);
});

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});

test('doctor: auto takes the sandbox when its checks pass, else the landlock backend, else nothing', async () => {
  const { autoBackend } = await import('../../../src/commands/doctor.js');
  const c = (name: string, ok: boolean, backend?: 'sandbox' | 'landlock') => ({ name, ok, required: true, detail: '', ...(backend ? { backend } : {}) });
  assert.equal(autoBackend([c('node', true), c('bwrap', true, 'sandbox'), c('landlock', true, 'landlock')]), 'sandbox');
  assert.equal(autoBackend([c('node', true), c('bwrap', false, 'sandbox'), c('landlock', true, 'landlock')]), 'landlock');
  assert.equal(autoBackend([c('node', true), c('bwrap', false, 'sandbox'), c('landlock', false, 'landlock')]), undefined);
  assert.equal(autoBackend([c('node', false), c('bwrap', true, 'sandbox')]), undefined);
  // Informational checks never decide.
  assert.equal(autoBackend([c('node', true), { ...c('bwrap', false, 'sandbox'), required: false }]), 'sandbox');
});

test('SAFE_PACKAGE_BWRAP: only a root-owned bwrap in root-owned, not group- or world-writable directories', async () => {
  const { refusedOverride } = await import('../../../src/host/system-tools.js');
  const fs: Record<string, { uid: number; mode: number; dir: boolean }> = {
    '/': { uid: 0, mode: 0o755, dir: true },
    '/opt': { uid: 0, mode: 0o755, dir: true },
    '/opt/bwrap': { uid: 0, mode: 0o755, dir: false },
    '/tmp': { uid: 0, mode: 0o1777, dir: true },
    '/tmp/bwrap': { uid: 0, mode: 0o755, dir: false },
    '/home': { uid: 0, mode: 0o755, dir: true },
    '/home/u': { uid: 1000, mode: 0o755, dir: true },
    '/home/u/bwrap': { uid: 0, mode: 0o755, dir: false },
    '/opt/w': { uid: 0, mode: 0o775, dir: true },
    '/opt/w/bwrap': { uid: 0, mode: 0o755, dir: false },
  };
  const lstat = (p: string) => (fs[p] ? { uid: fs[p]!.uid, mode: fs[p]!.mode, isFile: () => !fs[p]!.dir, isDirectory: () => fs[p]!.dir } : undefined);
  assert.equal(refusedOverride('/opt/bwrap', lstat), null);
  assert.equal(refusedOverride('/opt/missing/bwrap', lstat), '/opt/missing does not exist');
  assert.match(refusedOverride('/tmp/bwrap', lstat)!, /\/tmp is writable by group or others/);
  assert.match(refusedOverride('/home/u/bwrap', lstat)!, /\/home\/u is not owned by root/);
  assert.match(refusedOverride('/opt/w/bwrap', lstat)!, /\/opt\/w is writable/);
  assert.match(refusedOverride('/usr/bin/false', lstat)!, /called bwrap/);
  assert.match(refusedOverride('bwrap', lstat)!, /absolute/);
});
