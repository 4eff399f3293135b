import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import mysql from 'mysql2/promise';
import { startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ResolvedConnection } from '../connector';
import { EgressGuard } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { MAX_BINARY_BYTES, MAX_TEXT_CHARS, TRUNCATION_MARK } from '../introspection/cells';
import type { IntrospectionContext, QueryResult } from '../introspection/types';
import { type Session, SessionCache } from '../sessions/session-cache';
import { MysqlConnector } from './mysql.connector';
import { openMysqlClient, withLease } from './mysql.session';

const START = { timeout: 90_000 };
const guard = new EgressGuard(EgressPolicy.parse({}));
const connector = new MysqlConnector();
const cache = new SessionCache();

/** How many tables the listing tests page through, and the schema they live in. */
const MANY_TABLES = 10_000;
const MANY = 'sb_many';
const KINDS = 'sb_kinds';
const BIG_ROWS = 1_000_000;

/**
 * A context whose sessions come from the shared SessionCache under `connectionId`@`generation`;
 * `attempts` counts the sessions it tried to open, `opened` holds those it opened.
 */
function contextFor(connectionId: string, generation = '1', ms = 30_000, signal: AbortSignal = AbortSignal.timeout(ms)) {
  const deadline = Date.now() + ms;
  const opened: Session<unknown>[] = [];
  const counts = { attempts: 0 };
  const context: IntrospectionContext = {
    signal,
    remainingMs: () => Math.max(0, deadline - Date.now()),
    egress: guard,
    session: (variant, open, work) =>
      cache.use(
        connectionId,
        generation,
        async () => {
          counts.attempts += 1;
          const session = await open();
          opened.push(session);
          return session;
        },
        work,
        variant,
      ),
  };
  return Object.assign(context, { opened, counts });
}

/** The AppError `promise` rejects with; fails when it resolves. */
async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

