import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envProgram, parseShebang } from '../../../src/host/shebang.js';

const sb = (s: string) => parseShebang(Buffer.from(s, 'latin1'));

test('interpreter and one optional argument, as the kernel splits them', () => {
  assert.deepEqual(sb('#!/usr/bin/python3\nimport sys\n'), { interpreter: '/usr/bin/python3' });
  assert.deepEqual(sb('#!/usr/bin/env node\nrequire("x")'), { interpreter: '/usr/bin/env', arg: 'node' });
  assert.deepEqual(sb('#! /bin/sh -e\n'), { interpreter: '/bin/sh', arg: '-e' });
  assert.deepEqual(sb('#!\t/bin/bash  -x  -e \r\n'), { interpreter: '/bin/bash', arg: '-x  -e' }, 'the rest of the line is ONE argument');
  assert.deepEqual(sb('#!/bin/sh'), { interpreter: '/bin/sh' }, 'no newline at all');
});

test('no shebang, or an empty one', () => {
  assert.equal(sb('\x7fELF....'), undefined);
  assert.equal(sb('# comment\n'), undefined);
  assert.equal(sb('#!   \n'), undefined);
  assert.equal(sb(''), undefined);
});

test('only the first 256 bytes count', () => {
  const long = `#!/usr/bin/${'x'.repeat(300)}\n`;
  assert.equal(sb(long)!.interpreter.length, 254);
});

test('the program env runs', () => {
  assert.equal(envProgram({ interpreter: '/usr/bin/env', arg: 'node' }), 'node');
  assert.equal(envProgram({ interpreter: '/usr/bin/env', arg: '-S node --no-warnings' }), 'node');
  assert.equal(envProgram({ interpreter: '/usr/bin/env', arg: '-S NODE_ENV=production -u HOME node' }), 'node');
  assert.equal(envProgram({ interpreter: '/usr/bin/env', arg: '-S -i python3 -u' }), 'python3');
  assert.equal(envProgram({ interpreter: '/usr/bin/env', arg: '--split-string=deno run' }), 'deno');
  assert.equal(envProgram({ interpreter: '/usr/bin/env', arg: 'node --flag' }), 'node --flag', 'without -S the whole argument is the name env looks up');
  assert.equal(envProgram({ interpreter: '/usr/bin/env' }), undefined);
  assert.equal(envProgram({ interpreter: '/usr/bin/python3', arg: 'node' }), undefined);
});
