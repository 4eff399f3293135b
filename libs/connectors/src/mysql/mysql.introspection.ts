import { performance } from 'node:perf_hooks';
import { notFound } from '@switchboard/common';
import type { ResolvedConnection } from '../connector';
import { RowCollector } from '../introspection/cells';
import { invalidInput } from '../introspection/errors';
import type {
  Cell,
  ColumnInfo,
  DatabaseInfo,
  IntrospectionContext,
  PreviewRequest,
  QueryRequest,
  QueryResult,
  ResultColumn,
  RowSet,
  SchemaInfo,
  TableInfo,
  TableKind,
  TablePage,
  TableRef,
  TablesRequest,
} from '../introspection/types';
import { mysqlTypeCast, resultColumns } from './mysql.cells';
import { boundedSelect, isOkPacket, type Lease, type MysqlClient, openMysqlClient, withLease } from './mysql.session';
import { readOnlyStatement } from './mysql.statement';

/**
 * Introspection of MySQL and MariaDB. A schema is a database there: databases and schemas
 * list the same names. Everything reads information_schema with bound values (mysql2
 * escapes them client-side, in the sql_mode the session sets), and identifiers reach SQL
 * only as names found in the catalog, quoted.
 */

const SYSTEM_SCHEMAS = ['information_schema', 'performance_schema', 'mysql', 'sys'];
/** MySQL's limit for database, table and column names. */
const MAX_IDENTIFIER = 64;

const TABLE_KINDS: Record<string, TableKind> = {
  'BASE TABLE': 'TABLE',
  VIEW: 'VIEW',
  'SYSTEM VIEW': 'SYSTEM_VIEW',
  SEQUENCE: 'SEQUENCE',
};

const defaultSchema = (connection: ResolvedConnection): string | undefined =>
  typeof connection.config.database === 'string' && connection.config.database !== '' ? connection.config.database : undefined;

/** A name that can never exist is a bad request, not a missing table. */
function checkIdentifier(field: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_IDENTIFIER || name.includes('\0')) {
    throw invalidInput(field, `A ${field} name has 1 to ${MAX_IDENTIFIER} characters and no NUL.`);
  }
  return name;
}

function schemaOf(connection: ResolvedConnection, schema: string | undefined): string {
  const name = schema ?? defaultSchema(connection);
  if (name === undefined) throw invalidInput('schema', 'Name a schema: the connection has no default database.');
  return checkIdentifier('schema', name);
}

/** `name` quoted as an identifier: in backticks, backticks doubled. */
export const quoteIdentifier = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/**
 * The catalog compares names case- (and accent-) insensitively and ignores trailing spaces:
 * of the names it matched, keep the one spelled exactly as asked, else the only one that
 * differs in case alone.
 */
