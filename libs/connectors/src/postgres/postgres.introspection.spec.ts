import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { Client, type Pool } from 'pg';
import type { ConnectionConfig } from '../connection-type';
import type { ResolvedConnection } from '../connector';
import { EgressGuard, type EgressResolver } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import type { Cell, IntrospectionContext, QueryResult } from '../introspection/types';
import { SessionCache, type Session } from '../sessions/session-cache';
import { type Layer, WRITE_ATTACK_FIXTURES, writeAttacks } from '../../../../test/attack/read-only-corpus';
import { type CountingProxy, startCountingProxy } from '../../../../test/support/counting-proxy';
import { startPostgres } from '../../../../test/support/postgres';
import { PostgresConnector } from './postgres.connector';

const SETUP = { timeout: 180_000 };
const TABLE_COUNT = 10_000;
const BIG_ROWS = 1_000_000;
const MB = 1024 * 1024;

// eslint-disable-next-line no-restricted-properties -- test/run.ts starts PostgreSQL and passes its superuser URL here
const serverUrl = process.env.SWITCHBOARD_TEST_PG_URL;
if (!serverUrl) throw new Error('SWITCHBOARD_TEST_PG_URL is not set: run the specs through test/run.js, which starts PostgreSQL');
const server = new URL(serverUrl);
const suffix = randomBytes(4).toString('hex');
const DB = `sb_introspect_pg_${suffix}`;
const DB_B = `${DB}_b`;
const DB_CLOSED = `${DB}_closed`;
const READER = `sb_reader_${suffix}`;
const READER_PASSWORD = `reader-pw-${randomBytes(6).toString('hex')}`;
const PROGRAM_CANARY = `/tmp/sb-pg-program-${suffix}`;
const FILE_CANARY = `/tmp/sb-pg-file-${suffix}`;
const LO_CANARY = `/tmp/sb-pg-lo-${suffix}`;
const PROBE = `/tmp/sb-pg-probe-${suffix}`;

const guard = new EgressGuard(EgressPolicy.parse({}));
const connector = new PostgresConnector();

const urlOf = (database: string): string => {
  const url = new URL(server.href);
  url.pathname = `/${database}`;
  return url.href;
};

function connectionFor(
  overrides: Partial<ConnectionConfig> = {},
  password = decodeURIComponent(server.password),
  generation = 'g1',
): ResolvedConnection {
  return {
    type: 'postgres',
    generation,
    config: { host: server.hostname, port: Number(server.port), database: DB, username: 'postgres', sslMode: 'disable', ...overrides },
    secrets: { password },
  };
}

interface Harness {
  context: IntrospectionContext;
  /** Sessions `open` created, in order. */
  opened: Session<Pool>[];
}

/** A context like the service's: a deadline, the default egress policy, sessions from `cache` keyed by `id` and the connection's generation. */
function harness(
  cache: SessionCache,
  id: string,
  connection: ResolvedConnection,
  ms = 60_000,
  signal = AbortSignal.timeout(ms),
  egress = guard,
): Harness {
  const deadline = Date.now() + ms;
  const opened: Session<Pool>[] = [];
  const context: IntrospectionContext = {
    signal,
    remainingMs: () => Math.max(0, deadline - Date.now()),
    egress,
    session: <T, R>(variant: string, open: () => Promise<Session<T>>, work: (client: T) => Promise<R>) =>
      cache.use(
        id,
        connection.generation ?? 'draft',
        async () => {
          const session = await open();
          opened.push(session as unknown as Session<Pool>);
          return session;
        },
        work,
        variant,
      ),
  };
  return { context, opened };
}

/** The AppError `promise` rejects with, checked for `code`. */
async function appError(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, `${error.code}: ${error.detail}`);
    return error;
  }
  return assert.fail(`expected ${code}, but it succeeded`);
}

/**
 * Runs `work` and counts the bytes the server sent through `proxy` meanwhile: what the connector
 * asked for, whatever the machine's load (speed and memory are bench/'s to measure).
 */
async function measured<T>(proxy: CountingProxy, work: () => Promise<T>): Promise<{ value: T; ms: number; serverMb: number }> {
  proxy.reset();
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round((performance.now() - started) * 10) / 10, serverMb: Math.round((proxy.bytesFromServer / MB) * 10) / 10 };
}

