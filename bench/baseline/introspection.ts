import { Client, type ClientBase, type ClientConfig, type CustomTypesConfig, type FieldDef } from 'pg';
import Cursor from 'pg-cursor';
import type { DirectSession } from './direct';

/**
 * The catalog, preview and query work of (e)-(g), as a hand-written client would send it to
 * PostgreSQL: the same statements for the direct loop (driver time) and the Fastify baseline
 * (driver + HTTP). Kept close to what the service's postgres connector sends; when that
 * changes, change this file so both sides keep doing the same work.
 */

/** Every value as the server's text, as the service reads cells (and cheaper than parsing them). */
const identity = (value: string): string => value;
export const SERVER_TEXT: CustomTypesConfig = { getTypeParser: (() => identity) as CustomTypesConfig['getTypeParser'] };

/**
 * The service's cells for the bench's columns (libs/connectors/src/postgres/postgres.cells.ts), as
 * pg's type parsers give them to a hand-written server: int4 (and the other small numbers) as
 * numbers, timestamptz (UTC session) as ISO with a T ending in Z, timestamp with a T; int8, numeric
 * and text stay the server's text. The Fastify baseline answers the service's JSON with these, as
 * its MariaDB side does (mysql-pool.ts); the direct loop keeps SERVER_TEXT (driver time only).
 */
const SERVICE_CELL_PARSERS: Record<number, (text: string) => unknown> = {
  16: (text) => text === 't',
  21: Number,
  23: Number,
  700: Number,
  701: Number,
  1114: (text) => text.replace(' ', 'T'),
  1184: (text) => (text.endsWith('+00') ? `${text.slice(0, -3).replace(' ', 'T')}Z` : text),
};
export const SERVICE_CELLS: CustomTypesConfig = {
  getTypeParser: ((oid: number) => SERVICE_CELL_PARSERS[oid] ?? identity) as CustomTypesConfig['getTypeParser'],
};

/** Session settings the service sends in its startup packet. */
export const STARTUP_OPTIONS = [
  'TimeZone=UTC',
  'DateStyle=ISO',
  'IntervalStyle=iso_8601',
  'bytea_output=hex',
  'extra_float_digits=3',
  'statement_timeout=60000',
  'idle_in_transaction_session_timeout=60000',
]
  .map((setting) => `-c ${setting}`)
  .join(' ');

export function targetClientConfig(target: {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
}): ClientConfig {
  return {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.username,
    password: target.password,
    options: STARTUP_OPTIONS,
    types: SERVER_TEXT,
    application_name: 'switchboard-baseline',
  };
}

export interface TablePage {
  data: { name: string; schema: string; type: string }[];
  meta: { total: number; page: number; perPage: number };
}

// The statements below are the service's (libs/connectors/src/postgres/postgres.introspection.ts and
// postgres.read-only.ts), copied so the database does the same work on both sides.

const RELKINDS_SQL = `('r', 'p', 'v', 'm', 'f')`;
const USER_SCHEMA_SQL = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'`;
const RELATION_KINDS: Record<string, string> = {
  r: 'TABLE',
  p: 'PARTITIONED_TABLE',
  v: 'VIEW',
  m: 'MATERIALIZED_VIEW',
  f: 'FOREIGN_TABLE',
};

/** The page, the total of every match and whether the schema exists, in one catalog query. */
const TABLES_SQL = `
  WITH matches AS (
    SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ${RELKINDS_SQL}
       AND CASE WHEN $1::text IS NULL THEN ${USER_SCHEMA_SQL} ELSE n.nspname = $1::text END
       AND ($2::text IS NULL OR pg_catalog.strpos(pg_catalog.lower(c.relname), pg_catalog.lower($2::text)) > 0)
  )
  SELECT s.total, s.schema_exists, p.schema, p.name, p.kind
    FROM (SELECT (SELECT pg_catalog.count(*) FROM matches) AS total,
                 ($1::text IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1::text)) AS schema_exists) s
    LEFT JOIN LATERAL (SELECT * FROM matches ORDER BY schema, name OFFSET $3 LIMIT $4) p ON true`;

const RELATION_SQL = `
  SELECT c.oid, n.nspname AS schema, c.relname AS name
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1::text AND c.relname = $2::text AND c.relkind IN ${RELKINDS_SQL}`;

const COLUMN_TYPES_SQL = `SELECT pg_catalog.format_type(t.oid, t.mod) AS type
  FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]), pg_catalog.unnest($2::pg_catalog.int4[])) WITH ORDINALITY AS t(oid, mod, n)
  ORDER BY t.n`;

/** The service reads a first batch of 100 + 1 rows, then the rest in one (rows this narrow fit its 2 MiB batch budget). */
const FIRST_BATCH_ROWS = 101;

/** DISCARD ALL spelt out, so it can follow ROLLBACK in one query string (postgres.read-only.ts). */
const RESET_SESSION =
  'CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DEALLOCATE ALL; UNLISTEN *; ' +
  'SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES';

/** Built-in type names, remembered as the service does (they are the same on every server). */
const typeNames = new Map<string, string>();

/** (e) One page of a schema's tables and its total. */
export async function listTables(client: ClientBase, schema: string, page: number, perPage: number): Promise<TablePage> {
  const { rows } = await client.query<{ total: string; schema: string | null; name: string | null; kind: string | null }>(TABLES_SQL, [
    schema,
    null,
    (page - 1) * perPage,
    perPage,
  ]);
  return {
    data: rows.filter((row) => row.name !== null).map((row) => ({ name: row.name!, schema: row.schema!, type: RELATION_KINDS[row.kind!] })),
    meta: { total: Number(rows[0]?.total ?? 0), page, perPage },
  };
}

