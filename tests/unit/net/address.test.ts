import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress, isPublicAddress, parseIPv6 } from '../../../src/net/address.js';

const cls = (a: string) => classifyAddress(a).class;

test('IPv4 ranges a jailed script must not reach on its own', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['169.254.169.254', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
  ];
  for (const [address, expected] of cases) assert.equal(cls(address), expected, address);
});

test('public IPv4 addresses next to the private ranges stay public', () => {
  for (const address of ['8.8.8.8', '104.16.0.1', '172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '192.169.0.1', '11.0.0.1', '169.253.255.255', '223.255.255.255', '1.1.1.1']) {
    assert.equal(cls(address), 'public', address);
  }
});

test('IPv6 special ranges', () => {
  const cases: [string, string][] = [
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['64:ff9b:1::1', 'private'],
    ['::7f00:1', 'reserved'],
    ['::127.0.0.1', 'reserved'],
    ['4000::1', 'reserved'],
  ];
  for (const [address, expected] of cases) assert.equal(cls(address), expected, address);
  assert.equal(cls('2606:4700::6810:1'), 'public');
  assert.equal(cls('2a00:1450:4001::200e'), 'public');
});

test('IPv6 forms that carry an IPv4 address are judged by that address', () => {
  const mapped = classifyAddress('::ffff:127.0.0.1');
  assert.equal(mapped.class, 'loopback');
  assert.equal(mapped.embedded, '127.0.0.1');
  assert.match(mapped.range, /IPv4-mapped/);
  assert.equal(cls('::ffff:7f00:1'), 'loopback');
  assert.equal(cls('0:0:0:0:0:ffff:a9fe:a9fe'), 'link-local');
  assert.equal(cls('::ffff:10.1.2.3'), 'private');
  assert.equal(cls('::ffff:8.8.8.8'), 'public');
  assert.equal(cls('64:ff9b::a9fe:a9fe'), 'link-local');
  assert.equal(cls('64:ff9b::8.8.8.8'), 'public');
  assert.equal(cls('2002:7f00:1::1'), 'loopback');
  assert.equal(cls('2002:c0a8:101::1'), 'private');
  assert.equal(cls('2002:808:808::1'), 'public');
});

test('the metadata service is named in the reason', () => {
  assert.match(classifyAddress('169.254.169.254').range, /metadata/);
  assert.equal(isPublicAddress('169.254.169.254'), false);
});

test('IPv6 text of every shape expands to the same sixteen bytes', () => {
  const want = Array.from(parseIPv6('::ffff:7f00:1')!);
  assert.deepEqual(Array.from(parseIPv6('::ffff:127.0.0.1')!), want);
  assert.deepEqual(Array.from(parseIPv6('0:0:0:0:0:ffff:7f00:0001')!), want);
  assert.equal(parseIPv6('1::2::3'), undefined);
  assert.equal(parseIPv6('127.0.0.1'), undefined);
  assert.throws(() => classifyAddress('example.com'), /not an IP address/);
});
