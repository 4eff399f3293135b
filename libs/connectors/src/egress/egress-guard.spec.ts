import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import net, { AddressInfo } from 'node:net';
import os from 'node:os';
import { describe, it } from 'node:test';
import { EgressError, EgressErrorCode, EgressGuard, EgressResolver, lookupFor, ResolvedTarget } from './egress-guard';
import { EgressPolicy, EgressPolicyOptions } from './egress-policy';

const notFound = (host: string): Error => Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });

/** A resolver answering from `zone` (a function to change answers between calls), recording each query. */
function fakeResolver(zone: Record<string, string[]> | ((host: string) => string[])): EgressResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (host: string) => {
    calls.push(host);
    const addresses = typeof zone === 'function' ? zone(host) : zone[host];
    if (!addresses) throw notFound(host);
    return addresses.map((address) => ({ address, family: net.isIP(address) }));
  };
  return Object.assign(resolver, { calls });
}

const ZONE: Record<string, string[]> = {
  'db.internal': ['10.1.2.3', 'fd00::3'],
  'public.test': ['8.8.8.8'],
  'mixed.test': ['8.8.8.8', '169.254.169.254'],
  'mixed-late.test': ['8.8.8.8', '8.8.4.4', '10.0.0.1'],
  'metadata.google.internal': ['169.254.169.254'],
  '2852039166': ['169.254.169.254'],
  'mapped.test': ['::ffff:10.1.2.3'],
  'v6.test': ['2001:db8::1', '8.8.8.8'],
  'empty.test': [],
};

function guardFor(options: EgressPolicyOptions = {}, zone: Record<string, string[]> = ZONE) {
  const resolver = fakeResolver(zone);
  return { guard: new EgressGuard(EgressPolicy.parse(options), resolver), resolver };
}

async function egressError(promise: Promise<unknown>, code: EgressErrorCode, reason: string): Promise<EgressError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EgressError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.reason, reason);
    return error;
  }
  assert.fail('expected an EgressError');
}

async function abortError(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'AbortError');
    return error;
  }
  assert.fail('expected an AbortError');
}

