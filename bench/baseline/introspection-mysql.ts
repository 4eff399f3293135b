import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import mysql, { type Connection, type ConnectionOptions, type FieldPacket, type QueryOptions } from 'mysql2';
import type { DirectSession } from './direct';
import type { TargetWork } from './introspection';

/**
 * The catalog, preview and query work of (e)-(g) on MySQL/MariaDB, for the direct mysql2 loop:
 * the statements, session settings and connection lifecycle of the service's mysql connector,
 * copied from libs/connectors/src/mysql/mysql.session.ts, mysql.introspection.ts and
 * mysql.client.ts. Per connection, as the connector's pool does it:
 * - catalog work (tables, preview): the session settings once per connection, then each
 *   statement as `SET STATEMENT max_statement_time = … FOR …` with values escaped client-side;
 * - a user's statement (query): fresh settings with its timeout, the rows streamed, and the
 *   connection closed (mysql2's destroy() and the socket destroyed, as Lease.discard() does) as
 *   soon as limit + 1 rows are in, else reset (COM_RESET_CONNECTION) after the answer; a closed
 *   connection is opened anew next time.
 * When the connector changes, change this file so both sides keep doing the same work.
 */

export interface MysqlTarget {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
}

/** mysqlConnectionOptions() and the pool options of openMysqlClient(); no TLS (the bench target offers it, the connection does not ask). */
function connectionOptions(target: MysqlTarget): ConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    user: target.username,
    password: target.password,
    database: target.database,
    connectTimeout: 5_000,
    multipleStatements: false,
    flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
    enableCleartextPlugin: false,
    timezone: 'Z',
    connectAttributes: { program_name: 'switchboard-baseline' },
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    jsonStrings: true,
  };
}

/** What the connector learns once per session (its first statement, before any settings). */
export interface ServerInfo {
  flavour: 'mariadb' | 'mysql';
  version: string;
  sqlMode: string;
}

const LEXER_MODES = new Set(['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES', 'ANSI', 'DB2', 'MAXDB', 'MSSQL', 'ORACLE', 'POSTGRESQL']);

const safeSqlMode = (mode: string): string =>
  mode
    .split(',')
    .map((entry) => entry.trim().toUpperCase())
    .filter((entry) => /^[A-Z0-9_]+$/.test(entry) && !LEXER_MODES.has(entry))
    .join(',');

function readOnlyVariable(server: ServerInfo): string {
  if (server.flavour === 'mariadb') return 'tx_read_only';
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)\.(\d+)/.exec(server.version) ?? []).slice(1).map(Number);
  return major * 10_000 + minor * 100 + patch < 50_720 ? 'tx_read_only' : 'transaction_read_only';
}

function setupStatement(server: ServerInfo, statementTimeoutMs?: number): string {
  const settings = [
    'NAMES utf8mb4',
    "SESSION time_zone = '+00:00'",
    `SESSION sql_mode = '${server.sqlMode}'`,
    'SESSION autocommit = 1',
    `SESSION ${readOnlyVariable(server)} = 1`,
  ];
  if (statementTimeoutMs !== undefined) {
    const ms = Math.max(1, Math.ceil(statementTimeoutMs));
    settings.push(
      server.flavour === 'mariadb' ? `SESSION max_statement_time = ${(ms / 1000).toFixed(3)}` : `SESSION max_execution_time = ${ms}`,
    );
  }
  return `SET ${settings.join(', ')}`;
}

function boundedSelect(server: ServerInfo, sql: string, ms: number): string {
  const bound = Math.max(1, Math.ceil(ms));
  if (server.flavour === 'mariadb') return `SET STATEMENT max_statement_time = ${(bound / 1000).toFixed(3)} FOR ${sql}`;
  return sql.replace(/^SELECT /, `SELECT /*+ MAX_EXECUTION_TIME(${bound}) */ `);
}

/** mysql2 keeps its socket as `stream` (not in its typings). */
const socketOf = (connection: Connection): Socket => (connection as unknown as { stream: Socket }).stream;

