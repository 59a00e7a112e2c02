import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanClientHello } from '../../../src/net/tls-client-hello.js';
import { clientHello } from './client-hello-bytes.js';

test('the server name is read from a ClientHello', () => {
  assert.deepEqual(scanClientHello(clientHello({ serverNames: ['registry.npmjs.org'] })), { kind: 'client-hello', serverName: 'registry.npmjs.org' });
  assert.deepEqual(scanClientHello(clientHello()), { kind: 'client-hello', serverName: undefined });
});

test('a ClientHello split over records and arriving byte by byte is read once complete', () => {
  const bytes = clientHello({ serverNames: ['a.example'], recordSize: 20, padding: 300 });
  for (let n = 0; n < bytes.length; n++) assert.deepEqual(scanClientHello(bytes.subarray(0, n)), { kind: 'need-more' }, `at ${n} bytes`);
  assert.deepEqual(scanClientHello(bytes), { kind: 'client-hello', serverName: 'a.example' });
});

test('a tunnel that does not start with a TLS handshake is not TLS', () => {
  assert.equal(scanClientHello(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')).kind, 'not-tls');
  assert.equal(scanClientHello(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'not-tls');
  assert.equal(scanClientHello(Buffer.from([0x16, 0x02])).kind, 'not-tls');
});

test('ambiguous or broken ClientHellos are malformed (refused, never guessed)', () => {
  assert.equal(scanClientHello(clientHello({ serverNames: ['a.example'], duplicateExtension: true })).kind, 'malformed');
  assert.equal(scanClientHello(clientHello({ serverNames: ['a.example', 'evil.example'] })).kind, 'malformed');
  assert.equal(scanClientHello(clientHello({ serverNames: ['evil\u001b.example'] })).kind, 'malformed');
  const notHello = Buffer.from(clientHello({ serverNames: ['a.example'] }));
  notHello[5] = 0x02;
  assert.equal(scanClientHello(notHello).kind, 'malformed');
  const interrupted = Buffer.concat([clientHello({ serverNames: ['a.example'], recordSize: 20 }).subarray(0, 25), Buffer.from([0x17, 0x03, 0x03, 0x00, 0x01, 0x00])]);
  assert.equal(scanClientHello(interrupted).kind, 'malformed');
  const huge = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff]);
  assert.equal(scanClientHello(huge).kind, 'malformed');
});
