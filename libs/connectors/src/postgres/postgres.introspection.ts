import { AppError, conflict, ErrorCode, notFound } from '@switchboard/common';
import type { PoolClient } from 'pg';
import type { ResolvedConnection } from '../connector';
import { invalidInput, queryFailed, readOnlyViolation, targetTimeout } from '../introspection/errors';
import type {
  ColumnInfo,
  DatabaseInfo,
  IntrospectionContext,
  PreviewRequest,
  QueryRequest,
  QueryResult,
  RowSet,
  SchemaInfo,
  TableKind,
  TablePage,
  TableRef,
  TablesRequest,
} from '../introspection/types';
import { messageOf, secretScrubber } from '../probes/test-run';
import { runReadOnly } from './postgres.read-only';
import { configuredDatabase, onDatabase, targetOf } from './postgres.session';
import { checkReadOnlyStatement } from './postgres.statement';

/** listDatabases opens this many databases at once to list their schemas, and at most MAX_DATABASES_WITH_SCHEMAS of them. */
const SCHEMA_LISTING_CONCURRENCY = 4;
const MAX_DATABASES_WITH_SCHEMAS = 50;
/** PostgreSQL's NAMEDATALEN - 1: longer names can never exist. */
const MAX_IDENTIFIER_BYTES = 63;

const RELATION_KINDS: Record<string, TableKind> = {
  r: 'TABLE',
  p: 'PARTITIONED_TABLE',
  v: 'VIEW',
  m: 'MATERIALIZED_VIEW',
  f: 'FOREIGN_TABLE',
};
const RELKINDS_SQL = `('r', 'p', 'v', 'm', 'f')`;

/** Schemas a user made: not the catalog, information_schema, TOAST or temporary ones. */
const USER_SCHEMA_SQL = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'`;

/** A name PostgreSQL could hold: 1 to 63 bytes, no NUL (anything else can never match, and NUL breaks the protocol). */
export function checkIdentifier(field: string, value: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0 || bytes > MAX_IDENTIFIER_BYTES) throw invalidInput(field, `must be 1 to ${MAX_IDENTIFIER_BYTES} bytes long`);
  if (value.includes('\0')) throw invalidInput(field, 'must not contain NUL characters');
  return value;
}

const defaultSchema = (connection: ResolvedConnection): string | undefined =>
  typeof connection.config.schema === 'string' ? connection.config.schema : undefined;

const scrubberOf = (connection: ResolvedConnection) => secretScrubber(connection.secrets);

export async function listDatabases(connection: ResolvedConnection, context: IntrospectionContext): Promise<DatabaseInfo[]> {
  const names = await onDatabase(connection, context, undefined, async ({ client }) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT datname AS name FROM pg_catalog.pg_database
        WHERE datallowconn AND NOT datistemplate AND pg_catalog.has_database_privilege(oid, 'CONNECT')
        ORDER BY datname`,
    );
    return rows.map((row) => row.name);
  });
  // Other databases are opened once, not cached: a sweep of 50 would push other connections' sessions out.
  const schemas = await mapLimited(names.slice(0, MAX_DATABASES_WITH_SCHEMAS), SCHEMA_LISTING_CONCURRENCY, (name) =>
    // A database that cannot be opened (pg_hba, a failed connection, the deadline) is listed without schemas.
    onDatabase(connection, context, name, ({ client }) => schemasOf(client), { cache: false }).catch(() => undefined),
  );
  return names.map((name, index) => (schemas[index] ? { name, schemas: schemas[index] } : { name }));
}

export async function listSchemas(connection: ResolvedConnection, context: IntrospectionContext, database?: string): Promise<SchemaInfo[]> {
  await requireDatabase(connection, context, database);
  return onDatabase(connection, context, database, ({ client }) => schemasOf(client));
}

export async function createSchema(
  connection: ResolvedConnection,
  context: IntrospectionContext,
  name: string,
  database?: string,
): Promise<SchemaInfo> {
  checkIdentifier('name', name);
  await requireDatabase(connection, context, database);
  return onDatabase(connection, context, database, async ({ client }) => {
    try {
      await client.query(`CREATE SCHEMA ${client.escapeIdentifier(name)}`);
    } catch (error) {
      throw createSchemaError(error, name, scrubberOf(connection));
    }
    return { name };
  });
}

function createSchemaError(error: unknown, name: string, scrub: (message: string) => string): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const sqlstate = (error as { code?: unknown }).code;
  const message = scrub(messageOf(error));
  if (sqlstate === '42P06') return conflict(`Schema "${name}" already exists.`);
  if (sqlstate === '42501') return new AppError(ErrorCode.FORBIDDEN, message);
  if (sqlstate === '42939') return invalidInput('name', message); // reserved, e.g. the pg_ prefix
  if (sqlstate === '25006') return readOnlyViolation(message); // a standby, or default_transaction_read_only
  if (typeof sqlstate === 'string' && !/^(08|57P)/.test(sqlstate)) return queryFailed(message);
  return error;
}

async function schemasOf(client: PoolClient): Promise<SchemaInfo[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_catalog.pg_namespace n WHERE ${USER_SCHEMA_SQL} ORDER BY n.nspname`,
  );
  return rows;
}

