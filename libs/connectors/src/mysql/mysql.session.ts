import { AppError, ErrorCode } from '@switchboard/common';
import mysql, { type FieldPacket, type Pool, type PoolConnection, type QueryOptions } from 'mysql2';
import type { ConnectorContext, ResolvedConnection } from '../connector';
import { queryFailed, readOnlyViolation, targetFailed, targetTimeout } from '../introspection/errors';
import { classifyNetworkError } from '../probes/network-errors';
import { messageOf, secretScrubber } from '../probes/test-run';
import type { TargetSocket } from '../egress/target-socket';
import type { Session } from '../sessions/session-cache';
import { classifyMysqlError, mysqlConnectionOptions } from './mysql.client';

export const CONNECT_TIMEOUT_MS = 5_000;
const POOL_SIZE = 2;
/** How long closing (COM_QUIT) or resetting a connection may take before its socket is just closed. */
const GOODBYE_MS = 1_000;
const RESET_MS = 5_000;

export type MysqlFlavour = 'mariadb' | 'mysql';

/** A session's live client: a small pool to the checked address, and what the server said about itself. */
export interface MysqlClient {
  pool: Pool;
  flavour: MysqlFlavour;
  version: string;
  /** The session's sql_mode without the modes that change how quotes and backslashes read (see mysql.statement.ts). */
  sqlMode: string;
  /** host:port, for messages. */
  where: string;
  /** Removes the connection's secrets from a message. */
  scrub(message: string): string;
  /** The pool's open connections (at most POOL_SIZE): what closing the session cuts. */
  connections: ReadonlySet<PoolConnection>;
  /** Of those, the ones back in the pool (for metrics). */
  idle: ReadonlySet<PoolConnection>;
  /** Callers waiting for a connection of the pool (for metrics). */
  waiting: number;
}

/**
 * sql_mode entries that change the lexer: NO_BACKSLASH_ESCAPES (a backslash ends nothing),
 * ANSI_QUOTES ("…" is an identifier), and the combined modes that include ANSI_QUOTES.
 * Removing them makes both the read-only check and mysql2's client-side escaping of bound
 * values read SQL as the server will.
 */
const LEXER_MODES = new Set(['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES', 'ANSI', 'DB2', 'MAXDB', 'MSSQL', 'ORACLE', 'POSTGRESQL']);

export const safeSqlMode = (mode: string): string =>
  mode
    .split(',')
    .map((entry) => entry.trim().toUpperCase())
    .filter((entry) => /^[A-Z0-9_]+$/.test(entry) && !LEXER_MODES.has(entry))
    .join(',');

const abortError = (): Error => Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
const isAbort = (error: unknown): boolean => (error as { name?: unknown } | null)?.name === 'AbortError';

