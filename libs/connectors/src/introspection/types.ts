import type { ConnectorContext } from '../connector';
import type { Session } from '../sessions/session-cache';

/** What a JSON response can carry in a cell: see cells.ts for the rule per database type. */
export type Cell = string | number | boolean | null;

/** A catalog of a type with catalogs (the level above schemas). */
export interface CatalogInfo {
  name: string;
  /** The kind of catalog, in the target's own words (e.g. MANAGED_CATALOG), when it says. */
  type?: string;
  comment?: string;
}

export interface SchemaInfo {
  name: string;
}

export interface DatabaseInfo {
  name: string;
  /** PostgreSQL only: the schemas of each database (absent when that database could not be opened). */
  schemas?: SchemaInfo[];
}

/** Kinds of relation, named the same for every engine. */
export const TABLE_KINDS = ['TABLE', 'VIEW', 'EXTERNAL', 'MATERIALIZED_VIEW', 'FOREIGN_TABLE', 'PARTITIONED_TABLE', 'SYSTEM_VIEW', 'SEQUENCE'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];

export interface TableInfo {
  name: string;
  schema: string;
  type: TableKind;
}

export interface TablesRequest {
  /** Types with catalogs only; absent: the connection's default catalog. */
  catalog?: string;
  /** Absent: the connection's default (postgres: config.schema, else every non-system schema; mysql: config.database, else all). */
  schema?: string;
  /** Case-insensitive substring of the table name; `%` and `_` match themselves. */
  search?: string;
  offset: number;
  limit: number;
}

export interface TablePage {
  tables: TableInfo[];
  /** Every table matching schema and search, not just this page. */
  total: number;
}

export interface ColumnInfo {
  name: string;
  /** The engine's own type name, e.g. `character varying(64)`, `bigint unsigned`. */
  type: string;
  nullable: boolean;
  /** The default expression as the catalog spells it, or null. */
  default: string | null;
  primaryKey: boolean;
  /** 1-based ordinal position. */
  position: number;
}

export interface TableRef {
  /** Types with catalogs only; absent: the connection's default catalog. */
  catalog?: string;
  /** Absent: the connection's default schema (postgres: config.schema ?? 'public'; mysql: config.database; sqlite: 'main'). */
  schema?: string;
  table: string;
}

export interface PreviewRequest extends TableRef {
  limit: number;
}

export interface ResultColumn {
  name: string;
  type: string;
}

/** Rows are arrays in `columns` order (names may repeat in a query). */
export interface RowSet {
  columns: ResultColumn[];
  rows: Cell[][];
  /** More rows existed than were returned (the limit, or the response byte budget, was reached). */
  truncated: boolean;
}

export interface QueryRequest {
  sql: string;
  limit: number;
  /** The operation's deadline (context.remainingMs) as asked, connecting included; the statement gets at most what is left of it. */
  timeoutMs: number;
}

export interface QueryResult extends RowSet {
  stats: { rowCount: number; executionMs: number };
}

export interface FilesRequest {
  /** Relative to the connection's prefix (s3) or rootPath (sftp); '' for the top. */
  prefix: string;
  /** '/' groups keys below the next '/' into commonPrefixes; absent lists every key below prefix (s3) / one directory (sftp). */
  delimiter?: string;
  /** Opaque, from a previous page's nextCursor. */
  cursor?: string;
  limit: number;
}

export interface FileObject {
  /** Relative to the connection's prefix / rootPath, as accepted by file-schema's `path`. */
  key: string;
  size: number;
  lastModified: string | null;
}

export interface FileListing {
  prefix: string;
  objects: FileObject[];
  commonPrefixes: string[];
  nextCursor: string | null;
}

export const FILE_FORMATS = ['csv', 'jsonl', 'json', 'parquet'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const FILE_COLUMN_TYPES = [
  'string',
  'integer',
  'number',
  'boolean',
  'date',
  'timestamp',
  'object',
  'array',
  'binary',
  'null',
] as const;
export type FileColumnType = (typeof FILE_COLUMN_TYPES)[number];

export interface FileColumn {
  name: string;
  type: FileColumnType;
  nullable: boolean;
}

export interface FileSchema {
  path: string;
  format: FileFormat;
  columns: FileColumn[];
  /** How the schema was found: e.g. {delimiter: ',', header: true, sampledRows: 1000, bytesRead: 65536}. */
  details: Record<string, string | number | boolean>;
}

/** Reads byte ranges of one file; the file-schema code asks for the head or the footer only. */
export interface RangeReader {
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer only at the end of the file). */
  read(offset: number, length: number): Promise<Buffer>;
}

/**
 * The context of an introspection call: the deadline of a test plus a borrowed live client.
 * `session` runs `work` on the cached client for this connection version (variant names a
 * second client of the same connection, e.g. another PostgreSQL database), opening it with
 * `open` the first time. Drafts are never introspected, so there is always a cache key.
 */
export interface IntrospectionContext extends ConnectorContext {
  session<T, R>(variant: string, open: () => Promise<Session<T>>, work: (client: T) => Promise<R>): Promise<R>;
}
