import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { SessionCache } from '@switchboard/connectors';
import { startSilent } from '../support/black-hole';
import { freePort, PostgresServer, startPostgres } from '../support/postgres';
import { Servers, startServers, stopServers } from '../support/servers';
import { sftpConnectionBody } from '../support/sshd';
import { DRIVERS, expectProblem, startTestApp, TestApp } from '../support/test-app';

type Targets = Pick<Servers, 'mariadb' | 's3' | 'sshd'>;

const PG_PASSWORD_CANARY = 'pg-introspect-canary-58c1e0';
const BIG_ID = '9007199254740993';

/** A PostgreSQL target (not the service's own database: the egress guard protects that one). */
async function seedPostgres(server: PostgresServer): Promise<{ database: string; config: Record<string, unknown>; password: string }> {
  const database = 'shop';
  await server.createDatabase(database);
  const client = new Client({ connectionString: server.url(database) });
  await client.connect();
  await client.query(`
    CREATE ROLE reader LOGIN PASSWORD '${PG_PASSWORD_CANARY}';
    CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL DEFAULT 'new', total numeric(12,2), placed_at timestamptz);
    INSERT INTO orders SELECT ${BIG_ID} + g, CASE WHEN g % 2 = 0 THEN 'shipped' ELSE 'new' END, g * 1.5, '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 hour'
      FROM generate_series(0, 249) g;
    CREATE VIEW open_orders AS SELECT * FROM orders WHERE status = 'new';
    CREATE SCHEMA sales;
    CREATE TABLE sales.items (sku text PRIMARY KEY, qty int);
    CREATE TABLE "we""ird" (x int);
    GRANT USAGE ON SCHEMA sales TO reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA public, sales TO reader;
    GRANT CREATE ON DATABASE shop TO reader;
  `);
  await client.end();
  const url = new URL(server.url(database));
  return {
    database,
    password: PG_PASSWORD_CANARY,
    config: { host: '127.0.0.1', port: Number(url.port), database, username: 'reader', sslMode: 'disable' },
  };
}