describe('PostgreSQL introspection against a real server', () => {
  let admin: Client;
  let largeObject = 0;
  const cache = new SessionCache();
  const connection = connectionFor();
  /** A fresh 60 s deadline per call, sessions from the shared cache. */
  const ctx = (): IntrospectionContext => harness(cache, 'main', connection).context;

  const sql = (text: string, values?: unknown[]) => admin.query(text, values);
  const run = (text: string, limit = 100, timeoutMs = 5_000, on = ctx()): Promise<QueryResult> =>
    connector.query(connection, on, { sql: text, limit, timeoutMs });
  /** The same server and database through a counting proxy, with sessions of its own. */
  let proxy: CountingProxy;
  let proxied: ResolvedConnection;
  const proxiedCtx = (): IntrospectionContext => harness(cache, 'proxied', proxied).context;
  const runProxied = (text: string, limit: number, timeoutMs = 30_000): Promise<QueryResult> =>
    connector.query(proxied, proxiedCtx(), { sql: text, limit, timeoutMs });

  before(async () => {
    const root = new Client({ connectionString: urlOf('postgres') });
    await root.connect();
    try {
      for (const name of [DB, DB_B, DB_CLOSED]) await root.query(`CREATE DATABASE "${name}"`);
      await root.query(`CREATE ROLE "${READER}" LOGIN PASSWORD '${READER_PASSWORD}'`);
      // The reader may connect to DB_CLOSED, but never gets a connection slot there.
      await root.query(`ALTER DATABASE "${DB_CLOSED}" CONNECTION LIMIT 0`);
      await root.query(`REVOKE CONNECT ON DATABASE "${DB_B}" FROM PUBLIC`);
    } finally {
      await root.end();
    }
    const other = new Client({ connectionString: urlOf(DB_B) });
    await other.connect();
    await other.query('CREATE SCHEMA only_in_b');
    await other.end();

    proxy = await startCountingProxy(Number(server.port), server.hostname);
    proxied = connectionFor({ port: proxy.port });
    admin = new Client({ connectionString: urlOf(DB) });
    await admin.connect();
    // The canaries can fail: outside a read-only query, the server does write these files.
    await sql(`COPY (SELECT 1) TO PROGRAM 'cat > ${PROBE}'`);
    assert.ok(fs.existsSync(PROBE), 'COPY TO PROGRAM works on this server');
    fs.rmSync(PROBE, { force: true });
    largeObject = Number((await sql(`SELECT lo_from_bytea(0, 'large object') AS oid`)).rows[0].oid);
    await sql(`SELECT lo_export(${largeObject}, '${PROBE}')`);
    assert.ok(fs.existsSync(PROBE), 'lo_export writes server files on this server');
    fs.rmSync(PROBE, { force: true });
    await sql(`CREATE SCHEMA many; CREATE SCHEMA other; CREATE SCHEMA kinds; GRANT USAGE ON SCHEMA many TO "${READER}"`);
    // 10,000 tables, committed every 1,000 so the lock table never fills.
    await sql(`DO $$ BEGIN
      FOR i IN 1..${TABLE_COUNT} LOOP
        EXECUTE format('CREATE TABLE many.%I (id int)', 't' || lpad(i::text, 5, '0'));
        IF i % 1000 = 0 THEN COMMIT; END IF;
      END LOOP; END $$`);
    await sql(`CREATE TABLE other."under_score" (a int); CREATE TABLE other."underXscore" (a int);
               CREATE TABLE other."per%cent" (a int); CREATE TABLE other."perXcent" (a int);
               CREATE TABLE other."MixedCase" (a int)`);
    await sql(`CREATE TABLE kinds.base (id int PRIMARY KEY, note text DEFAULT 'n/a');
               CREATE VIEW kinds.v AS SELECT id FROM kinds.base;
               CREATE MATERIALIZED VIEW kinds.mv AS SELECT id FROM kinds.base;
               CREATE TABLE kinds.parted (id int, at date) PARTITION BY RANGE (at);
               CREATE TABLE kinds.parted_1 PARTITION OF kinds.parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
               CREATE EXTENSION file_fdw;
               CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
               CREATE FOREIGN TABLE kinds.ft (line text) SERVER files OPTIONS (filename '/dev/null');
               CREATE SEQUENCE kinds.not_a_table`);
    await sql(`CREATE TABLE public.big AS
                 SELECT i AS id, md5(i::text) AS a, md5((i * 7)::text) AS b, timestamp '2024-01-01' + i * interval '1 second' AS at
                   FROM generate_series(1, ${BIG_ROWS}) i;
               ANALYZE public.big`);
    await sql(`${WRITE_ATTACK_FIXTURES};
               CREATE TABLE public."we""ird na'me" (x int); INSERT INTO public."we""ird na'me" VALUES (7);
               CREATE TABLE public."dollar$'$&$1" (x int); INSERT INTO public."dollar$'$&$1" VALUES (8);
               CREATE TABLE public.columns_demo (
                 id bigint GENERATED ALWAYS AS IDENTITY, code varchar(12) NOT NULL DEFAULT 'x', amount numeric(10,2),
                 dropped int, created timestamptz DEFAULT now(), doubled numeric GENERATED ALWAYS AS (amount * 2) STORED,
                 PRIMARY KEY (code, id));
               ALTER TABLE public.columns_demo DROP COLUMN dropped`);
    await sql(`CREATE TABLE public.cells (
                 i2 int2, i4 int4, i8 int8, num numeric(30,10), f_nan float8, f_inf float8, f_ninf float8, f float8, b bool,
                 d date, ts timestamp, tstz timestamptz, t time, iv interval, u uuid, j json, jb jsonb, arr int[],
                 by bytea, txt text, nothing text);
               INSERT INTO public.cells VALUES (
                 32767, -2147483648, 9007199254740993, 12345678901234567890.0123456789, 'NaN', 'Infinity', '-Infinity', 0.1, true,
                 '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.654321+05:30', '13:14:15.5',
                 '1 year 2 months 3 days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, "x"]}',
                 '{"b": 1, "a": [1, 2.50]}', '{1,2,3}', decode(repeat('ab', 3000), 'hex'), repeat('x', 10000), NULL)`);
  }, SETUP);

  after(async () => {
    await cache.onApplicationShutdown();
    await proxy?.close();
    await admin?.end().catch(() => undefined);
    const root = new Client({ connectionString: urlOf('postgres') });
    await root.connect();
    for (const name of [DB, DB_B, DB_CLOSED]) await root.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await root.query(`DROP ROLE IF EXISTS "${READER}"`);
    await root.end();
    for (const file of [PROGRAM_CANARY, FILE_CANARY, LO_CANARY, PROBE]) fs.rmSync(file, { force: true });
  });

  describe('catalog', () => {
    it('lists 10,000 tables page by page: each once, in order, with the total on every page', async (t) => {
      const seen: string[] = [];
      const pageMs: number[] = [];
      const pageBytes: number[] = [];
      await connector.listTables(proxied, proxiedCtx(), { schema: 'many', offset: 0, limit: 1 }); // the session is open before counting
      for (let offset = 0; offset < TABLE_COUNT; offset += 100) {
        proxy.reset();
        const started = performance.now();
        const page = await connector.listTables(proxied, proxiedCtx(), { schema: 'many', offset, limit: 100 });
        pageMs.push(performance.now() - started);
        pageBytes.push(proxy.bytesFromServer);
        assert.equal(page.total, TABLE_COUNT);
        assert.equal(page.tables.length, 100);
        for (const table of page.tables) {
          assert.equal(table.schema, 'many');
          assert.equal(table.type, 'TABLE');
          seen.push(table.name);
        }
      }
      assert.equal(new Set(seen).size, TABLE_COUNT);
      assert.deepEqual(
        seen,
        Array.from({ length: TABLE_COUNT }, (_, i) => `t${String(i + 1).padStart(5, '0')}`),
      );
      const beyond = await connector.listTables(connection, ctx(), { schema: 'many', offset: TABLE_COUNT, limit: 100 });
      assert.deepEqual(beyond, { tables: [], total: TABLE_COUNT });
      const sorted = [...pageMs].sort((a, b) => a - b);
      const mean = pageMs.reduce((sum, ms) => sum + ms, 0) / pageMs.length;
      t.diagnostic(
        `tables page (limit 100) over ${TABLE_COUNT} tables: mean ${mean.toFixed(2)} ms, median ${sorted[50].toFixed(2)} ms, ` +
          `max ${sorted[sorted.length - 1].toFixed(2)} ms over ${pageMs.length} pages; at most ${Math.max(...pageBytes)} bytes a page`,
      );
      // A page is read from the server alone, not cut out of the whole list (10,000 names are over 100 KB).
      for (const [index, bytes] of pageBytes.entries()) assert.ok(bytes < 32 * 1024, `page ${index + 1}: the server sent ${bytes} bytes`);
    });

    it('filters by a case-insensitive substring in which % and _ are plain characters', async () => {
      const names = async (search: string, schema?: string) =>
        (await connector.listTables(connection, ctx(), { schema, search, offset: 0, limit: 100 })).tables.map(
          (t) => `${t.schema}.${t.name}`,
        );
      assert.deepEqual(await names('_', 'other'), ['other.under_score']);
      assert.deepEqual(await names('%'), ['other.per%cent']);
      assert.deepEqual(await names('mixedCASE'), ['other.MixedCase']);
      assert.deepEqual(
        await names('T0999'),
        Array.from({ length: 10 }, (_, i) => `many.t0999${i}`),
      );
      await appError(connector.listTables(connection, ctx(), { search: 'a\0b', offset: 0, limit: 5 }), ErrorCode.VALIDATION_FAILED);
      const page = await connector.listTables(connection, ctx(), { search: 't0', offset: 0, limit: 5 });
      assert.equal(page.total, 9999);
      assert.equal(page.tables.length, 5);
    });

    it('lists every user schema when none is given (or the configured one), and 404s an unknown schema', async () => {
      const all = await connector.listTables(connection, ctx(), { offset: 0, limit: 100 });
      const systemless = await sql(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r','p','v','m','f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'`);
      assert.equal(all.total, systemless.rows[0].n);
      assert.ok(all.total > TABLE_COUNT);
      assert.ok(all.tables.every((table) => !table.schema.startsWith('pg_') && table.schema !== 'information_schema'));
      const configured = connectionFor({ schema: 'other' });
      const { context: otherContext } = harness(cache, 'configured-schema', configured);
      const page = await connector.listTables(configured, otherContext, { offset: 0, limit: 100 });
      assert.deepEqual(
        page.tables.map((table) => table.name),
        ['MixedCase', 'per%cent', 'perXcent', 'underXscore', 'under_score'],
      );
      await appError(connector.listTables(connection, ctx(), { schema: 'nope', offset: 0, limit: 10 }), ErrorCode.NOT_FOUND);
      await appError(
        connector.listTables(connection, ctx(), { schema: 'x'.repeat(64), offset: 0, limit: 10 }),
        ErrorCode.VALIDATION_FAILED,
      );
    });

    it('names every kind of relation (file_fdw provides the foreign table) and leaves out sequences', async () => {
      const page = await connector.listTables(connection, ctx(), { schema: 'kinds', offset: 0, limit: 100 });
      assert.deepEqual(page.tables, [
        { schema: 'kinds', name: 'base', type: 'TABLE' },
        { schema: 'kinds', name: 'ft', type: 'FOREIGN_TABLE' },
        { schema: 'kinds', name: 'mv', type: 'MATERIALIZED_VIEW' },
        { schema: 'kinds', name: 'parted', type: 'PARTITIONED_TABLE' },
        { schema: 'kinds', name: 'parted_1', type: 'TABLE' },
        { schema: 'kinds', name: 'v', type: 'VIEW' },
      ]);
      assert.equal(page.total, 6);
      const ft = await connector.preview(connection, ctx(), { schema: 'kinds', table: 'ft', limit: 10 });
      assert.deepEqual(ft, { columns: [{ name: 'line', type: 'text' }], rows: [], truncated: false });
    });

    it('lists columns with types, nullability, defaults, primary keys and positions', async () => {
      const columns = await connector.listColumns(connection, ctx(), { table: 'columns_demo' });
      assert.deepEqual(columns, [
        { name: 'id', type: 'bigint', nullable: false, default: null, primaryKey: true, position: 1 },
        { name: 'code', type: 'character varying(12)', nullable: false, default: "'x'::character varying", primaryKey: true, position: 2 },
        { name: 'amount', type: 'numeric(10,2)', nullable: true, default: null, primaryKey: false, position: 3 },
        { name: 'created', type: 'timestamp with time zone', nullable: true, default: 'now()', primaryKey: false, position: 4 },
        // A generated column has no default (its expression is not one), as information_schema, MySQL and SQLite say.
        { name: 'doubled', type: 'numeric', nullable: true, default: null, primaryKey: false, position: 5 },
      ]);
      const view = await connector.listColumns(connection, ctx(), { schema: 'kinds', table: 'v' });
      assert.deepEqual(view, [{ name: 'id', type: 'integer', nullable: true, default: null, primaryKey: false, position: 1 }]);
      await appError(connector.listColumns(connection, ctx(), { schema: 'kinds', table: 'not_a_table' }), ErrorCode.NOT_FOUND);
      await appError(connector.listColumns(connection, ctx(), { table: 'missing' }), ErrorCode.NOT_FOUND);
    });

    it('lists schemas without system ones, per database, and 404s a database that is not there', async () => {
      await sql('CREATE TEMP TABLE makes_a_temp_schema (a int)');
      const schemas = (await connector.listSchemas(connection, ctx())).map((schema) => schema.name);
      assert.deepEqual(schemas, ['kinds', 'many', 'other', 'public']);
      const inB = (await connector.listSchemas(connection, ctx(), DB_B)).map((schema) => schema.name);
      assert.deepEqual(inB, ['only_in_b', 'public']);
      assert.deepEqual(await connector.listSchemas(connection, ctx(), DB), await connector.listSchemas(connection, ctx()));
      await appError(connector.listSchemas(connection, ctx(), `${DB}_missing`), ErrorCode.NOT_FOUND);
      await appError(connector.listSchemas(connection, ctx(), 'template0'), ErrorCode.NOT_FOUND);
      await appError(connector.listSchemas(connection, ctx(), 'bad\0name'), ErrorCode.VALIDATION_FAILED);
    });

    it('lists databases with their schemas; templates, and databases the user may not connect to, are left out', async () => {
      const databases = await connector.listDatabases(connection, ctx());
      const byName = new Map(databases.map((database) => [database.name, database]));
      assert.ok(!byName.has('template0') && !byName.has('template1'));
      assert.deepEqual(byName.get(DB)?.schemas, [{ name: 'kinds' }, { name: 'many' }, { name: 'other' }, { name: 'public' }]);
      assert.deepEqual(byName.get(DB_B)?.schemas, [{ name: 'only_in_b' }, { name: 'public' }]);
      assert.deepEqual(byName.get(DB_CLOSED)?.schemas, [{ name: 'public' }], 'a superuser ignores the connection limit');
      assert.deepEqual(
        databases.map((database) => database.name),
        [...databases.map((database) => database.name)].sort(),
      );

      const reader = connectionFor({ username: READER }, READER_PASSWORD);
      const { context: readerContext } = harness(cache, 'reader', reader);
      const seen = await connector.listDatabases(reader, readerContext);
      const names = seen.map((database) => database.name);
      assert.ok(!names.includes(DB_B), 'CONNECT was revoked on DB_B');
      assert.deepEqual(
        seen.find((database) => database.name === DB_CLOSED),
        { name: DB_CLOSED },
        'a database that cannot be opened has no schemas',
      );
      assert.ok(seen.find((database) => database.name === DB)?.schemas?.some((schema) => schema.name === 'many'));
      await appError(connector.listSchemas(reader, readerContext, DB_B), ErrorCode.NOT_FOUND);
    });

    it('creates schemas (quoted, in another database too): 409 when one exists, 403 without the privilege, 400 for bad names', async () => {
      assert.deepEqual(await connector.createSchema(connection, ctx(), 'made_here'), { name: 'made_here' });
      assert.deepEqual(await connector.createSchema(connection, ctx(), 'odd "name"; DROP SCHEMA public'), {
        name: 'odd "name"; DROP SCHEMA public',
      });
      const names = (await connector.listSchemas(connection, ctx())).map((schema) => schema.name);
      assert.ok(names.includes('made_here') && names.includes('odd "name"; DROP SCHEMA public') && names.includes('public'));
      const conflict = await appError(connector.createSchema(connection, ctx(), 'made_here'), ErrorCode.CONFLICT);
      assert.match(conflict.detail, /already exists/);
      await connector.createSchema(connection, ctx(), 'made_in_b', DB_B);
      assert.ok((await connector.listSchemas(connection, ctx(), DB_B)).some((schema) => schema.name === 'made_in_b'));
      await appError(connector.createSchema(connection, ctx(), 'x', `${DB}_missing`), ErrorCode.NOT_FOUND);
      await appError(connector.createSchema(connection, ctx(), 'pg_reserved'), ErrorCode.VALIDATION_FAILED);
      await appError(connector.createSchema(connection, ctx(), ''), ErrorCode.VALIDATION_FAILED);
      await appError(connector.createSchema(connection, ctx(), 'n'.repeat(64)), ErrorCode.VALIDATION_FAILED);
      await appError(connector.createSchema(connection, ctx(), 'nul\0'), ErrorCode.VALIDATION_FAILED);
      const reader = connectionFor({ username: READER }, READER_PASSWORD);
      const { context: readerContext } = harness(cache, 'reader', reader);
      const forbidden = await appError(connector.createSchema(reader, readerContext, 'not_allowed'), ErrorCode.FORBIDDEN);
      assert.match(forbidden.detail, /permission denied/);
      const exists = await sql(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'not_allowed'`);
      assert.equal(exists.rows[0].n, 0);
    });
  });

  describe('preview and query over 1,000,000 rows', () => {
    it('previews 1,000 rows and queries 10,000 with exact truncation, reading no more of the table than that', async (t) => {
      await runProxied('SELECT 1', 1); // the pool is open before counting
      const preview = await measured(proxy, () => connector.preview(proxied, proxiedCtx(), { table: 'big', limit: 1000 }));
      assert.equal(preview.value.rows.length, 1000);
      assert.equal(preview.value.truncated, true);
      assert.deepEqual(preview.value.columns, [
        { name: 'id', type: 'integer' },
        { name: 'a', type: 'text' },
        { name: 'b', type: 'text' },
        { name: 'at', type: 'timestamp without time zone' },
      ]);
      assert.deepEqual(preview.value.rows[0], [
        1,
        'c4ca4238a0b923820dcc509a6f75849b',
        '8f14e45fceea167a5a36dedd4bea2543',
        '2024-01-01T00:00:01',
      ]);

      const query = await measured(proxy, () => runProxied('SELECT * FROM big', 10_000));
      assert.equal(query.value.rows.length, 10_000);
      assert.equal(query.value.truncated, true);
      assert.equal(query.value.stats.rowCount, 10_000);
      assert.ok(query.value.stats.executionMs > 0 && query.value.stats.executionMs < 30_000);

      const exact = await measured(proxy, () => runProxied('SELECT * FROM big WHERE id <= 10000', 10_000));
      assert.equal(exact.value.rows.length, 10_000);
      assert.equal(exact.value.truncated, false, 'exactly `limit` rows is not truncated');
      const sorted = await measured(proxy, () => runProxied('SELECT id FROM big ORDER BY b DESC', 100));
      assert.equal(sorted.value.rows.length, 100);
      assert.equal(sorted.value.truncated, true);

      t.diagnostic(`preview limit 1000 of ${BIG_ROWS} rows: ${preview.ms} ms, server sent ${preview.serverMb} MB`);
      t.diagnostic(
        `query SELECT * limit 10000: ${query.ms} ms (executionMs ${query.value.stats.executionMs}), server sent ${query.serverMb} MB`,
      );
      t.diagnostic(`query returning exactly 10000 rows: ${exact.ms} ms, server sent ${exact.serverMb} MB`);
      t.diagnostic(`query ORDER BY over 1M rows, limit 100: ${sorted.ms} ms, server sent ${sorted.serverMb} MB`);
      // The table is about 100 MB on the wire: each call read its rows (plus what was in flight), not the table.
      for (const figure of [preview, sorted]) assert.ok(figure.serverMb < 1, `the server sent ${figure.serverMb} MB`);
      for (const figure of [query, exact]) assert.ok(figure.serverMb < 8, `the server sent ${figure.serverMb} MB`);
    });

    it('refuses a row over 32 MiB before buffering it, and reads many large rows with their cells cut as they arrive', async (t) => {
      await runProxied('SELECT 1', 1);
      const huge = await measured(proxy, () => appError(runProxied(`SELECT repeat('x', 300000000) AS huge`, 1), ErrorCode.QUERY_FAILED));
      assert.match(huge.value.detail, /larger than 32 MiB/);
      assert.deepEqual((await runProxied('SELECT 8', 1)).rows, [[8]], 'the next call gets a working client');
      // 150 rows of 1 MB: 150 MB on the wire in all, each cell cut to 4,096 characters.
      const many = await measured(proxy, () => runProxied(`SELECT g, repeat('y', 1000000) AS wide FROM generate_series(1, 150) g`, 1_000));
      assert.equal(many.value.rows.length, 150);
      assert.match(String(many.value.rows[149][1]), /^y{4096}…\[truncated; 1000000 characters\]$/);
      t.diagnostic(
        `300 MB value refused: ${huge.ms} ms, server sent ${huge.serverMb} MB; 150 rows of 1 MB: server sent ${many.serverMb} MB`,
      );
      // Refused on the row's length, read as it arrives: the client stopped reading long before the 300 MB were in
      // (the cut 1 MB cells are garbage at once; when V8 collects them is bench/'s to watch).
      assert.ok(huge.serverMb < 100, `the server sent ${huge.serverMb} MB of a 300 MB row`);
    });

    it('turns every type into its JSON-safe cell, the same way in previews and queries', async () => {
      const expectedColumns = [
        ['i2', 'smallint'],
        ['i4', 'integer'],
        ['i8', 'bigint'],
        ['num', 'numeric(30,10)'],
        ['f_nan', 'double precision'],
        ['f_inf', 'double precision'],
        ['f_ninf', 'double precision'],
        ['f', 'double precision'],
        ['b', 'boolean'],
        ['d', 'date'],
        ['ts', 'timestamp without time zone'],
        ['tstz', 'timestamp with time zone'],
        ['t', 'time without time zone'],
        ['iv', 'interval'],
        ['u', 'uuid'],
        ['j', 'json'],
        ['jb', 'jsonb'],
        ['arr', 'integer[]'],
        ['by', 'bytea'],
        ['txt', 'text'],
        ['nothing', 'text'],
      ].map(([name, type]) => ({ name, type }));
      const expectedRow: Cell[] = [
        32767,
        -2147483648,
        '9007199254740993',
        '12345678901234567890.0123456789',
        'NaN',
        'Infinity',
        '-Infinity',
        0.1,
        true,
        '2024-02-29',
        '2024-02-29T13:14:15.123456',
        '2024-02-29T07:44:15.654321Z',
        '13:14:15.5',
        'P1Y2M3DT4H5M6.5S',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{"a": [1, 2.50, "x"]}',
        '{"a": [1, 2.50], "b": 1}',
        '{1,2,3}',
        `\\x${'ab'.repeat(2048)}…[truncated; 3000 bytes]`,
        `${'x'.repeat(4096)}…[truncated; 10000 characters]`,
        null,
      ];
      const preview = await connector.preview(connection, ctx(), { schema: 'public', table: 'cells', limit: 5 });
      assert.deepEqual(preview, { columns: expectedColumns, rows: [expectedRow], truncated: false });
      const query = await run('SELECT * FROM cells');
      assert.deepEqual(query.columns, expectedColumns);
      assert.deepEqual(query.rows, [expectedRow]);
      // The session's zone changed mid-statement: the instant is still written in UTC, microseconds kept.
      const zoned = await run(`SELECT set_config('TimeZone', 'Asia/Kolkata', true), tstz, tstz::text FROM cells`);
      assert.deepEqual(zoned.rows, [['Asia/Kolkata', '2024-02-29T07:44:15.654321Z', '2024-02-29 13:14:15.654321+05:30']]);
      const repeated = await run('SELECT 1 AS a, 2 AS a');
      assert.deepEqual(repeated, {
        columns: [
          { name: 'a', type: 'integer' },
          { name: 'a', type: 'integer' },
        ],
        rows: [[1, 2]],
        truncated: false,
        stats: repeated.stats,
      });
    });

    it('runs the read-only statement forms (WITH, VALUES, TABLE, EXPLAIN, SHOW, parentheses, comments first)', async () => {
      assert.deepEqual((await run('WITH x AS (SELECT 2 AS n) SELECT n FROM x')).rows, [[2]]);
      assert.deepEqual((await run('VALUES (1, 2)')).rows, [[1, 2]]);
      assert.equal((await run('TABLE victim', 1000)).rows.length, 100);
      assert.ok((await run('EXPLAIN SELECT * FROM big')).rows.length > 0);
      assert.deepEqual((await run('SHOW TimeZone')).rows, [['UTC']]);
      assert.deepEqual((await run('(SELECT 3)')).rows, [[3]]);
      assert.deepEqual((await run('/* a /* nested */ comment */ -- and a line\n  select 4')).rows, [[4]]);
      await appError(run('  -- nothing but a comment'), ErrorCode.VALIDATION_FAILED);
      await appError(run('SELECT nope FROM victim'), ErrorCode.QUERY_FAILED);
    });
  });

  describe('read-only enforcement', () => {
    /** Everything a statement could have changed, read back by the admin connection. */
    async function targetState() {
      const { rows } = await sql(`SELECT
          (SELECT count(*) FROM public.victim)::int AS victims,
          (SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM public.victim) AS checksum,
          (SELECT last_value::text || '/' || is_called::text FROM public.victim_seq) AS seq,
          (SELECT count(*) FROM pg_class)::int AS relations,
          (SELECT count(*) FROM pg_largeobject_metadata)::int AS large_objects,
          (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory')::int AS advisory_locks`);
      return {
        ...rows[0],
        programFile: fs.existsSync(PROGRAM_CANARY),
        copyFile: fs.existsSync(FILE_CANARY),
        largeObjectFile: fs.existsSync(LO_CANARY),
      };
    }

    const READ_ONLY = ErrorCode.READ_ONLY_VIOLATION;
    /** Which layer refused: the statement checks, the server's read-only transaction, or the transaction-ID check after it. */
    const REFUSED = /is refused/;
    const SERVER = /read-only transaction|read-write mode|cannot run inside a transaction block/;
    const WROTE = /transaction ID/;
    const ONE_STATEMENT = /one statement at a time/;

    const LAYERS: Record<Layer, [ErrorCode, RegExp]> = {
      refused: [READ_ONLY, REFUSED],
      server: [READ_ONLY, SERVER],
      wrote: [READ_ONLY, WROTE],
      'one-statement': [ErrorCode.UNPROCESSABLE, ONE_STATEMENT],
    };
    const corpus = (): [string, ErrorCode, RegExp][] =>
      writeAttacks({ programFile: PROGRAM_CANARY, copyFile: FILE_CANARY, largeObjectFile: LO_CANARY, largeObject }).map(
        ({ sql, layer }) => [sql, ...LAYERS[layer]],
      );

    it('refuses every write form with the right 422 and leaves the target unchanged', async () => {
      const initial = await targetState();
      assert.deepEqual(
        { ...initial, relations: 0, checksum: '' },
        {
          victims: 100,
          checksum: '',
          seq: '1/false',
          relations: 0,
          large_objects: 1,
          advisory_locks: 0,
          programFile: false,
          copyFile: false,
          largeObjectFile: false,
        },
      );
      for (const [statement, code, layer] of corpus()) {
        const error = await appError(run(statement), code);
        assert.match(error.detail, layer, statement);
        assert.deepEqual(await targetState(), initial, `the target changed after: ${statement}`);
        // A write right after, on the same pooled client, is still refused.
        await appError(run(`SELECT sneaky_insert()`), READ_ONLY);
        assert.deepEqual(await targetState(), initial, `the target changed after a write following: ${statement}`);
      }
    });

    it('still reads text that merely mentions refused words', async () => {
      const result = await run(`SELECT 'lo_export' AS a, $tag$ COPY; lo_export $tag$ AS b, E'it\\'s' AS c -- lo_export
        /* query_to_xml */ , 'dblink''s' AS d`);
      assert.deepEqual(result.rows, [['lo_export', ' COPY; lo_export ', "it's", "dblink's"]]);
    });

    it('leaves nothing on the pooled client: settings, advisory locks, read-write defaults (RESET ALL and DISCARD ALL keep our settings)', async () => {
      const pid = (await run('SELECT pg_backend_pid()')).rows[0][0];
      const changed = await run(`SELECT set_config('TimeZone', 'Asia/Tokyo', false), set_config('search_path', 'kinds', false),
        set_config('statement_timeout', '0', false), set_config('default_transaction_read_only', 'off', false), pg_advisory_lock(4242),
        pg_backend_pid()`);
      assert.equal(changed.rows[0][5], pid, 'the same pooled connection');
      assert.equal((await targetState()).advisory_locks, 0, 'the session-level advisory lock was released');
      const after = await run(`SELECT current_setting('TimeZone'), current_setting('search_path'), current_setting('statement_timeout'),
        current_setting('IntervalStyle'), current_setting('DateStyle'), pg_backend_pid()`);
      assert.deepEqual(after.rows, [['UTC', '"$user", public', '5s', 'iso_8601', 'ISO, MDY', pid]]);

      // Our settings are startup parameters: RESET ALL and DISCARD ALL fall back to them, not to the server's defaults.
      await cache.use(
        'main',
        connection.generation!,
        () => Promise.reject(new Error('the pool should be open already')),
        async (pool: Pool) => {
          const client = await pool.connect();
          try {
            await client.query(`SET TimeZone = 'Asia/Tokyo'; SET IntervalStyle = 'postgres'; RESET ALL`);
            assert.deepEqual(
              (await client.query(`SELECT current_setting('TimeZone') AS tz, current_setting('IntervalStyle') AS iv`)).rows,
              [{ tz: 'UTC', iv: 'iso_8601' }],
            );
            await client.query(`SET TimeZone = 'Asia/Tokyo'`);
            await client.query('DISCARD ALL');
            assert.deepEqual((await client.query(`SELECT current_setting('TimeZone') AS tz`)).rows, [{ tz: 'UTC' }]);
          } finally {
            client.release();
          }
        },
      );
    });

    it('cancels a statement at its timeout, even one that lifts its own timeout, and the client stays usable', async () => {
      // Long sleeps, so that "cancelled" and "waited the sleep out" stay far apart however busy the machine is.
      const started = performance.now();
      const timeout = await appError(run('SELECT pg_sleep(30)', 10, 300), ErrorCode.TARGET_TIMEOUT);
      assert.match(timeout.detail, /300 ms/);
      await appError(run(`SELECT set_config('statement_timeout', '0', true), pg_sleep(30)`, 10, 300), ErrorCode.TARGET_TIMEOUT);
      assert.ok(performance.now() - started < 20_000, 'a statement slept on past its timeout');
      assert.deepEqual((await run('SELECT 42')).rows, [[42]]);
    });

    it('on the deadline, cancels the statement on the server and destroys the client instead of pooling it', async () => {
      // The deadline passes long before the statement timeout would.
      const { context: short } = harness(cache, 'main', connection, 60_000, AbortSignal.timeout(400));
      const started = performance.now();
      const error = await appError(run('SELECT pg_sleep(20)', 10, 20_000, short), ErrorCode.TARGET_TIMEOUT);
      assert.match(error.detail, /deadline/);
      assert.ok(performance.now() - started < 10_000, 'the call waited for the statement instead of its deadline');
      let sleeping = 1;
      for (let tries = 0; tries < 50 && sleeping > 0; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const { rows } = await sql(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%' AND pid <> pg_backend_pid()`,
        );
        sleeping = rows[0].n;
      }
      assert.equal(sleeping, 0, 'the server stopped the statement');
      assert.deepEqual((await run('SELECT 1')).rows, [[1]]);
    });

    it('answers 502 when the backend dies mid-query, keeps the process up, and the pool recovers', async () => {
      // Checked from the start: the rejection may come while the loop below still polls.
      const failed = appError(run('SELECT pg_sleep(20) AS terminated_mid_query', 10, 30_000), ErrorCode.TARGET_UNAVAILABLE);
      let terminated = 0;
      for (let tries = 0; tries < 100 && terminated === 0; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const { rows } = await sql(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query LIKE '%terminated_mid_query%' AND pid <> pg_backend_pid()`,
        );
        terminated = rows[0].n;
      }
      assert.equal(terminated, 1);
      assert.match((await failed).detail, /terminating connection/);
      assert.deepEqual((await run('SELECT 7')).rows, [[7]]);
    });
  });

  describe('identifiers', () => {
    const attempts: [string | undefined, string, ErrorCode][] = [
      [undefined, `victim"; DROP TABLE victim; --`, ErrorCode.NOT_FOUND],
      ['public"."victim', 'victim', ErrorCode.NOT_FOUND],
      [undefined, 'public"."victim', ErrorCode.NOT_FOUND],
      [undefined, '"victim"', ErrorCode.NOT_FOUND],
      [undefined, `victim' OR '1'='1`, ErrorCode.NOT_FOUND],
      [undefined, 'VICTIM', ErrorCode.NOT_FOUND],
      [undefined, 'victim; DROP TABLE victim', ErrorCode.NOT_FOUND],
      [`public; DROP TABLE victim; --`, 'victim', ErrorCode.NOT_FOUND],
      [undefined, 'victim\0', ErrorCode.VALIDATION_FAILED],
      [undefined, 'v'.repeat(1000), ErrorCode.VALIDATION_FAILED],
      ['s'.repeat(1000), 'victim', ErrorCode.VALIDATION_FAILED],
      [undefined, '', ErrorCode.VALIDATION_FAILED],
    ];

    it('never splices preview or column parameters: odd names 404 or 400 and the table is still there', async () => {
      for (const [schema, table, code] of attempts) {
        await appError(connector.preview(connection, ctx(), { schema, table, limit: 10 }), code);
        await appError(connector.listColumns(connection, ctx(), { schema, table }), code);
      }
      const { rows } = await sql('SELECT count(*)::int AS n FROM public.victim');
      assert.equal(rows[0].n, 100);
      const odd = await connector.preview(connection, ctx(), { schema: 'public', table: `we"ird na'me`, limit: 10 });
      assert.deepEqual(odd, { columns: [{ name: 'x', type: 'integer' }], rows: [[7]], truncated: false });
      // The table is looked up with literals in the opening round trip: `$'`, `$&`, `$1` must stay plain characters.
      const dollars = await connector.preview(connection, ctx(), { schema: 'public', table: `dollar$'$&$1`, limit: 10 });
      assert.deepEqual(dollars.rows, [[8]]);
      // Nor may a placeholder inside the first literal be filled in by the second: a schema named `odd$2`.
      await sql(`CREATE SCHEMA "odd$2"; CREATE TABLE "odd$2".t (x int); INSERT INTO "odd$2".t VALUES (9)`);
      try {
        const inOddSchema = await connector.preview(connection, ctx(), { schema: 'odd$2', table: 't', limit: 10 });
        assert.deepEqual(inOddSchema.rows, [[9]]);
      } finally {
        await sql(`DROP SCHEMA "odd$2" CASCADE`);
      }
    });
  });

  describe('sessions and secrets', () => {
    it('queues a third call while both pooled clients are busy, past the 5 s connect timeout, instead of failing it', async () => {
      const busy = [run('SELECT pg_sleep(6)', 10, 20_000), run('SELECT pg_sleep(6)', 10, 20_000)];
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = performance.now();
      const page = await connector.listTables(connection, ctx(), { schema: 'public', search: 'victim', offset: 0, limit: 10 });
      assert.ok(performance.now() - started > 5_000, 'it waited for a client');
      assert.ok(page.tables.some((table) => table.name === 'victim'));
      await Promise.all(busy);
    });

    it('reuses one pool per connection version, opens a new one for a new version and closes the old', async () => {
      const local = new SessionCache();
      try {
        const first = harness(local, 'versions', connection);
        await connector.listSchemas(connection, first.context);
        await connector.listTables(connection, first.context, { schema: 'kinds', offset: 0, limit: 10 });
        await run('SELECT 1', 1, 1000, first.context);
        assert.equal(first.opened.length, 1, 'two calls, one pool');
        const oldPool = first.opened[0].client;

        const updated = connectionFor({}, undefined, 'g2');
        const second = harness(local, 'versions', updated);
        await connector.listSchemas(updated, second.context);
        assert.equal(second.opened.length, 1);
        assert.notEqual(second.opened[0].client, oldPool);
        for (let tries = 0; tries < 100 && !(oldPool as unknown as { ended: boolean }).ended; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal((oldPool as unknown as { ended: boolean }).ended, true, 'the old version closed its pool');
        assert.equal(local.size, 1);
      } finally {
        await local.onApplicationShutdown();
      }
    });

    it('answers a wrong password with AUTH_FAILED, without the password, and does not cache the failure', async () => {
      const wrong = `pw-canary-${randomBytes(6).toString('hex')}`;
      const local = new SessionCache();
      try {
        const bad = connectionFor({}, wrong);
        const { context: badContext } = harness(local, 'wrong', bad);
        const error = await appError(connector.listSchemas(bad, badContext), ErrorCode.TARGET_UNAVAILABLE);
        assert.equal(error.options.extensions?.targetCode, 'AUTH_FAILED');
        assert.ok(!JSON.stringify({ detail: error.detail, message: error.message, options: error.options }).includes(wrong));
        assert.equal(local.size, 0);
      } finally {
        await local.onApplicationShutdown();
      }
    });

    it('scrubs secrets from SQL error messages', async () => {
      const password = decodeURIComponent(server.password);
      const error = await appError(run(`SELECT '${password}'::int`), ErrorCode.QUERY_FAILED);
      assert.ok(!error.detail.includes(password), error.detail);
      assert.match(error.detail, /\*\*\*/);
    });

    it('opens pools over TLS to the checked address, verifying the configured host name', async () => {
      const tlsServer = await startPostgres({ tls: true });
      const local = new SessionCache();
      try {
        // `localhost` is in the certificate; the guard answers the address the server listens on.
        const resolver: EgressResolver = async (host) => {
          if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
        };
        const named = new EgressGuard(EgressPolicy.parse({}), resolver);
        const password = decodeURIComponent(new URL(tlsServer.url()).password);
        const base = { host: 'localhost', port: tlsServer.port, database: 'postgres', username: 'postgres', sslMode: 'verify-full' };
        const verified: ResolvedConnection = {
          type: 'postgres',
          generation: 't1',
          config: base,
          secrets: { password, tlsCa: tlsServer.ca! },
        };
        const { context: tlsContext } = harness(local, 'tls', verified, 30_000, undefined, named);
        const result = await connector.query(verified, tlsContext, {
          sql: 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
          limit: 1,
          timeoutMs: 5_000,
        });
        assert.deepEqual(result.rows, [[true]]);

        const unverified: ResolvedConnection = { ...verified, generation: 't2', secrets: { password } };
        const { context: failing } = harness(local, 'tls-unknown-ca', unverified, 30_000, undefined, named);
        const error = await appError(connector.listSchemas(unverified, failing), ErrorCode.TARGET_UNAVAILABLE);
        assert.equal(error.options.extensions?.targetCode, 'TLS_ERROR');
      } finally {
        await local.onApplicationShutdown();
        await tlsServer.stop();
      }
    });

    it('answers an unreachable target with the test codes', async () => {
      const closed = connectionFor({ port: 1 });
      const { context: closedContext } = harness(cache, 'closed-port', closed);
      const error = await appError(connector.listTables(closed, closedContext, { offset: 0, limit: 1 }), ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(error.options.extensions?.targetCode, 'CONNECTION_REFUSED');
      const metadata = connectionFor({ host: '169.254.169.254' });
      const { context: deniedContext } = harness(cache, 'denied', metadata);
      const denied = await appError(connector.listSchemas(metadata, deniedContext), ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(denied.options.extensions?.targetCode, 'EGRESS_DENIED');
    });
  });
});
