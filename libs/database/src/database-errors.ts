import { AppError, serviceUnavailable } from '@switchboard/common';

/** The driver's error code, raw or inside TypeORM's QueryFailedError. */
function driverCode(error: unknown): string | undefined {
  const driverError = (error as { driverError?: { code?: string } } | null)?.driverError ?? error;
  return (driverError as { code?: string } | null)?.code;
}

/** True for a unique-constraint violation on either driver. */
export function isUniqueViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True for a foreign-key violation on either driver: a row referring to one that is not there (any more). */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** What a client is told to wait before trying again while the metadata database is away. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** Socket and DNS failures on the way to the database server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * PostgreSQL: connection exceptions (class 08), insufficient resources (class 53: too many
 * connections, disk full...), the server shutting down, crashed or still starting (57P01-57P03),
 * an I/O error (58030), and a read-only transaction (25006: connected to a standby after a failover).
 */
const PG_SQLSTATE = /^(08...|53...|57P0[123]|58030|25006)$/;
/** SQLite: the file is locked past the busy timeout, cannot be opened, read or written, or the disk is full. */
const SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL)(_|$)/;
/** node-postgres and pg-pool say these without a code. */
const PG_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

/**
 * True when `error` says the metadata database could not be reached or used just now (connection
 * refused, reset or terminated, pool timeout, server restarting, file locked...), as opposed to a
 * query it answered with an error. Looks through TypeORM's QueryFailedError, `cause` and
 * AggregateError (one error per address tried).
 */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_SQLSTATE.test(code) || SQLITE_CODE.test(code))) return true;
  if (typeof message === 'string' && PG_MESSAGES.test(message)) return true;
  const inner = [driverError, cause, ...(Array.isArray(errors) ? errors : [])];
  return inner.some((candidate) => candidate !== error && isStoreUnavailable(candidate, depth + 1));
}

/** The ProblemFilter's translator: a request that failed because the store is away answers 503 with Retry-After. */
export function storeUnavailableProblem(error: unknown): AppError | undefined {
  if (error instanceof AppError || !isStoreUnavailable(error)) return undefined;
  return serviceUnavailable('The metadata database is not answering; retry shortly.', STORE_RETRY_AFTER_SECONDS);
}