describe('EgressGuard.resolve', () => {
  it('resolves a name once and answers its first address with the name kept for TLS', async () => {
    const { guard, resolver } = guardFor();
    assert.deepEqual(await guard.resolve('db.internal', 5432), { address: '10.1.2.3', family: 4, host: 'db.internal' });
    assert.deepEqual(await guard.resolve('v6.test', 443), { address: '2001:db8::1', family: 6, host: 'v6.test' });
    assert.deepEqual(resolver.calls, ['db.internal', 'v6.test']);
  });

  it('answers an IPv4-mapped answer as the IPv4 address it was checked as', async () => {
    const { guard } = guardFor();
    assert.deepEqual(await guard.resolve('mapped.test', 80), { address: '10.1.2.3', family: 4, host: 'mapped.test' });
    assert.deepEqual(await guard.resolve('::ffff:8.8.8.8', 80), { address: '8.8.8.8', family: 4, host: '::ffff:8.8.8.8' });
  });

  it('checks IP literals without DNS, bracketed or not', async () => {
    const { guard, resolver } = guardFor();
    assert.deepEqual(await guard.resolve('127.0.0.1', 80), { address: '127.0.0.1', family: 4, host: '127.0.0.1' });
    assert.deepEqual(await guard.resolve('[::1]', 80), { address: '::1', family: 6, host: '::1' });
    await egressError(guard.resolve('169.254.169.254', 80), 'EGRESS_DENIED', 'always-denied');
    await egressError(guard.resolve('[fe80::1]', 80), 'EGRESS_DENIED', 'always-denied');
    await egressError(guard.resolve('fe80::1%eth0', 80), 'EGRESS_DENIED', 'not-an-address');
    assert.deepEqual(resolver.calls, []);
  });

  it('denies metadata, link-local and unspecified targets in every spelling', async () => {
    const { guard } = guardFor({ allow: '0.0.0.0/0, ::/0' });
    for (const host of [
      '169.254.169.254',
      'fd00:ec2::254',
      '::ffff:169.254.169.254',
      '0.0.0.0',
      '::',
      'fe80::1',
      'metadata.google.internal',
      '2852039166',
    ]) {
      const error = await egressError(guard.resolve(host, 80), 'EGRESS_DENIED', 'always-denied');
      assert.ok(error.address, host);
    }
  });

  it('denies a name if any of its answers is denied, wherever it comes', async () => {
    const { guard } = guardFor({ deny: 'private' });
    const mixed = await egressError(guard.resolve('mixed.test', 443), 'EGRESS_DENIED', 'always-denied');
    assert.equal(mixed.address, '169.254.169.254');
    const late = await egressError(guard.resolve('mixed-late.test', 443), 'EGRESS_DENIED', 'deny-list');
    assert.equal(late.address, '10.0.0.1');
  });

  it('applies DENY and ALLOW to answers', async () => {
    const deny = guardFor({ deny: 'private' }).guard;
    await egressError(deny.resolve('db.internal', 5432), 'EGRESS_DENIED', 'deny-list');
    assert.equal((await deny.resolve('public.test', 443)).address, '8.8.8.8');
    const allow = guardFor({ allow: '10.0.0.0/8, fd00::/8' }).guard;
    assert.equal((await allow.resolve('db.internal', 5432)).address, '10.1.2.3');
    await egressError(allow.resolve('public.test', 443), 'EGRESS_DENIED', 'not-in-allow-list');
  });

  it('maps a failed or empty lookup to DNS_NOT_FOUND, keeping the resolver error as cause', async () => {
    const { guard } = guardFor();
    const missing = await egressError(guard.resolve('nxdomain.test', 5432), 'DNS_NOT_FOUND', 'dns-failed');
    assert.equal((missing.cause as { code?: string }).code, 'ENOTFOUND');
    await egressError(guard.resolve('empty.test', 5432), 'DNS_NOT_FOUND', 'no-addresses');
  });

  it('words denied and unreachable alike', async () => {
    const { guard } = guardFor({ deny: 'private' });
    const zone = { ...ZONE, 'db.internal': undefined } as unknown as Record<string, string[]>;
    const unreachable = guardFor({}, zone).guard;
    const denied = await egressError(guard.resolve('db.internal', 5432), 'EGRESS_DENIED', 'deny-list');
    const missing = await egressError(unreachable.resolve('db.internal', 5432), 'DNS_NOT_FOUND', 'dns-failed');
    assert.equal(denied.message, 'could not reach db.internal:5432');
    assert.equal(missing.message, denied.message);
    assert.equal(denied.name, missing.name);
    const literal = await egressError(guard.resolve('fe80::1', 80), 'EGRESS_DENIED', 'always-denied');
    assert.equal(literal.message, 'could not reach [fe80::1]:80');
  });

  it('refuses ports outside 1-65535 and empty or malformed host names, before any lookup', async () => {
    const { guard, resolver } = guardFor();
    for (const port of [0, -1, 65536, 1.5, Number.NaN]) {
      await egressError(guard.resolve('public.test', port), 'EGRESS_DENIED', 'invalid-port');
    }
    for (const host of ['', ' ', 'a b', 'db.internal\n', 'a\u0000b', 'a\tb', 'a\u007fb', 'a\u0085b', 'x'.repeat(300)]) {
      const error = await egressError(guard.resolve(host, 80), 'DNS_NOT_FOUND', 'invalid-host');
      assert.ok(!/[\s\p{Cc}]/u.test(error.message.replace(/^could not reach /, '')), JSON.stringify(error.message));
      assert.ok(error.message.length < 300);
    }
    assert.deepEqual(resolver.calls, []);
  });

  it('uses the system resolver by default', async () => {
    const target = await new EgressGuard(EgressPolicy.parse()).resolve('localhost', 80);
    assert.ok(['127.0.0.1', '::1'].includes(target.address), target.address);
    assert.equal(target.host, 'localhost');
  });
});

