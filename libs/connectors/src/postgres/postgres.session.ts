import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { AppError } from '@switchboard/common';
import { Client, Pool, type ClientBase, type ClientConfig, type CustomTypesConfig, type PoolClient } from 'pg';
import type { ConnectorContext, ResolvedConnection, TestError } from '../connector';
import type { ResolvedTarget } from '../egress/egress-guard';
import { connectTarget } from '../egress/target-socket';
import { targetFailed, targetTimeout } from '../introspection/errors';
import type { IntrospectionContext } from '../introspection/types';
import { classifyNetworkError } from '../probes/network-errors';
import { messageOf, secretScrubber } from '../probes/test-run';
import type { Session } from '../sessions/session-cache';

/** SQLSTATE classes worth a precise code; the rest are protocol errors with the server's text. */
const SQLSTATE_CODES: Record<string, TestError['code']> = {
  '28P01': 'AUTH_FAILED',
  '28000': 'AUTH_FAILED',
  '3D000': 'NOT_FOUND',
  '42501': 'PERMISSION_DENIED',
  '57P03': 'CONNECTION_REFUSED',
};

/**
 * Our own session settings, sent in the startup packet: they become the session's reset
 * values, so a user's RESET ALL or a DISCARD ALL brings them back instead of the server's.
 * ISO dates, UTC instants and ISO 8601 intervals are what the cell rules expect; the
 * statement timeout is a backstop (each query sets its own, shorter one).
 */
const STARTUP_OPTIONS = [
  'TimeZone=UTC',
  'DateStyle=ISO',
  'IntervalStyle=iso_8601',
  'bytea_output=hex',
  // The statement checks parse strings this way (backslashes are plain characters outside E'...').
  'standard_conforming_strings=on',
  'extra_float_digits=3',
  'statement_timeout=60000',
  'idle_in_transaction_session_timeout=60000',
]
  .map((setting) => `-c ${setting}`)
  .join(' ');

export const CONNECT_TIMEOUT_MS = 5_000;
const POOL_SIZE = 2;
const POOL_IDLE_MS = 60_000;

/** Every value arrives as the server's text; postgres.cells.ts turns it into a cell by its type. */
const identity = (value: string): string => value;
export const SERVER_TEXT: CustomTypesConfig = { getTypeParser: (() => identity) as CustomTypesConfig['getTypeParser'] };

/** libpq's sslmode, spelled out for node's TLS: connect to the checked address, verify the name. */
export function postgresTls(config: Record<string, unknown>, secrets: Record<string, string>): false | ConnectionOptions {
  const mode = String(config.sslMode ?? 'require');
  if (mode === 'disable') return false;
  const clientCert = secrets.tlsCert && secrets.tlsKey ? { cert: secrets.tlsCert, key: secrets.tlsKey } : {};
  // SNI and the name check use the configured host name; for an IP host node checks the IP itself.
  const name = net.isIP(String(config.host)) ? {} : { servername: String(config.host) };
  if (mode === 'require') return { rejectUnauthorized: false, ...name, ...clientCert };
  const ca = secrets.tlsCa ? { ca: secrets.tlsCa } : {};
  if (mode === 'verify-ca') return { rejectUnauthorized: true, ...name, checkServerIdentity: () => undefined, ...ca, ...clientCert };
  return { rejectUnauthorized: true, ...name, ...ca, ...clientCert };
}

/** Connect errors to the codes of a connection test. */
export function classifyPostgresError(error: unknown, where: string): TestError {
  const sqlstate = (error as { code?: unknown } | null)?.code;
  if (typeof sqlstate === 'string' && SQLSTATE_CODES[sqlstate]) return { code: SQLSTATE_CODES[sqlstate], message: messageOf(error) };
  // pg reports its own connect and query deadlines as plain errors.
  if (/^timeout expired$|connection timeout|Query read timeout/i.test(messageOf(error))) {
    return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
  }
  // Both ways TLS settings disagree say what to change, not only what the server said.
  if (/does not support SSL/i.test(messageOf(error))) {
    return {
      code: 'TLS_ERROR',
      message:
        `${where} does not accept TLS connections, and sslMode (require by default) asks for TLS: ` +
        'set sslMode to disable to connect without encryption, or enable TLS on the server (ssl = on).',
    };
  }
  if (/SSL off|no pg_hba.conf entry .* no encryption/i.test(messageOf(error))) {
    return {
      code: 'TLS_ERROR',
      message: `${messageOf(error)}. If the server accepts only TLS connections, set sslMode to require, verify-ca or verify-full.`,
    };
  }
  return classifyNetworkError(error, where);
}