export interface RowsResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
}

function readBatch(cursor: Cursor<unknown[]>, rows: number): Promise<{ rows: unknown[][]; fields: FieldDef[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(rows, (error, batch, result) => (error ? reject(error) : resolve({ rows: batch, fields: result.fields })));
  });
}

/**
 * One statement as the service runs it: a READ ONLY transaction with a statement timeout opened
 * in one round trip with `lookup` (the preview's table) or `SELECT 1`, limit + 1 rows through a
 * cursor, then the no-transaction-ID check, ROLLBACK and the session reset in one round trip,
 * and the column types looked up with format_type unless known.
 */
export async function readOnlyQuery(
  client: ClientBase,
  sql: string,
  limit: number,
  timeoutMs: number,
  cells = SERVER_TEXT,
): Promise<RowsResult> {
  return (await readOnly(client, sql, limit, timeoutMs, cells))!;
}

/** readOnlyQuery() whose statement may depend on `lookup`'s rows; null when it says there is nothing to read. */
async function readOnly(
  client: ClientBase,
  sql: string | ((found: Record<string, unknown>[]) => string | null),
  limit: number,
  timeoutMs: number,
  cells: CustomTypesConfig,
  lookup = 'SELECT 1',
): Promise<RowsResult | null> {
  let rows: unknown[][] = [];
  let fields: FieldDef[] = [];
  let ended = false;
  try {
    const opened = (await client.query(
      `BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}; ${lookup}`,
    )) as unknown as {
      rows: Record<string, unknown>[];
    }[];
    const text = typeof sql === 'string' ? sql : sql(opened[2]?.rows ?? []);
    if (text === null) return null;
    const cursor = client.query(new Cursor<unknown[]>(text, undefined, { rowMode: 'array', types: cells }));
    for (let wanted = limit + 1, size = Math.min(wanted, FIRST_BATCH_ROWS); wanted > 0; size = wanted) {
      const batch = await readBatch(cursor, size);
      rows = rows.concat(batch.rows);
      fields = batch.fields;
      wanted -= batch.rows.length;
      if (batch.rows.length < size) break;
    }
    await cursor.close();
    await client.query(`SELECT pg_catalog.txid_current_if_assigned() AS xid; ROLLBACK; ${RESET_SESSION}`);
    ended = true;
  } finally {
    if (!ended) await client.query(`ROLLBACK; ${RESET_SESSION}`);
  }
  const key = (field: FieldDef) => `${field.dataTypeID}:${field.dataTypeModifier}`;
  if (!fields.every((field) => typeNames.has(key(field)))) {
    const { rows: types } = await client.query<{ type: string }>(COLUMN_TYPES_SQL, [
      fields.map((field) => field.dataTypeID),
      fields.map((field) => field.dataTypeModifier),
    ]);
    fields.forEach((field, index) => typeNames.set(key(field), types[index]?.type ?? 'unknown'));
  }
  return {
    columns: fields.map((field) => ({ name: field.name, type: typeNames.get(key(field))! })),
    rows: rows.slice(0, limit),
    truncated: rows.length > limit,
  };
}

/** (f) The table looked up in the round trip that opens the transaction, then read with its catalog names quoted. */
export function preview(client: ClientBase, schema: string, table: string, limit: number, cells = SERVER_TEXT): Promise<RowsResult | null> {
  const literals = [schema, table];
  const lookup = RELATION_SQL.replace(/\$([12])\b/g, (_, n: string) => client.escapeLiteral(literals[Number(n) - 1]));
  const sql = (found: Record<string, unknown>[]) => {
    const relation = found[0] as { schema: string; name: string } | undefined;
    return relation
      ? `SELECT * FROM ${client.escapeIdentifier(relation.schema)}.${client.escapeIdentifier(relation.name)} LIMIT ${limit + 1}`
      : null;
  };
  return readOnly(client, sql, limit, 60_000, cells, lookup);
}

/** One unit of (e), (f) or (g), as both the load scripts and the direct loop describe it. */
export type TargetWork =
  | { kind: 'tables'; schema: string; pages: number; perPage: number }
  | { kind: 'preview'; schema: string; table: string; limit: number }
  | { kind: 'query'; sql: string; limit: number; timeoutMs: number };

/** A page picked at random, so a run pages through the catalog rather than re-reading page 1. */
export const randomPage = (pages: number): number => 1 + Math.floor(Math.random() * pages);

/** Does `work` once on `client`, the way the direct baseline does it. */
export async function doTargetWork(client: ClientBase, work: TargetWork): Promise<unknown> {
  switch (work.kind) {
    case 'tables':
      return listTables(client, work.schema, randomPage(work.pages), work.perPage);
    case 'preview':
      return preview(client, work.schema, work.table, work.limit);
    case 'query':
      return readOnlyQuery(client, work.sql, work.limit, work.timeoutMs);
  }
}

/** The direct loop's sessions (direct.ts): `count` clients, connected before the timing. */
export function openDirectSessions(target: Parameters<typeof targetClientConfig>[0], count: number): Promise<DirectSession[]> {
  return Promise.all(
    Array.from({ length: count }, async (): Promise<DirectSession> => {
      const client = new Client(targetClientConfig(target));
      await client.connect();
      return { run: (work) => doTargetWork(client, work), ready: () => Promise.resolve(), close: () => client.end() };
    }),
  );
}
