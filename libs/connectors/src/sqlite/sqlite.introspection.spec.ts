import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { AppError, ErrorCode } from '@switchboard/common';
import { ConnectionRejected, type ResolvedConnection } from '../connector';
import { EgressGuard } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { MAX_BINARY_BYTES, MAX_TEXT_CHARS, TRUNCATION_MARK } from '../introspection/cells';
import type { IntrospectionContext } from '../introspection/types';
import { type Session, SessionCache } from '../sessions/session-cache';
import { SqliteConnector } from './sqlite.connector';
import { SqliteWorker, WORKER_FILE } from './sqlite.session';

const MB = 1024 * 1024;
const guard = new EgressGuard(EgressPolicy.parse({}));
/** Twice the largest limit read from `big`: a call that reads the table instead of its limit trips over it. */
const TRIPWIRE_ROW = 20_000;
const ENDLESS = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
const BIG_ROWS = 1_000_000;
const MANY_TABLES = 10_000;

const connection = (file: string): ResolvedConnection => ({ type: 'sqlite', config: { path: file }, secrets: {}, generation: '1' });

function deadlineOf(ms: number) {
  const deadline = Date.now() + ms;
  return { signal: AbortSignal.timeout(ms), remainingMs: () => Math.max(0, deadline - Date.now()), egress: guard };
}

/** Opens a session for the call and closes it afterwards. */
function freshContext(ms = 30_000): IntrospectionContext {
  return {
    ...deadlineOf(ms),
    session: async <T, R>(_variant: string, open: () => Promise<Session<T>>, work: (client: T) => Promise<R>) => {
      const session = await open();
      try {
        return await work(session.client);
      } finally {
        await session.close();
      }
    },
  };
}

/** Borrows from a real SessionCache, as the service does; `opened` records every session it opens. */
function cachedContext(cache: SessionCache, key: string, opened: SqliteWorker[] = [], ms = 30_000): IntrospectionContext {
  return {
    ...deadlineOf(ms),
    session: <T, R>(variant: string, open: () => Promise<Session<T>>, work: (client: T) => Promise<R>) =>
      cache.use(
        key,
        '1',
        async () => {
          const session = await open();
          opened.push(session.client as SqliteWorker);
          return session;
        },
        work,
        variant,
      ),
  };
}

/** A context whose session must never be borrowed (the request is refused before). */
function refusingContext(): IntrospectionContext {
  return { ...deadlineOf(5_000), session: () => assert.fail('a refused path must not open a session') };
}