export const targetOf = (connection: ResolvedConnection): { host: string; port: number; where: string } => {
  const host = String(connection.config.host);
  const port = Number(connection.config.port ?? 5432);
  return { host, port, where: `${host}:${port}` };
};

/** The configured database (tests and the '' session use it). */
export const configuredDatabase = (connection: ResolvedConnection): string =>
  typeof connection.config.database === 'string' ? connection.config.database : 'postgres';

/**
 * Client settings shared by connection tests and pools: the checked address (or, through a
 * tunnel, a new channel for every client), TLS for the configured name, and nothing from the
 * environment (a password given as a function keeps pg from falling back to PGPASSWORD or
 * ~/.pgpass of this service).
 */
export function clientConfig(
  connection: ResolvedConnection,
  target: ResolvedTarget,
  database = configuredDatabase(connection),
): ClientConfig {
  const { config, secrets } = connection;
  const { openStream } = target;
  return {
    host: target.address,
    port: targetOf(connection).port,
    // pg calls it for each client it makes, so every client of a pool has a channel of its own.
    ...(openStream ? { stream: () => openStream() } : {}),
    user: typeof config.username === 'string' ? config.username : undefined,
    password: () => secrets.password ?? '',
    database,
    ssl: postgresTls(config, secrets),
    application_name: 'switchboard',
  };
}

/** What a failure to reach or log in to the target becomes for an introspection call. */
export function connectFailure(error: unknown, connection: ResolvedConnection, signal: AbortSignal): AppError {
  if (error instanceof AppError) return error;
  const { where } = targetOf(connection);
  if (signal.aborted) return targetTimeout(where);
  const testError = classifyPostgresError(error, where);
  return targetFailed({ code: testError.code, message: secretScrubber(connection.secrets)(testError.message) });
}

/**
 * A small pool for one database of the connection, connected once before it is handed to the
 * session cache (so a wrong password is not cached). Every connection goes to the address
 * the egress guard checked when the pool was opened.
 */
