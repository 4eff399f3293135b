import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIpv4, inRange, nat64Target, parseIp, parseRange, unmap } from './ip';

const v6 = (text: string): bigint => parseIp(text)!.value;

describe('ip', () => {
  it('parses every IPv6 spelling to the same number', () => {
    assert.equal(v6('::'), 0n);
    assert.equal(v6('::1'), 1n);
    assert.equal(v6('1::'), 1n << 112n);
    assert.equal(v6('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
    assert.equal(v6('1:2:3:4:5:6:7:8'), v6('1:2:3:4:5:6:0.7.0.8'));
    assert.equal(v6('1::8'), v6('1:0:0:0:0:0:0:8'));
    assert.equal(v6('::ffff:1.2.3.4'), v6('0:0:0:0:0:FFFF:0102:0304'));
    assert.equal(v6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), (1n << 128n) - 1n);
  });

  it('refuses what is not a strict literal', () => {
    for (const text of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.0.0.1', '1:::2', '1::2::3', 'fe80::1%eth0', '[::1]', 'g::1']) {
      assert.equal(parseIp(text), undefined, text);
    }
  });

  it('folds IPv4-mapped addresses and reads NAT64 targets', () => {
    assert.deepEqual(unmap(parseIp('::ffff:10.0.0.1')!), parseIp('10.0.0.1'));
    assert.deepEqual(unmap(parseIp('::10.0.0.1')!), parseIp('::10.0.0.1'));
    assert.deepEqual(nat64Target(parseIp('64:ff9b::a9fe:a9fe')!), parseIp('169.254.169.254'));
    assert.equal(nat64Target(parseIp('64:ff9b:1::a9fe:a9fe')!), undefined);
    assert.equal(formatIpv4(parseIp('192.0.2.255')!.value), '192.0.2.255');
  });

  it('parses ranges, folding mapped ones to IPv4, and matches by family', () => {
    assert.deepEqual(parseRange('10.1.2.3/8'), { family: 4, network: 10n << 24n, prefix: 8 });
    assert.deepEqual(parseRange('::ffff:10.0.0.0/104'), parseRange('10.0.0.0/8'));
    assert.deepEqual(parseRange('::ffff:0:0/96'), parseRange('0.0.0.0/0'));
    assert.equal(parseRange('10.0.0.0/33'), 'prefix');
    assert.equal(parseRange('::/129'), 'prefix');
    assert.equal(parseRange('10.0.0.0/1000'), undefined);
    assert.ok(inRange(parseIp('0.0.0.1')!, parseRange('0.0.0.0/0') as never));
    assert.ok(!inRange(parseIp('::1')!, parseRange('0.0.0.0/0') as never));
    assert.ok(inRange(parseIp('2001:db8::1')!, parseRange('2001:db8::/32') as never));
    assert.ok(!inRange(parseIp('2001:db9::1')!, parseRange('2001:db8::/32') as never));
  });
});