function pickName(names: string[], asked: string): string | undefined {
  const unique = [...new Set(names)];
  if (unique.includes(asked)) return asked;
  const folded = unique.filter((name) => name.toLowerCase() === asked.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/** schema + table as one name for pickName (NUL never occurs in either). */
const tableKey = (schema: string, table: string): string => `${schema}\0${table}`;

/** Runs `work` on a borrowed connection of this connection's cached pool. */
function withSession<R>(
  connection: ResolvedConnection,
  context: IntrospectionContext,
  work: (client: MysqlClient) => Promise<R>,
): Promise<R> {
  return context.session('', () => openMysqlClient(connection, context), work);
}

/** Our own catalog statements: `bounded` adds the server-side timeout left to the operation. */
function withCatalog<R>(
  connection: ResolvedConnection,
  context: IntrospectionContext,
  work: (lease: Lease, bounded: (sql: string) => string) => Promise<R>,
): Promise<R> {
  return withSession(connection, context, (client) =>
    withLease(client, context, {}, (lease) => work(lease, (sql) => boundedSelect(client, sql, context.remainingMs()))),
  );
}

export async function listDatabases(connection: ResolvedConnection, context: IntrospectionContext): Promise<DatabaseInfo[]> {
  return withCatalog(connection, context, async (lease, bounded) => {
    const sql = 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (?) ORDER BY SCHEMA_NAME';
    const rows = await lease.rows<{ name: string }>(context, bounded(sql), [SYSTEM_SCHEMAS]);
    return rows.map((row) => ({ name: row.name }));
  });
}

/** Every (non-system) database, or just `database` (404 when it does not exist or is not visible). */
export async function listSchemas(connection: ResolvedConnection, context: IntrospectionContext, database?: string): Promise<SchemaInfo[]> {
  if (database === undefined) return listDatabases(connection, context);
  checkIdentifier('database', database);
  return withCatalog(connection, context, async (lease, bounded) => {
    const sql = 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?';
    const rows = await lease.rows<{ name: string }>(context, bounded(sql), [database]);
    const found = pickName(
      rows.map((row) => row.name),
      database,
    );
    if (found === undefined) throw notFound(`Database "${database}"`);
    return [{ name: found }];
  });
}

interface PageRow {
  total: string;
  found: string;
  tableSchema: string | null;
  tableName: string | null;
}

/** The page of names and the totals, in one statement (no table is opened for it). */
function tablePageQuery(schema: string | undefined, search: string | undefined, offset: number, limit: number) {
  const where = `${schema === undefined ? 'TABLE_SCHEMA NOT IN (?)' : 'TABLE_SCHEMA = ?'}${search ? ' AND LOCATE(LOWER(?), LOWER(TABLE_NAME)) > 0' : ''}`;
  const filter = [schema ?? SYSTEM_SCHEMAS, ...(search ? [search] : [])];
  // Ties of the catalog's case-insensitive collation (t and T) are broken by the bytes, so pages never overlap.
  const sql = `SELECT c.total, s.found, p.TABLE_SCHEMA AS tableSchema, p.TABLE_NAME AS tableName
    FROM (SELECT COUNT(*) AS total FROM information_schema.TABLES WHERE ${where}) AS c
    CROSS JOIN (SELECT COUNT(*) AS found FROM information_schema.SCHEMATA WHERE ${schema === undefined ? 'TRUE' : 'SCHEMA_NAME = ?'}) AS s
    LEFT JOIN (
      SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE ${where}
      ORDER BY TABLE_SCHEMA, TABLE_NAME, CAST(TABLE_NAME AS BINARY) LIMIT ? OFFSET ?
    ) AS p ON TRUE
    ORDER BY p.TABLE_SCHEMA, p.TABLE_NAME, CAST(p.TABLE_NAME AS BINARY)`;
  const values = [
    ...filter,
    ...(schema === undefined ? [] : [schema]),
    ...filter,
    Math.max(0, Math.floor(limit)),
    Math.max(0, Math.floor(offset)),
  ];
  return { sql, values };
}

/**
 * One page of tables with the total. Two round trips, both cheap at any size: the names and
 * the count come from the directory listing alone (MariaDB's Skip_open_table), and only
 * the page's ≤ 100 tables are then looked at for their type (reading a type opens a table's
 * .frm: doing it for the whole schema costs 4x more with 10,000 tables).
 */
export async function listTables(
  connection: ResolvedConnection,
  context: IntrospectionContext,
  request: TablesRequest,
): Promise<TablePage> {
  const schema = request.schema ?? defaultSchema(connection);
  if (schema !== undefined) checkIdentifier('schema', schema);
  const { sql, values } = tablePageQuery(schema, request.search, request.offset, request.limit);
  return withCatalog(connection, context, async (lease, bounded) => {
    const rows = await lease.rows<PageRow>(context, bounded(sql), values);
    if (schema !== undefined && Number(rows[0]?.found ?? 0) === 0) throw notFound(`Schema "${schema}"`);
    const page = rows.filter((row): row is PageRow & { tableSchema: string; tableName: string } => row.tableName !== null);
    const kinds = await tableKinds(lease, context, bounded, page);
    const tables: TableInfo[] = page.map((row) => ({
      name: row.tableName,
      schema: row.tableSchema,
      type: kinds.get(tableKey(row.tableSchema, row.tableName)) ?? 'TABLE',
    }));
    return { tables, total: Number(rows[0]?.total ?? 0) };
  });
}

/** The kind of each listed table; MariaDB filters by name before it opens anything. */
async function tableKinds(
  lease: Lease,
  context: IntrospectionContext,
  bounded: (sql: string) => string,
  page: { tableSchema: string; tableName: string }[],
): Promise<Map<string, TableKind>> {
  const kinds = new Map<string, TableKind>();
  if (page.length === 0) return kinds;
  const sql = `SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName, TABLE_TYPE AS tableType
    FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) AND TABLE_NAME IN (?)`;
  const schemas = [...new Set(page.map((row) => row.tableSchema))];
  const names = [...new Set(page.map((row) => row.tableName))];
  const rows = await lease.rows<{ tableSchema: string; tableName: string; tableType: string }>(context, bounded(sql), [schemas, names]);
  for (const row of rows) kinds.set(tableKey(row.tableSchema, row.tableName), TABLE_KINDS[row.tableType] ?? 'TABLE');
  return kinds;
}

interface ColumnRow {
  tableSchema: string;
  tableName: string;
  name: string;
  type: string;
  nullable: string;
  defaultValue: string | null;
  columnKey: string;
  position: string;
}

export async function listColumns(connection: ResolvedConnection, context: IntrospectionContext, ref: TableRef): Promise<ColumnInfo[]> {
  const schema = schemaOf(connection, ref.schema);
  const table = checkIdentifier('table', ref.table);
  return withSession(connection, context, (client) =>
    withLease(client, context, {}, async (lease) => {
      const sql = `SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName, COLUMN_NAME AS name, COLUMN_TYPE AS type,
          IS_NULLABLE AS nullable, COLUMN_DEFAULT AS defaultValue, COLUMN_KEY AS columnKey, ORDINAL_POSITION AS position
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`;
      const rows = await lease.rows<ColumnRow>(context, boundedSelect(client, sql, context.remainingMs()), [schema, table]);
      // Rows of every table the catalog matched; keep the one asked for (a table has at least one column).
      const chosen = pickName(
        rows.map((row) => tableKey(row.tableSchema, row.tableName)),
        tableKey(schema, table),
      );
      const columns = rows.filter((row) => tableKey(row.tableSchema, row.tableName) === chosen);
      if (columns.length === 0) throw notFound(`Table "${schema}"."${table}"`);
      return columns.map((row) => ({
        name: row.name,
        type: row.type,
        nullable: row.nullable === 'YES',
        // MariaDB spells "no default, so NULL" as the text NULL (a NULL string literal would be 'NULL', quoted).
        default: client.flavour === 'mariadb' && row.defaultValue === 'NULL' ? null : row.defaultValue,
        primaryKey: row.columnKey === 'PRI',
        position: Number(row.position),
      }));
    }),
  );
}

/** The table as the catalog names it, or 404. */
async function resolveTable(
  lease: Lease,
  context: IntrospectionContext,
  bounded: string,
  schema: string,
  table: string,
): Promise<TableRef> {
  const rows = await lease.rows<{ tableSchema: string; tableName: string }>(context, bounded, [schema, table]);
  const keys = rows.map((row) => tableKey(row.tableSchema, row.tableName));
  const chosen = pickName(keys, tableKey(schema, table));
  const found = rows[keys.indexOf(chosen ?? '')];
  if (!found) throw notFound(`Table "${schema}"."${table}"`);
  return { schema: found.tableSchema, table: found.tableName };
}

/** Collects the rows of a streamed statement (arrays of cells) into `collector`. */
function rowSink(collector: RowCollector, setColumns: (columns: ResultColumn[]) => void) {
  return {
    fields: (fields: Parameters<typeof resultColumns>[0]) => setColumns(resultColumns(fields)),
    row: (row: unknown) => isOkPacket(row) || collector.add(row as Cell[]),
  };
}

export async function preview(connection: ResolvedConnection, context: IntrospectionContext, request: PreviewRequest): Promise<RowSet> {
  const schema = schemaOf(connection, request.schema);
  const table = checkIdentifier('table', request.table);
  const limit = Math.max(0, Math.floor(request.limit));
  return withSession(connection, context, (client) =>
    withLease(client, context, {}, async (lease) => {
      const lookup =
        'SELECT TABLE_SCHEMA AS tableSchema, TABLE_NAME AS tableName FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?';
      const ref = await resolveTable(lease, context, boundedSelect(client, lookup, context.remainingMs()), schema, table);
      const collector = new RowCollector(limit);
      let columns: ResultColumn[] = [];
      const sql = `SELECT * FROM ${quoteIdentifier(ref.schema!)}.${quoteIdentifier(ref.table)} LIMIT ${limit + 1}`;
      const options = { sql: boundedSelect(client, sql, context.remainingMs()), rowsAsArray: true, typeCast: mysqlTypeCast };
      // The server sends at most limit + 1 rows: once they are in, waiting for the end keeps the connection.
      await lease.stream(
        context,
        options,
        rowSink(collector, (found) => (columns = found)),
        limit + 1,
      );
      return { columns, rows: collector.rows, truncated: collector.truncated };
    }),
  );
}

/**
 * A user's statement: checked (mysql.statement.ts), then run in a session set up for it
 * (READ ONLY, its own server-side timeout) and reset afterwards. Rows stream into the
 * collector; once it is full (limit + 1 rows, or the byte budget) the connection is closed,
 * which stops the server, instead of reading on.
 */
export async function runQuery(connection: ResolvedConnection, context: IntrospectionContext, request: QueryRequest): Promise<QueryResult> {
  const sql = readOnlyStatement(request.sql);
  const limit = Math.max(0, Math.floor(request.limit));
  return withSession(connection, context, (client) =>
    withLease(client, context, { userStatementTimeoutMs: request.timeoutMs }, async (lease) => {
      const collector = new RowCollector(limit);
      let columns: ResultColumn[] = [];
      const started = performance.now();
      await lease.stream(
        context,
        { sql, rowsAsArray: true, typeCast: mysqlTypeCast },
        rowSink(collector, (found) => (columns = found)),
      );
      const executionMs = Math.round((performance.now() - started) * 10) / 10;
      return { columns, rows: collector.rows, truncated: collector.truncated, stats: { rowCount: collector.rows.length, executionMs } };
    }),
  );
}
