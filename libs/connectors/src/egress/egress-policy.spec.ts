import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EgressPolicy, EgressPolicyError, EgressPolicyOptions } from './egress-policy';
import { metadataDatabaseTargets } from './metadata-database';

const PORT = 5432;

function assertAllowed(policy: EgressPolicy, addresses: string[], port = PORT): void {
  for (const address of addresses) assert.equal(policy.check(address, port).allowed, true, `${address}:${port} should pass`);
}

function assertDenied(policy: EgressPolicy, addresses: string[], reason: string, port = PORT): void {
  for (const address of addresses) assert.deepEqual(policy.check(address, port), { allowed: false, reason }, `${address}:${port}`);
}

function parseError(options: EgressPolicyOptions): EgressPolicyError {
  try {
    EgressPolicy.parse(options);
  } catch (error) {
    assert.ok(error instanceof EgressPolicyError, String(error));
    return error;
  }
  assert.fail(`expected ${JSON.stringify(options)} to be refused`);
}

const METADATA = [
  '169.254.169.254',
  '169.254.0.1',
  'fd00:ec2::254',
  'FD00:EC2:0:0:0:0:0:254',
  'fd00:ec2::23',
  'fd20:ce::254',
  'fd00:42::42',
  '168.63.129.16',
  '100.100.100.200',
  '192.0.0.192',
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '0:0:0:0:0:ffff:a9fe:a9fe',
  '::ffff:168.63.129.16',
];
/** The metadata address in every IPv6 transition form: the embedded IPv4 is what is reached. */
const EMBEDDED_METADATA = [
  '64:ff9b::169.254.169.254',
  '::a9fe:a9fe',
  '::169.254.169.254',
  '::ffff:0:a9fe:a9fe',
  '::ffff:0:169.254.169.254',
  '64:ff9b:1::a9fe:a9fe',
  '64:ff9b:1:a9fe:a9:fe00::',
  '2002:a9fe:a9fe::1',
  '2001:0:a9fe:a9fe::',
  '2001:0:4136:e378:8000:f227:5601:5601',
  '2001:db8::5efe:a9fe:a9fe',
  '64:ff9b::a83f:8110',
  '2002:6464:64c8::',
  '::ffff:0:c000:c0',
];
const UNSPECIFIED = ['0.0.0.0', '0.1.2.3', '::', '::ffff:0.0.0.0'];
const LINK_LOCAL_V6 = ['fe80::1', 'febf:ffff::1'];
const MULTICAST = ['224.0.0.1', '239.255.255.250', 'ff02::1', '::ffff:224.0.0.1', '255.255.255.255'];
const ALWAYS_DENIED = [...METADATA, ...EMBEDDED_METADATA, ...UNSPECIFIED, ...LINK_LOCAL_V6, ...MULTICAST];

describe('EgressPolicy: always denied', () => {
  it('denies link-local, metadata, unspecified, multicast and broadcast in every IPv4 and IPv6 spelling', () => {
    assertDenied(EgressPolicy.parse(), ALWAYS_DENIED, 'always-denied');
  });

  it('keeps denying them in allow-list mode, even with everything allowed', () => {
    assertDenied(EgressPolicy.parse({ allow: '0.0.0.0/0, ::/0' }), ALWAYS_DENIED, 'always-denied');
    assertDenied(EgressPolicy.parse({ allow: '169.254.169.254, fe80::/10' }), ['169.254.169.254', 'fe80::1'], 'always-denied');
  });

  it('denies what is not a plain IP literal: zone ids, names, shorthand IPv4', () => {
    assertDenied(
      EgressPolicy.parse(),
      ['fe80::1%eth0', '2001:db8::1%1', 'localhost', '127.1', '2130706433', ' 8.8.8.8', ''],
      'not-an-address',
    );
  });

  it('leaves the neighbours of denied ranges alone', () => {
    assertAllowed(EgressPolicy.parse(), [
      '169.253.255.255',
      '169.255.0.0',
      '1.0.0.0',
      'fec0::1',
      'fd00:ec2::253',
      'fd20:ce::253',
      '168.63.129.17',
      '100.100.100.201',
      '192.0.0.193',
      '223.255.255.255',
      '64:ff9b::8.8.8.8',
      '64:ff9b:1::808:808',
      '2002:808:808::1',
      '2001:0:808:808::f7f7:f7f7',
      '2001:db8::a9fe:a9fe',
    ]);
  });
});

