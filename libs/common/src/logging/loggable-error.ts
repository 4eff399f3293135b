/**
 * The fields of an error a log line may carry besides its type, message and stack: codes
 * (errno, SQLSTATE, SQLITE_...), the socket call that failed, the statement text and where it
 * failed. Nothing else is copied: a TypeORM QueryFailedError carries the statement's
 * `parameters` (API-key and password hashes, secret envelopes) and its `driverError`, whose
 * PostgreSQL `detail`, `where` and `internalQuery` repeat parameter values ("Key (key_hash)=(...)
 * already exists"); other errors carry request options, headers or configs.
 */
const KEPT_FIELDS = [
  'code',
  'errno',
  'syscall',
  'address',
  'port',
  'status',
  'statusCode',
  'severity',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
  'query',
] as const;

/** What stands in a message for a query parameter's value. */
export const HIDDEN_PARAMETER = '[query parameter]';
/** Shorter parameters (a slug, a flag) stay in messages: no secret the store keeps is this short. */
const MIN_HIDDEN_LENGTH = 8;
const MAX_CAUSE_DEPTH = 4;

/**
 * An error as a log line may show it (pino's std serializer would copy every enumerable
 * property). A query parameter's value is also cut out of the message and stack, where
 * PostgreSQL may repeat it ('invalid input syntax for type uuid: "..."'), and out of its causes'.
 */
export function loggableError(error: Error, hidden: readonly string[] = [], depth = 0): Record<string, unknown> {
  const fields = error as unknown as Record<string, unknown>;
  const values = [...hidden, ...parameterValues(fields.parameters)].sort((a, b) => b.length - a.length);
  const hide = (text: string) => values.reduce((out, value) => out.split(value).join(HIDDEN_PARAMETER), text);
  const out: Record<string, unknown> = { type: error.constructor?.name || error.name, message: hide(String(error.message)) };
  if (typeof error.stack === 'string') out.stack = hide(error.stack);
  for (const key of KEPT_FIELDS) {
    const value = fields[key];
    if (typeof value === 'string') out[key] = hide(value);
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  if (depth < MAX_CAUSE_DEPTH) {
    if (error.cause instanceof Error && error.cause !== error) out.cause = loggableError(error.cause, values, depth + 1);
    if (Array.isArray(fields.errors)) {
      const inner = fields.errors.filter((item): item is Error => item instanceof Error && item !== error).slice(0, 10);
      if (inner.length) out.errors = inner.map((item) => loggableError(item, values, depth + 1));
    }
  }
  return out;
}

function parameterValues(parameters: unknown): string[] {
  if (!Array.isArray(parameters)) return [];
  return parameters.flatMap((value) => {
    const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
    return text !== undefined && text.length >= MIN_HIDDEN_LENGTH ? [text] : [];
  });
}
