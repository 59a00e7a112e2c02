import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNodeBinary, isPythonInterpreter, looksLikeSharedObject, nodePackageRoot, npmGlobalConfigFor } from '../../../src/jail/exe-roles.js';

test('the npm package a bin belongs to is the outermost node_modules/<pkg>', () => {
  assert.equal(nodePackageRoot('/usr/lib/node_modules/npm/bin/npm-cli.js'), '/usr/lib/node_modules/npm');
  assert.equal(nodePackageRoot('/home/u/.nvm/versions/node/v20/lib/node_modules/@scope/tool/dist/cli.js'), '/home/u/.nvm/versions/node/v20/lib/node_modules/@scope/tool');
  assert.equal(nodePackageRoot('/usr/lib/node_modules/a/node_modules/b/bin/x.js'), '/usr/lib/node_modules/a');
  assert.equal(nodePackageRoot('/usr/lib/node_modules/.bin/x'), undefined);
  assert.equal(nodePackageRoot('/usr/bin/node'), undefined);
  assert.equal(nodePackageRoot('/usr/lib/node_modules/npm'), undefined, 'the package directory itself is not a file in it');
});

test('roles by name', () => {
  assert.equal(isPythonInterpreter('/usr/bin/python3.11'), true);
  assert.equal(isPythonInterpreter('/usr/bin/python3'), true);
  assert.equal(isPythonInterpreter('/usr/bin/python3-config'), false);
  assert.equal(isNodeBinary('/usr/local/bin/node'), true);
  assert.equal(isNodeBinary('/usr/bin/nodemon'), false);
  assert.equal(npmGlobalConfigFor('/usr/bin/node'), '/usr/etc/npmrc');
  assert.equal(npmGlobalConfigFor('/opt/node/bin/node'), '/opt/node/etc/npmrc');
  assert.equal(looksLikeSharedObject('_ssl.cpython-311-x86_64-linux-gnu.so'), true);
  assert.equal(looksLikeSharedObject('libfoo.so.1.2'), true);
  assert.equal(looksLikeSharedObject('addon.node'), true);
  assert.equal(looksLikeSharedObject('README.so.md'), false);
});