/** Opens the session's pool and checks it with one connection (the first failure is the caller's answer). */
export async function openMysqlClient(connection: ResolvedConnection, context: ConnectorContext): Promise<Session<MysqlClient>> {
  const { config, secrets } = connection;
  const host = String(config.host);
  const port = Number(config.port ?? 3306);
  const where = `${host}:${port}`;
  const scrub = secretScrubber(secrets);
  const target = await context.egress.resolve(host, port, context.signal).catch((error: unknown) => {
    const testError = classifyNetworkError(error, where);
    throw targetFailed({ code: testError.code, message: scrub(testError.message) });
  });
  // Every socket the pool opens, connecting ones included: a connect a call gave up on must not outlive the pool.
  const sockets = new Set<TargetSocket>();
  const track = (socket: TargetSocket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const pool = mysql.createPool({
    ...mysqlConnectionOptions(config, secrets, target, CONNECT_TIMEOUT_MS, track),
    connectionLimit: POOL_SIZE,
    maxIdle: POOL_SIZE,
    waitForConnections: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    jsonStrings: true,
  });
  const { live: connections, idle } = trackConnections(pool);
  const close = () => closePool(pool, connections, sockets);
  const client: MysqlClient = { pool, flavour: 'mysql', version: '', sqlMode: '', where, scrub, connections, idle, waiting: 0 };
  try {
    const [server] = await withLease(client, context, { prepare: false }, (lease) =>
      lease.rows<{ version: string; sqlMode: string }>(context, 'SELECT VERSION() AS version, @@SESSION.sql_mode AS sqlMode'),
    );
    client.version = String(server?.version ?? '');
    client.flavour = /mariadb/i.test(client.version) ? 'mariadb' : 'mysql';
    client.sqlMode = safeSqlMode(String(server?.sqlMode ?? ''));
  } catch (error) {
    // A session that never served: no goodbye to wait for, and a connect still in flight is cut now.
    for (const socket of sockets) socket.destroy();
    void close();
    throw error;
  }
  const poolStats = () => ({ type: 'mysql', total: connections.size, idle: idle.size, waiting: client.waiting });
  return { client, close, poolStats };
}

/**
 * Every live connection of the pool, so closing can cut the ones that do not say goodbye in
 * time, and which of them are idle (mysql2 keeps its own lists private).
 */
function trackConnections(pool: Pool): { live: Set<PoolConnection>; idle: Set<PoolConnection> } {
  const live = new Set<PoolConnection>();
  const idle = new Set<PoolConnection>();
  pool.on('connection', (connection) => {
    live.add(connection);
    const gone = () => {
      live.delete(connection);
      idle.delete(connection);
    };
    // A late error (the server going away) must not be an unhandled 'error' event.
    connection.on('error', gone);
    connection.on('end', gone);
    // A socket we destroyed (closeSocket) closes without 'end': without this the set would keep every discarded connection.
    (connection as unknown as { stream?: NodeJS.EventEmitter }).stream?.once('close', gone);
  });
  pool.on('acquire', (connection) => idle.delete(connection));
  pool.on('release', (connection) => {
    if (live.has(connection)) idle.add(connection);
  });
  return { live, idle };
}

async function closePool(pool: Pool, live: Set<PoolConnection>, sockets: Set<TargetSocket>): Promise<void> {
  const ended = new Promise<void>((resolve) => pool.end(() => resolve()));
  await Promise.race([ended, new Promise<void>((resolve) => setTimeout(resolve, GOODBYE_MS).unref())]);
  for (const connection of live) closeSocket(connection);
  // Connections still connecting are not the pool's yet: their sockets are cut too.
  for (const socket of sockets) socket.destroy();
}

/**
 * mysql2's `destroy()` only half-closes (`stream.end()`): a server in the middle of a result
 * would go on sending all of it, and the client on parsing it. Destroying the socket stops both.
 */
function closeSocket(connection: PoolConnection): void {
  connection.destroy();
  (connection as unknown as { stream?: { destroy?: () => void } }).stream?.destroy?.();
}

/** MariaDB (all versions) and MySQL before 5.7.20 call it tx_read_only; MySQL 8 knows only transaction_read_only. */
function readOnlyVariable(client: MysqlClient): string {
  if (client.flavour === 'mariadb') return 'tx_read_only';
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)\.(\d+)/.exec(client.version) ?? []).slice(1).map(Number);
  return major * 10_000 + minor * 100 + patch < 50_720 ? 'tx_read_only' : 'transaction_read_only';
}

/** Our session settings, applied to a new connection and again after every reset (COM_RESET_CONNECTION restores the server's). */
function setupStatement(client: MysqlClient, statementTimeoutMs?: number): string {
  const mariadb = client.flavour === 'mariadb';
  const settings = [
    'NAMES utf8mb4',
    // TIMESTAMP values are sent in the session's zone: UTC, so the cells can say "Z".
    "SESSION time_zone = '+00:00'",
    `SESSION sql_mode = '${client.sqlMode}'`,
    'SESSION autocommit = 1',
    // Every statement is then its own READ ONLY transaction: the server refuses DML, DDL,
    // temporary tables and writing functions with error 1792.
    `SESSION ${readOnlyVariable(client)} = 1`,
  ];
  if (statementTimeoutMs !== undefined) {
    const ms = Math.max(1, Math.ceil(statementTimeoutMs));
    // MariaDB stops any statement; MySQL's max_execution_time covers SELECT only (the allowlist is mostly SELECTs).
    settings.push(mariadb ? `SESSION max_statement_time = ${(ms / 1000).toFixed(3)}` : `SESSION max_execution_time = ${ms}`);
  }
  return `SET ${settings.join(', ')}`;
}