describe('EgressPolicy: default mode', () => {
  it('allows public, private and loopback addresses, and answers the IPv4 form of mapped ones', () => {
    const policy = EgressPolicy.parse();
    assertAllowed(policy, [
      '8.8.8.8',
      '10.1.2.3',
      '172.16.5.4',
      '192.168.1.1',
      '100.64.0.1',
      '127.0.0.1',
      '::1',
      'fd12::1',
      '2001:4860::8888',
    ]);
    assert.deepEqual(policy.check('::ffff:10.1.2.3', PORT), { allowed: true, address: '10.1.2.3', family: 4 });
    assert.deepEqual(policy.check('::1', PORT), { allowed: true, address: '::1', family: 6 });
    assert.deepEqual(policy.check('8.8.8.8', PORT), { allowed: true, address: '8.8.8.8', family: 4 });
  });

  it('treats blank settings as unset', () => {
    assertAllowed(EgressPolicy.parse({ deny: ' ', allow: '  ' }), ['8.8.8.8', '10.0.0.1']);
  });
});

describe('EgressPolicy: DENY', () => {
  it('private blocks RFC 1918, CGNAT and ULA in every spelling, not public addresses', () => {
    const policy = EgressPolicy.parse({ deny: 'private' });
    assertDenied(
      policy,
      [
        '10.1.2.3',
        '::ffff:10.1.2.3',
        '172.16.5.4',
        '172.31.255.255',
        '192.168.0.1',
        '100.64.0.1',
        'fc00::1',
        'fdff::1',
        '64:ff9b::10.0.0.1',
        '::10.0.0.1',
        '::ffff:0:10.0.0.1',
        '64:ff9b:1::a00:1',
        '2002:c0a8:101::1',
        '2001:0:4136:e378:8000:63bf:f5ff:fffe',
        '2001:db8::200:5efe:ac10:1',
      ],
      'deny-list',
    );
    assertAllowed(policy, ['8.8.8.8', '172.32.0.1', '100.128.0.1', '127.0.0.1', '::1', '2001:db8::1']);
  });

  it('loopback blocks 127/8 and ::1, in every IPv6 form that embeds an IPv4 address', () => {
    const policy = EgressPolicy.parse({ deny: 'loopback' });
    assertDenied(
      policy,
      [
        '127.0.0.1',
        '127.0.0.2',
        '127.255.255.254',
        '::1',
        '0:0:0:0:0:0:0:1',
        '::ffff:127.0.0.1',
        '::127.0.0.1',
        '::ffff:0:7f00:1',
        '64:ff9b::7f00:1',
        '64:ff9b:1::7f00:1',
        '2002:7f00:1::',
        '2001:0:4136:e378:8000:63bf:80ff:fffe',
        '2001:db8::5efe:7f00:1',
      ],
      'deny-list',
    );
    assertAllowed(policy, ['10.0.0.1', '::2', '128.0.0.1', '2001:db8::1']);
  });

  it('loopback is this host: every interface address too, in every form, as the guard last read them', () => {
    const localAddresses = ['192.0.2.2', 'fd00::2', '10.1.2.3'];
    const policy = EgressPolicy.parse({ deny: 'loopback', localAddresses });
    const interfaceForms = [
      '192.0.2.2',
      '::ffff:192.0.2.2',
      '64:ff9b::c000:202',
      '2002:c000:202::',
      'fd00::2',
      '10.1.2.3',
      '::ffff:a01:203',
    ];
    assertDenied(policy, ['127.0.0.1', '::1', ...interfaceForms], 'deny-list');
    assertDenied(policy, ['0.0.0.0', '::', '::ffff:0.0.0.0'], 'always-denied');
    assertAllowed(policy, ['192.0.2.3', 'fd00::3', '10.1.2.4', '8.8.8.8']);
    // Interfaces change (DHCP, VPNs, containers): the guard hands in the current ones on every check.
    const moved = policy.withLocalAddresses(['192.0.2.9']);
    assertDenied(moved, ['192.0.2.9', '::ffff:192.0.2.9', '127.0.0.1'], 'deny-list');
    assertAllowed(moved, ['192.0.2.2', 'fd00::2']);
    assert.equal(policy.needsLocalAddresses, true);
    assert.equal(EgressPolicy.parse({ deny: 'private, 203.0.113.0/24' }).needsLocalAddresses, false);
    assert.equal(EgressPolicy.parse({ allow: 'LOOPBACK' }).needsLocalAddresses, true);
    // In ALLOW the same: this host, whichever of its addresses.
    const allowed = EgressPolicy.parse({ allow: 'loopback', localAddresses });
    assertAllowed(allowed, ['127.0.0.1', '::1', '192.0.2.2', 'fd00::2', '::ffff:10.1.2.3']);
    assertDenied(allowed, ['192.0.2.3', '64:ff9b::c000:202', '8.8.8.8'], 'not-in-allow-list');
  });

  it('takes CIDRs and single IPs of both families, keywords in any case, spaces and empty items', () => {
    const policy = EgressPolicy.parse({ deny: ' 203.0.113.0/24 , 2001:db8::/32,,198.51.100.7, LOOPBACK ,::ffff:192.0.2.0/120' });
    assertDenied(policy, ['203.0.113.9', '2001:db8:1::1', '198.51.100.7', '::1', '192.0.2.200'], 'deny-list');
    assertAllowed(policy, ['203.0.114.1', '2001:db9::1', '198.51.100.8', '10.0.0.1', '192.0.3.1']);
  });

  it('masks host bits of a CIDR', () => {
    assertDenied(EgressPolicy.parse({ deny: '10.9.9.9/8' }), ['10.0.0.1'], 'deny-list');
  });
});