describe('EgressGuard: protected host names', () => {
  const protectedTargets = [{ host: 'meta.db', port: 5432 }];

  it('looks the protected name up on every check and denies its addresses on its port', async () => {
    let metaAddress = '10.1.2.3';
    const resolver = fakeResolver((host) => (host === 'meta.db' ? [metaAddress] : ZONE[host]));
    const guard = new EgressGuard(EgressPolicy.parse({ protectedTargets }), resolver);
    await egressError(guard.resolve('db.internal', 5432), 'EGRESS_DENIED', 'protected');
    await egressError(guard.resolve('10.1.2.3', 5432), 'EGRESS_DENIED', 'protected');
    assert.equal((await guard.resolve('db.internal', 6432)).address, '10.1.2.3');
    metaAddress = '10.9.9.9';
    assert.equal((await guard.resolve('db.internal', 5432)).address, '10.1.2.3');
    await egressError(guard.resolve('10.9.9.9', 5432), 'EGRESS_DENIED', 'protected');
  });

  it('keeps the last answers when the protected name stops resolving, and lets nothing through before it ever did', async () => {
    let up = false;
    const resolver = fakeResolver((host) => (host === 'meta.db' ? (up ? ['10.1.2.3'] : (undefined as unknown as string[])) : ZONE[host]));
    const guard = new EgressGuard(EgressPolicy.parse({ protectedTargets }), resolver);
    const error = await egressError(guard.resolve('public.test', 443), 'EGRESS_DENIED', 'protected-unresolved');
    assert.equal(error.message, 'could not reach public.test:443');
    up = true;
    assert.equal((await guard.resolve('public.test', 443)).address, '8.8.8.8');
    up = false;
    await egressError(guard.resolve('db.internal', 5432), 'EGRESS_DENIED', 'protected');
    assert.equal((await guard.resolve('public.test', 443)).address, '8.8.8.8');
  });
});

describe('EgressGuard: a protected target on this host', () => {
  it('denies its port on every address of this host, read again on every check', async () => {
    let interfaces = ['127.0.0.1', '::1', '192.0.2.2', 'fd00::2'];
    let reads = 0;
    const localAddresses = () => (reads++, interfaces);
    const resolver = fakeResolver((host) => (host === 'meta.db' ? ['127.0.0.1'] : ZONE[host]));
    const guard = new EgressGuard(EgressPolicy.parse({ protectedTargets: [{ host: 'meta.db', port: 5432 }] }), resolver, localAddresses);
    for (const host of ['::1', '[0:0:0:0:0:0:0:1]', '::ffff:127.0.0.1', '127.0.0.2', '192.0.2.2', 'fd00::2', '::ffff:c000:202']) {
      await egressError(guard.resolve(host, 5432), 'EGRESS_DENIED', 'protected');
    }
    assert.equal((await guard.resolve('::1', 5433)).address, '::1');
    interfaces = ['127.0.0.1', '::1', '192.0.2.7'];
    await egressError(guard.resolve('192.0.2.7', 5432), 'EGRESS_DENIED', 'protected');
    assert.equal((await guard.resolve('192.0.2.2', 5432)).address, '192.0.2.2');
    assert.equal(reads, 10, 'once per check');
  });

  it("reads this host's addresses only when something is protected or DENY says loopback", async () => {
    let reads = 0;
    for (const deny of [undefined, 'private, 203.0.113.0/24']) {
      const guard = new EgressGuard(EgressPolicy.parse({ deny }), fakeResolver(ZONE), () => (reads++, []));
      assert.equal((await guard.resolve('::1', 5432)).address, '::1');
    }
    assert.equal(reads, 0);
  });

  it("reads this host's real interface addresses by default", async () => {
    const own = Object.values(os.networkInterfaces())
      .flatMap((entries) => entries ?? [])
      .map((entry) => entry.address)
      .filter((address) => !address.startsWith('fe80:'));
    assert.ok(own.length > 0);
    const guard = new EgressGuard(EgressPolicy.parse({ protectedTargets: [{ host: '127.0.0.1', port: 5432 }] }));
    for (const address of own) await egressError(guard.resolve(address, 5432), 'EGRESS_DENIED', 'protected');
  });
});

