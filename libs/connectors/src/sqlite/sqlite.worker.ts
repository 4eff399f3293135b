/**
 * The SQLite worker process: holds one SQLite file open read-only (a connection for the
 * catalog and previews, another for user SQL) and answers the requests of sqlite.session.ts
 * over the IPC channel, one at a time.
 *
 * better-sqlite3 is synchronous and cannot be interrupted (no sqlite3_interrupt, and the
 * bundled SQLite omits the progress callback), so a slow statement blocks whatever thread runs
 * it until it ends; a worker thread stuck there cannot even be terminated. A separate process
 * can always be killed, which is how the service enforces deadlines.
 *
 * Imports nothing but better-sqlite3 and relative files without path aliases, so it starts the
 * same from the test build and from `nest build`.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { anyCell, binaryCell, numberCell, RowCollector, textCell } from '../introspection/cells';
import type { Cell, ColumnInfo, QueryResult, ResultColumn, RowSet, TableInfo, TablePage } from '../introspection/types';
import type { WorkerAnswers, WorkerFailure, WorkerMemory, WorkerMessage, WorkerReply, WorkerRequest } from './sqlite.protocol';

class Failure extends Error {
  constructor(readonly failure: WorkerFailure) {
    super(failure.message);
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

let file: string | undefined;
/** Runs only the service's own catalog and preview statements. */
let catalogConnection: Database.Database | undefined;
/** Runs user SQL; replaced after any statement that may have changed its settings (see query). */
let queryConnection: Database.Database | undefined;
const prepared = new Map<string, Database.Statement>();

function connect(path: string): Database.Database {
  const connection = new Database(path, { readonly: true, fileMustExist: true });
  // Belt and braces: the connection is read-only, and query_only refuses writes even to TEMP.
  connection.pragma('query_only = ON');
  return connection;
}

function open(path: string): null {
  try {
    catalogConnection = connect(path);
  } catch (error) {
    throw new Failure({ kind: 'open', code: fs.existsSync(path) ? 'PERMISSION_DENIED' : 'NOT_FOUND', message: messageOf(error) });
  }
  try {
    catalogConnection.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    throw new Failure({ kind: 'open', code: 'PROTOCOL_ERROR', message: messageOf(error) });
  }
  file = path;
  return null;
}

function opened(): Database.Database {
  if (!catalogConnection) throw new Failure({ kind: 'open', code: 'PROTOCOL_ERROR', message: 'The database is not open.' });
  return catalogConnection;
}

/** Catalog statements are fixed text: prepared once per process. */
function catalog(sql: string): Database.Statement {
  let statement = prepared.get(sql);
  if (!statement) prepared.set(sql, (statement = opened().prepare(sql)));
  return statement;
}

const LARGEST_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** cells.ts for SQLite, typed per value: integers arrive as bigint (safeIntegers) so none is rounded. */
function sqliteCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value >= -LARGEST_EXACT && value <= LARGEST_EXACT ? Number(value) : value.toString();
  if (typeof value === 'number') return numberCell(value);
  if (typeof value === 'string') return textCell(value);
  if (value instanceof Uint8Array) return binaryCell(value);
  return anyCell(value);
}

/** Streams a reader statement into a RowCollector: limit + 1 rows at most, never all of them. */
function collectRows(statement: Database.Statement, limit: number, parameters: unknown[]): RowSet {
  statement.safeIntegers(true).raw(true);
  const columns: ResultColumn[] = statement.columns().map((column) => ({ name: column.name, type: column.type ?? '' }));
  const collector = new RowCollector(limit);
  for (const row of statement.iterate(...parameters) as IterableIterator<unknown[]>) {
    if (!collector.add(row.map(sqliteCell))) break; // leaving the loop resets the statement
  }
  return { columns, rows: collector.rows, truncated: collector.truncated };
}

/** User tables and views; the sqlite_ names are SQLite's own. */
const USER_RELATION = "type IN ('table', 'view') AND lower(substr(name, 1, 7)) <> 'sqlite_'";

interface Relation {
  info: TableInfo;
  lowered: string;
}

/** User tables and views in name order, as of one schema version (SQLite keeps the whole schema in memory too). */
let relations: { version: number; list: Relation[] } | undefined;

/**
 * sqlite_schema has no index, so filtering and sorting 10,000 names costs ~20 ms per page; this
 * reads it once per schema change instead. The version is read first: a change racing the read
 * only leaves a newer list under an older version, which the next call reloads.
 */
function userRelations(): Relation[] {
  const version = catalog('PRAGMA schema_version').pluck().get() as number;
  if (relations?.version !== version) {
    const rows = catalog(`SELECT name, type FROM sqlite_schema WHERE ${USER_RELATION} ORDER BY name`).all() as {
      name: string;
      type: string;
    }[];
    const list = rows.map((row) => ({
      info: { name: row.name, schema: 'main', type: row.type === 'view' ? ('VIEW' as const) : ('TABLE' as const) },
      lowered: row.name.toLowerCase(),
    }));
    relations = { version, list };
  }
  return relations.list;
}

/** Search is a plain substring (case-insensitive), so % and _ match themselves. */
function tables(request: Extract<WorkerRequest, { op: 'tables' }>): TablePage {
  const needle = request.search?.toLowerCase();
  const all = userRelations();
  const matching = needle ? all.filter((relation) => relation.lowered.includes(needle)) : all;
  return {
    total: matching.length,
    tables: matching.slice(request.offset, request.offset + request.limit).map((relation) => relation.info),
  };
}

