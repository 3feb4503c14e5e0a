import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr, parseIp } from './cidr.js';

test('IPv4 literals become 8 hex digits; leading zeros read as decimal, as in Java', () => {
  assert.equal(parseIp('10.0.0.33'), '0A000021');
  assert.equal(parseIp('010.000.000.033'), '0A000021');
  assert.equal(parseIp('255.255.255.255'), 'FFFFFFFF');
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', 'a.b.c.d', '', 'running']) assert.equal(parseIp(bad), null, bad);
});

test('IPv6 literals become 32 hex digits, with :: compression', () => {
  assert.equal(parseIp('::'), '0'.repeat(32));
  assert.equal(parseIp('::1'), '0'.repeat(31) + '1');
  assert.equal(parseIp('2001:db8::ff00:42:8329'), '20010DB8000000000000FF0000428329');
  assert.equal(parseIp('2001:DB8:0:0:0:ff00:42:8329'), '20010DB8000000000000FF0000428329');
  assert.equal(parseIp('1::'), '0001' + '0'.repeat(28));
  for (const bad of [':1', '1:', '1:::2', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', 'arn:aws:s3', '::1%eth0', '::ffff:1.2.3.4']) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test('an IPv4-mapped IPv6 address is its IPv4 address (Java InetAddress)', () => {
  assert.equal(parseIp('::ffff:0a00:0021'), '0A000021');
});

test('CIDR blocks: the masked base up to all host bits set', () => {
  assert.deepEqual(parseCidr('10.0.0.0/24'), { lo: '0A000000', hi: '0A0000FF' });
  assert.deepEqual(parseCidr('220.160.153.171/31'), { lo: 'DCA099AA', hi: 'DCA099AB' });
  assert.deepEqual(parseCidr('10.1.2.3/0'), { lo: '00000000', hi: 'FFFFFFFF' });
  assert.deepEqual(parseCidr('2001:db8::/32'), { lo: '20010DB8' + '0'.repeat(24), hi: '20010DB8' + 'F'.repeat(24) });
  assert.deepEqual(parseCidr('10.0.0.0/+8'), { lo: '0A000000', hi: '0AFFFFFF' });
});

test('refused CIDR blocks, with event-ruler reasons', () => {
  assert.equal(parseCidr('10.0.0.0/'), "Malformed CIDR, one '/' required");
  assert.equal(parseCidr('10.0.0.0/8/8'), "Malformed CIDR, one '/' required");
  assert.equal(parseCidr('10.0.0.0/8.5'), 'Malformed CIDR, mask bits must be an integer');
  assert.equal(parseCidr('10.0.0.0/99999999999'), 'Malformed CIDR, mask bits must be an integer');
  assert.equal(parseCidr('/8'), 'Nonstandard IP address: ');
  assert.equal(parseCidr('1:::2/8'), 'Invalid IP address: 1:::2');
});
