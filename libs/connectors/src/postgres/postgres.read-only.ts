import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AppError, ErrorCode } from '@switchboard/common';
import type { FieldDef, PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import { RowCollector } from '../introspection/cells';
import { queryFailed, readOnlyViolation } from '../introspection/errors';
import type { Cell, QueryResult, ResultColumn } from '../introspection/types';
import { messageOf } from '../probes/test-run';
import { CELL_TYPES } from './postgres.cells';
import type { Borrowed } from './postgres.session';

/**
 * Rows asked of the server per round trip: a first small batch, then as many as fit in
 * BATCH_BYTES of what the server sends (by the rows seen so far, on the wire: cells are cut as
 * they arrive, so their size would let a batch of wide rows ask for far more than it keeps), so
 * narrow rows take few round trips and wide ones are not sent for nothing past the limits.
 */
const FIRST_BATCH_ROWS = 100;
const MAX_BATCH_ROWS = 5_000;
const BATCH_BYTES = 2 * 1024 * 1024;

/**
 * A row larger than this on the wire is refused instead of read: pg buffers each message whole
 * (a 300 MB value took 500 MB of memory and kept it), and a cell shows 4,096 characters of it anyway.
 */
export const MAX_ROW_WIRE_BYTES = 32 * 1024 * 1024;

export interface ReadOnlyStatement {
  /** The statement, or how to make it from the rows `lookup` found. */
  sql: string | ((found: Record<string, unknown>[]) => string);
  /**
   * A catalog query (no parameters) asked in the round trip that opens the transaction, as the
   * statement that takes its snapshot: a preview finds its table without a round trip of its own.
   */
  lookup?: string;
  limit: number;
  /** Server-side statement timeout (whole milliseconds, at least 1). */
  timeoutMs: number;
}

/**
 * Runs one statement in a READ ONLY transaction that already holds a snapshot (so SET
 * TRANSACTION READ WRITE is refused), under a statement timeout, reading at most limit + 1
 * rows through a cursor. Always rolled back, then the session is reset as DISCARD ALL would:
 * nothing the statement did (settings, advisory locks, prepared statements) stays on the
 * pooled client. Four round trips for a preview, five for a larger query. A statement
 * that got a transaction ID wrote something the read-only transaction let through (large
 * objects: lo_from_bytea, lo_import inside a function), even though it was rolled back: it
 * is refused too, and its rows are not returned.
 */
export async function runReadOnly(
  borrowed: Borrowed,
  statement: ReadOnlyStatement,
  scrub: (message: string) => string,
): Promise<QueryResult> {
  const { client } = borrowed;
  let read: { fields: FieldDef[]; collector: RowCollector; executionMs: number };
  let rolledBack = false;
  try {
    const timeout = Math.max(1, Math.floor(statement.timeoutMs));
    const opened = (await client.query(
      `BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeout}; ${statement.lookup ?? 'SELECT 1'}`,
    )) as unknown as { rows: Record<string, unknown>[] }[];
    const sql = typeof statement.sql === 'string' ? statement.sql : statement.sql(opened[2]?.rows ?? []);
    const rowSize = watchRowSize(borrowed);
    try {
      read = await readRows(client, sql, statement.limit, rowSize);
    } catch (error) {
      if (rowSize.exceeded) throw tooLargeRow();
      throw error;
    } finally {
      rowSize.stop();
    }
    rolledBack = await rollBackRefusingWrites(client);
  } catch (error) {
    throw queryError(error, statement.timeoutMs, scrub);
  } finally {
    await reset(borrowed, rolledBack);
  }
  const columns = await columnsOf(client, read.fields);
  const { rows, truncated } = read.collector;
  return { columns, rows, truncated, stats: { rowCount: rows.length, executionMs: read.executionMs } };
}

async function readRows(client: PoolClient, sql: string, limit: number, wire: Pick<RowSizeWatch, 'rowDone' | 'receivedBytes'>) {
  const started = performance.now();
  // pg makes each row its cells as it parses it (CELL_TYPES): a batch holds cut cells, never all
  // of its rows' long values at once. Rows past the collector's limits are emptied.
  const cursor = client.query(new Cursor<Cell[]>(sql, undefined, { rowMode: 'array', types: CELL_TYPES }));
  const collector = new RowCollector(limit);
  let fields: FieldDef[] = [];
  let rowsRead = 0;
  let full = false;
  cursor.on('row', (row: Cell[]) => {
    wire.rowDone();
    rowsRead += 1;
    if (full || !collector.add(row)) {
      full = true;
      row.length = 0;
    }
  });
  // limit + 1: the row beyond the limit proves there were more.
  for (let wanted = limit + 1; wanted > 0 && !full;) {
    // First batch + 1: a limit of 100 (the preview's default) and the row proving more, in one round trip.
    const fitting = rowsRead === 0 ? FIRST_BATCH_ROWS + 1 : Math.floor(BATCH_BYTES / Math.max(1, wire.receivedBytes / rowsRead));
    const batchSize = Math.min(wanted, MAX_BATCH_ROWS, Math.max(1, fitting));
    const batch = await readBatch(cursor, batchSize);
    fields = batch.fields;
    wanted -= batch.rows.length;
    if (batch.rows.length < batchSize) break;
  }
  // Reached only without an error: after one, pg-cursor has already synced and must not be closed.
  await cursor.close();
  return { fields, collector, executionMs: Math.round((performance.now() - started) * 10) / 10 };
}

const tooLargeRow = (): AppError =>
  queryFailed(
    `A row of the result is larger than ${MAX_ROW_WIRE_BYTES / 1024 / 1024} MiB; select a shorter expression of its big columns (e.g. left(col, 4096)).`,
  );

interface RowSizeWatch {
  readonly exceeded: boolean;
  /** Everything the server sent since the watch began. */
  readonly receivedBytes: number;
  rowDone(): void;
  stop(): void;
}

/**
 * Counts the bytes the server sends since the last complete row (the reader calls rowDone() for
 * each); past MAX_ROW_WIRE_BYTES the socket is destroyed (the read then fails, the client is not
 * pooled again) before pg has buffered more of the row. It also counts everything the server
 * sent, which sizes the reader's batches.
 */
function watchRowSize(borrowed: Borrowed): RowSizeWatch {
  const { stream } = (borrowed.client as unknown as { connection: { stream: Socket } }).connection;
  let pending = 0;
  let received = 0;
  let exceeded = false;
  const onData = (chunk: Buffer) => {
    pending += chunk.length;
    received += chunk.length;
    if (pending <= MAX_ROW_WIRE_BYTES || exceeded) return;
    exceeded = true;
    borrowed.destroy();
    stream.destroy();
  };
  // pg parses each chunk before this listener sees it: the rows it completed have already reset the count.
  // Reset by the reader's own row handler, not a second 'dataRow' listener on pg's connection: with
  // two listeners every row's emit copies the listener list (bench/: (g) allocated 9% more).
  stream.on('data', onData);
  return {
    get exceeded() {
      return exceeded;
    },
    get receivedBytes() {
      return received;
    },
    rowDone() {
      pending = 0;
    },
    stop() {
      stream.removeListener('data', onData);
    },
  };
}

function readBatch(cursor: Cursor<Cell[]>, rows: number): Promise<{ rows: Cell[][]; fields: FieldDef[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(rows, (error, batch, result) => (error ? reject(error) : resolve({ rows: batch, fields: result.fields })));
  });
}