/** closeSocket() of mysql.session.ts: mysql2's destroy() only half-closes, so the socket is destroyed too. */
function closeSocket(connection: Connection): void {
  connection.destroy();
  socketOf(connection).destroy();
}
const quoteIdentifier = (name: string): string => `\`${name.replace(/`/g, '``')}\``;
const isOkPacket = (value: unknown): boolean => (value as object | null)?.constructor?.name === 'ResultSetHeader';

/** The service's budget for catalog operations (INTROSPECTION_TIMEOUT_MS): what `bounded` counts down from. */
const CATALOG_TIMEOUT_MS = 15_000;

/**
 * Lease.stream(): rows handed over as they arrive; when `row` answers false, the connection is
 * closed, unless the server sends at most `drainAfter` rows and has sent them (then the end is awaited).
 */
function stream(
  connection: Connection,
  options: QueryOptions,
  row: (row: unknown) => boolean,
  drainAfter = Infinity,
): Promise<{ fields: FieldPacket[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let received = 0;
    let draining = false;
    let fields: FieldPacket[] = [];
    const query = connection.query(options);
    query.on('fields', (found: FieldPacket[] | undefined) => found && (fields = found));
    query.on('result', (value: unknown) => {
      if (settled || draining) return;
      received += 1;
      if (row(value)) return;
      if (received >= drainAfter) {
        draining = true;
        return;
      }
      settled = true;
      closeSocket(connection);
      resolve({ fields, closed: true });
    });
    query.on('error', (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error instanceof Error ? error : new Error(String(error)));
    });
    query.on('end', () => {
      if (settled) return;
      settled = true;
      resolve({ fields, closed: false });
    });
  });
}

/** Lease.rows(): every row of a small result, as objects. */
async function rowsOf<T>(connection: Connection, sql: string, values?: unknown[]): Promise<T[]> {
  const rows: T[] = [];
  await stream(connection, { sql, values }, (row) => {
    if (!isOkPacket(row)) rows.push(row as T);
    return true;
  });
  return rows;
}

/** RowCollector without its byte budget (1,000 rows of 100 bytes are far below it): refuses row limit + 1. */
class Collector {
  readonly rows: unknown[][] = [];
  truncated = false;

  constructor(private readonly limit: number) {}

  /** As rowSink(): the OK packet of a statement without rows is no row. */
  readonly add = (row: unknown): boolean => {
    if (isOkPacket(row)) return true;
    if (this.truncated || this.rows.length >= this.limit) {
      this.truncated = true;
      return false;
    }
    this.rows.push(row as unknown[]);
    return true;
  };
}

function pickName(names: string[], asked: string): string | undefined {
  const unique = [...new Set(names)];
  if (unique.includes(asked)) return asked;
  const folded = unique.filter((name) => name.toLowerCase() === asked.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

const tableKey = (schema: string, table: string): string => `${schema}\0${table}`;

/** tablePageQuery() for a named schema and no search. */
function tablePageQuery(schema: string, offset: number, limit: number): { sql: string; values: unknown[] } {
  const where = 'TABLE_SCHEMA = ?';
  const sql = `SELECT c.total, s.found, p.TABLE_SCHEMA AS tableSchema, p.TABLE_NAME AS tableName
    FROM (SELECT COUNT(*) AS total FROM information_schema.TABLES WHERE ${where}) AS c
    CROSS JOIN (SELECT COUNT(*) AS found FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?) AS s
    LEFT JOIN (
      SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE ${where}
      ORDER BY TABLE_SCHEMA, TABLE_NAME, CAST(TABLE_NAME AS BINARY) LIMIT ? OFFSET ?
    ) AS p ON TRUE
    ORDER BY p.TABLE_SCHEMA, p.TABLE_NAME, CAST(p.TABLE_NAME AS BINARY)`;
  return { sql, values: [schema, schema, schema, Math.max(0, Math.floor(limit)), Math.max(0, Math.floor(offset))] };
}

const TABLE_KINDS_SQL = `SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName, TABLE_TYPE AS tableType
    FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) AND TABLE_NAME IN (?)`;
const TABLE_LOOKUP_SQL =
  'SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?';
const TABLE_KINDS: Record<string, string> = { 'BASE TABLE': 'TABLE', VIEW: 'VIEW', 'SYSTEM VIEW': 'SYSTEM_VIEW', SEQUENCE: 'SEQUENCE' };

function openConnection(target: MysqlTarget, extra: Partial<ConnectionOptions>): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const connection = mysql.createConnection({ ...connectionOptions(target), ...extra });
    connection.connect((error) => {
      if (error) return reject(error);
      // A late error (a closed connection's pending packets) must not be an unhandled 'error' event.
      connection.on('error', () => undefined);
      resolve(connection);
    });
  });
}

