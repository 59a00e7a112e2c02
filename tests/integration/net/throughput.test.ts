import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureThroughput } from './throughput.js';

test('every byte of a download arrives through bridge and proxy, tunnelled or as plain HTTP, handed over or carried over the socket', async (t) => {
  const results = await measureThroughput(16 * 1048576);
  assert.deepEqual(
    results.map((r) => r.path),
    ['direct TCP', 'CONNECT via bridge+proxy', 'HTTP GET via bridge+proxy', 'CONNECT via bridge+socket+proxy', 'HTTP GET via bridge+socket+proxy'],
  );
  for (const r of results) t.diagnostic(`${r.path}: ${r.mibPerSecond.toFixed(0)} MiB/s`);
});