describe('EgressPolicy: ALLOW', () => {
  it('passes only the allowed ranges', () => {
    const policy = EgressPolicy.parse({ allow: '10.0.0.0/8' });
    assertAllowed(policy, ['10.1.1.1', '::ffff:10.1.1.1']);
    assertDenied(policy, ['192.168.1.1', '8.8.8.8', '::1', '2001:db8::1'], 'not-in-allow-list');
  });

  it('requires the embedded IPv4 address to be allowed as well', () => {
    const policy = EgressPolicy.parse({ allow: '2002::/16, 64:ff9b::/96, 10.0.0.0/8' });
    assertAllowed(policy, ['2002:a00:1::1', '64:ff9b::10.1.1.1']);
    assertDenied(policy, ['2002:808:808::1', '64:ff9b::8.8.8.8', '2001:0:a00:1::f5ff:fffe'], 'not-in-allow-list');
    assertDenied(EgressPolicy.parse({ allow: '::/0' }), ['64:ff9b::8.8.8.8', '::ffff:0:808:808'], 'not-in-allow-list');
    assertAllowed(EgressPolicy.parse({ allow: '::/0, 0.0.0.0/0' }), ['64:ff9b::8.8.8.8', '2002:808:808::1']);
  });

  it('still subtracts DENY', () => {
    const policy = EgressPolicy.parse({ allow: 'private, loopback', deny: '10.66.0.0/16' });
    assertAllowed(policy, ['10.1.1.1', '127.0.0.1', 'fd00::1']);
    assertDenied(policy, ['10.66.1.1'], 'deny-list');
    assertDenied(policy, ['8.8.8.8'], 'not-in-allow-list');
  });

  it('refuses a list with no entries rather than denying everything by accident', () => {
    const error = parseError({ allow: ' , ,' });
    assert.equal(error.setting, 'allow');
    assert.match(error.message, /no entries/);
  });
});