export interface RowsResult {
  /** As the driver describes them: the Fastify baseline names their types as the service does. */
  fields: FieldPacket[];
  rows: unknown[][];
  truncated: boolean;
}

/**
 * One pooled connection of the service's session, as a plain object: opened when needed (the
 * first time, and after the connector closed it), its settings applied once for catalog work.
 */
export class MysqlSession implements DirectSession {
  private connection?: Connection;
  /** Carries the catalog settings (the connector's `prepared` set). */
  private prepared = false;
  /** The reset after a user's statement, which the caller does not wait for. */
  private resetting: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: MysqlTarget,
    private server?: ServerInfo,
    /** Driver options beyond the connector's (the Fastify baseline's cell conversion). */
    private readonly extra: Partial<ConnectionOptions> = {},
  ) {}

  /** openMysqlClient()'s first statement, on a connection that is then not yet prepared. */
  async describeServer(): Promise<ServerInfo> {
    const [row] = await rowsOf<{ version: string; sqlMode: string }>(
      await this.open(),
      'SELECT VERSION() AS version, @@SESSION.sql_mode AS sqlMode',
    );
    const version = String(row?.version ?? '');
    this.server = { version, flavour: /mariadb/i.test(version) ? 'mariadb' : 'mysql', sqlMode: safeSqlMode(String(row?.sqlMode ?? '')) };
    return this.server;
  }

  /** A later session of a pool: the server as the pool's first session described it. */
  adopt(server: ServerInfo): void {
    this.server = server;
  }

  private async open(): Promise<Connection> {
    if (!this.connection) {
      this.connection = await openConnection(this.target, this.extra);
      this.prepared = false;
    }
    return this.connection;
  }

  /** withLease(client, context, {}): the settings when this connection has not had them yet. */
  private async catalogLease(): Promise<Connection> {
    const connection = await this.open();
    if (!this.prepared) {
      await rowsOf(connection, setupStatement(this.server!));
      this.prepared = true;
    }
    return connection;
  }

  private afterStream(connection: Connection, closed: boolean): void {
    if (closed && this.connection === connection) this.connection = undefined;
  }

  async listTables(
    schema: string,
    page: number,
    perPage: number,
  ): Promise<{ data: { name: string; schema: string; type: string }[]; total: number }> {
    const deadline = performance.now() + CATALOG_TIMEOUT_MS;
    const bounded = (sql: string) => boundedSelect(this.server!, sql, deadline - performance.now());
    const connection = await this.catalogLease();
    const { sql, values } = tablePageQuery(schema, (page - 1) * perPage, perPage);
    const rows = await rowsOf<{ total: string; found: string; tableSchema: string | null; tableName: string | null }>(
      connection,
      bounded(sql),
      values,
    );
    if (Number(rows[0]?.found ?? 0) === 0) throw new Error(`schema ${schema} not found`);
    const listed = rows.filter((row) => row.tableName !== null) as { tableSchema: string; tableName: string }[];
    const kinds = new Map<string, string>();
    if (listed.length) {
      const schemas = [...new Set(listed.map((row) => row.tableSchema))];
      const names = [...new Set(listed.map((row) => row.tableName))];
      const found = await rowsOf<{ tableSchema: string; tableName: string; tableType: string }>(connection, bounded(TABLE_KINDS_SQL), [
        schemas,
        names,
      ]);
      for (const row of found) kinds.set(tableKey(row.tableSchema, row.tableName), TABLE_KINDS[row.tableType] ?? 'TABLE');
    }
    return {
      data: listed.map((row) => ({
        name: row.tableName,
        schema: row.tableSchema,
        type: kinds.get(tableKey(row.tableSchema, row.tableName)) ?? 'TABLE',
      })),
      total: Number(rows[0]?.total ?? 0),
    };
  }

  /** The table looked up in the catalog, then limit + 1 rows read to their end (the connection is kept). */
  async preview(schema: string, table: string, limit: number): Promise<RowsResult> {
    const deadline = performance.now() + CATALOG_TIMEOUT_MS;
    const bounded = (sql: string) => boundedSelect(this.server!, sql, deadline - performance.now());
    const connection = await this.catalogLease();
    const rows = await rowsOf<{ tableSchema: string; tableName: string }>(connection, bounded(TABLE_LOOKUP_SQL), [schema, table]);
    const keys = rows.map((row) => tableKey(row.tableSchema, row.tableName));
    const found = rows[keys.indexOf(pickName(keys, tableKey(schema, table)) ?? '')];
    if (!found) throw new Error(`table ${schema}.${table} not found`);
    const sql = `SELECT * FROM ${quoteIdentifier(found.tableSchema)}.${quoteIdentifier(found.tableName)} LIMIT ${limit + 1}`;
    const sink = new Collector(limit);
    const result = await stream(connection, { sql: bounded(sql), rowsAsArray: true }, sink.add, limit + 1);
    this.afterStream(connection, result.closed);
    return { fields: result.fields, rows: sink.rows, truncated: sink.truncated };
  }

  /** withLease(…, { userStatementTimeoutMs }): fresh settings, the rows, then closed (cut short) or reset in the background. */
  async query(sql: string, limit: number, timeoutMs: number): Promise<RowsResult> {
    const connection = await this.open();
    this.prepared = false;
    await rowsOf(connection, setupStatement(this.server!, timeoutMs));
    const sink = new Collector(limit);
    const result = await stream(connection, { sql, rowsAsArray: true }, sink.add);
    this.afterStream(connection, result.closed);
    if (!result.closed) this.resetting = this.reset(connection);
    return { fields: result.fields, rows: sink.rows, truncated: sink.truncated };
  }

  /** Before the timing: connected, and for catalog work prepared, as the service's pool is after the probe and warm-up. */
  async start(work: TargetWork): Promise<void> {
    if (work.kind === 'query') await this.open();
    else await this.catalogLease();
  }

  /** resetAndRelease(): COM_RESET_CONNECTION; a connection that cannot be reset is closed instead. */
  private reset(connection: Connection): Promise<void> {
    return new Promise((resolve) =>
      connection.reset((error) => {
        if (error && this.connection === connection) {
          closeSocket(connection);
          this.connection = undefined;
        }
        resolve();
      }),
    );
  }

  run(work: TargetWork): Promise<unknown> {
    switch (work.kind) {
      case 'tables':
        return this.listTables(work.schema, 1 + Math.floor(Math.random() * work.pages), work.perPage);
      case 'preview':
        return this.preview(work.schema, work.table, work.limit);
      case 'query':
        return this.query(work.sql, work.limit, work.timeoutMs);
    }
  }

  ready(): Promise<void> {
    return this.resetting;
  }

  async close(): Promise<void> {
    await this.resetting;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await new Promise<void>((resolve) => connection.end(() => resolve()));
  }
}

/** `count` sessions ready for `work`; the server described once, on the first, as the connector does when it opens its pool. */
export async function openDirectSessions(target: MysqlTarget, count: number, work: TargetWork): Promise<DirectSession[]> {
  const first = new MysqlSession(target);
  const server = await first.describeServer();
  const sessions = [first, ...Array.from({ length: count - 1 }, () => new MysqlSession(target, server))];
  await Promise.all(sessions.map((session) => session.start(work)));
  return sessions;
}