/** A database other than the configured one must exist and be open to us: 404 otherwise, before anything connects to it. */
async function requireDatabase(connection: ResolvedConnection, context: IntrospectionContext, database?: string): Promise<void> {
  if (database === undefined) return;
  checkIdentifier('database', database);
  if (database === configuredDatabase(connection)) return;
  const exists = await onDatabase(connection, context, undefined, async ({ client }) => {
    const { rowCount } = await client.query(
      `SELECT 1 FROM pg_catalog.pg_database
        WHERE datname = $1 AND datallowconn AND NOT datistemplate AND pg_catalog.has_database_privilege(oid, 'CONNECT')`,
      [database],
    );
    return rowCount === 1;
  });
  if (!exists) throw notFound(`Database "${database}"`);
}

/** The relations listTables counts and pages: in the chosen schemas ($1, or every user schema), matching the search ($2). */
const MATCHING_RELATIONS_SQL = `
  c.relnamespace = ANY (ARRAY(SELECT oid FROM schemas)) AND c.relkind IN ${RELKINDS_SQL}
  AND ($2::text IS NULL OR pg_catalog.strpos(pg_catalog.lower(c.relname), pg_catalog.lower($2::text)) > 0)`;

/**
 * One catalog query per page: the page, the total of every match and whether the schema
 * exists. Search is a case-insensitive substring (strpos, so % and _ are plain characters).
 * pg_class is scanned twice (count, then page) rather than through a shared CTE: a
 * materialized 10,000-row CTE costs more than the second scan.
 */
const TABLES_SQL = `
  WITH schemas AS (
    SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
     WHERE CASE WHEN $1::text IS NULL THEN ${USER_SCHEMA_SQL} ELSE n.nspname = $1::text END
  )
  SELECT s.total, s.schema_exists, p.schema, p.name, p.kind
    FROM (SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c WHERE ${MATCHING_RELATIONS_SQL}) AS total,
                 ($1::text IS NULL OR EXISTS (SELECT 1 FROM schemas)) AS schema_exists) s
    LEFT JOIN LATERAL (
      SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
        FROM pg_catalog.pg_class c JOIN schemas n ON n.oid = c.relnamespace
       WHERE ${MATCHING_RELATIONS_SQL}
       ORDER BY n.nspname, c.relname OFFSET $3 LIMIT $4
    ) p ON true`;

interface TablesRow {
  total: string;
  schema_exists: string;
  schema: string | null;
  name: string | null;
  kind: string | null;
}

export async function listTables(
  connection: ResolvedConnection,
  context: IntrospectionContext,
  request: TablesRequest,
): Promise<TablePage> {
  const schema = request.schema ?? defaultSchema(connection);
  if (schema !== undefined) checkIdentifier('schema', schema);
  if (request.search?.includes('\0')) throw invalidInput('search', 'must not contain NUL characters');
  const search = request.search ? request.search : null;
  const rows = await onDatabase(connection, context, undefined, async ({ client }) => {
    const result = await client.query<TablesRow>(TABLES_SQL, [schema ?? null, search, request.offset, request.limit]);
    return result.rows;
  });
  if (rows[0]?.schema_exists !== 't') throw notFound(`Schema "${schema}"`);
  const tables = rows
    .filter((row) => row.name !== null)
    .map((row) => ({ schema: row.schema!, name: row.name!, type: RELATION_KINDS[row.kind!] }));
  return { tables, total: Number(rows[0].total) };
}

/** The relation `ref` names, looked up by exact name (bound parameters), or 404. */
const RELATION_SQL = `
  SELECT c.oid, n.nspname AS schema, c.relname AS name
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1::text AND c.relname = $2::text AND c.relkind IN ${RELKINDS_SQL}`;