describe('EgressPolicy: protected targets', () => {
  it('denies a protected address on its port only, whatever ALLOW says', () => {
    const policy = EgressPolicy.parse({ allow: '0.0.0.0/0', protectedTargets: [{ host: '10.0.0.5', port: 5432 }] });
    assertDenied(policy, ['10.0.0.5', '::ffff:10.0.0.5'], 'protected', 5432);
    assertAllowed(policy, ['10.0.0.5'], 6432);
    assertAllowed(policy, ['10.0.0.6'], 5432);
  });

  it('denies every port when none is given, and takes CIDRs and IPv6', () => {
    const policy = EgressPolicy.parse({ protectedTargets: [{ host: '192.0.2.0/24' }, { host: '2001:db8::5' }] });
    assertDenied(policy, ['192.0.2.77', '2001:db8::5'], 'protected', 1);
    assertDenied(policy, ['192.0.2.77', '2001:db8::5'], 'protected', 65535);
  });

  it('keeps host names for the guard, and protects their answers with withProtected', () => {
    const policy = EgressPolicy.parse({ protectedTargets: [{ host: 'db.internal', port: 5432 }] });
    assert.deepEqual(policy.protectedHosts, [{ host: 'db.internal', port: 5432 }]);
    assertAllowed(policy, ['10.0.0.5']);
    const resolved = policy.withProtected([
      { address: '10.0.0.5', port: 5432 },
      { address: 'not-an-ip', port: 5432 },
    ]);
    assertDenied(resolved, ['10.0.0.5'], 'protected');
    assertAllowed(resolved, ['10.0.0.5'], 80);
    assert.deepEqual(resolved.protectedHosts, []);
  });

  it('protects the port of a target on this host on every address of this host', () => {
    const localAddresses = ['192.0.2.2', 'fd00::2', 'fe80::fc:ff:fe00:1'];
    const thisHost = [
      '127.0.0.1',
      '127.0.0.2',
      '127.255.255.254',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:2',
      '192.0.2.2',
      '::ffff:192.0.2.2',
      'fd00::2',
      '::127.0.0.1',
      '64:ff9b::7f00:1',
    ];
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1', '0.0.0.0', '::', '192.0.2.2', 'fd00::2', '127.0.0.0/8']) {
      const policy = EgressPolicy.parse({ protectedTargets: [{ host, port: 5432 }], localAddresses });
      assertDenied(policy, thisHost, 'protected', 5432);
      assertAllowed(policy, ['127.0.0.1', '::1', '192.0.2.2', 'fd00::2'], 5433);
      assertAllowed(policy, ['10.0.0.1', '192.0.2.3', 'fd00::3', '2001:db8::2'], 5432);
    }
    const elsewhere = EgressPolicy.parse({ protectedTargets: [{ host: '10.0.0.5', port: 5432 }], localAddresses });
    assertAllowed(elsewhere, ['127.0.0.1', '::1', '192.0.2.2'], 5432);
  });

  it("takes this host's current addresses with withLocalAddresses, and answers of protected names on this host", () => {
    const protectedTargets = [{ host: '127.0.0.1', port: 5432 }];
    const policy = EgressPolicy.parse({ protectedTargets, localAddresses: ['192.0.2.2'] }).withLocalAddresses(['192.0.2.9']);
    assertDenied(policy, ['192.0.2.9', '::1'], 'protected');
    assertAllowed(policy, ['192.0.2.2']);
    assert.equal(policy.hasProtectedTargets, true);
    assert.equal(EgressPolicy.parse().hasProtectedTargets, false);
    const named = EgressPolicy.parse({ protectedTargets: [{ host: 'localhost', port: 5432 }], localAddresses: ['192.0.2.2'] });
    assert.equal(named.hasProtectedTargets, true);
    assertAllowed(named, ['::1']);
    const resolved = named.withProtected([{ address: '127.0.0.1', port: 5432 }]);
    assertDenied(resolved, ['127.0.0.1', '::1', '127.0.0.53', '192.0.2.2'], 'protected');
    assertAllowed(resolved, ['::1'], 5433);
  });

  it('refuses bad targets', () => {
    for (const target of [
      { host: '' },
      { host: 'a b' },
      { host: '/var/run/postgresql' },
      { host: '10.0.0.256' },
      { host: '10.0.0.1', port: 0 },
    ]) {
      assert.equal(parseError({ protectedTargets: [target] }).setting, 'protectedTargets', JSON.stringify(target));
    }
  });
});

