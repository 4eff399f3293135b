import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { SessionCache } from '@switchboard/connectors';
import { freePort, PostgresServer, startPostgres } from '../support/postgres';
import { createApiKey, putMember } from '../support/factories';
import { expectFieldError } from '../support/problems';
import { createUser, DRIVERS, expectProblem, startTestApp, TestApp } from '../support/test-app';

const READER_PASSWORD = 'CANARY-reader-pw-4242';

/**
 * A PostgreSQL of its own as the connection target, with a password-checked role: the one
 * test/run.ts starts holds the service's own database, which connections may not reach.
 */
async function pgTarget(): Promise<PostgresServer & { host: string }> {
  const server = await startPostgres();
  const client = new Client({ connectionString: server.url() });
  await client.connect();
  await client.query(`CREATE ROLE sb_reader LOGIN PASSWORD '${READER_PASSWORD}'`);
  await client.end();
  return Object.assign(server, { host: '127.0.0.1' });
}

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

for (const driver of DRIVERS) {
  describe(`connection tests (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let pg: PostgresServer & { host: string };
    const base = '/api/v1/projects/default/connections';
    const pgConfig = (overrides: Record<string, unknown> = {}) => ({
      host: pg.host,
      port: pg.port,
      database: 'postgres',
      username: 'sb_reader',
      sslMode: 'disable',
      ...overrides,
    });
    const draft = (body: Record<string, unknown>) => t.call('POST', `${base}/test`, { token, body });
    const stored = async (name: string, body: Record<string, unknown>, options: Record<string, unknown> = {}) => {
      const created = await t.call('POST', base, { token, body: { name, ...body } });
      assert.equal(created.status, 201, created.text);
      return t.call('POST', `${base}/${name}/test`, { token, body: options });
    };

    before(async () => {
      pg = await pgTarget();
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
    });
    after(async () => {
      await t.close();
      await pg.stop();
    });

    it('tests a stored postgres connection: stages, version, latency, audit', async () => {
      const reply = await stored('pg-ok', { type: 'postgres', config: pgConfig(), secrets: { password: READER_PASSWORD } });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.body.success, true, reply.text);
      assert.equal(reply.body.driver, 'pg');
      assert.match(reply.body.serverVersion, /^\d+\.\d+/);
      assert.deepEqual(
        reply.body.stages.map((stage: { name: string; ok: boolean }) => [stage.name, stage.ok]),
        [
          ['dns', true],
          ['tcp', true],
          ['auth', true],
          ['query', true],
        ],
      );
      assert.ok(reply.body.latencyMs > 0 && reply.body.latencyMs < 5000);
      const audit = await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.test', { token });
      const event = audit.body.data.find((row: { target: { name: string } }) => row.target.name === 'pg-ok');
      assert.equal(event.outcome, 'success');
      assert.equal(event.requestId, reply.headers.get('x-request-id'));
    });

    it('reports precise failures with 200 and never echoes the secret', async () => {
      const wrong = await stored('pg-wrong', { type: 'postgres', config: pgConfig(), secrets: { password: 'CANARY-wrong-pw-77' } });
      assert.equal(wrong.status, 200);
      assert.equal(wrong.body.success, false);
      assert.equal(wrong.body.error.code, 'AUTH_FAILED');
      assert.equal(wrong.body.stages.at(-1).name, 'auth');
      assert.ok(!wrong.text.includes('CANARY-wrong-pw-77'));

      const missingDb = await draft({
        type: 'postgres',
        config: pgConfig({ database: 'no_such_db' }),
        secrets: { password: READER_PASSWORD },
      });
      assert.equal(missingDb.body.error.code, 'NOT_FOUND', missingDb.text);

      const closed = await draft({
        type: 'postgres',
        config: pgConfig({ port: await freePort() }),
        secrets: { password: READER_PASSWORD },
      });
      assert.equal(closed.body.error.code, 'CONNECTION_REFUSED', closed.text);
      assert.equal(closed.body.stages.at(-1).name, 'tcp');

      // A server without TLS, with sslMode require or left at its default (require): the message says what to change.
      for (const sslMode of ['require', undefined]) {
        const tls = await draft({ type: 'postgres', config: pgConfig({ sslMode }), secrets: { password: READER_PASSWORD } });
        assert.equal(tls.body.error.code, 'TLS_ERROR', tls.text);
        assert.match(tls.body.error.message, new RegExp(`^${pg.host}:${pg.port} does not accept TLS connections`), tls.text);
        assert.match(tls.body.error.message, /set sslMode to disable .*or enable TLS on the server/, tls.text);
        assert.equal(tls.body.message, tls.body.error.message);
      }

      const dns = await draft({
        type: 'postgres',
        config: pgConfig({ host: 'no-such-host.invalid' }),
        secrets: { password: READER_PASSWORD },
      });
      assert.equal(dns.body.error.code, 'DNS_NOT_FOUND', dns.text);
      for (const line of t.logs) assert.ok(!line.includes('CANARY-wrong-pw-77') && !line.includes(READER_PASSWORD));
    });

    it('never connects to link-local or metadata addresses, and says so like an unreachable host', async () => {
      const started = Date.now();
      const reply = await draft({ type: 'generic', config: { host: '169.254.169.254', port: 80 }, timeoutMs: 30_000 });
      assert.equal(reply.body.success, false);
      assert.equal(reply.body.error.code, 'EGRESS_DENIED');
      assert.equal(reply.body.error.message, 'Could not reach 169.254.169.254:80.');
      assert.ok(Date.now() - started < 10_000, 'refused before connecting, not at the 30 s deadline');
      const closedPort = await freePort();
      const refused = await draft({ type: 'generic', config: { host: '127.0.0.1', port: closedPort } });
      assert.equal(refused.body.error.message, `Could not reach 127.0.0.1:${closedPort}.`);
    });

    it('honours sslMode with the CA from the secrets: require, verify-ca, verify-full', async () => {
      const secure = await startPostgres({ tls: true });
      try {
        const admin = new Client({ connectionString: secure.url() });
        await admin.connect();
        await admin.query(`CREATE ROLE sb_reader LOGIN PASSWORD '${READER_PASSWORD}'`);
        await admin.end();
        const config = (sslMode: string) => ({
          host: '127.0.0.1',
          port: secure.port,
          database: 'postgres',
          username: 'sb_reader',
          sslMode,
        });
        const run = (sslMode: string, secrets: Record<string, string> = {}) =>
          draft({ type: 'postgres', config: config(sslMode), secrets: { password: READER_PASSWORD, ...secrets } });
        for (const mode of ['require', 'disable']) assert.equal((await run(mode)).body.success, true, mode);
        for (const mode of ['verify-ca', 'verify-full']) {
          const pinned = await run(mode, { tlsCa: secure.ca! });
          assert.equal(pinned.body.success, true, `${mode}: ${pinned.text}`);
          const unpinned = await run(mode);
          assert.equal(unpinned.body.error.code, 'TLS_ERROR', `${mode}: ${unpinned.text}`);
        }
      } finally {
        await secure.stop();
      }
    });

    // A SQLite metadata database is a file, not a network target; the path rules keep sqlite connections off it.
    if (driver === 'postgres') {
      it("never reaches the service's own metadata database", async () => {
        assert.equal(t.config.database.driver, 'postgres');
        const own = new URL(t.config.database.url);
        const reply = await draft({ type: 'generic', config: { host: own.hostname, port: Number(own.port) } });
        assert.equal(reply.body.error.code, 'EGRESS_DENIED', reply.text);
        assert.equal(reply.body.error.message, `Could not reach ${own.hostname}:${own.port}.`);
      });
    }

    it('ends at the deadline with TIMEOUT', async () => {
      const silent = await silentServer();
      try {
        const started = Date.now();
        const reply = await draft({
          type: 'postgres',
          config: pgConfig({ port: silent.port }),
          secrets: { password: 'x-y-z' },
          timeoutMs: 500,
        });
        assert.equal(reply.body.error.code, 'TIMEOUT', reply.text);
        // Within the deadline, with slack for a busy machine: connecting alone used to take 5 s.
        assert.ok(Date.now() - started < 4_000, `took ${Date.now() - started} ms`);
        expectProblem(await draft({ type: 'generic', config: { host: 'h', port: 1 }, timeoutMs: 60_000 }), 400, 'VALIDATION_FAILED');
      } finally {
        await silent.close();
      }
    });

    it('tests a draft without storing it, and validates it like a create', async () => {
      const before = (await t.call('GET', base, { token })).body.meta.total;
      const reply = await draft({
        uri: `postgresql://sb_reader:${encodeURIComponent(READER_PASSWORD)}@${pg.host}:${pg.port}/postgres?sslmode=disable`,
      });
      assert.equal(reply.body.success, true, reply.text);
      assert.equal((await t.call('GET', base, { token })).body.meta.total, before);
      expectProblem(await draft({ type: 'postgres', config: { hots: 'x' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await draft({ type: 'postgres', nmae: 'pg-form', config: pgConfig() }), 400, 'VALIDATION_FAILED');
    });

    it('tests the form a console would save: the whole create body, checked as on create, nothing stored', async () => {
      const before = (await t.call('GET', base, { token })).body.meta.total;
      const form = {
        name: 'Warehouse-Form',
        type: 'postgres',
        description: 'Checked from the form',
        enabled: false,
        labels: { team: 'data' },
        config: pgConfig(),
        secrets: { password: READER_PASSWORD },
      };
      const reply = await draft(form);
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.body.success, true, reply.text);
      assert.equal((await t.call('GET', base, { token })).body.meta.total, before);
      expectProblem(await t.call('GET', `${base}/warehouse-form`, { token }), 404, 'NOT_FOUND');
      // What a save would refuse, a test refuses the same way (400 on the field)...
      const fieldOf = (reply: { body: { errors?: { field: string }[] } }) => (reply.body.errors ?? []).map((error) => error.field);
      for (const [field, value] of [
        ['name', 'not a slug'],
        ['name', null],
        ['description', 42],
        ['enabled', 'yes'],
        ['labels', 'team=data'],
        ['labels.bad key', 'x'],
      ] as const) {
        const body = field === 'labels.bad key' ? { ...form, labels: { 'bad key': value } } : { ...form, [field]: value };
        const refused = await draft(body);
        expectProblem(refused, 400, 'VALIDATION_FAILED');
        assert.ok(fieldOf(refused).includes(field), `${field}: ${refused.text}`);
      }
      // ...and the rules on what a test does use still hold.
      const both = await draft({ ...form, uri: `postgresql://sb_reader@${pg.host}:${pg.port}/postgres?sslmode=disable` });
      assert.ok(fieldOf(both).includes('uri'), both.text);
      expectProblem(await draft({ ...form, timeoutMs: 60_000 }), 400, 'VALIDATION_FAILED');
    });

    it('tests an http API with its auth through the API, token never echoed', async () => {
      const seen: string[] = [];
      const server = http.createServer((request, response) => {
        seen.push(String(request.headers.authorization));
        response.statusCode = request.headers.authorization === 'Bearer CANARY-http-token-5' ? 200 : 401;
        response.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const baseUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      try {
        const ok = await draft({
          type: 'http',
          config: { baseUrl, healthPath: '/health', authType: 'bearer' },
          secrets: { token: 'CANARY-http-token-5' },
        });
        assert.equal(ok.body.success, true, ok.text);
        assert.equal(ok.body.details.status, 200);
        const denied = await draft({ type: 'http', config: { baseUrl, authType: 'bearer' }, secrets: { token: 'CANARY-http-wrong-6' } });
        assert.equal(denied.body.error.code, 'AUTH_FAILED');
        assert.ok(!ok.text.includes('CANARY') && !denied.text.includes('CANARY'));
        assert.deepEqual(seen, ['Bearer CANARY-http-token-5', 'Bearer CANARY-http-wrong-6']);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('tests TCP reachability for generic connections', async () => {
      const silent = await silentServer();
      try {
        const reply = await draft({ type: 'generic', config: { host: '127.0.0.1', port: silent.port } });
        assert.equal(reply.body.success, true, reply.text);
        assert.deepEqual(
          reply.body.stages.map((stage: { name: string }) => stage.name),
          ['dns', 'tcp'],
        );
      } finally {
        await silent.close();
      }
    });

    it('opens SQLite files read-only inside the root and refuses paths outside it (422)', async () => {
      const root = t.config.sqliteRoot;
      fs.mkdirSync(path.join(root, 'nested'), { recursive: true });
      const file = path.join(root, 'nested', 'shop.db');
      const db = new Database(file);
      db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); CREATE VIEW big AS SELECT * FROM orders WHERE total > 100;');
      db.close();
      const before = fs.statSync(file).mtimeMs;
      const ok = await draft({ type: 'sqlite', config: { path: 'nested/shop.db' } });
      assert.equal(ok.body.success, true, ok.text);
      assert.equal(ok.body.details.tables, 2);
      assert.equal(fs.statSync(file).mtimeMs, before);

      const sibling = `${root}2`;
      fs.mkdirSync(sibling, { recursive: true });
      new Database(path.join(sibling, 'x.db')).close();
      fs.symlinkSync(path.join(sibling, 'x.db'), path.join(root, 'escape.db'));
      for (const escape of ['../sqlite2/x.db', '../../etc/passwd', '/etc/passwd', 'escape.db', 'nested/../../sqlite2/x.db']) {
        expectProblem(await draft({ type: 'sqlite', config: { path: escape } }), 422, 'UNPROCESSABLE');
      }
      const missing = await draft({ type: 'sqlite', config: { path: 'nope.db' } });
      assert.equal(missing.body.error.code, 'NOT_FOUND', missing.text);
    });

    it('closes cached live sessions when a connection or its credential changes, or it is deleted', async () => {
      const cache = t.app.get(SessionCache);
      let closed = 0;
      const hold = (id: string, version: number) =>
        cache.use(
          id,
          version,
          async () => ({ client: id, close: async () => void closed++ }),
          async () => undefined,
        );
      const settle = () => new Promise((resolve) => setImmediate(resolve));

      const plain = (await t.call('POST', base, { token, body: { name: 'cached', type: 'generic', config: { host: 'h', port: 1 } } })).body;
      await hold(plain.id, plain.version);
      assert.equal((await t.call('PATCH', `${base}/cached`, { token, body: { description: 'changed' } })).status, 200);
      await settle();
      assert.equal(closed, 1);

      const credential = (
        await t.call('POST', '/api/v1/projects/default/credentials', {
          token,
          body: { name: 'cached-cred', type: 'basic', secrets: { password: 'one-1' } },
        })
      ).body;
      const shared = (
        await t.call('POST', base, {
          token,
          body: { name: 'cached-shared', type: 'postgres', config: pgConfig(), credentialId: credential.id },
        })
      ).body;
      await hold(shared.id, shared.version);
      await t.call('PATCH', '/api/v1/projects/default/credentials/cached-cred', { token, body: { description: 'no secret change' } });
      await settle();
      assert.equal(closed, 1, 'a change that keeps the secrets keeps the session');
      await t.call('PATCH', '/api/v1/projects/default/credentials/cached-cred', { token, body: { secrets: { password: 'two-2' } } });
      await settle();
      assert.equal(closed, 2);

      await hold(plain.id, plain.version + 1);
      assert.equal((await t.call('DELETE', `${base}/cached`, { token })).status, 204);
      await settle();
      assert.equal(closed, 3);
    });

    it('answers 422 when a connection cannot send email', async () => {
      await t.call('POST', base, { token, body: { name: 'no-mail', type: 'generic', config: { host: 'h', port: 1 } } });
      expectProblem(await t.call('POST', `${base}/no-mail/send-test-email`, { token, body: {} }), 422, 'UNSUPPORTED_OPERATION');
      expectProblem(
        await t.call('POST', `${base}/no-mail/send-test-email`, { token, body: { to: 'not-an-email' } }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('rate-limits tests per project: the 61st in a minute is 429 with Retry-After, other projects unaffected', async () => {
      assert.equal((await t.call('POST', '/api/v1/projects', { token, body: { slug: 'busy', name: 'Busy' } })).status, 201);
      const silent = await silentServer();
      try {
        const body = { type: 'generic', config: { host: '127.0.0.1', port: silent.port } };
        for (let i = 0; i < 60; i++) {
          const reply = await t.call('POST', '/api/v1/projects/busy/connections/test', { token, body });
          assert.equal(reply.status, 200, `test ${i + 1}: ${reply.text}`);
        }
        const limited = await t.call('POST', '/api/v1/projects/busy/connections/test', { token, body });
        expectProblem(limited, 429, 'RATE_LIMITED');
        assert.ok(Number(limited.headers.get('retry-after')) >= 1);
        assert.equal((await draft(body)).status, 200, 'the default project has its own budget');
      } finally {
        await silent.close();
      }
    });

    it('a stored test answers 404 for an unknown or foreign connection, 403 without connections:test, 400 for timeoutMs out of range', async () => {
      // A project of its own, so these tests do not eat into the default project's rate budget.
      const project = `refusals-${driver}`;
      const own = `/api/v1/projects/${project}/connections`;
      assert.equal((await t.call('POST', '/api/v1/projects', { token, body: { slug: project, name: project } })).status, 201);
      const body = { type: 'generic', config: { host: '127.0.0.1', port: pg.port } };
      const created = await t.call('POST', own, { token, body: { name: 'refusals', ...body } });
      assert.equal(created.status, 201, created.text);
      const testOf = (url: string, options: Record<string, unknown> = {}, as = token) =>
        t.call('POST', `${url}/test`, { token: as, body: options });
      assert.equal((await testOf(`${own}/refusals`)).body.success, true, 'the connection itself tests fine');

      expectProblem(await testOf(`${own}/no-such-connection`), 404, 'NOT_FOUND');
      expectProblem(await testOf(`${own}/${randomUUID()}`), 404, 'NOT_FOUND');
      for (const ref of ['refusals', created.body.id]) expectProblem(await testOf(`${base}/${ref}`), 404, 'NOT_FOUND');

      const viewer = await createUser(t, token, `stored-viewer-${driver}`);
      await putMember(t, token, project, viewer.id, 'viewer');
      expectProblem(await testOf(`${own}/refusals`, {}, viewer.token), 403, 'FORBIDDEN');
      const reader = await createApiKey(t, token, project, ['connections:read']);
      expectProblem(await testOf(`${own}/refusals`, {}, reader.key), 403, 'FORBIDDEN');

      for (const timeoutMs of [0, 99, 30_001, 60_000, -1, 1.5, '5000', null]) {
        expectFieldError(await testOf(`${own}/refusals`, { timeoutMs }), 'timeoutMs');
      }
      assert.equal((await testOf(`${own}/refusals`, { timeoutMs: 100 })).status, 200);
      assert.equal((await testOf(`${own}/refusals`, { timeoutMs: 30_000 })).status, 200);
    });

    it('rate-limits stored tests per project: the 61st in a minute is 429 with Retry-After, drafts share the budget', async () => {
      const project = `busy-stored-${driver}`;
      const connections = `/api/v1/projects/${project}/connections`;
      assert.equal((await t.call('POST', '/api/v1/projects', { token, body: { slug: project, name: project } })).status, 201);
      const body = { type: 'generic', config: { host: '127.0.0.1', port: pg.port } };
      assert.equal((await t.call('POST', connections, { token, body: { name: 'often', ...body } })).status, 201);
      for (let i = 0; i < 60; i++) {
        const reply = await t.call('POST', `${connections}/often/test`, { token, body: {} });
        assert.equal(reply.status, 200, `test ${i + 1}: ${reply.text}`);
      }
      const limited = await t.call('POST', `${connections}/often/test`, { token, body: {} });
      expectProblem(limited, 429, 'RATE_LIMITED');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      expectProblem(await t.call('POST', `${connections}/test`, { token, body }), 429, 'RATE_LIMITED');
    });

    it('needs connections:test, caps concurrency per project and rate-limits tests (429)', async () => {
      const viewer = await createUser(t, token, `tester-viewer-${driver}`);
      await t.call('PUT', `/api/v1/projects/default/members/${viewer.id}`, { token, body: { role: 'viewer' } });
      expectProblem(
        await t.call('POST', `${base}/test`, { token: viewer.token, body: { type: 'generic', config: { host: 'h', port: 1 } } }),
        403,
        'FORBIDDEN',
      );

      const silent = await silentServer();
      try {
        const slow = () =>
          draft({ type: 'postgres', config: pgConfig({ port: silent.port }), secrets: { password: 'x-y-z' }, timeoutMs: 1500 });
        const replies = await Promise.all(Array.from({ length: 6 }, slow));
        const limited = replies.filter((reply) => reply.status === 429);
        assert.ok(limited.length >= 2, replies.map((reply) => reply.status).join(','));
        for (const reply of limited) assert.ok(reply.headers.get('retry-after'));
      } finally {
        await silent.close();
      }
    });
  });
}