async function appError(promise: Promise<unknown>, code: ErrorCode, message?: RegExp, what = ''): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `${what}: expected an AppError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, `${what}: ${error.detail}`);
    if (message) assert.match(error.detail, message, what);
    return error;
  }
  assert.fail(`${what}: expected an AppError ${code}, the call succeeded`);
}

const sha256 = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function waitUntil(condition: () => boolean, ms = 2_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

function writable(file: string, sql: string): void {
  const database = new Database(file);
  database.exec(sql);
  database.close();
}

describe('SqliteConnector introspection on real SQLite files', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-sqlite-'));
  const root = path.join(tmp, 'root');
  const connector = new SqliteConnector(root);
  const cache = new SessionCache();
  const at = (name: string) => path.join(root, name);

  before(() => {
    writable(
      at('catalog.db'),
      `CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL NOT NULL DEFAULT 0, note TEXT);
       INSERT INTO orders (total, note) VALUES (10, 'a'), (250.5, 'b'), (999, NULL);
       CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
       CREATE TABLE Customers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);
       CREATE TABLE "pct%name" (x);
       CREATE TABLE under_score (x);
       CREATE TABLE underXscore (x);
       CREATE TABLE "we""ird" (x INT);
       INSERT INTO "we""ird" VALUES (7);
       CREATE TABLE gen (a INT, b AS (a * 2), c INT AS (a + 1) STORED, d TEXT NOT NULL DEFAULT 'q', PRIMARY KEY (d, a));
       CREATE VIRTUAL TABLE docs USING fts5(body);
       CREATE VIEW forever AS ${ENDLESS};
       ANALYZE;`,
    );
    writable(at('victim.db'), "CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT); INSERT INTO t (b) VALUES ('x'), ('y'), ('z');");
    writable(at('other.db'), 'CREATE TABLE secret (s TEXT);');
    const many = new Database(at('many.db'));
    many.pragma('journal_mode = OFF');
    many.transaction(() => {
      for (let i = 0; i < MANY_TABLES; i++) many.exec(`CREATE TABLE t_${String(i).padStart(5, '0')} (id INTEGER)`);
    })();
    many.close();
    const big = new Database(at('big.db'));
    big.pragma('journal_mode = OFF');
    big.pragma('synchronous = OFF');
    big.exec(`CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${BIG_ROWS})
      INSERT INTO big SELECT x, printf('row %07d %s', x, hex(randomblob(16))), x * 0.25 FROM c;
      -- Reading past row ${TRIPWIRE_ROW} fails the statement (integer overflow): proof that a call stepped only through what it returns.
      CREATE VIEW tripwire AS
        SELECT CASE WHEN id > ${TRIPWIRE_ROW} THEN abs(-9223372036854775808) ELSE id END AS id, name, amount FROM big;`);
    big.close();
    fs.writeFileSync(at('not-a-database.db'), 'just text, no SQLite header'.repeat(100));
    fs.mkdirSync(at('nested'));
    fs.symlinkSync(at('catalog.db'), at('nested/link-inside.db'));
    fs.writeFileSync(path.join(tmp, 'outside.db'), fs.readFileSync(at('victim.db')));
    fs.symlinkSync(path.join(tmp, 'outside.db'), at('escape.db'));
    fs.mkdirSync(`${root}2`);
    fs.copyFileSync(at('victim.db'), `${root}2/x.db`);
  });

  after(async () => {
    await cache.onApplicationShutdown();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the worker from the file compiled beside the session module', () => {
    assert.equal(path.dirname(WORKER_FILE), __dirname);
    assert.ok(fs.existsSync(WORKER_FILE), WORKER_FILE);
  });

  describe('tables', () => {
    const list = (request: { schema?: string; search?: string; offset?: number; limit?: number }) =>
      connector.listTables(connection('catalog.db'), freshContext(), { offset: 0, limit: 100, ...request });

    it('lists the tables and views of main (virtual tables as TABLE, sqlite_ tables hidden) in name order', async () => {
      const page = await list({});
      const names = page.tables.map((table) => table.name);
      assert.deepEqual(names, [...names].sort());
      assert.equal(page.total, names.length);
      for (const hidden of ['sqlite_sequence', 'sqlite_stat1', 'sqlite_schema']) assert.ok(!names.includes(hidden), hidden);
      const kinds = Object.fromEntries(page.tables.map((table) => [table.name, table.type]));
      assert.equal(kinds.orders, 'TABLE');
      assert.equal(kinds.big_orders, 'VIEW');
      assert.equal(kinds.docs, 'TABLE');
      assert.equal(kinds.docs_content, 'TABLE', 'the shadow tables of a virtual table are tables');
      assert.ok(page.tables.every((table) => table.schema === 'main'));
    });

    it('searches a case-insensitive substring where % and _ match themselves', async () => {
      assert.deepEqual(
        (await list({ search: 'ORD' })).tables.map((table) => table.name),
        ['big_orders', 'orders'],
      );
      assert.deepEqual(
        (await list({ search: '%' })).tables.map((table) => table.name),
        ['pct%name'],
      );
      assert.deepEqual(
        (await list({ search: 'r_s' })).tables.map((table) => table.name),
        ['under_score'],
      );
      assert.deepEqual(await list({ search: 'nothing-like-this' }), { tables: [], total: 0 });
    });

    it('keeps the total on a page past the end, and answers 404 for a schema other than main', async () => {
      const all = await list({});
      assert.deepEqual(await list({ offset: 1_000 }), { tables: [], total: all.total });
      assert.equal((await list({ schema: 'main' })).total, all.total);
      for (const schema of ['temp', 'other', 'main"; --']) await appError(list({ schema }), ErrorCode.NOT_FOUND);
    });

    it('sees tables another connection creates or drops, on the same cached session', async () => {
      writable(at('changing.db'), 'CREATE TABLE first (x)');
      const context = cachedContext(cache, 'changing');
      const names = async () =>
        (await connector.listTables(connection('changing.db'), context, { offset: 0, limit: 10 })).tables.map((table) => table.name);
      assert.deepEqual(await names(), ['first']);
      writable(at('changing.db'), 'CREATE TABLE second (x); CREATE VIEW third AS SELECT 1');
      assert.deepEqual(await names(), ['first', 'second', 'third']);
      writable(at('changing.db'), 'DROP TABLE first');
      assert.deepEqual(await names(), ['second', 'third']);
    });

    it(`lists ${MANY_TABLES.toLocaleString('en')} tables page by page (100 per page), each once, with the total on every page`, async (t) => {
      const context = cachedContext(cache, 'many');
      const seen = new Set<string>();
      const timings: number[] = [];
      for (let offset = 0; offset < MANY_TABLES; offset += 100) {
        const started = performance.now();
        const page = await connector.listTables(connection('many.db'), context, { offset, limit: 100 });
        timings.push(performance.now() - started);
        assert.equal(page.total, MANY_TABLES);
        assert.equal(page.tables.length, 100);
        for (const table of page.tables) seen.add(table.name);
      }
      assert.equal(seen.size, MANY_TABLES);
      const searched = await connector.listTables(connection('many.db'), context, { search: '0999', offset: 0, limit: 100 });
      assert.equal(searched.total, 11, 't_00999 and t_09990..t_09999');
      assert.equal(searched.tables.length, 11);
      const upper = await connector.listTables(connection('many.db'), context, { search: 'T_0999', offset: 5, limit: 100 });
      assert.deepEqual(
        [upper.total, upper.tables.map((table) => table.name)],
        [10, ['t_09995', 't_09996', 't_09997', 't_09998', 't_09999']],
      );
      const warm = timings.slice(1);
      t.diagnostic(
        `10,000 tables: first page ${timings[0].toFixed(1)} ms (starts the worker), then ${(warm.reduce((a, b) => a + b, 0) / warm.length).toFixed(2)} ms ` +
          `per page on average, ${Math.max(...warm).toFixed(2)} ms at most`,
      );
    });
  });

  describe('columns', () => {
    const columns = (table: string, schema?: string) => connector.listColumns(connection('catalog.db'), freshContext(), { table, schema });

    it('describes columns from pragma_table_xinfo, generated ones included at their position', async () => {
      assert.deepEqual(await columns('orders'), [
        { name: 'id', type: 'INTEGER', nullable: true, default: null, primaryKey: true, position: 1 },
        { name: 'total', type: 'REAL', nullable: false, default: '0', primaryKey: false, position: 2 },
        { name: 'note', type: 'TEXT', nullable: true, default: null, primaryKey: false, position: 3 },
      ]);
      assert.deepEqual(await columns('gen'), [
        // SQLite lets NULL into a PRIMARY KEY that is not an INTEGER PRIMARY KEY: the catalog says nullable.
        { name: 'a', type: 'INT', nullable: true, default: null, primaryKey: true, position: 1 },
        { name: 'b', type: '', nullable: true, default: null, primaryKey: false, position: 2 },
        { name: 'c', type: 'INT', nullable: true, default: null, primaryKey: false, position: 3 },
        { name: 'd', type: 'TEXT', nullable: false, default: "'q'", primaryKey: true, position: 4 },
      ]);
      assert.deepEqual(
        (await columns('docs')).map((column) => column.name),
        ['body'],
        "a virtual table's hidden columns are not listed",
      );
      assert.deepEqual(
        (await columns('big_orders')).map((column) => [column.name, column.type]),
        [
          ['id', 'INTEGER'],
          ['total', 'REAL'],
        ],
      );
    });

    it('finds a table whatever the case, as SQLite does, and answers 404 for a missing table or another schema', async () => {
      assert.equal((await columns('ORDERS')).length, 3);
      await appError(columns('missing'), ErrorCode.NOT_FOUND, /Table "main"."missing" not found/);
      await appError(columns('sqlite_sequence'), ErrorCode.NOT_FOUND);
      await appError(columns('orders', 'temp'), ErrorCode.NOT_FOUND);
    });
  });

  describe('preview', () => {
    const preview = (table: string, limit: number, file = 'catalog.db', context = freshContext()) =>
      connector.preview(connection(file), context, { table, limit });

    it('returns the first rows with declared column types, truncated only when more exist', async () => {
      assert.deepEqual(await preview('orders', 3), {
        columns: [
          { name: 'id', type: 'INTEGER' },
          { name: 'total', type: 'REAL' },
          { name: 'note', type: 'TEXT' },
        ],
        rows: [
          [1, 10, 'a'],
          [2, 250.5, 'b'],
          [3, 999, null],
        ],
        truncated: false,
      });
      const two = await preview('orders', 2);
      assert.equal(two.rows.length, 2);
      assert.equal(two.truncated, true);
      assert.deepEqual((await preview('big_orders', 10)).rows, [
        [2, 250.5],
        [3, 999],
      ]);
      assert.deepEqual((await preview('we"ird', 10)).rows, [[7]], 'a quote in a real name is doubled, not refused');
    });

    it('refuses injected identifiers (404, NUL 400) and leaves the table intact', async () => {
      const victim = at('victim.db');
      const before = sha256(victim);
      const names = ['t"; DROP TABLE t; --', 'main"."t', '"t"', 't" --', 't\u0000', 'x'.repeat(1_000), "t'; DROP TABLE t; --"];
      for (const table of names) {
        const expected = table.includes('\u0000') ? ErrorCode.VALIDATION_FAILED : ErrorCode.NOT_FOUND;
        await appError(preview(table, 10, 'victim.db'), expected);
        await appError(connector.listColumns(connection('victim.db'), freshContext(), { table }), expected);
      }
      assert.equal(sha256(victim), before);
      assert.equal((await preview('t', 10, 'victim.db')).rows.length, 3);
    });

    it('stops a view that never ends at the deadline (TARGET_TIMEOUT)', async () => {
      const started = performance.now();
      await appError(preview('forever', 10, 'catalog.db', freshContext(1_000)), ErrorCode.TARGET_TIMEOUT, /before the deadline/);
      assert.ok(performance.now() - started < 10_000, 'the view ran on past the deadline');
    });
  });

  describe('cells', () => {
    const file = 'cells.db';
    const text = 'é'.repeat(10_000);
    const blob = Buffer.alloc(3_000, 0xab);

    before(() => {
      const database = new Database(at(file));
      database.exec('CREATE TABLE c (kind TEXT NOT NULL, v)');
      const insert = database.prepare('INSERT INTO c VALUES (?, ?)');
      insert.run('small', 42);
      insert.run('negative', -7);
      insert.run('largest exact', BigInt(Number.MAX_SAFE_INTEGER));
      insert.run('beyond', 9007199254740993n);
      insert.run('below', -9007199254740993n);
      insert.run('int64 max', 9223372036854775807n);
      insert.run('real', 1.5);
      insert.run('nan', NaN);
      database.exec("INSERT INTO c VALUES ('infinity', 1e308 * 10), ('-infinity', -1e308 * 10)");
      insert.run('text', text);
      insert.run('short blob', Buffer.from([1, 2, 255]));
      insert.run('blob', blob);
      insert.run('null', null);
      database.close();
    });

    const expected = (): [string, unknown][] => [
      ['small', 42],
      ['negative', -7],
      ['largest exact', Number.MAX_SAFE_INTEGER],
      ['beyond', '9007199254740993'],
      ['below', '-9007199254740993'],
      ['int64 max', '9223372036854775807'],
      ['real', 1.5],
      ['nan', null], // SQLite stores a NaN as NULL
      ['infinity', 'Infinity'],
      ['-infinity', '-Infinity'],
      ['text', `${'é'.repeat(MAX_TEXT_CHARS)}${TRUNCATION_MARK}10000 characters]`],
      ['short blob', '\\x0102ff'],
      ['blob', `\\x${'ab'.repeat(MAX_BINARY_BYTES)}${TRUNCATION_MARK}3000 bytes]`],
      ['null', null],
    ];

    it('follows the JSON-safe cell rules exactly, in preview and query alike', async () => {
      const preview = await connector.preview(connection(file), freshContext(), { table: 'c', limit: 100 });
      assert.deepEqual(preview.columns, [
        { name: 'kind', type: 'TEXT' },
        { name: 'v', type: '' },
      ]);
      assert.deepEqual(preview.rows, expected());
      const query = await connector.query(connection(file), freshContext(), {
        sql: 'SELECT kind, v, typeof(v) FROM c',
        limit: 100,
        timeoutMs: 5_000,
      });
      assert.deepEqual(
        query.rows.map((row) => row.slice(0, 2)),
        expected(),
      );
      assert.equal(query.rows.find((row) => row[0] === 'nan')![2], 'null');
    });
  });

  describe('query', () => {
    const run = (sql: string, limit = 100, file = 'catalog.db', context = freshContext()) =>
      connector.query(connection(file), context, { sql, limit, timeoutMs: 5_000 });

    it('returns rows in column order (repeated names kept), declared types where known, and stats', async () => {
      const result = await run('SELECT o.id, o.total * 2 AS twice, 1 AS id FROM orders o ORDER BY o.id');
      assert.deepEqual(result.columns, [
        { name: 'id', type: 'INTEGER' },
        { name: 'twice', type: '' },
        { name: 'id', type: '' },
      ]);
      assert.deepEqual(result.rows, [
        [1, 20, 1],
        [2, 501, 1],
        [3, 1998, 1],
      ]);
      assert.equal(result.truncated, false);
      assert.equal(result.stats.rowCount, 3);
      assert.ok(result.stats.executionMs >= 0 && result.stats.executionMs <= 5_000, 'within the query timeout');
      assert.deepEqual((await run('SELECT 1; -- a trailing comment is not a statement')).rows, [[1]]);
      assert.deepEqual((await run('PRAGMA table_info(orders)')).rows.length, 3, 'reading PRAGMAs are queries');
    });

    it("answers QUERY_FAILED with SQLite's message for a statement SQLite rejects", async () => {
      await appError(run('SELEC 1'), ErrorCode.QUERY_FAILED, /syntax error/);
      await appError(run('SELECT * FROM missing'), ErrorCode.QUERY_FAILED, /no such table: missing/);
      await appError(run('SELECT ?'), ErrorCode.QUERY_FAILED);
      await appError(run('   '), ErrorCode.QUERY_FAILED, /no statement/);
    });

    it('refuses stacked statements with UNPROCESSABLE', async () => {
      await appError(run('SELECT 1; SELECT 2'), ErrorCode.UNPROCESSABLE, /^Send one statement at a time\.$/);
    });
  });

  describe('a 1,000,000-row table', () => {
    const opened: SqliteWorker[] = [];
    const context = () => cachedContext(cache, 'big', opened);
    const queryBig = (sql: string, limit: number, timeoutMs = 10_000) =>
      connector.query(connection('big.db'), context(), { sql, limit, timeoutMs });

    // What a call reads is bounded by its limit, whatever the table's size; memory and speed are bench/'s to measure.
    it('previews 1,000 and queries 10,000 rows of a 1,000,000-row table, stepping through no more than those', async (t) => {
      const warm = await queryBig('SELECT count(*) FROM big', 1);
      assert.deepEqual(warm.rows, [[BIG_ROWS]]);
      const fileMb = fs.statSync(at('big.db')).size / MB;
      await appError(queryBig('SELECT sum(id) FROM tripwire', 1), ErrorCode.QUERY_FAILED, /integer overflow/);

      const preview = await connector.preview(connection('big.db'), context(), { table: 'tripwire', limit: 1_000 });
      assert.equal(preview.rows.length, 1_000);
      assert.equal(preview.truncated, true);
      assert.equal(preview.rows[999][0], 1_000);

      const query = await queryBig('SELECT * FROM tripwire', 10_000);
      assert.equal(query.rows.length, 10_000);
      assert.equal(query.truncated, true);
      assert.equal(query.stats.rowCount, 10_000);
      assert.deepEqual(query.rows[9_999].slice(0, 1), [10_000]);

      assert.equal(opened.length, 1);
      assert.equal(opened[0].workersStarted, 1);
      t.diagnostic(`1,000,000 rows (${fileMb.toFixed(0)} MB file): query 10,000 in ${query.stats.executionMs} ms`);
    });

    it('sorts the whole table for ORDER BY in the worker and still returns only the limit', async (t) => {
      const sorted = await queryBig('SELECT * FROM big ORDER BY name DESC', 10_000, 30_000);
      assert.equal(sorted.rows.length, 10_000);
      assert.equal(sorted.rows[0][0], BIG_ROWS);
      assert.equal(sorted.truncated, true);
      t.diagnostic(`ORDER BY over 1,000,000 rows: ${sorted.stats.executionMs} ms`);
    });

    it('is not truncated when exactly limit rows exist', async () => {
      const exact = await queryBig('SELECT id FROM big WHERE id <= 10000', 10_000);
      assert.equal(exact.rows.length, 10_000);
      assert.equal(exact.truncated, false);
      assert.deepEqual(exact.rows[9_999], [10_000]);
    });
  });

  describe('deadlines', () => {
    it('stops an endless query after timeoutMs without blocking the event loop, then serves the next query', async (t) => {
      const opened: SqliteWorker[] = [];
      const context = () => cachedContext(cache, 'endless', opened);
      assert.deepEqual((await connector.query(connection('catalog.db'), context(), { sql: 'SELECT 1', limit: 1, timeoutMs: 1_000 })).rows, [
        [1],
      ]);
      const firstPid = opened[0].pid!;

      let ticks = 0;
      let last = performance.now();
      let longestGap = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
        ticks += 1;
      }, 10);
      const started = performance.now();
      try {
        await appError(
          connector.query(connection('catalog.db'), context(), { sql: ENDLESS, limit: 10, timeoutMs: 1_000 }),
          ErrorCode.TARGET_TIMEOUT,
          /longer than 1000 ms/,
        );
      } finally {
        clearInterval(ticker);
      }
      const elapsed = performance.now() - started;
      // Node's timers may fire up to a millisecond early against performance.now() (libuv caches loop time).
      assert.ok(elapsed >= 990 && elapsed < 10_000, `answered after ${elapsed.toFixed(1)} ms`);
      // Blocked, the loop would tick about once and stall for the whole second; the margins allow for a very busy machine.
      assert.ok(ticks >= 5, `the main thread ticked ${ticks} times in ${elapsed.toFixed(0)} ms`);
      assert.ok(longestGap < elapsed / 2, `the event loop stalled for ${longestGap.toFixed(0)} of ${elapsed.toFixed(0)} ms`);
      assert.ok(await waitUntil(() => processGone(firstPid)), 'the stuck worker process was killed');

      const next = await connector.query(connection('catalog.db'), context(), {
        sql: 'SELECT count(*) FROM orders',
        limit: 1,
        timeoutMs: 1_000,
      });
      assert.deepEqual(next.rows, [[3]]);
      assert.equal(opened.length, 1, 'the cached session stayed');
      assert.equal(opened[0].workersStarted, 2, 'with a fresh worker process');
      assert.notEqual(opened[0].pid, firstPid);
      t.diagnostic(
        `endless query answered TARGET_TIMEOUT after ${elapsed.toFixed(0)} ms; ${ticks} ticks, longest gap ${longestGap.toFixed(0)} ms`,
      );
    });

    it('gives up on a request waiting behind a slow one at its own deadline', async () => {
      const opened: SqliteWorker[] = [];
      const slow = connector.query(connection('catalog.db'), cachedContext(cache, 'queued', opened), {
        sql: ENDLESS,
        limit: 1,
        timeoutMs: 10_000,
      });
      const started = performance.now();
      await appError(
        connector.listTables(connection('catalog.db'), cachedContext(cache, 'queued', opened, 500), { offset: 0, limit: 10 }),
        ErrorCode.TARGET_TIMEOUT,
        /before the deadline/,
      );
      const waited = performance.now() - started;
      // Well before the slow one ends at 10 s: it gave up at its own deadline, not when the queue freed.
      assert.ok(waited >= 450 && waited < 8_000, `gave up after ${waited.toFixed(0)} ms`);
      await appError(slow, ErrorCode.TARGET_TIMEOUT, /longer than 10000 ms/);
      const after = await connector.listTables(connection('catalog.db'), cachedContext(cache, 'queued', opened), { offset: 0, limit: 1 });
      assert.equal(after.tables.length, 1);
      assert.equal(opened.length, 1);
    });

    it("stops at the operation's deadline when it comes before timeoutMs", async () => {
      const started = performance.now();
      await appError(
        connector.query(connection('catalog.db'), freshContext(800), { sql: ENDLESS, limit: 10, timeoutMs: 60_000 }),
        ErrorCode.TARGET_TIMEOUT,
        /before the deadline/,
      );
      assert.ok(performance.now() - started < 20_000, 'it waited for timeoutMs instead of the deadline');
    });
  });

  describe('read-only', () => {
    const victim = at('victim.db');
    const vacuumTarget = at('vacuumed.db');
    const elsewhere = path.join(tmp, 'vacuumed-elsewhere.db');
    const loadable = ['/lib/x86_64-linux-gnu/libm.so.6', '/usr/lib/x86_64-linux-gnu/libm.so.6', '/lib/aarch64-linux-gnu/libm.so.6'].find(
      (file) => fs.existsSync(file),
    );
    const corpus: [string, ErrorCode][] = [
      ["INSERT INTO t (b) VALUES ('w')", ErrorCode.READ_ONLY_VIOLATION],
      ["REPLACE INTO t VALUES (1, 'w')", ErrorCode.READ_ONLY_VIOLATION],
      ["INSERT INTO t VALUES (1, 'w') ON CONFLICT (id) DO UPDATE SET b = 'w'", ErrorCode.READ_ONLY_VIOLATION],
      ["UPDATE t SET b = 'w'", ErrorCode.READ_ONLY_VIOLATION],
      ['DELETE FROM t', ErrorCode.READ_ONLY_VIOLATION],
      ['DELETE FROM t RETURNING *', ErrorCode.READ_ONLY_VIOLATION],
      ["UPDATE t SET b = 'w' RETURNING id", ErrorCode.READ_ONLY_VIOLATION],
      ['WITH x AS (SELECT 1) DELETE FROM t', ErrorCode.READ_ONLY_VIOLATION],
      ["WITH RECURSIVE c(n) AS (SELECT 1) UPDATE t SET b = 'w' WHERE id IN (SELECT n FROM c)", ErrorCode.READ_ONLY_VIOLATION],
      ['CREATE TABLE u (x)', ErrorCode.READ_ONLY_VIOLATION],
      ['CREATE TABLE u AS SELECT * FROM t', ErrorCode.READ_ONLY_VIOLATION],
      ['DROP TABLE t', ErrorCode.READ_ONLY_VIOLATION],
      ['ALTER TABLE t ADD COLUMN c TEXT', ErrorCode.READ_ONLY_VIOLATION],
      ['ALTER TABLE t RENAME TO t2', ErrorCode.READ_ONLY_VIOLATION],
      ['CREATE INDEX i ON t (b)', ErrorCode.READ_ONLY_VIOLATION],
      ['CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM t; END', ErrorCode.READ_ONLY_VIOLATION],
      ['CREATE TEMP TABLE tmp (x)', ErrorCode.READ_ONLY_VIOLATION],
      ['CREATE TEMP VIEW v AS SELECT 1', ErrorCode.READ_ONLY_VIOLATION],
      ["ATTACH 'other.db' AS x", ErrorCode.READ_ONLY_VIOLATION],
      [`ATTACH '${at('other.db')}' AS x`, ErrorCode.READ_ONLY_VIOLATION],
      ["ATTACH ':memory:' AS m", ErrorCode.READ_ONLY_VIOLATION],
      ['DETACH x', ErrorCode.READ_ONLY_VIOLATION],
      [`VACUUM INTO '${vacuumTarget}'`, ErrorCode.READ_ONLY_VIOLATION],
      [`VACUUM INTO '${elsewhere}'`, ErrorCode.READ_ONLY_VIOLATION],
      ['VACUUM', ErrorCode.READ_ONLY_VIOLATION],
      ['PRAGMA query_only = OFF', ErrorCode.READ_ONLY_VIOLATION],
      ["DELETE FROM t WHERE b = 'x'", ErrorCode.READ_ONLY_VIOLATION],
      ['PRAGMA writable_schema = ON', ErrorCode.READ_ONLY_VIOLATION],
      ['PRAGMA user_version = 7', ErrorCode.READ_ONLY_VIOLATION],
      ['PRAGMA journal_mode = WAL', ErrorCode.READ_ONLY_VIOLATION],
      ['PRAGMA wal_checkpoint(TRUNCATE)', ErrorCode.READ_ONLY_VIOLATION],
      ['SELECT 1; DELETE FROM t', ErrorCode.UNPROCESSABLE],
      ['SELECT 1;DELETE FROM t;', ErrorCode.UNPROCESSABLE],
      [`SELECT load_extension('${loadable ?? '/nonexistent/libm.so.6'}')`, ErrorCode.QUERY_FAILED],
      ['REINDEX', ErrorCode.READ_ONLY_VIOLATION],
      ['ANALYZE', ErrorCode.READ_ONLY_VIOLATION],
      ['BEGIN', ErrorCode.READ_ONLY_VIOLATION],
      ['BEGIN IMMEDIATE', ErrorCode.READ_ONLY_VIOLATION],
      ['COMMIT', ErrorCode.READ_ONLY_VIOLATION],
      ['SAVEPOINT s', ErrorCode.READ_ONLY_VIOLATION],
      ['/* harmless */ DeLeTe FrOm t', ErrorCode.READ_ONLY_VIOLATION],
      ['-- just a comment\n  insert into "t" (b) values (\'w\')', ErrorCode.READ_ONLY_VIOLATION],
      ["  uPdAtE/**/t/**/SET b='w'", ErrorCode.READ_ONLY_VIOLATION],
      ['EXPLAIN DELETE FROM t', ErrorCode.READ_ONLY_VIOLATION],
    ];

    it('refuses every form of write with a 422 and leaves the file, its rows and the directory unchanged', async (t) => {
      const opened: SqliteWorker[] = [];
      // One cached session for the whole corpus, so a setting one statement made would show in the next.
      const context = () => cachedContext(cache, 'victim', opened);
      const fileBefore = sha256(victim);
      const filesBefore = fs.readdirSync(root).sort();
      for (const [sql, code] of corpus) {
        const error = await appError(
          connector.query(connection('victim.db'), context(), { sql, limit: 10, timeoutMs: 5_000 }),
          code,
          undefined,
          sql,
        );
        assert.equal(error.status, 422, sql);
        if (code === ErrorCode.READ_ONLY_VIOLATION) assert.match(error.detail, /read-only/, sql);
        if (sql.includes('load_extension')) assert.match(error.detail, /not authorized/, 'the SQL function is disabled, whatever the file');
      }
      const stillOn = await connector.query(connection('victim.db'), context(), { sql: 'PRAGMA query_only', limit: 1, timeoutMs: 5_000 });
      assert.deepEqual(stillOn.rows, [[1]], 'query_only is still on');
      const rows = await connector.query(connection('victim.db'), context(), {
        sql: 'SELECT id, b FROM t ORDER BY id',
        limit: 10,
        timeoutMs: 5_000,
      });
      assert.deepEqual(rows.rows, [
        [1, 'x'],
        [2, 'y'],
        [3, 'z'],
      ]);
      assert.equal(sha256(victim), fileBefore);
      assert.deepEqual(fs.readdirSync(root).sort(), filesBefore, 'no journal, WAL or VACUUM INTO file appeared');
      assert.ok(!fs.existsSync(vacuumTarget) && !fs.existsSync(elsewhere));
      assert.equal(opened[0].workersStarted, 1);
      t.diagnostic(`${corpus.length} write forms refused; load_extension probed with ${loadable ?? 'a missing file'}`);
    });
    it('lets no PRAGMA outlive its call, even one SQLite applies while compiling or one that runs', async () => {
      writable(at('locked.db'), 'CREATE TABLE t (x); INSERT INTO t VALUES (1);');
      const opened: SqliteWorker[] = [];
      const context = () => cachedContext(cache, 'locked', opened);
      const run = (sql: string) => connector.query(connection('locked.db'), context(), { sql, limit: 10, timeoutMs: 5_000 });
      const read = async (sql: string) => (await run(sql)).rows;

      await appError(run('PRAGMA query_only = OFF'), ErrorCode.READ_ONLY_VIOLATION);
      assert.deepEqual(await read('PRAGMA query_only'), [[1]]);
      assert.ok((await read('EXPLAIN PRAGMA query_only = OFF')).length > 0, 'EXPLAIN of a PRAGMA is a reader and runs');
      assert.deepEqual(await read('SELECT * FROM pragma_query_only'), [[1]]);
      // Starts like a query, so the connection is kept: the stacked PRAGMA must never have been compiled.
      await appError(run('SELECT 1; PRAGMA query_only = OFF'), ErrorCode.UNPROCESSABLE);
      assert.deepEqual(await read('SELECT * FROM pragma_query_only'), [[1]]);
      await appError(run('PRAGMA cache_size = 1'), ErrorCode.READ_ONLY_VIOLATION);
      assert.deepEqual(await read('PRAGMA cache_size'), [[-16000]]);

      // A reader that runs: the session's connection would keep its shared lock for good.
      assert.deepEqual(await read('PRAGMA locking_mode = EXCLUSIVE'), [['exclusive']]);
      assert.deepEqual(await read('SELECT count(*) FROM t'), [[1]]);
      assert.deepEqual(await read('PRAGMA locking_mode'), [['normal']]);
      const writer = new Database(at('locked.db'), { timeout: 0 });
      try {
        writer.exec('INSERT INTO t VALUES (2)');
      } finally {
        writer.close();
      }
      assert.deepEqual(await read('SELECT count(*) FROM t'), [[2]], 'another program can still write the file');
      assert.equal(opened[0].workersStarted, 1);
    });
  });

  describe('paths', () => {
    const escapes = (): string[] => [
      '../outside.db',
      'nested/../../outside.db',
      '%2e%2e/outside.db',
      '%2E%2E%2Foutside.db',
      '..%2foutside.db',
      at('catalog.db'),
      path.join(tmp, 'outside.db'),
      '%2F' + path.join(tmp, 'outside.db').slice(1),
      '../root2/x.db',
      'escape.db',
    ];

    it('refuses paths out of the root (.., encoded, absolute, sibling prefix, symlink) before opening anything', async () => {
      for (const file of escapes()) {
        await assert.rejects(connector.listTables(connection(file), refusingContext(), { offset: 0, limit: 10 }), ConnectionRejected, file);
        await assert.rejects(connector.listColumns(connection(file), refusingContext(), { table: 't' }), ConnectionRejected, file);
        await assert.rejects(connector.preview(connection(file), refusingContext(), { table: 't', limit: 10 }), ConnectionRejected, file);
        await assert.rejects(
          connector.query(connection(file), refusingContext(), { sql: 'SELECT 1', limit: 10, timeoutMs: 1_000 }),
          ConnectionRejected,
          file,
        );
      }
    });

    it('follows a symlink that stays inside the root; a missing file or a non-database is TARGET_UNAVAILABLE', async () => {
      const linked = await connector.listTables(connection('nested/link-inside.db'), freshContext(), {
        search: 'orders',
        offset: 0,
        limit: 10,
      });
      assert.equal(linked.total, 2);
      const missing = await appError(
        connector.listTables(connection('nope.db'), freshContext(), { offset: 0, limit: 10 }),
        ErrorCode.TARGET_UNAVAILABLE,
        /^No file at nope\.db\.$/,
      );
      assert.equal(missing.options.extensions?.targetCode, 'NOT_FOUND');
      const garbage = await appError(
        connector.query(connection('not-a-database.db'), freshContext(), { sql: 'SELECT 1', limit: 1, timeoutMs: 1_000 }),
        ErrorCode.TARGET_UNAVAILABLE,
      );
      assert.equal(garbage.options.extensions?.targetCode, 'PROTOCOL_ERROR');
      assert.ok(!garbage.detail.includes(root), 'the server path of the root is never shown');
    });
  });

  describe('sessions', () => {
    it('reuses one worker process per cached session and ends it when the session closes', async () => {
      const sessions = new SessionCache();
      const opened: SqliteWorker[] = [];
      const context = () => cachedContext(sessions, 'reused', opened);
      await connector.listTables(connection('catalog.db'), context(), { offset: 0, limit: 10 });
      const pid = opened[0].pid!;
      await connector.query(connection('catalog.db'), context(), { sql: 'SELECT 1', limit: 1, timeoutMs: 1_000 });
      await connector.preview(connection('catalog.db'), context(), { table: 'orders', limit: 1 });
      assert.equal(opened.length, 1);
      assert.equal(opened[0].workersStarted, 1);
      assert.equal(opened[0].pid, pid);
      assert.ok(!processGone(pid));
      await sessions.onApplicationShutdown();
      assert.ok(processGone(pid), 'close() ended the worker process');
      assert.equal(opened[0].pid, undefined);
    });

    it('stops an idle worker process and starts a new one for the next request', async () => {
      const worker = new SqliteWorker(
        () => path.join(root, 'catalog.db'),
        'catalog.db',
        (message) => message,
        200,
      );
      const deadline = () => deadlineOf(5_000);
      await worker.start(deadline());
      const first = worker.pid!;
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(worker.pid, undefined);
      assert.ok(processGone(first), 'the idle worker process ended');
      const answer = await worker.request({ op: 'query', sql: 'SELECT 7', limit: 1 }, deadline());
      assert.ok(answer);
      assert.equal(worker.workersStarted, 2);
      await worker.close();
    });

    it('serializes concurrent requests on one session', async () => {
      const opened: SqliteWorker[] = [];
      const context = () => cachedContext(cache, 'concurrent', opened);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          connector.query(connection('catalog.db'), context(), { sql: `SELECT ${i} AS n`, limit: 1, timeoutMs: 5_000 }),
        ),
      );
      assert.deepEqual(
        results.map((result) => result.rows[0][0]),
        Array.from({ length: 20 }, (_, i) => i),
      );
      assert.equal(opened.length, 1);
      assert.equal(opened[0].workersStarted, 1);
    });
  });
});