describe('EgressGuard: DENY=loopback', () => {
  it('denies every address of this host, its interface addresses read again on every check', async () => {
    let interfaces = ['127.0.0.1', '::1', '192.0.2.2', 'fd00::2'];
    let reads = 0;
    const guard = new EgressGuard(
      EgressPolicy.parse({ deny: 'loopback' }),
      fakeResolver({ 'me.test': ['192.0.2.2'] }),
      () => (reads++, interfaces),
    );
    for (const host of ['127.0.0.1', '::1', '192.0.2.2', '[fd00::2]', '::ffff:192.0.2.2', '64:ff9b::c000:202', 'me.test']) {
      await egressError(guard.resolve(host, 8080), 'EGRESS_DENIED', 'deny-list');
    }
    assert.equal((await guard.resolve('192.0.2.3', 8080)).address, '192.0.2.3');
    interfaces = ['127.0.0.1', '::1', '192.0.2.7'];
    await egressError(guard.resolve('192.0.2.7', 8080), 'EGRESS_DENIED', 'deny-list');
    assert.equal((await guard.resolve('192.0.2.2', 8080)).address, '192.0.2.2');
    assert.equal(reads, 10, 'once per check');
  });

  it("denies this host's real interface addresses by default", async () => {
    const own = Object.values(os.networkInterfaces())
      .flatMap((entries) => entries ?? [])
      .map((entry) => entry.address)
      .filter((address) => !address.startsWith('fe80:'));
    assert.ok(
      own.some((address) => !address.startsWith('127.') && address !== '::1'),
      `no interface address but loopback: ${own.join(', ')}`,
    );
    const guard = new EgressGuard(EgressPolicy.parse({ deny: 'loopback' }));
    for (const address of own) await egressError(guard.resolve(address, 8080), 'EGRESS_DENIED', 'deny-list');
  });
});

describe('EgressGuard.checkRedirect', () => {
  it('checks a redirect target by the same rules, with the default port of its scheme', async () => {
    const { guard } = guardFor({ protectedTargets: [{ host: '8.8.8.8', port: 443 }] });
    assert.deepEqual(await guard.checkRedirect(new URL('http://public.test/next')), { address: '8.8.8.8', family: 4, host: 'public.test' });
    await egressError(guard.checkRedirect(new URL('https://public.test/next')), 'EGRESS_DENIED', 'protected');
    assert.equal((await guard.checkRedirect(new URL('https://public.test:8443/'))).address, '8.8.8.8');
    assert.deepEqual(await guard.checkRedirect(new URL('http://[::1]:8080/')), { address: '::1', family: 6, host: '::1' });
    await egressError(guard.checkRedirect(new URL('http://169.254.169.254/latest/meta-data/')), 'EGRESS_DENIED', 'always-denied');
    await egressError(guard.checkRedirect(new URL('http://[::ffff:a9fe:a9fe]/')), 'EGRESS_DENIED', 'always-denied');
    await egressError(guard.checkRedirect(new URL('http://mixed.test/')), 'EGRESS_DENIED', 'always-denied');
    await egressError(guard.checkRedirect(new URL('http://nxdomain.test/')), 'DNS_NOT_FOUND', 'dns-failed');
  });

  it('follows only http and https', async () => {
    const { guard } = guardFor();
    for (const url of ['file:///etc/passwd', 'ftp://public.test/', 'gopher://public.test:70/']) {
      await egressError(guard.checkRedirect(new URL(url)), 'EGRESS_DENIED', 'unsupported-protocol');
    }
  });
});