const COLUMNS_SQL = `
  WITH rel AS (${RELATION_SQL})
  SELECT (SELECT pg_catalog.count(*) FROM rel) AS found, col.*
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (
      SELECT a.attname AS name,
             pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
             NOT a.attnotnull AS nullable,
             -- A generated column's expression is kept as a default too. attgenerated is read through
             -- to_jsonb, so that servers before 12 (no such column, no generated columns) run this as well.
             CASE WHEN d.adbin IS NULL OR COALESCE(pg_catalog.to_jsonb(a) ->> 'attgenerated', '') <> '' THEN NULL
                  ELSE pg_catalog.pg_get_expr(d.adbin, d.adrelid) END AS "default",
             EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                      WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS primary_key,
             pg_catalog.row_number() OVER (ORDER BY a.attnum) AS position
        FROM rel
        JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid
        LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attnum > 0 AND NOT a.attisdropped
    ) col ON true
   ORDER BY col.position`;

interface ColumnsRow {
  found: string;
  name: string | null;
  type: string;
  nullable: string;
  default: string | null;
  primary_key: string;
  position: string;
}

interface Relation {
  schema: string;
  table: string;
}

function relationOf(connection: ResolvedConnection, ref: TableRef): Relation {
  const schema = checkIdentifier('schema', ref.schema ?? defaultSchema(connection) ?? 'public');
  return { schema, table: checkIdentifier('table', ref.table) };
}

const tableNotFound = (relation: Relation) => notFound(`Table "${relation.schema}"."${relation.table}"`);

export async function listColumns(connection: ResolvedConnection, context: IntrospectionContext, ref: TableRef): Promise<ColumnInfo[]> {
  const relation = relationOf(connection, ref);
  const rows = await onDatabase(connection, context, undefined, async ({ client }) => {
    const result = await client.query<ColumnsRow>(COLUMNS_SQL, [relation.schema, relation.table]);
    return result.rows;
  });
  if (rows[0]?.found !== '1') throw tableNotFound(relation);
  return rows
    .filter((row) => row.name !== null)
    .map((row) => ({
      name: row.name!,
      type: row.type,
      nullable: row.nullable === 't',
      default: row.default,
      primaryKey: row.primary_key === 't',
      position: Number(row.position),
    }));
}

/** A statement timeout that ends before the operation's deadline. */
function statementTimeout(connection: ResolvedConnection, context: IntrospectionContext, wanted = Infinity): number {
  const remaining = context.remainingMs();
  if (remaining <= 0) throw targetTimeout(targetOf(connection).where);
  return Math.max(1, Math.floor(Math.min(wanted, remaining)));
}

/** The table checked against the catalog first, then read with its catalog names quoted: nothing from the request is spliced. */
export async function preview(connection: ResolvedConnection, context: IntrospectionContext, request: PreviewRequest): Promise<RowSet> {
  const relation = relationOf(connection, request);
  return onDatabase(connection, context, undefined, async (borrowed) => {
    const { client } = borrowed;
    // The table is looked up in the round trip that opens the read-only transaction, so literals, not parameters.
    // One pass with a replacer function: a second pass would fill a `$2` inside the first literal, and a
    // replacement string would give `$&`, `$'` in a name their special meanings.
    const literals = [relation.schema, relation.table];
    const lookup = RELATION_SQL.replace(/\$([12])\b/g, (_, n: string) => client.escapeLiteral(literals[Number(n) - 1]));
    const sql = (found: Record<string, unknown>[]) => {
      const table = found[0] as { schema: string; name: string } | undefined;
      if (!table) throw tableNotFound(relation);
      return `SELECT * FROM ${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)} LIMIT ${request.limit + 1}`;
    };
    const timeoutMs = statementTimeout(connection, context);
    const read = { sql, lookup, limit: request.limit, timeoutMs };
    const { columns, rows, truncated } = await runReadOnly(borrowed, read, scrubberOf(connection));
    return { columns, rows, truncated };
  });
}

export async function query(connection: ResolvedConnection, context: IntrospectionContext, request: QueryRequest): Promise<QueryResult> {
  await checkReadOnlyStatement(request.sql, scrubberOf(connection));
  // Taken once connected: connecting spent part of the deadline.
  return onDatabase(connection, context, undefined, (borrowed) =>
    runReadOnly(
      borrowed,
      { sql: request.sql, limit: request.limit, timeoutMs: statementTimeout(connection, context, request.timeoutMs) },
      scrubberOf(connection),
    ),
  );
}

/** `work` over `items` with at most `concurrency` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
