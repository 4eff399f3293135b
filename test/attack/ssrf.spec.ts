/**
 * The standing SSRF sweep: every spelling of loopback, this host and the cloud metadata
 * endpoints in ssrf-corpus.ts, in every connection type that takes a host, through the real
 * service's "test a draft" route; redirects from an allowed http target; userinfo tricks in
 * URIs. Counting listeners hold the addresses a spelling would reach: none may ever see a
 * connection, and every refusal must read like an unreachable target.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/postgres';
import { expectProblem, type Reply, startTestApp, type TestApp } from '../support/test-app';
import {
  interfaceSpellings,
  loopbackSpellings,
  METADATA_SPELLINGS,
  type Spelling,
  TARGET_TYPES,
  urlHost,
  userinfoUris,
} from './ssrf-corpus';

/** Below the per-project limit of 60 tests a minute. */
const TESTS_PER_PROJECT = 50;
const TIMEOUT_MS = 3000;
/** What a refusal may say: the words of an unreachable or unresolvable target, nothing of why. */
const UNREACHABLE = /^(Could not reach \S+|The host of \S+ does not resolve)\.$/;

interface CountingListener {
  /** Connections accepted so far, on every address. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A TCP listener on each of `hosts` at `port` that counts connections and drops them (`::` beside `0.0.0.0`: IPv6 only). */
async function countingListener(hosts: string[], port: number): Promise<CountingListener> {
  let connections = 0;
  const servers = await Promise.all(
    hosts.map(
      (host) =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer((socket) => {
            connections += 1;
            socket.destroy();
          });
          server.once('error', reject);
          server.listen({ port, host, ipv6Only: host === '::' }, () => resolve(server));
        }),
    ),
  );
  return {
    get connections() {
      return connections;
    },
    close: () => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))).then(() => undefined),
  };
}

/** A port free on both 127.0.0.1 and ::1 at once, with the counting listener on both. */
async function dualStackListener(): Promise<CountingListener & { port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return Object.assign(await countingListener(['127.0.0.1', '::1'], port), { port });
    } catch (error) {
      if (attempt >= 10) throw error;
    }
  }
}

/** A counting listener on every address of this host (0.0.0.0 and ::), as a service bound to `*`. */
async function wildcardListener(): Promise<CountingListener & { port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return Object.assign(await countingListener(['0.0.0.0', '::'], port), { port });
    } catch (error) {
      if (attempt >= 10) throw error;
    }
  }
}

/** POST /projects/{p}/connections/test as the admin, in a fresh project every TESTS_PER_PROJECT calls. */
function drafter(t: TestApp, token: string, tag: string): (body: Record<string, unknown>) => Promise<Reply> {
  let calls = 0;
  let project = '';
  return async (body) => {
    if (calls++ % TESTS_PER_PROJECT === 0) {
      project = `ssrf-${tag}-${calls}`;
      const created = await t.call('POST', '/api/v1/projects', { token, body: { slug: project, name: project } });
      assert.equal(created.status, 201, created.text);
    }
    return t.call('POST', `/api/v1/projects/${project}/connections/test`, { token, body: { timeoutMs: TIMEOUT_MS, ...body } });
  };
}

/**
 * Asserts `reply` refused the target before connecting (or refused the draft as invalid),
 * in the words of an unreachable target. `stage` is where the refusal belongs: `dns` for the
 * target itself, `http` for a redirect.
 */
function assertUnreached(reply: Reply, what: string, stage = 'dns'): void {
  if (reply.status === 400) return expectProblem(reply, 400, 'VALIDATION_FAILED');
  assert.equal(reply.status, 200, `${what}: ${reply.text}`);
  const { success, error, stages } = reply.body as {
    success: boolean;
    error: { code: string; message: string };
    stages: { name: string; ok: boolean; error?: unknown }[];
  };
  assert.equal(success, false, `${what} was reached: ${reply.text}`);
  assert.ok(['EGRESS_DENIED', 'DNS_NOT_FOUND'].includes(error.code), `${what}: ${reply.text}`);
  assert.match(error.message, UNREACHABLE, what);
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message'], what);
  const last = stages.at(-1)!;
  assert.deepEqual([last.name, last.ok], [stage, false], `${what}: ${reply.text}`);
  assert.deepEqual(last.error, error, what);
  assert.ok(stage !== 'dns' || !stages.some((entry) => entry.name === 'tcp'), `${what}: a connection was opened`);
}

