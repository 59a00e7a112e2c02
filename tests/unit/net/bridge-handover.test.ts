import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HANDOVER_MESSAGE, receiveHandover } from '../../../src/net/bridge-handover.js';

test('a socket sent with the handover message is adopted', () => {
  const s = new Socket();
  const adopted: Socket[] = [];
  assert.equal(receiveHandover(HANDOVER_MESSAGE, s, (x) => adopted.push(x)), true);
  assert.deepEqual(adopted, [s]);
  s.destroy();
});

test('anything else on the channel is closed and never adopted', () => {
  const adopted: unknown[] = [];
  const adopt = (x: Socket) => adopted.push(x);
  const wrongMessage = new Socket();
  assert.equal(receiveHandover('something else', wrongMessage, adopt), false);
  assert.equal(wrongMessage.destroyed, true);
  const server = createServer();
  let closed = false;
  server.close = (() => ((closed = true), server)) as typeof server.close;
  assert.equal(receiveHandover(HANDOVER_MESSAGE, server, adopt), false);
  assert.equal(closed, true, 'a listening handle from the channel is closed');
  assert.equal(receiveHandover({ cmd: 'x' }, undefined, adopt), false);
  assert.equal(receiveHandover(HANDOVER_MESSAGE, undefined, adopt), false);
  assert.deepEqual(adopted, []);
});

test('the standalone bridge spells the handover message the same way', () => {
  const bridge = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../src/net/jail-bridge.js'), 'utf8');
  assert.ok(bridge.includes(`'${HANDOVER_MESSAGE}'`));
});
