import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { LdCacheError, lookupLdCache, parseLdCache } from '../../../src/jail/ld-cache.js';

interface E {
  name: string;
  path: string;
  flags: number;
  hwcap?: bigint;
}

/** The new layout, as glibc ≥ 2.32's ldconfig writes it; offsets count from the header. */
function newFormat(entries: E[], little = true): Buffer {
  const header = 48;
  const table = header + entries.length * 24;
  const strs: Buffer[] = [];
  let off = table;
  const place = (s: string) => {
    const at = off;
    const b = Buffer.from(`${s}\0`);
    strs.push(b);
    off += b.length;
    return at;
  };
  const placed = entries.map((e) => ({ ...e, k: place(e.name), v: place(e.path) }));
  const buf = Buffer.alloc(off);
  buf.write('glibc-ld.so.cache1.1', 0, 'latin1');
  const u32 = (v: number, at: number) => (little ? buf.writeUInt32LE(v, at) : buf.writeUInt32BE(v, at));
  u32(entries.length, 20);
  u32(off - table, 24);
  buf.writeUInt8(little ? 2 : 3, 28);
  placed.forEach((e, i) => {
    const at = header + i * 24;
    little ? buf.writeInt32LE(e.flags, at) : buf.writeInt32BE(e.flags, at);
    u32(e.k, at + 4);
    u32(e.v, at + 8);
    little ? buf.writeBigUInt64LE(e.hwcap ?? 0n, at + 16) : buf.writeBigUInt64BE(e.hwcap ?? 0n, at + 16);
  });
  Buffer.concat(strs).copy(buf, table);
  return buf;
}

/** The old libc5-era layout: offsets count from the end of the entry table. */
function oldFormat(entries: E[]): Buffer {
  const tableEnd = 16 + entries.length * 12;
  const strs: Buffer[] = [];
  let off = 0;
  const place = (s: string) => {
    const at = off;
    const b = Buffer.from(`${s}\0`);
    strs.push(b);
    off += b.length;
    return at;
  };
  const placed = entries.map((e) => ({ ...e, k: place(e.name), v: place(e.path) }));
  const buf = Buffer.alloc(tableEnd + off);
  buf.write('ld.so-1.7.0', 0, 'latin1');
  buf.writeUInt32LE(entries.length, 12);
  placed.forEach((e, i) => {
    const at = 16 + i * 12;
    buf.writeInt32LE(e.flags, at);
    buf.writeUInt32LE(e.k, at + 4);
    buf.writeUInt32LE(e.v, at + 8);
  });
  Buffer.concat(strs).copy(buf, tableEnd);
  return buf;
}

const sample: E[] = [
  { name: 'libz.so.1', path: '/lib/x86_64-linux-gnu/libz.so.1', flags: 0x0303 },
  { name: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6', flags: 0x0303 },
  { name: 'libc.so.6', path: '/lib/i386-linux-gnu/libc.so.6', flags: 0x0003 },
  { name: 'libold.so.1', path: '/lib/libold.so.1', flags: 0x0002 },
];

test('the new cache layout maps names to paths, little- and big-endian', () => {
  for (const little of [true, false]) {
    const entries = parseLdCache(newFormat(sample, little));
    assert.deepEqual(
      entries.map((e) => [e.name, e.path, e.flags]),
      sample.map((e) => [e.name, e.path, e.flags]),
    );
  }
});

test('lookup returns every glibc ELF entry for a name, in cache order, and skips libc5 entries', () => {
  const entries = parseLdCache(newFormat(sample));
  assert.deepEqual(lookupLdCache(entries, 'libc.so.6'), ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/i386-linux-gnu/libc.so.6']);
  assert.deepEqual(lookupLdCache(entries, 'libold.so.1'), []);
  assert.deepEqual(lookupLdCache(entries, 'libnothere.so'), []);
});

test('the old layout alone, and old followed by new (the compat layout: the new table wins)', () => {
  assert.deepEqual(
    parseLdCache(oldFormat(sample)).map((e) => e.path),
    sample.map((e) => e.path),
  );
  // Compat layout: old header and table (whose strings, in a real file, sit after the new
  // table), padded to 8 bytes, then the new header and table.
  const oldPart = Buffer.alloc(32);
  oldPart.write('ld.so-1.7.0', 0, 'latin1');
  oldPart.writeUInt32LE(1, 12);
  oldPart.writeInt32LE(0x0303, 16);
  const compat = Buffer.concat([oldPart, newFormat(sample)]);
  assert.deepEqual(
    parseLdCache(compat).map((e) => e.path),
    sample.map((e) => e.path),
  );
});

test('garbage and truncated caches are LdCacheErrors', () => {
  assert.throws(() => parseLdCache(Buffer.from('not a cache at all, just text.........................')), LdCacheError);
  const full = newFormat(sample);
  assert.throws(() => parseLdCache(full.subarray(0, 60)), LdCacheError);
  const badOffset = Buffer.from(full);
  badOffset.writeUInt32LE(0xfffffff0, 48 + 4);
  assert.throws(() => parseLdCache(badOffset), LdCacheError);
});

test("this host's /etc/ld.so.cache resolves libc.so.6 to a file that exists", (t) => {
  if (!existsSync('/etc/ld.so.cache')) {
    t.skip('no /etc/ld.so.cache on this host');
    return;
  }
  const entries = parseLdCache(readFileSync('/etc/ld.so.cache'));
  assert.ok(entries.length > 10, `${entries.length} entries`);
  const libc = lookupLdCache(entries, 'libc.so.6');
  assert.ok(libc.length >= 1);
  assert.ok(libc.every((p) => p.startsWith('/')));
  assert.ok(existsSync(libc[0]!), libc[0]);
});