describe('MySQL/MariaDB introspection against a real MariaDB', () => {
  let servers: Pick<Servers, 'mariadb'> | undefined;
  let admin: mysql.Pool | undefined;
  const db = () => servers!.mariadb;
  /** Runs SQL as root (in the test database) on the shared admin pool. */
  const sql = async <T = mysql.RowDataPacket[]>(text: string, values?: unknown[]): Promise<T> => (await admin!.query(text, values))[0] as T;

  /** root, who may do anything (FILE, SUPER, GRANT…): the read-only guarantees must hold even for it. */
  const asRoot = (config: Record<string, unknown> = {}): ResolvedConnection => ({
    type: 'mysql',
    generation: '1',
    config: { host: db().host, port: db().port, username: db().rootUser, ...config },
    secrets: { password: db().rootPassword },
  });
  /** The owner of the test database. */
  const asOwner = (): ResolvedConnection => ({
    type: 'mysql',
    generation: '1',
    config: { host: db().host, port: db().port, username: db().user, database: db().database },
    secrets: { password: db().password },
  });
  const rootQuery = (text: string, limit = 100, timeoutMs = 5_000, id = 'root-test-db'): Promise<QueryResult> =>
    connector.query(asRoot({ database: db().database }), contextFor(id), { sql: text, limit, timeoutMs });

  before(async () => {
    servers = await startServers(['mariadb']);
    admin = mysql.createPool({
      host: db().host,
      port: db().port,
      user: db().rootUser,
      password: db().rootPassword,
      database: db().database,
      connectionLimit: 4,
    });
  }, START);

  after(async () => {
    await cache.onApplicationShutdown();
    await admin?.end();
    await stopServers(servers);
  });

  describe('databases and schemas', () => {
    before(async () => {
      await sql(`CREATE DATABASE ${KINDS}`);
    });

    it('lists every database but the system ones, as databases and as schemas', async () => {
      const databases = await connector.listDatabases(asRoot(), contextFor('root'));
      const names = databases.map((database) => database.name);
      assert.ok(names.includes(db().database) && names.includes(KINDS), JSON.stringify(names));
      for (const system of ['information_schema', 'performance_schema', 'mysql', 'sys']) assert.ok(!names.includes(system), system);
      assert.deepEqual(names, [...names].sort());
      assert.deepEqual(await connector.listSchemas(asRoot(), contextFor('root')), databases);
    });

    it('shows a user only the databases it may use', async () => {
      const names = (await connector.listDatabases(asOwner(), contextFor('owner'))).map((database) => database.name);
      assert.deepEqual(names, [db().database]);
    });

    it('answers listSchemas(database) with just that database, 404 when unknown or not visible', async () => {
      assert.deepEqual(await connector.listSchemas(asRoot(), contextFor('root'), KINDS), [{ name: KINDS }]);
      assert.equal((await failure(connector.listSchemas(asRoot(), contextFor('root'), 'no_such_db'))).code, ErrorCode.NOT_FOUND);
      assert.equal((await failure(connector.listSchemas(asOwner(), contextFor('owner'), KINDS))).code, ErrorCode.NOT_FOUND);
      assert.equal((await failure(connector.listSchemas(asRoot(), contextFor('root'), 'x\0y'))).code, ErrorCode.VALIDATION_FAILED);
    });
  });

  describe('tables', () => {
    before(
      async () => {
        await sql(`CREATE DATABASE ${MANY}`);
        const started = Date.now();
        let next = 0;
        // Four connections in parallel: DDL is the server's work, each CREATE takes a few ms.
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            while (next < MANY_TABLES) {
              const index = next++;
              await sql(`CREATE TABLE ${MANY}.t_${String(index).padStart(5, '0')} (id INT PRIMARY KEY)`);
            }
          }),
        );
        console.log(`# mysql introspection: created ${MANY_TABLES} InnoDB tables in ${Date.now() - started} ms`);
        await sql(`CREATE TABLE ${KINDS}.plain (id INT)`);
        await sql(`CREATE VIEW ${KINDS}.a_view AS SELECT 1 AS one`);
        await sql(`CREATE SEQUENCE ${KINDS}.a_sequence`);
        await sql(`CREATE TABLE ${KINDS}.\`pct%x\` (id INT)`);
        await sql(`CREATE TABLE ${KINDS}.under_x (id INT)`);
        await sql(`CREATE TABLE ${KINDS}.underXx (id INT)`);
      },
      { timeout: 180_000 },
    );

    it(`lists ${MANY_TABLES} tables page by page: each once, in order, with the right total on every page`, async (t) => {
      const seen: string[] = [];
      const timings: number[] = [];
      for (let offset = 0; ; offset += 100) {
        const started = performance.now();
        const page = await connector.listTables(asRoot(), contextFor('root'), { schema: MANY, offset, limit: 100 });
        timings.push(performance.now() - started);
        assert.equal(page.total, MANY_TABLES, `total on the page at ${offset}`);
        for (const table of page.tables) assert.deepEqual([table.schema, table.type], [MANY, 'TABLE']);
        seen.push(...page.tables.map((table) => table.name));
        if (page.tables.length < 100) {
          assert.equal(page.tables.length, 0, 'the last page is the empty one past the end');
          break;
        }
      }
      assert.equal(seen.length, MANY_TABLES);
      assert.equal(new Set(seen).size, MANY_TABLES);
      assert.deepEqual(
        seen,
        Array.from({ length: MANY_TABLES }, (_, index) => `t_${String(index).padStart(5, '0')}`),
      );
      const sorted = [...timings].sort((a, b) => a - b);
      const figures = `pages: median ${sorted[sorted.length >> 1].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`;
      t.diagnostic(figures);
      console.log(`# mysql introspection: listTables over ${MANY_TABLES} tables, ${figures}`);
    });

    it('searches case-insensitively for a substring, with % and _ matching themselves', async () => {
      const page = await connector.listTables(asRoot(), contextFor('root'), { schema: MANY, search: 'T_0029', offset: 0, limit: 100 });
      assert.equal(page.total, 10);
      assert.deepEqual(
        page.tables.map((table) => table.name),
        Array.from({ length: 10 }, (_, index) => `t_0029${index}`),
      );
      const names = async (search: string) =>
        (await connector.listTables(asRoot(), contextFor('root'), { schema: KINDS, search, offset: 0, limit: 100 })).tables.map(
          (table) => table.name,
        );
      assert.deepEqual(await names('%'), ['pct%x']);
      assert.deepEqual(await names('r_'), ['under_x']);
      assert.deepEqual(await names('nothing-like-it'), []);
    });

    it('names the kind of each table (TABLE, VIEW, SEQUENCE, SYSTEM_VIEW)', async () => {
      const page = await connector.listTables(asRoot(), contextFor('root'), { schema: KINDS, offset: 0, limit: 100 });
      assert.deepEqual(page.tables, [
        { name: 'a_sequence', schema: KINDS, type: 'SEQUENCE' },
        { name: 'a_view', schema: KINDS, type: 'VIEW' },
        { name: 'pct%x', schema: KINDS, type: 'TABLE' },
        { name: 'plain', schema: KINDS, type: 'TABLE' },
        // The catalog's case-insensitive order: X sorts as x, before _.
        { name: 'underXx', schema: KINDS, type: 'TABLE' },
        { name: 'under_x', schema: KINDS, type: 'TABLE' },
      ]);
      assert.equal(page.total, 6);
      const system = await connector.listTables(asRoot(), contextFor('root'), {
        schema: 'information_schema',
        search: 'TABLES',
        offset: 0,
        limit: 10,
      });
      assert.ok(
        system.tables.some((table) => table.name === 'TABLES' && table.type === 'SYSTEM_VIEW'),
        JSON.stringify(system),
      );
    });

    it('defaults to the configured database, else to every non-system schema', async () => {
      const scoped = await connector.listTables(asRoot({ database: KINDS }), contextFor('root-kinds'), { offset: 0, limit: 100 });
      assert.equal(scoped.total, 6);
      assert.ok(scoped.tables.every((table) => table.schema === KINDS));
      const everything = await connector.listTables(asRoot(), contextFor('root'), { offset: 0, limit: 100 });
      assert.ok(everything.total >= MANY_TABLES + 6, String(everything.total));
      const last = await connector.listTables(asRoot(), contextFor('root'), { offset: everything.total - 3, limit: 100 });
      assert.equal(last.tables.length, 3);
      const searched = await connector.listTables(asRoot(), contextFor('root'), { search: 'user', offset: 0, limit: 100 });
      assert.ok(
        searched.tables.every((table) => !['mysql', 'sys', 'information_schema', 'performance_schema'].includes(table.schema)),
        JSON.stringify(searched.tables),
      );
    });

    it('answers 404 for an unknown schema, 400 for a name that cannot exist', async () => {
      const unknown = await failure(connector.listTables(asRoot(), contextFor('root'), { schema: 'no_such_schema', offset: 0, limit: 10 }));
      assert.equal(unknown.code, ErrorCode.NOT_FOUND);
      assert.match(unknown.detail, /no_such_schema/);
      const invalid = await failure(connector.listTables(asRoot(), contextFor('root'), { schema: 'x'.repeat(65), offset: 0, limit: 10 }));
      assert.equal(invalid.code, ErrorCode.VALIDATION_FAILED);
    });
  });

  describe('columns and preview', () => {
    before(async () => {
      await sql(`CREATE TABLE victim (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(32) NOT NULL DEFAULT 'x',
        note TEXT NULL,
        created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        score DECIMAL(5,2) NULL DEFAULT NULL)`);
      await sql(
        "INSERT INTO victim (name, note, created, score) VALUES ('a', 'first', '2024-01-01 00:00:00', 1.5), ('b', NULL, '2024-01-02 00:00:00', NULL), ('c', 'third', '2024-01-03 00:00:00', 3)",
      );
      await sql("CREATE TABLE `we``ird'name` (a INT)");
      await sql("INSERT INTO `we``ird'name` VALUES (7)");
    });

    it('lists columns: engine type, nullability, default as the catalog spells it, primary key, position', async () => {
      const columns = await connector.listColumns(asOwner(), contextFor('owner'), { table: 'victim' });
      assert.deepEqual(columns, [
        { name: 'id', type: 'int(11)', nullable: false, default: null, primaryKey: true, position: 1 },
        { name: 'name', type: 'varchar(32)', nullable: false, default: "'x'", primaryKey: false, position: 2 },
        { name: 'note', type: 'text', nullable: true, default: null, primaryKey: false, position: 3 },
        { name: 'created', type: 'timestamp', nullable: false, default: 'current_timestamp()', primaryKey: false, position: 4 },
        { name: 'score', type: 'decimal(5,2)', nullable: true, default: null, primaryKey: false, position: 5 },
      ]);
      assert.deepEqual(await connector.listColumns(asRoot(), contextFor('root'), { schema: db().database, table: 'victim' }), columns);
    });

    it('previews rows with their column types, up to the limit', async () => {
      const two = await connector.preview(asOwner(), contextFor('owner'), { table: 'victim', limit: 2 });
      assert.deepEqual(two.columns, [
        { name: 'id', type: 'int' },
        { name: 'name', type: 'varchar' },
        { name: 'note', type: 'text' },
        { name: 'created', type: 'timestamp' },
        { name: 'score', type: 'decimal' },
      ]);
      assert.deepEqual(two.rows, [
        [1, 'a', 'first', '2024-01-01T00:00:00Z', '1.50'],
        [2, 'b', null, '2024-01-02T00:00:00Z', null],
      ]);
      assert.equal(two.truncated, true);
      const all = await connector.preview(asOwner(), contextFor('owner'), { table: 'victim', limit: 3 });
      assert.equal(all.rows.length, 3);
      assert.equal(all.truncated, false);
    });

    it('previews a table whose name needs quoting (backtick and quote in it)', async () => {
      const weird = await connector.preview(asOwner(), contextFor('owner'), { table: "we`ird'name", limit: 10 });
      assert.deepEqual(weird.rows, [[7]]);
      const columns = await connector.listColumns(asOwner(), contextFor('owner'), { table: "we`ird'name" });
      assert.deepEqual(
        columns.map((column) => column.name),
        ['a'],
      );
    });

    it('answers 404 or 400 for injected identifiers, and the table is still there', async () => {
      const attempts: [Record<string, string>, ErrorCode][] = [
        [{ table: 'victim`; DROP TABLE victim; --' }, ErrorCode.NOT_FOUND],
        [{ table: '`victim`' }, ErrorCode.NOT_FOUND],
        [{ table: "victim'" }, ErrorCode.NOT_FOUND],
        [{ table: 'victim"' }, ErrorCode.NOT_FOUND],
        [{ table: "victim' OR '1'='1" }, ErrorCode.NOT_FOUND],
        [{ table: 'victim; DROP TABLE victim' }, ErrorCode.NOT_FOUND],
        [{ table: 'victim ' }, ErrorCode.NOT_FOUND],
        [{ table: ' victim' }, ErrorCode.NOT_FOUND],
        [{ table: 'VICTIM\\' }, ErrorCode.NOT_FOUND],
        [{ table: 'victim\0' }, ErrorCode.VALIDATION_FAILED],
        [{ table: 'v'.repeat(1_000) }, ErrorCode.VALIDATION_FAILED],
        [{ table: '' }, ErrorCode.VALIDATION_FAILED],
        [{ schema: `${db().database}\`.\`victim`, table: 'victim' }, ErrorCode.NOT_FOUND],
        [{ schema: 'mysql', table: 'user' }, ErrorCode.NOT_FOUND],
      ];
      for (const [ref, code] of attempts) {
        const previewed = await failure(
          connector.preview(asOwner(), contextFor('owner'), { table: ref.table, schema: ref.schema, limit: 10 }),
        );
        assert.equal(previewed.code, code, `preview ${JSON.stringify(ref)}: ${previewed.detail}`);
        const described = await failure(connector.listColumns(asOwner(), contextFor('owner'), { table: ref.table, schema: ref.schema }));
        assert.equal(described.code, code, `columns ${JSON.stringify(ref)}: ${described.detail}`);
      }
      assert.deepEqual(await sql('SELECT COUNT(*) AS n FROM victim'), [{ n: 3 }]);
    });

    it('needs a schema when the connection has no default database', async () => {
      const error = await failure(connector.preview(asRoot(), contextFor('root'), { table: 'victim', limit: 1 }));
      assert.equal(error.code, ErrorCode.VALIDATION_FAILED);
      const previewed = await connector.preview(asRoot(), contextFor('root'), { schema: db().database, table: 'victim', limit: 1 });
      assert.equal(previewed.rows.length, 1);
    });
  });

  describe('cells', () => {
    before(async () => {
      await sql(`CREATE TABLE cells (
        id INT PRIMARY KEY, ti TINYINT, i INT, bi BIGINT, bu BIGINT UNSIGNED, de DECIMAL(30,10), fl FLOAT, db DOUBLE,
        b1 BIT(1), b10 BIT(10), bo BOOLEAN, d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(3), y YEAR, j JSON,
        bl BLOB, tx TEXT, en ENUM('a','b'), st SET('x','y'), vb VARBINARY(4), g POINT, mu MEDIUMINT UNSIGNED)`);
      // The TIMESTAMP is written at +02:00: the cell must show the instant in UTC.
      const connection = await admin!.getConnection();
      try {
        await connection.query("SET time_zone = '+02:00'");
        await connection.query(`INSERT INTO cells VALUES (1, -128, -2147483648, 9007199254740993, 18446744073709551615,
          12345678901234567890.0123456789, 1.5, 3.141592653589793, b'1', b'1000000001', TRUE, '2024-02-29',
          '2024-02-29 13:14:15.123456', '2024-02-29 15:14:15.654321', '-838:59:59.000', 2024,
          '{"a": [1, 2.5, "x"], "big": 12345678901234567890}', REPEAT(X'AB', 3000), REPEAT('é', 10000), 'b', 'x,y', X'00FF',
          POINT(1, 2), 16777215)`);
        await connection.query('INSERT INTO cells (id) VALUES (2)');
        await connection.query("INSERT INTO cells (id, b1, bo, de, fl, tx) VALUES (3, b'0', FALSE, -0.5, -0.25, 'short')");
      } finally {
        connection.release();
      }
    });

    const expectedRows = [
      [
        1,
        -128,
        -2147483648,
        '9007199254740993',
        '18446744073709551615',
        '12345678901234567890.0123456789',
        1.5,
        3.141592653589793,
        true,
        513,
        1,
        '2024-02-29',
        '2024-02-29T13:14:15.123456',
        '2024-02-29T13:14:15.654321Z',
        '-838:59:59.000',
        2024,
        '{"a": [1, 2.5, "x"], "big": 12345678901234567890}',
        `\\x${'ab'.repeat(MAX_BINARY_BYTES)}${TRUNCATION_MARK}3000 bytes]`,
        `${'é'.repeat(MAX_TEXT_CHARS)}${TRUNCATION_MARK}10000 characters]`,
        'b',
        'x,y',
        '\\x00ff',
        '\\x000000000101000000000000000000f03f0000000000000040',
        16777215,
      ],
      [2, ...Array.from({ length: 23 }, () => null)],
      [
        3,
        null,
        null,
        null,
        null,
        '-0.5000000000',
        -0.25,
        null,
        false,
        null,
        0,
        ...Array.from({ length: 7 }, () => null),
        'short',
        null,
        null,
        null,
        null,
        null,
      ],
    ];

    it('turns every type into its documented JSON-safe cell, in previews and queries alike', async () => {
      const previewed = await connector.preview(asOwner(), contextFor('owner'), { table: 'cells', limit: 10 });
      assert.deepEqual(previewed.rows, expectedRows);
      const queried = await connector.query(asOwner(), contextFor('owner'), {
        sql: 'SELECT * FROM cells ORDER BY id',
        limit: 10,
        timeoutMs: 5_000,
      });
      assert.deepEqual(queried.rows, expectedRows);
      assert.deepEqual(
        queried.columns.map((column) => column.type),
        [
          'int',
          'tinyint',
          'int',
          'bigint',
          'bigint unsigned',
          'decimal',
          'float',
          'double',
          'bit',
          'bit',
          'tinyint',
          'date',
          'datetime',
          'timestamp',
          'time',
          'year',
          'json',
          'blob',
          'text',
          'enum',
          'set',
          'varbinary',
          'point',
          'mediumint unsigned',
        ],
      );
      assert.doesNotThrow(() => JSON.stringify(queried));
    });

    it('keeps repeated column names apart (rows are arrays)', async () => {
      const result = await connector.query(asOwner(), contextFor('owner'), {
        sql: "SELECT 1 AS a, 'two' AS a",
        limit: 10,
        timeoutMs: 5_000,
      });
      assert.deepEqual(result.columns, [
        { name: 'a', type: 'int' },
        { name: 'a', type: 'varchar' },
      ]);
      assert.deepEqual(result.rows, [[1, 'two']]);
    });
  });

  describe(`a ${BIG_ROWS.toLocaleString('en')}-row table`, () => {
    let tableBytes = 0;

    before(
      async () => {
        const started = Date.now();
        await sql(`CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(64) NOT NULL)
        SELECT seq AS id, CONCAT('row-', seq, '-', REPEAT('x', 40)) AS payload FROM seq_1_to_${BIG_ROWS}`);
        // What sending every row would take: the values' text alone (the protocol adds a few bytes per row).
        const [row] = await sql<{ bytes: string }[]>('SELECT SUM(LENGTH(id) + LENGTH(payload)) AS bytes FROM big');
        tableBytes = Number(row.bytes);
        console.log(`# mysql introspection: created the ${BIG_ROWS}-row table (${mb(tableBytes)} of values) in ${Date.now() - started} ms`);
      },
      { timeout: 120_000 },
    );

    const bytesSent = async (): Promise<number> =>
      Number((await sql<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Bytes_sent'"))[0].Value);

    /** Statements on `big` still running on the server (other than the one asking). */
    const runningOnBig = async (): Promise<number> =>
      (
        await sql<{ n: number }[]>(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%FROM big%' AND ID <> CONNECTION_ID()",
        )
      )[0].n;

    async function eventuallyNoneRunning(): Promise<void> {
      for (let attempt = 0; attempt < 50 && (await runningOnBig()) > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await runningOnBig(), 0, 'the server still runs a statement on big');
    }

    // What the server sent bounds what the connector can hold; speed and memory are bench/'s to measure.
    it('previews 1,000 rows: truncated, and the server sends those rows, not the table', async () => {
      const sentBefore = await bytesSent();
      const result = await connector.preview(asOwner(), contextFor('owner'), { table: 'big', limit: 1_000 });
      const sent = (await bytesSent()) - sentBefore;
      console.log(`# mysql introspection: preview limit 1000 of big: server sent ${mb(sent)}`);
      assert.equal(result.rows.length, 1_000);
      assert.equal(result.truncated, true);
      assert.deepEqual(result.rows[999], [1000, `row-1000-${'x'.repeat(40)}`]);
      assert.ok(sent < 1024 * 1024, `the server sent ${mb(sent)}`);
    });

    it('queries it with limit 10,000: truncated, and the server stops sending', async () => {
      const sentBefore = await bytesSent();
      const result = await connector.query(asOwner(), contextFor('owner'), { sql: 'SELECT * FROM big', limit: 10_000, timeoutMs: 30_000 });
      // Counted once the server is idle: a half-closed socket would let it send the whole table after the answer.
      await eventuallyNoneRunning();
      const sent = (await bytesSent()) - sentBefore;
      console.log(
        `# mysql introspection: query limit 10000 on big: server sent ${mb(sent)} of a ${mb(tableBytes)} table, ${result.stats.executionMs} ms`,
      );
      assert.equal(result.rows.length, 10_000);
      assert.equal(result.truncated, true);
      assert.deepEqual(result.stats.rowCount, 10_000);
      assert.deepEqual(result.rows[9_999], [10_000, `row-10000-${'x'.repeat(40)}`]);
      // Closing the connection stopped the server: it sent a small part of the table, and runs nothing more.
      assert.ok(sent < tableBytes / 4, `the server sent ${mb(sent)} of ${mb(tableBytes)}`);
    });

    it('forgets the connections it cut short: the session holds no more than its pool', async () => {
      const context = contextFor('cut-short');
      const session = await openMysqlClient(asOwner(), context);
      try {
        for (let i = 0; i < 12; i++) {
          await withLease(session.client, context, { userStatementTimeoutMs: 30_000 }, (lease) =>
            lease.stream(context, { sql: 'SELECT * FROM big', rowsAsArray: true }, { row: () => false }),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(session.client.connections.size <= 2, `the session still holds ${session.client.connections.size} connections`);
      } finally {
        await session.close();
      }
      await eventuallyNoneRunning();
    });

    it('answers exactly `limit` rows with truncated false', async () => {
      const exact = await connector.query(asOwner(), contextFor('owner'), {
        sql: 'SELECT id FROM big WHERE id <= 10000 ORDER BY id',
        limit: 10_000,
        timeoutMs: 30_000,
      });
      assert.equal(exact.rows.length, 10_000);
      assert.equal(exact.truncated, false);
      assert.deepEqual(exact.rows.at(-1), [10_000]);
      const limited = await connector.query(asOwner(), contextFor('owner'), {
        sql: 'SELECT id FROM big LIMIT 10000',
        limit: 10_000,
        timeoutMs: 30_000,
      });
      assert.equal(limited.truncated, false);
    });
  });

  describe('read-only queries', () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-mysql-outfile-'));
    const outFile = (name: string): string => path.join(outDir, `${name}-${randomBytes(4).toString('hex')}.txt`);
    const written: string[] = [];

    before(async () => {
      // The server (running as mysql when the tests run as root) must be able to write there.
      fs.chmodSync(outDir, 0o777);
      await sql('CREATE TABLE guarded (id INT PRIMARY KEY, v VARCHAR(20))');
      await sql("INSERT INTO guarded VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      await sql('CREATE TABLE audit_log (x INT)');
      await sql('CREATE SEQUENCE sb_seq');
      await sql('CREATE FUNCTION sb_write_fn() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO audit_log VALUES (1); RETURN 1; END');
      await sql('CREATE PROCEDURE sb_write_proc() BEGIN INSERT INTO audit_log VALUES (2); END');
      // Proof that INTO OUTFILE would write for root: the guard, not a missing privilege, stops it below.
      const probe = outFile('probe');
      await sql(`SELECT 1 INTO OUTFILE '${probe}'`);
      assert.ok(fs.existsSync(probe), 'root could not write an OUTFILE: the corpus would prove nothing');
      fs.rmSync(probe);
    });

    after(() => fs.rmSync(outDir, { recursive: true, force: true }));

    /** Everything a write could change, read back as root. */
    const fingerprint = async () => ({
      guarded: await sql('SELECT id, v FROM guarded ORDER BY id'),
      checksum: await sql('CHECKSUM TABLE guarded'),
      audit: await sql('SELECT COUNT(*) AS n FROM audit_log'),
      tables: await sql('SHOW TABLES'),
      columns: await sql("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_NAME = 'guarded' ORDER BY ORDINAL_POSITION"),
      sequence: await sql('SELECT next_not_cached_value FROM sb_seq'),
      grants: await sql("SHOW GRANTS FOR 'sb_reader'@'%'"),
      databases: await sql('SHOW DATABASES'),
      files: fs.readdirSync(outDir),
    });

    it('runs a reading statement and reports its stats', async () => {
      const result = await rootQuery('SELECT id, v FROM guarded ORDER BY id');
      assert.deepEqual(result.columns, [
        { name: 'id', type: 'int' },
        { name: 'v', type: 'varchar' },
      ]);
      assert.deepEqual(result.rows, [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
      assert.equal(result.truncated, false);
      assert.equal(result.stats.rowCount, 3);
      assert.ok(result.stats.executionMs >= 0 && result.stats.executionMs < 5_000);
      for (const text of [
        'SHOW TABLES',
        'DESCRIBE guarded',
        'EXPLAIN SELECT * FROM guarded',
        'VALUES (1), (2)',
        'WITH a AS (SELECT 1 AS x) SELECT x FROM a',
        '(SELECT 1)',
        'SELECT 1;',
      ]) {
        const ok = await rootQuery(text);
        assert.ok(ok.rows.length > 0, text);
      }
    });

    it('refuses every write of the corpus with a 422, and the target is unchanged', async () => {
      const before = await fingerprint();
      const file = outFile('corpus');
      written.push(file);
      const corpus: string[] = [
        "INSERT INTO guarded VALUES (9, 'x')",
        "INSERT INTO guarded SELECT 10, 'y'",
        "UPDATE guarded SET v = 'z'",
        'DELETE FROM guarded',
        "REPLACE INTO guarded VALUES (1, 'r')",
        'DELETE g FROM guarded g JOIN audit_log a',
        'WITH c AS (SELECT 1) DELETE FROM guarded',
        'CREATE TABLE evil (a INT)',
        'CREATE TABLE evil AS SELECT * FROM guarded',
        'DROP TABLE guarded',
        'ALTER TABLE guarded ADD COLUMN w INT',
        'TRUNCATE TABLE guarded',
        'RENAME TABLE guarded TO renamed',
        'CREATE TEMPORARY TABLE tmp (a INT)',
        'CREATE DATABASE evil_db',
        `SELECT * FROM guarded INTO OUTFILE '${file}'`,
        `SELECT v FROM guarded LIMIT 1 INTO DUMPFILE '${file}'`,
        `SELECT 1.5INTO OUTFILE '${file}'`,
        `SELECT 1 /*!INTO OUTFILE '${file}' */`,
        'SELECT 1; DELETE FROM guarded',
        'SELECT 1;DELETE FROM guarded;',
        'SELECT sb_write_fn()',
        'SELECT * FROM guarded WHERE sb_write_fn() = 1',
        'CALL sb_write_proc()',
        'SELECT NEXTVAL(sb_seq)',
        'SELECT NEXT VALUE FOR sb_seq',
        'SELECT SETVAL(sb_seq, 1000)',
        "LOAD DATA INFILE '/etc/hostname' INTO TABLE guarded",
        'SET SESSION tx_read_only = 0',
        'SET SESSION transaction_read_only = 0',
        "SET STATEMENT tx_read_only = 0 FOR INSERT INTO guarded VALUES (9, 'x')",
        'SET @x := 1',
        'SET GLOBAL read_only = 1',
        'LOCK TABLES guarded WRITE',
        'HANDLER guarded OPEN',
        'ANALYZE DELETE FROM guarded',
        'ANALYZE TABLE guarded',
        'EXPLAIN ANALYZE DELETE FROM guarded',
        "GRANT SELECT ON *.* TO 'sb_reader'@'%'",
        "PREPARE s FROM 'DELETE FROM guarded'",
        'DO sb_write_fn()',
        'SELECT * FROM guarded FOR UPDATE',
        'SELECT /*+ SET_VAR(tx_read_only = 0) */ 1',
        '/*!50000 DELETE FROM guarded */',
        '/*M!100000 DELETE FROM guarded */',
        '  dElEtE FROM guarded',
        '-- SELECT\nDELETE FROM guarded',
        '(DELETE FROM guarded)',
        'OPTIMIZE TABLE guarded',
        'FLUSH TABLES',
      ];
      const answers: string[] = [];
      for (const text of corpus) {
        const error = await failure(rootQuery(text));
        assert.equal(error.status, 422, `${text}: ${error.code} ${error.detail}`);
        assert.ok(
          [ErrorCode.READ_ONLY_VIOLATION, ErrorCode.UNPROCESSABLE, ErrorCode.QUERY_FAILED].includes(error.code as never),
          `${text}: ${error.code}`,
        );
        answers.push(`${error.code.padEnd(19)} ${text.replace(/\s+/g, ' ')}  (${error.detail.slice(0, 70)})`);
      }
      console.log(`# mysql introspection: read-only corpus answers:\n${answers.map((line) => `#   ${line}`).join('\n')}`);
      assert.deepEqual(await fingerprint(), before);
      assert.equal(fs.existsSync(file), false);
    });

    it('is read-only on the server too: writes sent past the check fail there (error 1792)', async () => {
      const before = await fingerprint();
      const context = contextFor('direct-session');
      const session = await openMysqlClient(asRoot({ database: db().database }), context);
      const serverRefused: string[] = [
        "INSERT INTO guarded VALUES (9, 'x')",
        "UPDATE guarded SET v = 'z'",
        'DELETE FROM guarded',
        'CREATE TABLE evil (a INT)',
        'CREATE DATABASE evil_db',
        'DROP TABLE guarded',
        'ALTER TABLE guarded ADD COLUMN w INT',
        'TRUNCATE TABLE guarded',
        'RENAME TABLE guarded TO renamed',
        'CREATE TEMPORARY TABLE tmp (a INT)',
        'CALL sb_write_proc()',
        'DO sb_write_fn()',
        'LOCK TABLES guarded WRITE',
        'ANALYZE DELETE FROM guarded',
        "GRANT SELECT ON *.* TO 'sb_reader'@'%'",
      ];
      try {
        for (const text of serverRefused) {
          const error = await failure(
            withLease(session.client, context, { userStatementTimeoutMs: 5_000 }, (lease) => lease.rows(context, text)),
          );
          assert.equal(error.code, ErrorCode.READ_ONLY_VIOLATION, `${text}: ${error.detail}`);
          assert.match(error.detail, /READ ONLY transaction/);
        }
      } finally {
        await session.close();
      }
      assert.deepEqual(await fingerprint(), before);
    });

    it('refuses the write after a refused SET … read_only = 0, and keeps no user variable between calls', async () => {
      assert.equal((await failure(rootQuery('SET SESSION tx_read_only = 0'))).code, ErrorCode.READ_ONLY_VIOLATION);
      assert.equal((await failure(rootQuery("INSERT INTO guarded VALUES (9, 'x')"))).code, ErrorCode.READ_ONLY_VIOLATION);
      assert.equal((await failure(rootQuery('SET @x := 1'))).code, ErrorCode.READ_ONLY_VIOLATION);
      assert.deepEqual((await rootQuery('SELECT @x')).rows, [[null]]);
      assert.deepEqual((await rootQuery('SELECT @@tx_read_only')).rows, [['1']]);
      assert.deepEqual(await sql('SELECT COUNT(*) AS n FROM guarded'), [{ n: 3 }]);
    });

    it('resets the session after each statement: variables, locks and settings do not leak through the pool', async () => {
      const id = 'root-reset';
      const first = await rootQuery("SELECT CONNECTION_ID() AS id, @x := 42 AS x, GET_LOCK('sb_lock', 0) AS locked", 10, 5_000, id);
      const [connectionId, , locked] = first.rows[0];
      assert.equal(locked, 1);
      // Released with the reset, before the answer or just after it.
      for (let attempt = 0; attempt < 50; attempt++) {
        const [{ free }] = await sql<{ free: number }[]>("SELECT IS_FREE_LOCK('sb_lock') AS free");
        if (free === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(await sql("SELECT IS_FREE_LOCK('sb_lock') AS free"), [{ free: 1 }]);
      const second = await rootQuery('SELECT CONNECTION_ID() AS id, @x AS x, @@time_zone AS tz, @@tx_read_only AS ro', 10, 5_000, id);
      // The same connection (reset, not replaced), with nothing left of the first statement and our settings back.
      assert.deepEqual(second.rows, [[connectionId, null, '+00:00', '1']]);
    });

    it('reads SQL the way the server does even when the server defaults to NO_BACKSLASH_ESCAPES and ANSI_QUOTES', async () => {
      const [{ mode }] = await sql<{ mode: string }[]>('SELECT @@GLOBAL.sql_mode AS mode');
      await sql("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES,ANSI_QUOTES')");
      const file = outFile('escapes');
      try {
        // Under NO_BACKSLASH_ESCAPES the server would read '\' as a whole string and write the file;
        // the session the connector sets up reads it like the check does: one string, then a syntax error.
        const tricky = `SELECT '\\' INTO OUTFILE '${file}' -- '`;
        const error = await failure(
          connector.query(asRoot({ database: db().database }), contextFor('root-modes'), { sql: tricky, limit: 10, timeoutMs: 5_000 }),
        );
        assert.equal(error.status, 422, error.detail);
        assert.equal(fs.existsSync(file), false);
        const quoted = await connector.query(asRoot(), contextFor('root-modes'), {
          sql: 'SELECT "text" AS t, @@sql_mode AS mode',
          limit: 10,
          timeoutMs: 5_000,
        });
        assert.equal(quoted.rows[0][0], 'text');
        assert.doesNotMatch(String(quoted.rows[0][1]), /NO_BACKSLASH_ESCAPES|ANSI_QUOTES/);
      } finally {
        await sql('SET GLOBAL sql_mode = ?', [mode]);
      }
    });

    it('allows LOCK IN SHARE MODE (shared locks for one statement); the server refuses FOR UPDATE', async () => {
      assert.equal((await rootQuery('SELECT * FROM guarded LOCK IN SHARE MODE')).rows.length, 3);
      const error = await failure(rootQuery('SELECT * FROM guarded FOR UPDATE'));
      assert.equal(error.code, ErrorCode.READ_ONLY_VIOLATION);
      assert.match(error.detail, /READ ONLY transaction/);
    });

    it('stops a statement at its timeout, on the server, with TARGET_TIMEOUT', async () => {
      // Statements that would run a minute or more: "stopped" and "ran to the end" stay far apart however busy the machine is.
      for (const text of ['SELECT SLEEP(60)', 'SELECT SUM(a.seq * b.seq) FROM seq_1_to_100000 a, seq_1_to_100000 b']) {
        const started = Date.now();
        const error = await failure(rootQuery(text, 10, 300));
        assert.equal(error.code, ErrorCode.TARGET_TIMEOUT, `${text}: ${error.detail}`);
        assert.equal(error.status, 504);
        assert.ok(Date.now() - started < 20_000, `${text} took ${Date.now() - started} ms`);
      }
      // The server ended both (a killed statement may take a moment to leave the process list).
      const running = () =>
        sql("SELECT ID, COMMAND, STATE, INFO FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT S%' AND ID <> CONNECTION_ID()");
      for (let attempt = 0; attempt < 50 && (await running()).length > 0; attempt++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(await running(), []);
    });

    it('stops at the operation deadline with TARGET_TIMEOUT, and the session stays usable', async () => {
      const context = contextFor('root-test-db', '1', 10_000, AbortSignal.timeout(300));
      const started = Date.now();
      const error = await failure(
        connector.query(asRoot({ database: db().database }), context, { sql: 'SELECT SLEEP(60)', limit: 1, timeoutMs: 30_000 }),
      );
      assert.equal(error.code, ErrorCode.TARGET_TIMEOUT);
      assert.ok(Date.now() - started < 15_000, 'it waited for the statement timeout, not the 300 ms deadline');
      assert.deepEqual((await rootQuery('SELECT 1')).rows, [[1]]);
    });

    it('answers at once when the server kills the connection mid-statement, and the next call gets a fresh one', async () => {
      const started = Date.now();
      const failed = failure(rootQuery('SELECT SLEEP(60) AS killed_mid_statement', 10, 30_000));
      let killed = 0;
      for (let attempt = 0; attempt < 100 && killed === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const victims = await sql<{ id: number }[]>(
          "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE '%killed_mid_statement%' AND INFO NOT LIKE '%PROCESSLIST%'",
        );
        for (const { id } of victims) await sql(`KILL CONNECTION ${Number(id)}`);
        killed = victims.length;
      }
      assert.equal(killed, 1);
      const error = await failed;
      assert.equal(error.code, ErrorCode.TARGET_UNAVAILABLE, error.detail);
      // Well before the statement's own 30 s timeout: the dropped connection, not a timer, ended the call.
      assert.ok(Date.now() - started < 20_000, `answered after ${Date.now() - started} ms`);
      assert.deepEqual((await rootQuery('SELECT 1')).rows, [[1]]);
    });

    it('answers QUERY_FAILED with the server message for a bad statement', async () => {
      const missing = await failure(rootQuery('SELECT * FROM no_such_table'));
      assert.equal(missing.code, ErrorCode.QUERY_FAILED);
      assert.match(missing.detail, /no_such_table.*doesn't exist/);
      const syntax = await failure(rootQuery('SELECT FROM WHERE'));
      assert.equal(syntax.code, ErrorCode.QUERY_FAILED);
    });
  });

  describe('sessions', () => {
    const processIds = async (): Promise<number[]> =>
      (await sql<{ id: number }[]>("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'sb_user'")).map((row) =>
        Number(row.id),
      );

    it('opens one pool for two calls with a real SessionCache, and a new generation closes the old one', async () => {
      const others = await processIds(); // the pools of earlier tests, still cached
      const first = contextFor('session-test', '1');
      const second = contextFor('session-test', '1');
      const a = await connector.query(asOwner(), first, { sql: 'SELECT CONNECTION_ID()', limit: 1, timeoutMs: 5_000 });
      const b = await connector.listTables(asOwner(), second, { offset: 0, limit: 1 });
      assert.equal(b.total > 0, true);
      assert.equal(first.counts.attempts + second.counts.attempts, 1);
      assert.equal(first.opened.length, 1);
      // The pool holds at most two connections (the first may still be resetting when the second call comes).
      const oldIds = (await processIds()).filter((id) => !others.includes(id));
      assert.ok(oldIds.includes(Number(a.rows[0][0])));
      assert.ok(oldIds.length >= 1 && oldIds.length <= 2, JSON.stringify(oldIds));

      const next = contextFor('session-test', '2');
      const c = await connector.query({ ...asOwner(), generation: '2' }, next, {
        sql: 'SELECT CONNECTION_ID()',
        limit: 1,
        timeoutMs: 5_000,
      });
      assert.equal(next.counts.attempts, 1);
      assert.ok(!oldIds.includes(Number(c.rows[0][0])));
      const stale = async () => (await processIds()).filter((id) => oldIds.includes(id));
      for (let attempt = 0; attempt < 50 && (await stale()).length > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(await stale(), [], 'the old generation still has connections');
    });

    it('answers TARGET_UNAVAILABLE (AUTH_FAILED) for a wrong password, without the password, and caches nothing', async () => {
      const wrong = `pw-canary-${randomBytes(6).toString('hex')}`;
      const connection: ResolvedConnection = { ...asOwner(), secrets: { password: wrong } };
      for (let attempt = 0; attempt < 2; attempt++) {
        const context = contextFor('wrong-password');
        const error = await failure(connector.listTables(connection, context, { offset: 0, limit: 10 }));
        assert.equal(error.code, ErrorCode.TARGET_UNAVAILABLE);
        assert.equal(error.options.extensions?.targetCode, 'AUTH_FAILED');
        assert.match(error.detail, /Access denied/);
        assert.ok(!JSON.stringify({ detail: error.detail, options: error.options }).includes(wrong));
        assert.equal(context.counts.attempts, 1, 'a failed open is tried again on the next call');
      }
    });

    it('connects over TLS when asked, and refuses an untrusted certificate with TLS_ERROR', async () => {
      const tls: ResolvedConnection = {
        ...asOwner(),
        config: { ...asOwner().config, ssl: true },
        secrets: { password: db().password, tlsCa: db().ca },
      };
      const result = await connector.query(tls, contextFor('tls'), {
        sql: "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER'",
        limit: 1,
        timeoutMs: 5_000,
      });
      assert.match(String(result.rows[0][0]), /\S/);
      const untrusted = { ...tls, secrets: { password: db().password } };
      const error = await failure(connector.listDatabases(untrusted, contextFor('tls-untrusted')));
      assert.equal(error.options.extensions?.targetCode, 'TLS_ERROR');
    });

    it('answers TARGET_UNAVAILABLE (CONNECTION_REFUSED) for a closed port', async () => {
      const connection: ResolvedConnection = { ...asOwner(), config: { ...asOwner().config, port: 1 } };
      const error = await failure(connector.listDatabases(connection, contextFor('closed-port')));
      assert.equal(error.code, ErrorCode.TARGET_UNAVAILABLE);
      assert.equal(error.options.extensions?.targetCode, 'CONNECTION_REFUSED');
    });
  });
});