/** One of our own SELECTs with a server-side timeout of `ms`. */
export function boundedSelect(client: MysqlClient, sql: string, ms: number): string {
  const bound = Math.max(1, Math.ceil(ms));
  if (client.flavour === 'mariadb') return `SET STATEMENT max_statement_time = ${(bound / 1000).toFixed(3)} FOR ${sql}`;
  return sql.replace(/^SELECT /, `SELECT /*+ MAX_EXECUTION_TIME(${bound}) */ `);
}

/** Connections that already carry setupStatement() without a timeout (forgotten on reset). */
const prepared = new WeakSet<PoolConnection>();

export interface StreamHandlers {
  fields?(fields: FieldPacket[]): void;
  /** False: enough, stop reading. */
  row(row: unknown): boolean;
}

/** One pooled connection borrowed for one operation. */
export class Lease {
  private discarded = false;

  constructor(
    readonly client: MysqlClient,
    readonly connection: PoolConnection,
  ) {}

  get usable(): boolean {
    return !this.discarded;
  }

  /** Closes the connection instead of returning it: the server stops sending, and nothing of the session survives. */
  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    closeSocket(this.connection);
  }

  /**
   * Runs one statement, handing rows over as they arrive (never buffered). When `row`
   * answers false the rest is not read: the connection is discarded, unless the server
   * will send at most `drainAfter` rows and has sent them already (then the end is awaited).
   * Aborting discards the connection too.
   */
  stream(context: ConnectorContext, options: QueryOptions, handlers: StreamHandlers, drainAfter = Infinity): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let received = 0;
      let draining = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        context.signal.removeEventListener('abort', onAbort);
        this.connection.removeListener('error', settle);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => {
        this.discard();
        settle(abortError());
      };
      if (context.signal.aborted || !this.usable) return onAbort();
      context.signal.addEventListener('abort', onAbort, { once: true });
      // A connection lost mid-statement (killed, server restarted) is reported on the connection
      // only: mysql2 tells a query without a callback nothing, and it would wait for the deadline.
      this.connection.once('error', settle);
      const query = this.connection.query(options);
      // A statement without rows reports `undefined` fields and an OK packet as its one result.
      query.on('fields', (fields: FieldPacket[] | undefined) => fields && handlers.fields?.(fields));
      query.on('result', (row: unknown) => {
        if (settled || draining) return;
        received += 1;
        if (handlers.row(row)) return;
        if (received >= drainAfter) {
          draining = true;
          return;
        }
        this.discard();
        settle();
      });
      query.on('error', (error: unknown) => settle(error));
      query.on('end', () => settle());
    });
  }

  /** All rows of a small result (catalog pages, settings), as objects. */
  async rows<T>(context: ConnectorContext, sql: string, values?: unknown[]): Promise<T[]> {
    const rows: T[] = [];
    const collect = (row: unknown): boolean => {
      if (!isOkPacket(row)) rows.push(row as T);
      return true;
    };
    await this.stream(context, { sql, values }, { row: collect });
    return rows;
  }
}

/** The one "row" of a statement that returns none. */
export const isOkPacket = (value: unknown): boolean => (value as object | null)?.constructor?.name === 'ResultSetHeader';

export interface LeaseOptions {
  /** Apply the session settings (false only for the first look at a new server). */
  prepare?: boolean;
  /** The lease runs a user's statement with this timeout: settings are applied fresh, and the session is reset afterwards. */
  userStatementTimeoutMs?: number;
}

