import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { namedPathCandidates, namedPaths, relativeFromProject, shadowLayout } from '../../../src/policy/named-paths.js';

const base = { cwd: '/home/dev/work/app', projectDir: '/home/dev/work/app', home: '/home/dev' };

test('npm: paths and archives on the command line, file:/link: dependencies in the manifest', () => {
  const manifest = JSON.stringify({ dependencies: { lib: 'file:../lib', x: '^1.0.0' }, devDependencies: { tool: 'link:/opt/tool' } });
  assert.deepEqual(
    namedPathCandidates({ ...base, profile: 'npm', args: ['install', '../pkg/x.tgz', 'left-pad', './vendor/y', 'file:../z', 'https://e.com/a.tgz', '--save-dev'], manifest }),
    ['/home/dev/work/pkg/x.tgz', '/home/dev/work/app/vendor/y', '/home/dev/work/z', '/home/dev/work/lib', '/opt/tool'],
  );
});

test('pip: requirement and constraint files, local paths and wheels; an editable VCS URL is not a path', () => {
  assert.deepEqual(
    namedPathCandidates({ ...base, profile: 'pip', args: ['install', '-r', '../requirements.txt', '--constraint=../c.txt', '-e', 'git+https://x/y', '-e', '../mylib', 'dist/pkg-1.0-py3-none-any.whl', 'requests'] }),
    ['/home/dev/work/requirements.txt', '/home/dev/work/c.txt', '/home/dev/work/mylib', '/home/dev/work/app/dist/pkg-1.0-py3-none-any.whl'],
  );
});

test('only existing paths outside the project are bound; never one that contains the project or the home directory', () => {
  const exists = new Set(['/home/dev/work/pkg/x.tgz', '/home/dev/work/app/vendor/y', '/home/dev/work', '/home/dev', '/opt/tool', '/opt/tool/sub']);
  const r = namedPaths({
    ...base,
    profile: 'npm',
    args: ['install', '../pkg/x.tgz', './vendor/y', '..', '~', '/opt/tool', '/opt/tool/sub', '../missing.tgz'],
    real: (p) => (p === '/home/dev/work/app/~' ? undefined : exists.has(p) ? p : undefined),
  });
  assert.deepEqual(r.bound, ['/home/dev/work/pkg/x.tgz', '/opt/tool']);
  assert.equal(r.refused.length, 1);
  assert.match(r.refused[0]!, /^\/home\/dev\/work was not made visible in the jail: it contains the project/);
});

test('/dev, /proc and /sys are the jail\'s own: never bound (curl --output /dev/null)', () => {
  const r = namedPaths({ ...base, profile: 'generic', args: ['-sS', '--output', '/dev/null', '/proc/self/status', '/sys/kernel', '/devices/x'], real: (p) => p });
  assert.deepEqual(r.bound, ['/devices/x']);
});

test('a bound path as the project reads it', () => {
  assert.equal(relativeFromProject('/home/dev/work/app', '/home/dev/work/lib'), '../lib');
  assert.equal(relativeFromProject('/home/dev/work/app', '/opt/tool'), '../../../../opt/tool');
});

test('the landlock shadow layout: relative paths from the shadow lead to the copies of the named paths', () => {
  assert.deepEqual(shadowLayout('/w/x/proj', []), { shadow: 'shadow', mirrors: [], dirs: [] });
  const one = shadowLayout('/w/x/proj', ['/w/x/common', '/w/x/lib.tgz']);
  assert.deepEqual(one, { shadow: 'shadow-view/proj', mirrors: [{ from: '/w/x/common', at: 'shadow-view/common' }, { from: '/w/x/lib.tgz', at: 'shadow-view/lib.tgz' }], dirs: ['shadow-view'] });
  const two = shadowLayout('/w/x/proj', ['/w/y/lib', '/w/x/common']);
  assert.deepEqual(two.shadow, 'shadow-view/x/proj');
  assert.deepEqual(two.mirrors.map((m) => m.at), ['shadow-view/y/lib', 'shadow-view/x/common']);
  assert.deepEqual(two.dirs, ['shadow-view', 'shadow-view/x', 'shadow-view/y']);
  // What npm computes from the shadow is what it computes from the project.
  for (const m of two.mirrors) assert.equal(relative(`/run/${two.shadow}`, `/run/${m.at}`), relative('/w/x/proj', m.from));
  // A path far away: the layout reaches up to the root.
  const far = shadowLayout('/home/u/proj', ['/srv/lib']);
  assert.equal(far.shadow, 'shadow-view/home/u/proj');
  assert.deepEqual(far.mirrors, [{ from: '/srv/lib', at: 'shadow-view/srv/lib' }]);
});
