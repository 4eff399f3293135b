import net from 'node:net';
import type { ConnectionOptions, SslOptions } from 'mysql2';
import type { ConnectionConfig, Secrets } from '../connection-type';
import type { TestError, TestErrorCode } from '../connector';
import type { ResolvedTarget } from '../egress/egress-guard';
import { connectTarget, type TargetSocket } from '../egress/target-socket';
import { classifyNetworkError } from '../probes/network-errors';
import { messageOf } from '../probes/test-run';

/**
 * Server error numbers worth a precise code. Matched by number, not by mysql2's `code`:
 * mysql2 names numbers after MySQL's table, and MariaDB's own numbers (>= 1900) can collide.
 */
const SERVER_ERRNOS: Record<number, TestErrorCode> = {
  1040: 'CONNECTION_REFUSED', // ER_CON_COUNT_ERROR: too many connections
  1044: 'PERMISSION_DENIED', // ER_DBACCESS_DENIED_ERROR: no access to that database (also an unknown one, for most users)
  1045: 'AUTH_FAILED', // ER_ACCESS_DENIED_ERROR
  1049: 'NOT_FOUND', // ER_BAD_DB_ERROR
  1130: 'PERMISSION_DENIED', // ER_HOST_NOT_PRIVILEGED: this client host may not connect
  1698: 'AUTH_FAILED', // ER_ACCESS_DENIED_NO_PASSWORD_ERROR (MySQL)
  1862: 'AUTH_FAILED', // ER_MUST_CHANGE_PASSWORD_LOGIN: the password expired
  3159: 'TLS_ERROR', // ER_SECURE_TRANSPORT_REQUIRED (MySQL)
};

/** mysql2's own codes, for errors raised on the client side. */
const CLIENT_CODES: Record<string, TestErrorCode> = {
  HANDSHAKE_SSL_ERROR: 'TLS_ERROR',
  HANDSHAKE_NO_SSL_SUPPORT: 'TLS_ERROR',
  PROTOCOL_SEQUENCE_TIMEOUT: 'TIMEOUT',
};

/**
 * TLS for `ssl: true`, as the type's schema promises: the server certificate must chain to
 * tlsCa, or to the system CAs when no tlsCa is given, and must name the configured host
 * (MySQL's VERIFY_IDENTITY). There is no "encrypt only" mode: without a CA a self-signed
 * server fails with TLS_ERROR. A client certificate is sent when tlsCert and tlsKey are both set.
 * mysql2 takes the SNI name and the name it verifies from `host` (see mysqlConnectionOptions).
 */
export function mysqlTls(config: ConnectionConfig, secrets: Secrets): SslOptions | undefined {
  if (config.ssl !== true) return undefined;
  return {
    rejectUnauthorized: true,
    verifyIdentity: true,
    ...(secrets.tlsCa ? { ca: secrets.tlsCa } : {}),
    ...(secrets.tlsCert && secrets.tlsKey ? { cert: secrets.tlsCert, key: secrets.tlsKey } : {}),
  };
}

/**
 * The only way Switchboard opens a MySQL/MariaDB connection: to the checked address, with
 * no free-form options (DESIGN §3). mysql2 is given the host *name* (for SNI and the
 * certificate check) but never dials it: `stream` opens the socket to `target.address`
 * (or a channel of its tunnel, one per connection of a pool), so there is no second DNS
 * lookup to rebind. One statement per query (no
 * MULTI_STATEMENTS), no LOCAL INFILE (flag off, no stream factory), dates in UTC.
 */
export function mysqlConnectionOptions(
  config: ConnectionConfig,
  secrets: Secrets,
  target: ResolvedTarget,
  timeoutMs: number,
  onSocket?: (socket: TargetSocket) => void,
): ConnectionOptions {
  const port = Number(config.port ?? 3306);
  return {
    host: target.host,
    port,
    stream: () => {
      const socket = connectTarget(target, port);
      socket.setNoDelay(true);
      // Node's TLS verifies `servername || host || socket._host`; mysql2 sends no servername
      // for an IP literal and passes no host, so without this an IP target would be checked
      // against the name "localhost". The address is the host then (or its normalised form).
      if (net.isIP(target.host)) Object.assign(socket, { _host: target.address });
      onSocket?.(socket);
      return socket;
    },
    user: typeof config.username === 'string' ? config.username : undefined,
    password: secrets.password,
    database: typeof config.database === 'string' && config.database !== '' ? config.database : undefined,
    ssl: mysqlTls(config, secrets),
    connectTimeout: Math.max(1, Math.floor(timeoutMs)),
    multipleStatements: false,
    flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
    infileStreamFactory: undefined,
    enableCleartextPlugin: false,
    timezone: 'Z',
    connectAttributes: { program_name: 'switchboard' },
  };
}

/** Connect (and connection) errors to the codes of a connection test. */
export function classifyMysqlError(error: unknown, where: string): TestError {
  const { errno, code } = (error ?? {}) as { errno?: unknown; code?: unknown };
  const message = messageOf(error);
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return {
      code: 'TLS_ERROR',
      message: `${where} does not support TLS, and ssl is true: set ssl to false to connect without encryption, or enable TLS on the server.`,
    };
  }
  if (errno === 3159 || /insecure transport|secure transport/i.test(message)) {
    // MariaDB's number for "insecure transport prohibited" differs from MySQL's; its text does not.
    return { code: 'TLS_ERROR', message: `${message} The server accepts only TLS connections: set ssl to true.` };
  }
  if (typeof errno === 'number' && SERVER_ERRNOS[errno]) return { code: SERVER_ERRNOS[errno], message };
  if (typeof code === 'string' && CLIENT_CODES[code] === 'TLS_ERROR')
    return { code: 'TLS_ERROR', message: `TLS with ${where} failed: ${message}` };
  if (typeof code === 'string' && CLIENT_CODES[code] === 'TIMEOUT')
    return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
  // ETIMEDOUT (mysql2's connect timeout), aborts, resets and the like.
  return classifyNetworkError(error, where);
}