describe('EgressGuard: abort', () => {
  it('rejects at once, without a lookup, when the signal is already aborted', async () => {
    const { guard, resolver } = guardFor();
    const error = await abortError(guard.resolve('public.test', 443, AbortSignal.abort('deadline')));
    assert.equal(error.cause, 'deadline');
    assert.deepEqual(resolver.calls, []);
  });

  it('stops waiting for a lookup that hangs when the signal aborts', async () => {
    const guard = new EgressGuard(EgressPolicy.parse(), () => new Promise(() => undefined));
    const controller = new AbortController();
    const pending = guard.resolve('slow.test', 443, controller.signal);
    setTimeout(() => controller.abort(), 10);
    await abortError(pending);
    // AbortSignal.timeout does not hold the event loop open; the service's server does.
    const keepAlive = setTimeout(() => undefined, 1000);
    try {
      await abortError(guard.resolve('slow.test', 443, AbortSignal.timeout(10)));
    } finally {
      clearTimeout(keepAlive);
    }
  });

  it('answers normally when the signal never fires', async () => {
    const { guard } = guardFor();
    const controller = new AbortController();
    assert.equal((await guard.resolve('public.test', 443, controller.signal)).address, '8.8.8.8');
    await egressError(guard.resolve('nxdomain.test', 443, controller.signal), 'DNS_NOT_FOUND', 'dns-failed');
  });
});

describe('lookupFor', () => {
  const pinned: ResolvedTarget = { address: '10.1.2.3', family: 4, host: 'DB.internal' };

  const ask = (options?: unknown): Promise<unknown[]> =>
    new Promise((resolve) => {
      const lookup = lookupFor(pinned) as unknown as (...args: unknown[]) => void;
      let synchronous = true;
      const callback = (...args: unknown[]) => {
        assert.equal(synchronous, false, 'called back synchronously');
        resolve(args);
      };
      if (options === undefined) lookup('db.internal', callback);
      else lookup('db.internal', options, callback);
      synchronous = false;
    });

  it('answers the pinned address in the single form, whatever family is asked', async () => {
    assert.deepEqual(await ask(), [null, '10.1.2.3', 4]);
    assert.deepEqual(await ask(6), [null, '10.1.2.3', 4]);
    assert.deepEqual(await ask({ family: 0 }), [null, '10.1.2.3', 4]);
    assert.deepEqual(await ask({ all: false }), [null, '10.1.2.3', 4]);
  });

  it('answers the pinned address alone in the all form', async () => {
    const expected: LookupAddress[] = [{ address: '10.1.2.3', family: 4 }];
    assert.deepEqual(await ask({ all: true }), [null, expected]);
    assert.deepEqual(await ask({ all: true, family: 6, hints: 0 }), [null, expected]);
  });

  it('refuses any other name', async () => {
    const error = await new Promise<unknown>((resolve) => lookupFor(pinned)('other.test', { all: true }, (err) => resolve(err)));
    assert.ok(error instanceof EgressError);
    assert.equal(error.code, 'EGRESS_DENIED');
    assert.equal(error.reason, 'host-mismatch');
  });

  it('makes net.connect reach the checked address for the original name, in both lookup forms', async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const guard = new EgressGuard(EgressPolicy.parse(), fakeResolver({ 'service.test': ['127.0.0.1'] }));
    try {
      const target = await guard.resolve('service.test', port);
      for (const autoSelectFamily of [false, true]) {
        const remote = await new Promise<string | undefined>((resolve, reject) => {
          const socket = net.connect({ host: 'service.test', port, lookup: guard.lookupFor(target), autoSelectFamily }, () => {
            resolve(socket.remoteAddress);
            socket.destroy();
          });
          socket.on('error', reject);
        });
        assert.equal(remote, '127.0.0.1');
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