export async function openPool(connection: ResolvedConnection, context: ConnectorContext, database?: string): Promise<Session<Pool>> {
  const { host, port } = targetOf(connection);
  const target = await context.egress.resolve(host, port, context.signal).catch((error: unknown) => {
    throw connectFailure(error, connection, context.signal);
  });
  const connecting = new Set<Client>();
  const pool = new Pool({
    ...clientConfig(connection, target, database),
    options: STARTUP_OPTIONS,
    types: SERVER_TEXT,
    max: POOL_SIZE,
    idleTimeoutMillis: POOL_IDLE_MS,
    // pg-pool would apply its connect timeout to waiting for a busy pool's client too, and answer a
    // healthy target's third concurrent call with an error: the wait is bounded by the operation's
    // deadline instead, and each new connection by the client's own timeout.
    connectionTimeoutMillis: 0,
    Client: connectBoundedClient(connecting) as unknown as new () => ClientBase,
    allowExitOnIdle: true,
  });
  cancelRoutes.set(pool, { target, port });
  // An idle client whose server went away: the pool drops it, nothing else to do.
  pool.on('error', () => undefined);
  // A borrowed one (its backend terminated, the server restarted mid-query): the running query
  // fails with the error and the pool drops the client on release. Unheard, the client's 'error'
  // event would end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  // Closing never waits for a connect still in flight (it could take CONNECT_TIMEOUT_MS): that socket is cut.
  const close = (): Promise<void> => {
    for (const client of connecting) abandonConnect(client);
    return pool.end();
  };
  try {
    const client = await borrow(pool, context.signal);
    client.release();
  } catch (error) {
    void close().catch(() => undefined);
    throw connectFailure(error, connection, context.signal);
  }
  const poolStats = () => ({ type: 'postgres', total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  return { client: pool, close, poolStats };
}

/**
 * Clients that give up connecting (TCP, TLS, login) after CONNECT_TIMEOUT_MS, the pool's cap
 * whatever the deadline of the call that made it connect: a call whose deadline comes first
 * stops waiting (see borrow), and the connect goes on for the pool. `connecting` holds those
 * still connecting, so closing the pool can cut them at once.
 */
function connectBoundedClient(connecting: Set<Client>): new (config: ClientConfig) => Client {
  return class ConnectBoundedClient extends Client {
    constructor(config: ClientConfig) {
      // pg-pool hands over its own options, the password non-enumerable: extend them, a copy would lose it.
      super(Object.create(config, { connectionTimeoutMillis: { value: CONNECT_TIMEOUT_MS } }) as ClientConfig);
      connecting.add(this);
      const settled = () => connecting.delete(this);
      this.once('connect', settled);
      this.once('end', settled);
    }
  };
}

/** Fails a connect in flight at once, as pg's own connect timeout does: its socket closes and pg-pool drops the client. */
function abandonConnect(client: Client): void {
  cutConnection(client, new Error('connect abandoned'));
}

/**
 * Closes the client's socket with `error`, which fails whatever pg waits for (connect, login,
 * query) with it. `client.end()` cannot stop a connect: pg then drops the connect's callback,
 * and the connect promise never settles.
 */
export function cutConnection(client: Client, error: Error): void {
  const connection = (client as unknown as { connection: { _ending: boolean; stream: { destroy(error: Error): void } } }).connection;
  connection._ending = true;
  connection.stream.destroy(error);
}

/** A client from the pool, or an AbortError once the signal fires (a client arriving late is destroyed). */
function borrow(pool: Pool, signal: AbortSignal): Promise<PoolClient> {
  if (signal.aborted) return Promise.reject(new DOMException('aborted', 'AbortError'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new DOMException('aborted', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    pool.connect().then(
      (client) => {
        signal.removeEventListener('abort', onAbort);
        // Nothing ran on it: it goes back to the pool as it came.
        if (signal.aborted) client.release();
        else resolve(client);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A borrowed client; `destroy` closes it instead of returning it (state unknown, or the call was aborted). */
export interface Borrowed {
  client: PoolClient;
  destroy(): void;
}

/** PostgreSQL's CancelRequest code (protocol 3.0, 4-byte key as pg negotiates). */
const CANCEL_REQUEST_CODE = 80877102;

/** Where each pool's cancel requests go: the target its clients connect to, the same way. */
const cancelRoutes = new WeakMap<Pool, { target: ResolvedTarget; port: number }>();

/**
 * Asks the server to cancel what `client` runs, over a new connection to the pool's checked
 * target (through its tunnel, if it has one), as libpq's PQcancel does. Best effort: errors are ignored.
 */
function cancelRunning(pool: Pool, client: PoolClient): void {
  const route = cancelRoutes.get(pool);
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
  if (!route || typeof processID !== 'number' || typeof secretKey !== 'number') return;
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(processID, 8);
  packet.writeInt32BE(secretKey, 12);
  const socket = connectTarget(route.target, route.port);
  socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => undefined);
  socket.once('connect', () => socket.end(packet));
}

/**
 * Runs `work` on a client of the pool. When the operation's deadline passes, the running
 * statement is cancelled on the server and the client destroyed (its socket closed) rather
 * than returned in an unknown state.
 */
export async function withClient<R>(pool: Pool, signal: AbortSignal, work: (borrowed: Borrowed) => Promise<R>): Promise<R> {
  const client = await borrow(pool, signal);
  let released = false;
  const destroy = () => {
    if (released) return;
    released = true;
    client.release(true);
  };
  const abort = () => {
    if (released) return;
    cancelRunning(pool, client);
    destroy();
  };
  signal.addEventListener('abort', abort, { once: true });
  try {
    return await work({ client, destroy });
  } finally {
    signal.removeEventListener('abort', abort);
    if (!released) {
      released = true;
      client.release();
    }
  }
}

/** The session variant for `database`: '' for the configured one. */
export function variantFor(connection: ResolvedConnection, database?: string): string {
  return database === undefined || database === configuredDatabase(connection) ? '' : `db:${database}`;
}

/**
 * Borrows a client of the cached pool for `database` (the configured one when absent) and runs
 * `work`; errors that are not already AppErrors become target failures, scrubbed.
 */
/** A pool used once and closed: for sweeps over many databases, which would crowd the session cache. */
async function once<R>(
  connection: ResolvedConnection,
  context: IntrospectionContext,
  database: string | undefined,
  work: (borrowed: Borrowed) => Promise<R>,
): Promise<R> {
  const session = await openPool(connection, context, database);
  try {
    return await withClient(session.client, context.signal, work);
  } finally {
    await session.close();
  }
}

export async function onDatabase<R>(
  connection: ResolvedConnection,
  context: IntrospectionContext,
  database: string | undefined,
  work: (borrowed: Borrowed) => Promise<R>,
  options: { cache: boolean } = { cache: true },
): Promise<R> {
  const variant = variantFor(connection, database);
  const name = variant === '' ? undefined : database;
  try {
    if (variant !== '' && !options.cache) return await once(connection, context, name, work);
    return await context.session(
      variant,
      () => openPool(connection, context, name),
      (pool: Pool) => withClient(pool, context.signal, work),
    );
  } catch (error) {
    throw connectFailure(error, connection, context.signal);
  }
}