/**
 * Borrows a connection of the session's pool for `work`, with the session settings applied,
 * and gives it back. After a user's statement the connection is reset (COM_RESET_CONNECTION:
 * user variables, temporary tables, locks, session variables, prepared statements all go)
 * before another caller can have it, or discarded when it cannot be reset.
 */
export async function withLease<R>(
  client: MysqlClient,
  context: ConnectorContext,
  options: LeaseOptions,
  work: (lease: Lease) => Promise<R>,
): Promise<R> {
  const lease = new Lease(client, await acquire(client, context));
  const userStatement = options.userStatementTimeoutMs !== undefined;
  try {
    if (userStatement || (options.prepare !== false && !prepared.has(lease.connection))) {
      // Connecting spent part of the deadline: the statement gets at most what is left.
      const statementTimeoutMs = userStatement ? Math.min(options.userStatementTimeoutMs!, context.remainingMs()) : undefined;
      await lease.stream(context, { sql: setupStatement(client, statementTimeoutMs) }, { row: () => true });
      if (!userStatement) prepared.add(lease.connection);
    }
    return await work(lease);
  } catch (error) {
    // A connection the error left unusable must not go back to the pool.
    if ((error as { fatal?: unknown } | null)?.fatal) lease.discard();
    throw mysqlFailure(client, error);
  } finally {
    if (userStatement) resetAndRelease(lease);
    else if (lease.usable) lease.connection.release();
  }
}

function acquire(client: MysqlClient, context: ConnectorContext): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    if (context.signal.aborted) return reject(targetTimeout(client.where));
    let settled = false;
    const onAbort = () => {
      settled = true;
      reject(targetTimeout(client.where));
    };
    context.signal.addEventListener('abort', onAbort, { once: true });
    client.waiting++;
    client.pool.getConnection((error, connection) => {
      client.waiting--;
      context.signal.removeEventListener('abort', onAbort);
      // Too late: the connection goes back to the pool for the next caller.
      if (settled) return connection?.release();
      settled = true;
      if (error) {
        const testError = classifyMysqlError(error, client.where);
        reject(targetFailed({ code: testError.code, message: client.scrub(testError.message) }));
      } else resolve(connection);
    });
  });
}

/** In the background: the caller has its answer; the connection is only free again once clean. */
function resetAndRelease(lease: Lease): void {
  const { connection } = lease;
  prepared.delete(connection);
  if (!lease.usable) return;
  const timer = setTimeout(() => lease.discard(), RESET_MS);
  timer.unref();
  connection.reset((error) => {
    clearTimeout(timer);
    if (!lease.usable) return;
    if (error) lease.discard();
    else connection.release();
  });
}

/** Server errors worth their own answer; everything else a server says about a statement is QUERY_FAILED. */
const READ_ONLY_ERRNOS = new Set([
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1290, // ER_OPTION_PREVENTS_STATEMENT (e.g. --read-only, Aurora replicas)
  1836, // ER_READ_ONLY_MODE
]);
const TIMEOUT_ERRNOS = new Set([
  1969, // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
  3024, // ER_QUERY_TIMEOUT (MySQL max_execution_time)
]);

/** Any failure of an operation as the AppError the client sees, scrubbed. */
export function mysqlFailure(client: MysqlClient, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isAbort(error)) return targetTimeout(client.where);
  const { errno, sqlState, fatal } = (error ?? {}) as { errno?: unknown; sqlState?: unknown; fatal?: unknown };
  const message = client.scrub(messageOf(error));
  if (typeof errno === 'number' && READ_ONLY_ERRNOS.has(errno))
    return readOnlyViolation(`Queries are read-only; the server refused this one: ${message}`);
  if (typeof errno === 'number' && TIMEOUT_ERRNOS.has(errno)) {
    return new AppError(ErrorCode.TARGET_TIMEOUT, `The statement ran past its timeout and was stopped by the server: ${message}`);
  }
  if (typeof sqlState === 'string' && !fatal) return queryFailed(message);
  const testError = classifyMysqlError(error, client.where);
  return targetFailed({ code: testError.code, message: client.scrub(testError.message) });
}