/** Introspection through the HTTP API against real servers: the contract, scopes, limits, audit, sessions. */
for (const driver of DRIVERS) {
  describe(`introspection over HTTP (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let servers: Targets;
    let pg: PostgresServer;
    let pgTarget: Awaited<ReturnType<typeof seedPostgres>>;
    const base = '/api/v1/projects/default/connections';
    const create = async (name: string, body: Record<string, unknown>) => {
      const created = await t.call('POST', base, { token, body: { name, ...body } });
      assert.equal(created.status, 201, created.text);
      return created.body;
    };
    const get = (url: string, as = token) => t.call('GET', `${base}/${url}`, { token: as });
    const query = (name: string, body: Record<string, unknown>, as = token) => t.call('POST', `${base}/${name}/query`, { token: as, body });

    before(async () => {
      [servers, pg] = await Promise.all([startServers(['mariadb', 's3', 'sshd']), startPostgres()]);
      pgTarget = await seedPostgres(pg);
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
      await create('shop', { type: 'postgres', config: pgTarget.config, secrets: { password: pgTarget.password } });
    });
    after(async () => {
      await t?.close();
      await Promise.all([stopServers(servers), pg?.stop()]);
    });

    it('PostgreSQL: databases with schemas, schemas, tables paged with total, columns', async () => {
      const databases = await get('shop/databases');
      assert.equal(databases.status, 200, databases.text);
      const shop = databases.body.data.find((db: { name: string }) => db.name === 'shop');
      assert.deepEqual(
        shop.schemas.map((s: { name: string }) => s.name),
        ['public', 'sales'],
      );

      const schemas = await get('shop/schemas');
      assert.deepEqual(schemas.body, { data: [{ name: 'public' }, { name: 'sales' }] });

      const page1 = await get('shop/tables?perPage=2&page=1');
      assert.equal(page1.status, 200, page1.text);
      assert.deepEqual(page1.body.meta, { total: 4, page: 1, perPage: 2 });
      const page2 = await get('shop/tables?perPage=2&page=2');
      const all = [...page1.body.data, ...page2.body.data];
      assert.deepEqual(all, [
        { name: 'open_orders', schema: 'public', type: 'VIEW' },
        { name: 'orders', schema: 'public', type: 'TABLE' },
        { name: 'we"ird', schema: 'public', type: 'TABLE' },
        { name: 'items', schema: 'sales', type: 'TABLE' },
      ]);
      const beyond = await get('shop/tables?perPage=2&page=9');
      assert.deepEqual(beyond.body, { data: [], meta: { total: 4, page: 9, perPage: 2 } });
      const searched = await get('shop/tables?schema=public&search=ORD');
      assert.deepEqual(
        searched.body.data.map((table: { name: string }) => table.name),
        ['open_orders', 'orders'],
      );
      expectProblem(await get('shop/tables?schema=nope'), 404, 'NOT_FOUND');

      const columns = await get('shop/columns?table=orders');
      assert.equal(columns.status, 200, columns.text);
      assert.deepEqual(columns.body.data[0], { name: 'id', type: 'bigint', nullable: false, default: null, primaryKey: true, position: 1 });
      assert.deepEqual(columns.body.data[1], {
        name: 'status',
        type: 'text',
        nullable: false,
        default: "'new'::text",
        primaryKey: false,
        position: 2,
      });
      expectProblem(await get('shop/columns?table=missing'), 404, 'NOT_FOUND');
    });

    it('PostgreSQL: preview is JSON-safe, capped by limit, identifiers never spliced', async () => {
      const preview = await get('shop/preview?table=orders&limit=3');
      assert.equal(preview.status, 200, preview.text);
      assert.deepEqual(
        preview.body.columns.map((column: { name: string }) => column.name),
        ['id', 'status', 'total', 'placed_at'],
      );
      assert.equal(preview.body.rows.length, 3);
      assert.deepEqual(preview.body.rows[0], [BIG_ID, 'shipped', '0.00', '2026-01-01T00:00:00Z']);
      assert.equal(preview.body.truncated, true);
      assert.equal(preview.body.limit, 3);
      const weird = await get(`shop/preview?table=${encodeURIComponent('we"ird')}`);
      assert.equal(weird.status, 200, weird.text);
      assert.equal(weird.body.truncated, false);
      for (const table of ['orders"; DROP TABLE orders; --', 'public.orders', "orders'", 'ORDERS']) {
        expectProblem(await get(`shop/preview?table=${encodeURIComponent(table)}`), 404, 'NOT_FOUND');
      }
      expectProblem(await get('shop/preview?table=orders&limit=1001'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('shop/preview?table=orders&limit=0'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('shop/preview'), 400, 'VALIDATION_FAILED');
      expectProblem(await get(`shop/preview?table=${'x'.repeat(1025)}`), 400, 'VALIDATION_FAILED');
      const count = await query('shop', { sql: 'SELECT count(*)::int AS n FROM orders' });
      assert.deepEqual(count.body.rows, [[250]]);
    });

    it('PostgreSQL: a query reads, reports truncation exactly, and any write answers 422 with nothing changed', async () => {
      const result = await query('shop', { sql: 'SELECT id, status FROM orders ORDER BY id', limit: 10 });
      assert.equal(result.status, 200, result.text);
      assert.equal(result.body.rows.length, 10);
      assert.equal(result.body.truncated, true);
      assert.equal(result.body.stats.rowCount, 10);
      assert.equal(typeof result.body.stats.executionMs, 'number');
      const exact = await query('shop', { sql: 'SELECT 1 AS a UNION ALL SELECT 2', limit: 2 });
      assert.deepEqual({ rows: exact.body.rows, truncated: exact.body.truncated }, { rows: [[1], [2]], truncated: false });

      for (const sql of [
        'INSERT INTO orders (id) VALUES (1)',
        'WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone',
        'DROP TABLE orders',
        "COPY (SELECT 1) TO PROGRAM 'touch /tmp/sb-introspection-pwned'",
      ]) {
        expectProblem(await query('shop', { sql }), 422, 'READ_ONLY_VIOLATION');
      }
      assert.equal(fs.existsSync('/tmp/sb-introspection-pwned'), false);
      expectProblem(await query('shop', { sql: 'SELECT 1; DELETE FROM orders' }), 422, 'UNPROCESSABLE');
      const still = await query('shop', { sql: 'SELECT count(*)::int FROM orders' });
      assert.deepEqual(still.body.rows, [[250]]);

      const broken = await query('shop', { sql: 'SELECT nope FROM orders' });
      expectProblem(broken, 422, 'QUERY_FAILED');
      assert.match(broken.body.detail, /nope/);
      expectProblem(await query('shop', { sql: 'SELECT pg_sleep(3)', timeoutMs: 300 }), 504, 'TARGET_TIMEOUT');

      expectProblem(await query('shop', { sql: '   ' }), 400, 'VALIDATION_FAILED');
      expectProblem(await query('shop', { sql: 'SELECT 1', limit: 10_001 }), 400, 'VALIDATION_FAILED');
      expectProblem(await query('shop', { sql: 'SELECT 1', timeoutMs: 60_001 }), 400, 'VALIDATION_FAILED');
      expectProblem(await query('shop', { sql: 'SELECT 1', limit: null }), 400, 'VALIDATION_FAILED');
      expectProblem(await query('shop', { sql: 'SELECT 1', extra: true }), 400, 'VALIDATION_FAILED');
    });

    it('queries and previews are audited with the statement text, not the rows', async () => {
      await query('shop', { sql: "SELECT 'audit-me' AS marker" });
      await query('shop', { sql: 'DELETE FROM orders' });
      await get('shop/preview?table=orders&limit=5');
      const events = await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.&perPage=100', { token });
      assert.equal(events.status, 200, events.text);
      const queries = events.body.data.filter((event: { action: string }) => event.action === 'connection.query');
      const ok = queries.find((event: { details: { statement: string } }) => event.details.statement.includes('audit-me'));
      assert.equal(ok.outcome, 'success');
      assert.equal(ok.details.rowCount, 1);
      assert.equal(ok.target.name, 'shop');
      const refused = queries.find((event: { details: { statement: string } }) => event.details.statement === 'DELETE FROM orders');
      assert.equal(refused.outcome, 'failure');
      assert.equal(refused.details.errorCode, 'READ_ONLY_VIOLATION');
      const preview = events.body.data.find((event: { action: string }) => event.action === 'connection.preview');
      assert.deepEqual(
        { table: preview.details.table, limit: preview.details.limit, rowCount: preview.details.rowCount },
        { table: 'orders', limit: 5, rowCount: 5 },
      );
      assert.ok(!JSON.stringify(events.body).includes('shipped'), 'row data leaked into the audit trail');
    });

    it('PostgreSQL: POST schemas creates one (409 when it exists), name quoted as given', async () => {
      const created = await t.call('POST', `${base}/shop/schemas`, { token, body: { name: 'Staging Area' } });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body, { name: 'Staging Area' });
      expectProblem(await t.call('POST', `${base}/shop/schemas`, { token, body: { name: 'Staging Area' } }), 409, 'CONFLICT');
      expectProblem(await t.call('POST', `${base}/shop/schemas`, { token, body: { name: 'x'.repeat(64) } }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.call('POST', `${base}/shop/schemas`, { token, body: {} }), 400, 'VALIDATION_FAILED');
      const schemas = await get('shop/schemas');
      assert.ok(schemas.body.data.some((schema: { name: string }) => schema.name === 'Staging Area'));
    });

    it('scopes: catalogs need connections:test, rows need data:read, creating a schema connections:write', async () => {
      const admin = token;
      const key = async (scopes: string[]) => {
        const reply = await t.call('POST', '/api/v1/projects/default/api-keys', {
          token: admin,
          body: { name: `k-${scopes.join('-')}`, scopes },
        });
        assert.equal(reply.status, 201, reply.text);
        return reply.body.key as string;
      };
      const readOnly = await key(['connections:read']);
      const tester = await key(['connections:read', 'connections:test']);
      expectProblem(await get('shop/tables', readOnly), 403, 'FORBIDDEN');
      assert.equal((await get('shop/tables', tester)).status, 200);
      expectProblem(await get('shop/preview?table=orders', tester), 403, 'FORBIDDEN');
      expectProblem(await query('shop', { sql: 'SELECT 1' }, tester), 403, 'FORBIDDEN');
      expectProblem(await t.call('POST', `${base}/shop/schemas`, { token: tester, body: { name: 'nope' } }), 403, 'FORBIDDEN');
      const reader = await key(['connections:read', 'data:read']);
      assert.equal((await query('shop', { sql: 'SELECT 1' }, reader)).status, 200);
    });

    it('tenancy and unknown connections answer 404; types that cannot answer 422 UNSUPPORTED_OPERATION', async () => {
      const other = await t.call('POST', '/api/v1/projects', { token, body: { slug: 'other-introspect', name: 'Other' } });
      assert.equal(other.status, 201, other.text);
      const foreign = await t.call('GET', '/api/v1/projects/other-introspect/connections/shop/tables', { token });
      expectProblem(foreign, 404, 'NOT_FOUND');
      expectProblem(await get('nope/tables'), 404, 'NOT_FOUND');

      await create('web', { type: 'http', config: { baseUrl: 'http://127.0.0.1:9' } });
      const unsupported = await get('web/tables');
      expectProblem(unsupported, 422, 'UNSUPPORTED_OPERATION');
      assert.match(unsupported.body.detail, /HTTP API connection cannot list tables/);
      expectProblem(await get('shop/files'), 422, 'UNSUPPORTED_OPERATION');
      expectProblem(await get('web/file-schema?path=x.csv'), 422, 'UNSUPPORTED_OPERATION');
      expectProblem(await query('web', { sql: 'SELECT 1' }), 422, 'UNSUPPORTED_OPERATION');

      const types = await t.call('GET', '/api/v1/connection-types', { token });
      const capabilities = Object.fromEntries(
        types.body.data.map((type: { type: string; capabilities: string[] }) => [type.type, type.capabilities]),
      );
      assert.deepEqual(capabilities.http, ['test']);
      assert.ok(!capabilities.mysql.includes('createSchema'));
    });

    it('GET schemas: 404 for an unknown database or connection, 422 for a type without schemas, 403 without connections:test', async () => {
      expectProblem(await get('shop/schemas?database=no_such_database'), 404, 'NOT_FOUND');
      expectProblem(await get('nope/schemas'), 404, 'NOT_FOUND');
      const elsewhere = `schemas-elsewhere-${driver}`;
      assert.equal((await t.call('POST', '/api/v1/projects', { token, body: { slug: elsewhere, name: elsewhere } })).status, 201);
      expectProblem(await t.call('GET', `/api/v1/projects/${elsewhere}/connections/shop/schemas`, { token }), 404, 'NOT_FOUND');

      await create('web-schemas', { type: 'http', config: { baseUrl: 'http://127.0.0.1:9' } });
      const unsupported = await get('web-schemas/schemas');
      expectProblem(unsupported, 422, 'UNSUPPORTED_OPERATION');
      assert.match(unsupported.body.detail, /cannot list schemas/);

      const key = await t.call('POST', '/api/v1/projects/default/api-keys', {
        token,
        body: { name: 'schemas-reader', scopes: ['connections:read'] },
      });
      assert.equal(key.status, 201, key.text);
      expectProblem(await get('shop/schemas', key.body.key), 403, 'FORBIDDEN');
      assert.equal((await get('shop/schemas')).status, 200, 'the same call with connections:test answers');
    });

    it('a target that cannot be reached answers 502 with the test code and no secret; an updated connection gets a new session', async () => {
      const closed = await freePort();
      await create('gone', { type: 'postgres', config: { ...pgTarget.config, port: closed }, secrets: { password: pgTarget.password } });
      const refused = await get('gone/tables');
      expectProblem(refused, 502, 'TARGET_UNAVAILABLE');
      assert.equal(refused.body.targetCode, 'CONNECTION_REFUSED');
      await create('metadata', { type: 'postgres', config: { ...pgTarget.config, host: '169.254.169.254' }, secrets: { password: 'x' } });
      const denied = await get('metadata/tables');
      expectProblem(denied, 502, 'TARGET_UNAVAILABLE');
      assert.equal(denied.body.targetCode, 'EGRESS_DENIED');

      await create('wrong', { type: 'postgres', config: pgTarget.config, secrets: { password: `${PG_PASSWORD_CANARY}-wrong` } });
      const wrong = await get('wrong/tables');
      expectProblem(wrong, 502, 'TARGET_UNAVAILABLE');
      assert.equal(wrong.body.targetCode, 'AUTH_FAILED');
      // Fix the password: the next call must not reuse the failed (or any older) session.
      const fixed = await t.call('PATCH', `${base}/wrong`, {
        token,
        body: { secrets: { password: PG_PASSWORD_CANARY } },
      });
      assert.equal(fixed.status, 200, fixed.text);
      assert.equal((await get('wrong/tables')).status, 200);

      // Point a working connection elsewhere: the cached session of the old version is closed, the new one used.
      const sessions = t.app.get(SessionCache);
      const before = sessions.size;
      await pg.createDatabase('elsewhere');
      const moved = await t.call('PATCH', `${base}/wrong`, {
        token,
        body: { config: { database: 'elsewhere' }, secrets: { password: PG_PASSWORD_CANARY } },
      });
      assert.equal(moved.status, 200, moved.text);
      const elsewhere = await get('wrong/tables');
      assert.equal(elsewhere.status, 200, elsewhere.text);
      assert.equal(elsewhere.body.meta.total, 0);
      assert.ok(sessions.size <= before, `sessions grew from ${before} to ${sessions.size}`);
      const deleted = await t.call('DELETE', `${base}/wrong?force=true`, { token });
      assert.equal(deleted.status, 204, deleted.text);
      expectProblem(await get('wrong/tables'), 404, 'NOT_FOUND');

      const everything = JSON.stringify(t.logs);
      assert.ok(!everything.includes(PG_PASSWORD_CANARY), 'the target password reached the logs');
    });

    it("a query's timeoutMs bounds the whole call, connecting included: a target that never answers is 504 by then", async () => {
      const silent = await startSilent();
      try {
        await create('silent-pg', { type: 'postgres', config: { ...pgTarget.config, port: silent.port }, secrets: { password: 'x' } });
        await create('silent-mysql', { type: 'mysql', config: { host: '127.0.0.1', port: silent.port, username: 'reader' } });
        for (const name of ['silent-pg', 'silent-mysql']) {
          const started = Date.now();
          const reply = await query(name, { sql: 'SELECT 1', timeoutMs: 1_000 });
          const took = Date.now() - started;
          expectProblem(reply, 504, 'TARGET_TIMEOUT');
          // Correctness bounds with slack for a busy machine: connecting used to take its own 5 s whatever timeoutMs said.
          assert.ok(took >= 900 && took < 4_000, `${name}: took ${took} ms for timeoutMs 1000`);
        }
      } finally {
        await silent.close();
      }
    });

    it('at most 4 introspection calls run at once per project: the fifth answers 429 with Retry-After', async () => {
      const calls = Array.from({ length: 5 }, () => query('shop', { sql: 'SELECT pg_sleep(1.5)', timeoutMs: 5000 }));
      const replies = await Promise.all(calls);
      const statuses = replies.map((reply) => reply.status).sort();
      assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
      const limited = replies.find((reply) => reply.status === 429)!;
      expectProblem(limited, 429, 'RATE_LIMITED');
      assert.equal(limited.headers.get('retry-after'), '1');
    });

    it('MariaDB: databases, tables, columns, preview and a refused write', async () => {
      const { mariadb } = servers;
      await mariadb.query(`CREATE TABLE IF NOT EXISTS ${mariadb.database}.gadgets (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(40))`);
      await mariadb.query(`REPLACE INTO ${mariadb.database}.gadgets VALUES (18446744073709551615, 'max'), (1, 'one')`);
      await create('maria', {
        type: 'mysql',
        config: { host: mariadb.host, port: mariadb.port, database: mariadb.database, username: mariadb.user },
        secrets: { password: mariadb.password },
      });
      const databases = await get('maria/databases');
      assert.equal(databases.status, 200, databases.text);
      assert.ok(databases.body.data.some((db: { name: string }) => db.name === mariadb.database));
      const tables = await get('maria/tables?search=gadg');
      assert.deepEqual(tables.body.data, [{ name: 'gadgets', schema: mariadb.database, type: 'TABLE' }]);
      const columns = await get('maria/columns?table=gadgets');
      assert.equal(columns.body.data[0].primaryKey, true);
      const preview = await get('maria/preview?table=gadgets');
      assert.equal(preview.status, 200, preview.text);
      assert.ok(preview.body.rows.some((row: unknown[]) => row[0] === '18446744073709551615'));
      expectProblem(await query('maria', { sql: 'DELETE FROM gadgets' }), 422, 'READ_ONLY_VIOLATION');
      const count = await query('maria', { sql: 'SELECT COUNT(*) AS n FROM gadgets' });
      assert.deepEqual(count.body.rows, [['2']]);
      expectProblem(await t.call('POST', `${base}/maria/schemas`, { token, body: { name: 'x' } }), 422, 'UNSUPPORTED_OPERATION');
    });

    it('SQLite: tables, preview and query under the SQLite root; escapes answer 422', async () => {
      const root = t.config.sqliteRoot;
      fs.mkdirSync(root, { recursive: true });
      const file = path.join(root, 'local.db');
      const db = new Database(file);
      db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hello'), ('world');");
      db.close();
      await create('local', { type: 'sqlite', config: { path: 'local.db' } });
      const tables = await get('local/tables');
      assert.deepEqual(tables.body, { data: [{ name: 'notes', schema: 'main', type: 'TABLE' }], meta: { total: 1, page: 1, perPage: 20 } });
      const preview = await get('local/preview?table=notes');
      assert.deepEqual(preview.body.rows, [
        [1, 'hello'],
        [2, 'world'],
      ]);
      expectProblem(await query('local', { sql: "INSERT INTO notes (body) VALUES ('x')" }), 422, 'READ_ONLY_VIOLATION');
      assert.deepEqual((await query('local', { sql: 'SELECT count(*) FROM notes' })).body.rows, [[2]]);
      expectProblem(await get('local/databases'), 422, 'UNSUPPORTED_OPERATION');

      const outside = path.join(path.dirname(root), 'outside.db');
      new Database(outside).close();
      fs.symlinkSync(outside, path.join(root, 'escape.db'));
      await create('escape', { type: 'sqlite', config: { path: 'escape.db' } });
      expectProblem(await get('escape/tables'), 422, 'UNPROCESSABLE');
    });

    it('SFTP and S3: files listed with folders, and the schema of a CSV file', async () => {
      const { sshd, s3 } = servers;
      await create('drop', sftpConnectionBody(sshd));
      const top = await get('drop/files?delimiter=/');
      assert.equal(top.status, 200, top.text);
      assert.ok(top.body.commonPrefixes.includes('data/'), top.text);
      const data = await get('drop/files?prefix=data/&delimiter=/');
      assert.ok(
        data.body.objects.some((object: { key: string }) => object.key === 'data/customers.csv'),
        data.text,
      );
      const schema = await get('drop/file-schema?path=data/customers.csv');
      assert.equal(schema.status, 200, schema.text);
      assert.equal(schema.body.format, 'csv');
      assert.ok(schema.body.columns.length > 0);
      expectProblem(await get('drop/files?prefix=../'), 422, 'UNPROCESSABLE');
      expectProblem(await get(`drop/file-schema?path=${encodeURIComponent('../../etc/passwd')}`), 422, 'UNPROCESSABLE');

      await s3.put('reports/2026/a.jsonl', '{"id":1,"name":"a"}\n{"id":2,"name":null}\n');
      await s3.put('reports/2026/b.csv', 'id,amount\n1,2.5\n');
      await create('bucket', {
        type: 's3',
        config: { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true },
        secrets: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
      const listed = await get('bucket/files?prefix=reports/2026/&limit=1');
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.objects.length, 1);
      assert.ok(listed.body.nextCursor);
      const next = await get(`bucket/files?prefix=reports/2026/&limit=1&cursor=${encodeURIComponent(listed.body.nextCursor)}`);
      assert.deepEqual(
        [...listed.body.objects, ...next.body.objects].map((object: { key: string }) => object.key),
        ['reports/2026/a.jsonl', 'reports/2026/b.csv'],
      );
      const jsonl = await get('bucket/file-schema?path=reports/2026/a.jsonl');
      assert.equal(jsonl.status, 200, jsonl.text);
      assert.deepEqual(jsonl.body.columns, [
        { name: 'id', type: 'integer', nullable: false },
        { name: 'name', type: 'string', nullable: true },
      ]);
      expectProblem(await get('bucket/file-schema?path=reports/missing.csv'), 404, 'NOT_FOUND');
      expectProblem(await get('bucket/tables'), 422, 'UNSUPPORTED_OPERATION');
    });
  });
}