/**
 * DISCARD ALL spelt out (as its documentation lists it): DISCARD ALL itself cannot follow ROLLBACK
 * in one query string, which PostgreSQL runs as an implicit transaction block.
 */
const RESET_SESSION =
  'CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *; ' +
  'SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES';

/**
 * Asks whether the statement got a transaction ID, rolls back and resets the session, in one
 * round trip; refuses if it wrote.
 */
async function rollBackRefusingWrites(client: PoolClient): Promise<true> {
  const results = (await client.query(`SELECT pg_catalog.txid_current_if_assigned() AS xid; ROLLBACK; ${RESET_SESSION}`)) as unknown as {
    rows: { xid: string | null }[];
  }[];
  if (results[0]?.rows[0]?.xid != null) {
    throw readOnlyViolation('The statement tried to change the database (it needed a transaction ID); nothing was kept.');
  }
  return true;
}

/** Back to a clean session (already there when rolled back); a client that cannot get there is not returned to the pool. */
async function reset(borrowed: Borrowed, rolledBack: boolean): Promise<void> {
  try {
    if (!rolledBack) await borrowed.client.query(`ROLLBACK; ${RESET_SESSION}`);
  } catch {
    borrowed.destroy();
  }
}

/** OIDs below this are built in: the same type on every server, so their names can be kept. */
const FIRST_USER_OID = 16_384;
const builtInTypeNames = new Map<string, string>();
const typeKey = (field: FieldDef): string => `${field.dataTypeID}:${field.dataTypeModifier}`;

/** Result columns with their types as format_type spells them: built-in ones remembered, the rest in one round trip. */
async function columnsOf(client: PoolClient, fields: FieldDef[]): Promise<ResultColumn[]> {
  if (fields.length === 0) return [];
  if (fields.every((field) => builtInTypeNames.has(typeKey(field)))) {
    return fields.map((field) => ({ name: field.name, type: builtInTypeNames.get(typeKey(field))! }));
  }
  const { rows } = await client.query<{ type: string }>(
    `SELECT pg_catalog.format_type(t.oid, t.mod) AS type
       FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]), pg_catalog.unnest($2::pg_catalog.int4[])) WITH ORDINALITY AS t(oid, mod, n)
      ORDER BY t.n`,
    [fields.map((field) => field.dataTypeID), fields.map((field) => field.dataTypeModifier)],
  );
  fields.forEach((field, index) => {
    const type = rows[index]?.type;
    if (type && field.dataTypeID < FIRST_USER_OID && builtInTypeNames.size < 10_000) builtInTypeNames.set(typeKey(field), type);
  });
  return fields.map((field, index) => ({ name: field.name, type: rows[index]?.type ?? 'unknown' }));
}

/** SQLSTATEs of a refused write: read-only transaction, or a command that cannot run in a transaction. */
const READ_ONLY_STATES = new Set(['25006', '25001']);

/**
 * What the server said, as the API's error. Connection-level failures (no SQLSTATE, class 08,
 * 57P) are passed on unchanged for the caller to report as the target's failure.
 */
function queryError(error: unknown, timeoutMs: number, scrub: (message: string) => string): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  if (error instanceof AppError) return error;
  const sqlstate = (error as { code?: unknown }).code;
  if (typeof sqlstate !== 'string' || !/^[0-9A-Z]{5}$/.test(sqlstate) || /^(08|57P)/.test(sqlstate)) return error;
  const message = scrub(messageOf(error));
  if (READ_ONLY_STATES.has(sqlstate)) return readOnlyViolation(message);
  if (sqlstate === '42601' && /multiple commands/i.test(message)) {
    return new AppError(ErrorCode.UNPROCESSABLE, 'Send one statement at a time.');
  }
  if (sqlstate === '57014') {
    return new AppError(ErrorCode.TARGET_TIMEOUT, `The statement did not finish within ${timeoutMs} ms and was cancelled.`);
  }
  return queryFailed(message);
}
