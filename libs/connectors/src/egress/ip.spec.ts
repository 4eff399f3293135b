import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddedIpv4, formatIpv4, inRange, overlaps, parseIp, parseRange, unmap } from './ip';

const v6 = (text: string): bigint => parseIp(text)!.value;
const embedded = (text: string): string[] => embeddedIpv4(parseIp(text)!).map((ip) => formatIpv4(ip.value));

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

  it('folds IPv4-mapped addresses', () => {
    assert.deepEqual(unmap(parseIp('::ffff:10.0.0.1')!), parseIp('10.0.0.1'));
    assert.deepEqual(unmap(parseIp('::10.0.0.1')!), parseIp('::10.0.0.1'));
    assert.equal(formatIpv4(parseIp('192.0.2.255')!.value), '192.0.2.255');
  });

  it('reads the IPv4 address embedded in every IPv6 transition form', () => {
    // IPv4-compatible, but :: and ::1 are themselves.
    assert.deepEqual(embedded('::a9fe:a9fe'), ['169.254.169.254']);
    assert.deepEqual(embedded('::127.0.0.1'), ['127.0.0.1']);
    assert.deepEqual(embedded('::'), []);
    assert.deepEqual(embedded('::1'), []);
    assert.deepEqual(embedded('::2'), [], '0.0.0.0/8 is nowhere');
    // SIIT and NAT64 with the well-known prefix.
    assert.deepEqual(embedded('::ffff:0:a9fe:a9fe'), ['169.254.169.254']);
    assert.deepEqual(embedded('64:ff9b::a9fe:a9fe'), ['169.254.169.254']);
    assert.deepEqual(embedded('64:FF9B::10.1.2.3'), ['10.1.2.3']);
    // NAT64 local-use: each RFC 6052 position a /48, /56, /64 or /96 prefix puts it at.
    assert.deepEqual(embedded('64:ff9b:1::a9fe:a9fe'), ['169.254.169.254'], 'the zeros of /48, /56 and /64 are left out');
    assert.ok(embedded('64:ff9b:1:a9fe:a9:fe00::').includes('169.254.169.254'), '/48');
    assert.ok(embedded('64:ff9b:1:a9:fe:a9fe::').includes('169.254.169.254'), '/56');
    assert.ok(embedded('64:ff9b:1:0:a9:fea9:fe00:0').includes('169.254.169.254'), '/64');
    // 6to4, Teredo (server, and client bit-inverted), ISATAP under any prefix.
    assert.deepEqual(embedded('2002:a9fe:a9fe::1'), ['169.254.169.254']);
    assert.deepEqual(embedded('2001:0:a9fe:a9fe:8000:f227:5601:5601'), ['169.254.169.254', '169.254.169.254']);
    assert.deepEqual(embedded('2001:0:4136:e378:8000:63bf:80ff:fffe'), ['65.54.227.120', '127.0.0.1']);
    assert.deepEqual(embedded('2001:db8::5efe:a9fe:a9fe'), ['169.254.169.254']);
    assert.deepEqual(embedded('fe80::200:5efe:7f00:1'), ['127.0.0.1']);
    // Plain IPv6 and IPv4 embed nothing.
    for (const text of ['2001:db8::a9fe:a9fe', '2001:4860::8888', '64:ff9c::a9fe:a9fe', '2003::1', 'fd00::1', '10.0.0.1']) {
      assert.deepEqual(embedded(text), [], text);
    }
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

  it('tells whether two ranges share an address', () => {
    const overlap = (a: string, b: string): boolean => overlaps(parseRange(a) as never, parseRange(b) as never);
    assert.ok(overlap('127.0.0.0/8', '127.0.0.2'));
    assert.ok(overlap('127.0.0.2', '127.0.0.0/8'));
    assert.ok(overlap('0.0.0.0/0', '10.0.0.1'));
    assert.ok(overlap('::1', '::1/128'));
    assert.ok(!overlap('10.0.0.0/8', '127.0.0.1'));
    assert.ok(!overlap('::1', '127.0.0.1'));
    assert.ok(!overlap('10.0.0.5', '10.0.0.6'));
  });
});