/** The catalog's spelling of `table` (SQLite names are case-insensitive), or notFound; always a bound parameter. */
function catalogName(table: string): string {
  const row = catalog(`SELECT name FROM sqlite_schema WHERE ${USER_RELATION} AND name = ? COLLATE NOCASE`).get(table) as
    { name: string } | undefined;
  if (!row) throw new Failure({ kind: 'notFound', message: table });
  return row.name;
}

function columns(table: string): ColumnInfo[] {
  const name = catalogName(table);
  // hidden: 0 plain, 2/3 generated (listed); 1 = hidden column of a virtual table (not in SELECT *).
  const rows = catalog(
    `SELECT cid, name, type, "notnull" AS not_null, dflt_value AS dflt, pk FROM pragma_table_xinfo(?, 'main') WHERE hidden <> 1 ORDER BY cid`,
  ).all(name) as { cid: number; name: string; type: string; not_null: number; dflt: string | null; pk: number }[];
  return rows.map((row) => ({
    name: row.name,
    type: row.type,
    nullable: row.not_null === 0,
    default: row.dflt,
    primaryKey: row.pk > 0,
    position: row.cid + 1,
  }));
}

const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

function preview(table: string, limit: number): RowSet {
  const name = catalogName(table);
  const statement = opened().prepare(`SELECT * FROM "main".${quoteIdentifier(name)} LIMIT ?`);
  return collectRows(statement, limit, [limit + 1]);
}

const READ_ONLY = 'This SQLite connection is read-only: the statement would change the database.';

/** Sorts an error SQLite or better-sqlite3 raised while preparing or running user SQL. */
function classify(error: unknown): Failure {
  if (error instanceof Failure) return error;
  const message = messageOf(error);
  if (error instanceof RangeError && /more than one statement/.test(message)) return new Failure({ kind: 'multiple', message });
  if (error instanceof RangeError && /no statements/.test(message))
    return new Failure({ kind: 'failed', message: 'The SQL text holds no statement.' });
  if (String((error as { code?: unknown }).code).startsWith('SQLITE_READONLY'))
    return new Failure({ kind: 'readOnly', message: READ_ONLY });
  return new Failure({ kind: 'failed', message });
}

/** The first keyword of a statement, past whitespace and comments ('' when there is none to read). */
function leadingKeyword(sql: string): string {
  let at = 0;
  for (;;) {
    while (at < sql.length && /\s/.test(sql[at])) at += 1;
    if (sql.startsWith('--', at)) {
      const end = sql.indexOf('\n', at);
      at = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', at)) {
      const end = sql.indexOf('*/', at + 2);
      at = end < 0 ? sql.length : end + 2;
    } else {
      return /^[A-Za-z]+/.exec(sql.slice(at))?.[0].toUpperCase() ?? '';
    }
  }
}

/**
 * Statements that cannot change the connection. SQLite applies many PRAGMAs (query_only,
 * locking_mode, cache_size, trusted_schema...) while compiling them, even when the statement
 * is then refused, and EXPLAIN PRAGMA compiles one too; a query starting any other way gets a
 * fresh connection afterwards, so no setting outlives the call. Table-valued pragma functions
 * (SELECT * FROM pragma_x) take no value to set.
 */
const STATELESS = new Set(['SELECT', 'WITH', 'VALUES']);

function queryDatabase(): Database.Database {
  if (!file) throw new Failure({ kind: 'open', code: 'PROTOCOL_ERROR', message: 'The database is not open.' });
  if (!queryConnection) {
    try {
      queryConnection = connect(file);
    } catch (error) {
      throw new Failure({ kind: 'open', code: fs.existsSync(file) ? 'PERMISSION_DENIED' : 'NOT_FOUND', message: messageOf(error) });
    }
  }
  return queryConnection;
}

/**
 * Only statements that return rows (reader) and change no database file (sqlite3_stmt_readonly)
 * run: that refuses DML including `... RETURNING`, DDL, ATTACH, BEGIN, VACUUM INTO and setting
 * PRAGMAs. Whatever slipped through would still hit the read-only connection and query_only.
 */
function query(sql: string, limit: number): QueryResult {
  const started = performance.now();
  const connection = queryDatabase();
  try {
    const statement = connection.prepare(sql);
    if (!statement.reader || !statement.readonly) throw new Failure({ kind: 'readOnly', message: READ_ONLY });
    const set = collectRows(statement, limit, []);
    const executionMs = Math.round((performance.now() - started) * 10) / 10;
    return { ...set, stats: { rowCount: set.rows.length, executionMs } };
  } catch (error) {
    throw classify(error);
  } finally {
    if (!STATELESS.has(leadingKeyword(sql))) {
      queryConnection = undefined;
      connection.close();
    }
  }
}

function memory(): WorkerMemory {
  return { rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 };
}

function handle(request: WorkerRequest): WorkerAnswers[WorkerRequest['op']] {
  switch (request.op) {
    case 'open':
      return open(request.file);
    case 'tables':
      return tables(request);
    case 'columns':
      return columns(request.table);
    case 'preview':
      return preview(request.table, request.limit);
    case 'query':
      return query(request.sql, request.limit);
    case 'memory':
      return memory();
  }
}

function reply(message: WorkerMessage): WorkerReply {
  try {
    return { id: message.id, ok: true, value: handle(message) };
  } catch (error) {
    const failure = error instanceof Failure ? error.failure : classify(error).failure;
    return { id: message.id, ok: false, failure };
  }
}

// Started with an IPC channel by sqlite.session.ts; anything else has nothing to do here.
if (process.send) {
  process.on('message', (message: WorkerMessage) => process.send!(reply(message)));
  // The service went away: so does the worker.
  process.on('disconnect', () => process.exit(0));
}