describe('EgressPolicy: parse errors', () => {
  it('names the bad entry and the setting it came from', () => {
    const cases: [EgressPolicyOptions, 'deny' | 'allow', string][] = [
      [{ deny: '10.0.0.0/8, 10.0.0.0/33' }, 'deny', '"10.0.0.0/33"'],
      [{ deny: 'privat' }, 'deny', '"privat"'],
      [{ allow: '::/129' }, 'allow', '"::/129"'],
      [{ allow: '10.0.0.1/-1' }, 'allow', '"10.0.0.1/-1"'],
      [{ allow: '10.0.0.1/' }, 'allow', '"10.0.0.1/"'],
      [{ deny: 'example.com' }, 'deny', '"example.com"'],
      [{ deny: '1.2.3.4/8/8' }, 'deny', '"1.2.3.4/8/8"'],
      [{ deny: '010.0.0.1' }, 'deny', '"010.0.0.1"'],
      [{ deny: 'fe80::1%eth0' }, 'deny', '"fe80::1%eth0"'],
      [{ deny: '10.0.0.0/08x' }, 'deny', '"10.0.0.0/08x"'],
    ];
    for (const [options, setting, quoted] of cases) {
      const error = parseError(options);
      assert.equal(error.setting, setting);
      assert.equal(error.name, 'EgressPolicyError');
      assert.ok(error.message.startsWith(`invalid entry ${quoted}: `), error.message);
    }
  });

  it('escapes control characters and shortens long entries in the message', () => {
    const message = parseError({ deny: 'x\u001b[31m\ny' }).message;
    assert.ok(!message.includes('\u001b') && !message.includes('\n'), message);
    assert.ok(parseError({ deny: 'a'.repeat(500) }).message.length < 200);
  });
});

describe('metadataDatabaseTargets', () => {
  it('protects the PostgreSQL endpoint of DATABASE_URL, as pg reads it', () => {
    assert.deepEqual(metadataDatabaseTargets({ driver: 'sqlite', path: '/data/x.sqlite' }), []);
    assert.deepEqual(metadataDatabaseTargets({ driver: 'postgres', url: 'postgres://u:p@db.internal/switchboard' }), [
      { host: 'db.internal', port: 5432 },
    ]);
    assert.deepEqual(metadataDatabaseTargets({ driver: 'postgres', url: 'postgresql://u@[::1]:6543/x' }), [{ host: '::1', port: 6543 }]);
    assert.deepEqual(metadataDatabaseTargets({ driver: 'postgres', url: 'postgres://u@h1:1/x?host=h2&port=7' }), [
      { host: 'h1', port: 7 },
      { host: 'h2', port: 7 },
    ]);
    assert.deepEqual(metadataDatabaseTargets({ driver: 'postgres', url: 'postgres:///x?host=/var/run/postgresql' }), []);
  });

  it('feeds EgressPolicy.parse', () => {
    const protectedTargets = metadataDatabaseTargets({ driver: 'postgres', url: 'postgres://u:p@127.0.0.1:5433/switchboard' });
    const policy = EgressPolicy.parse({ protectedTargets });
    assertDenied(policy, ['127.0.0.1'], 'protected', 5433);
    assertAllowed(policy, ['127.0.0.1'], 5432);
  });
});