/** `spellings` in every connection type at `port`: none reaches `listener`, each refused like an unreachable target. */
async function sweep(
  draft: (body: Record<string, unknown>) => Promise<Reply>,
  spellings: Spelling[],
  port: number,
  listener?: CountingListener,
): Promise<void> {
  let refused = 0;
  for (const { type, draft: body } of TARGET_TYPES) {
    for (const { host, note } of spellings) {
      const what = `${type} ${JSON.stringify(host)} (${note}) port ${port}`;
      const before = listener?.connections ?? 0;
      const reply = await draft({ type, ...body(host, port) });
      assertUnreached(reply, what);
      if (reply.status === 200) refused += 1;
      // A name's answers stay in the service's logs: the caller learns nothing of where it points.
      if (/[g-wyz]/i.test(host) && !host.includes(':')) assert.ok(!/127\.0\.0\.1|::1\b/.test(reply.text), `${what}: ${reply.text}`);
      assert.equal(listener?.connections ?? 0, before, `${what} reached the listener`);
    }
  }
  // Most spellings are valid input: the sweep is about the guard, not validation.
  assert.ok(refused > (TARGET_TYPES.length * spellings.length) / 2, `only ${refused} drafts got past validation`);
}

describe('attack: SSRF spellings against the service over HTTP', () => {
  describe('default policy, the metadata database (PostgreSQL) on 127.0.0.1', () => {
    let t: TestApp;
    let draft: (body: Record<string, unknown>) => Promise<Reply>;
    /** The metadata database's port: its server holds 127.0.0.1, this listener the other loopback addresses. */
    let databasePort: number;
    let database: CountingListener;

    before(async () => {
      t = await startTestApp('postgres');
      draft = drafter(t, (await t.login()).accessToken, 'db');
      const url = new URL((t.config.database as { url: string }).url);
      assert.equal(url.hostname, '127.0.0.1');
      databasePort = Number(url.port);
      database = await countingListener(['::1', '127.0.0.2'], databasePort);
    });
    after(async () => {
      await database?.close();
      await t?.close();
    });

    it('sends the same drafts to a port nothing protects, and words a closed port like a refusal', async () => {
      const openPort = await freePort();
      const listener = await countingListener(['127.0.0.2', '::1'], openPort);
      const closedPort = await freePort();
      try {
        for (const { type, draft: body } of TARGET_TYPES) {
          for (const host of ['127.0.0.2', '::1']) {
            const before = listener.connections;
            const reached = await draft({ type, ...body(host, openPort) });
            assert.equal(reached.status, 200, reached.text);
            assert.ok(listener.connections > before, `${type} at ${host}:${openPort} never connected: ${reached.text}`);
          }
          const refused = await draft({ type, ...body('127.0.0.1', closedPort) });
          assert.equal(refused.body.error.code, 'CONNECTION_REFUSED', refused.text);
          assert.match(refused.body.error.message, UNREACHABLE, type);
          const before = database.connections;
          const denied = await draft({ type, ...body('127.0.0.2', databasePort) });
          assert.equal(denied.body.error.code, 'EGRESS_DENIED', denied.text);
          assert.equal(database.connections, before, `${type} reached the metadata database's port`);
          assert.deepEqual(Object.keys(denied.body).sort(), Object.keys(refused.body).sort(), type);
          const where = (reply: Reply) => String(reply.body.error.message).replace(/:\d+/, ':<port>');
          assert.equal(where(denied).replace('127.0.0.2', '127.0.0.1'), where(refused), `${type}: denied and refused read alike`);
        }
      } finally {
        await listener.close();
      }
    });

    it("never reaches the metadata database's port on any other address of this host, in any spelling", async () => {
      await sweep(draft, [...loopbackSpellings('127.0.0.2'), ...interfaceSpellings()], databasePort, database);
    });

    it('never reaches a cloud metadata endpoint, in any spelling', async () => {
      await sweep(draft, METADATA_SPELLINGS, 80);
    });

    it('hides no other host in URI userinfo', async () => {
      for (const host of ['::1', '127.0.0.2', 'localhost']) {
        for (const uri of userinfoUris(host, databasePort)) {
          const before = database.connections;
          assertUnreached(await draft({ uri }), uri);
          assert.equal(database.connections, before, `${uri} reached the metadata database's port`);
        }
      }
      for (const uri of userinfoUris('169.254.169.254', 80)) assertUnreached(await draft({ uri }), uri);
    });

    it('follows no redirect from an allowed http target to metadata or to the metadata database', async () => {
      const locations = [
        'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        'http://2852039166/',
        'http://0xa9fea9fe/',
        'http://0251.0376.0251.0376/',
        'http://169.254.169.254./',
        'http://[::ffff:a9fe:a9fe]/',
        'http://[::a9fe:a9fe]/',
        'http://[::ffff:0:a9fe:a9fe]/',
        'http://[64:ff9b::a9fe:a9fe]/',
        'http://[64:ff9b:1::a9fe:a9fe]/',
        'http://[2002:a9fe:a9fe::]/',
        'http://[fd00:ec2::254]/latest/meta-data/',
        'http://[fd20:ce::254]/computeMetadata/v1/',
        'http://metadata.google.internal/computeMetadata/v1/',
        'http://168.63.129.16/machine?comp=goalstate',
        'http://100.100.100.200/latest/meta-data/',
        'http://192.0.0.192/',
        'http://a@169.254.169.254/',
        'https://169.254.169.254/',
        ...[
          '[::1]',
          '[0:0:0:0:0:0:0:1]',
          '127.0.0.1',
          '127.0.0.2',
          '2130706434',
          '0x7f.2',
          '[::ffff:127.0.0.2]',
          '[::7f00:2]',
          '[64:ff9b::7f00:2]',
          'localhost',
          'localhost.',
          ...interfaceSpellings().map(({ host }) => urlHost(host)),
        ].flatMap((host) => [`http://${host}:${databasePort}/`, `https://${host}:${databasePort}/`, `//${host}:${databasePort}/`]),
      ];
      let served = 0;
      const server = http.createServer((request, response) => {
        served += 1;
        const index = Number(/^\/hop\/(\d+)$/.exec(request.url ?? '')?.[1]);
        response.writeHead(Number.isInteger(index) ? 302 : 200, Number.isInteger(index) ? { location: locations[index] } : {});
        response.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const baseUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      try {
        for (const [index, location] of locations.entries()) {
          const before = database.connections;
          const reply = await draft({ type: 'http', config: { baseUrl, healthPath: `/hop/${index}` } });
          assertUnreached(reply, `redirect to ${location}`, 'http');
          assert.equal(reply.status, 200, reply.text);
          assert.equal(database.connections, before, `the redirect to ${location} reached the metadata database's port`);
        }
        assert.equal(served, locations.length, 'every redirect was served, so every one was refused by the guard');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('SWITCHBOARD_EGRESS_DENY=loopback', () => {
    let t: TestApp;
    let draft: (body: Record<string, unknown>) => Promise<Reply>;
    let loopback: CountingListener & { port: number };
    let wildcard: CountingListener & { port: number };

    before(async () => {
      t = await startTestApp('sqlite', { egress: { deny: 'loopback' } });
      draft = drafter(t, (await t.login()).accessToken, 'lo');
      loopback = await dualStackListener();
      wildcard = await wildcardListener();
    });
    after(async () => {
      await wildcard?.close();
      await loopback?.close();
      await t?.close();
    });

    it('never reaches a loopback listener, in any spelling', async () => {
      await sweep(draft, loopbackSpellings('127.0.0.1'), loopback.port, loopback);
    });

    it("never reaches a service bound to every address through this host's interface addresses", async () => {
      const spellings = interfaceSpellings();
      assert.ok(spellings.length > 0, 'this host has no interface address besides loopback');
      // Control: the listener does answer on them (link-local ones need a zone id, and are always denied anyway).
      for (const { host } of spellings.filter((spelling) => !spelling.host.startsWith('fe80:'))) {
        const before = wildcard.connections;
        const socket = net.connect({ host, port: wildcard.port });
        await once(socket, 'connect');
        socket.destroy();
        for (let wait = 0; wait < 50 && wildcard.connections === before; wait++) await sleep(10);
        assert.equal(wildcard.connections, before + 1, `${host}:${wildcard.port} does not reach the listener`);
      }
      await sweep(draft, spellings, wildcard.port, wildcard);
    });

    it('hides no loopback host in URI userinfo', async () => {
      for (const host of ['127.0.0.1', '::1', 'localhost']) {
        for (const uri of userinfoUris(host, loopback.port)) {
          const before = loopback.connections;
          assertUnreached(await draft({ uri }), uri);
          assert.equal(loopback.connections, before, `${uri} reached the loopback listener`);
        }
      }
    });
  });
});
