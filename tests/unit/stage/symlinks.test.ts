import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSymlinkTarget } from '../../../src/stage/symlinks.js';
import { writeRules } from '../../../src/stage/rules.js';

const sensitive = writeRules([]).isSensitive;
const check = (link: string, target: string) => checkSymlinkTarget(link, target, sensitive);

test("npm's .bin links and pnpm's store links stay inside and are kept", () => {
  assert.deepEqual(check('node_modules/.bin/x', '../x/bin.js'), { ok: true, resolved: 'node_modules/x/bin.js' });
  assert.equal(check('node_modules/a', '.pnpm/a@1.0.0/node_modules/a').ok, true);
  assert.equal(check('node_modules/.pnpm/a@1/node_modules/b', '../../b@2/node_modules/b').ok, true);
  assert.equal(check('node_modules/ws', '../packages/ws').ok, true, 'a workspace link into the project');
});

test('a link to an absolute path is refused, even /etc', () => {
  assert.match((check('node_modules/x/evil', '/etc') as { reason: string }).reason, /absolute/);
});

test('a link that climbs out of the project is refused', () => {
  assert.match((check('node_modules/x/up', '../../../..') as { reason: string }).reason, /outside the project/);
  assert.match((check('a', '../b') as { reason: string }).reason, /outside/);
});

test("'..' after a name is refused: the kernel resolves it after following links, so it cannot be checked lexically", () => {
  // node_modules/y -> . ; node_modules/x -> y/../.. reads as the project root but is its parent
  assert.match((check('node_modules/x', 'y/../..') as { reason: string }).reason, /after a directory name/);
  assert.match((check('node_modules/x', 'a/../b') as { reason: string }).reason, /after a directory name/);
});

test('a link to the project root, or into .git or .github, is refused (a later write through it would land there)', () => {
  assert.match((check('node_modules/root', '..') as { reason: string }).reason, /project root/);
  assert.match((check('node_modules/h', '../.git/hooks') as { reason: string }).reason, /into \.git/);
  assert.match((check('node_modules/w', '../.github/workflows') as { reason: string }).reason, /into \.github/);
});

test('odd targets are refused', () => {
  assert.equal(check('node_modules/x', '').ok, false);
  assert.equal(check('node_modules/x', 'a/\x1b[31m').ok, false);
  assert.equal(check('node_modules/x', './y').ok, true);
});

test('a link out of the project is kept only when it leads exactly to a path the user named (a file: dependency)', () => {
  const none = () => false;
  assert.deepEqual(checkSymlinkTarget('node_modules/lib', '../../lib', none, ['../lib']), { ok: true, resolved: '../lib' });
  assert.equal(checkSymlinkTarget('node_modules/lib', '../../lib', none).ok, false, 'not named: refused as before');
  assert.equal(checkSymlinkTarget('node_modules/lib', '../../lib/sub', none, ['../lib']).ok, false, 'inside it: refused');
  assert.equal(checkSymlinkTarget('node_modules/lib', '../../other', none, ['../lib']).ok, false);
  assert.equal(checkSymlinkTarget('node_modules/lib', '/abs/lib', none, ['/abs/lib']).ok, false, 'absolute targets stay refused');
});
