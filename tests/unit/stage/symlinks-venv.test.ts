import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSymlinkTarget } from '../../../src/stage/symlinks.js';

const none = () => false;

test('a venv interpreter link to the system python is kept; nothing else absolute is', () => {
  assert.deepEqual(checkSymlinkTarget('.venv/bin/python3', '/usr/bin/python3', none), { ok: true, resolved: '/usr/bin/python3' });
  assert.deepEqual(checkSymlinkTarget('venv/bin/python3.11', '/usr/local/bin/python3.11', none), { ok: true, resolved: '/usr/local/bin/python3.11' });
  assert.equal(checkSymlinkTarget('.venv/bin/python3', '/etc/passwd', none).ok, false);
  assert.equal(checkSymlinkTarget('.venv/bin/pip', '/usr/bin/python3', none).ok, false);
  assert.equal(checkSymlinkTarget('node_modules/x/python3', '/usr/bin/python3', none).ok, false);
  assert.equal(checkSymlinkTarget('a/.venv/bin/python3', '/usr/bin/python3', none).ok, false);
});
