/**
 * Reading what a Databricks workspace answers: error bodies (https://docs.databricks.com/api/workspace/errors),
 * Unity Catalog 2.1 table and column infos, and SQL Statement Execution API 2.0 results in
 * JSON_ARRAY format (every value a string or null) as the cells of every type. Pure: no I/O here.
 */
import type { TestErrorCode } from '../connector';
import { binaryCell, numberCell, textCell } from '../introspection/cells';
import type { Cell, ColumnInfo, ResultColumn, TableKind } from '../introspection/types';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The message of an error body `{error_code, message}`, or of an OAuth error `{error, error_description}`. */
export function errorMessageOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const code = typeof body.error_code === 'string' ? body.error_code : undefined;
  const message = typeof body.message === 'string' ? body.message : undefined;
  if (code || message) return code && message ? `${code}: ${message}` : (message ?? code);
  if (typeof body.error === 'string')
    return typeof body.error_description === 'string' ? `${body.error}: ${body.error_description}` : body.error;
  return undefined;
}

export function statusCode(status: number): TestErrorCode {
  if (status === 401) return 'AUTH_FAILED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  return 'PROTOCOL_ERROR';
}

/** Unity Catalog's TableType as the kinds every type shares; EXTERNAL tables keep their own kind. */
const TABLE_KINDS: Record<string, TableKind> = {
  MANAGED: 'TABLE',
  MANAGED_SHALLOW_CLONE: 'TABLE',
  STREAMING_TABLE: 'TABLE',
  EXTERNAL: 'EXTERNAL',
  EXTERNAL_SHALLOW_CLONE: 'EXTERNAL',
  VIEW: 'VIEW',
  METRIC_VIEW: 'VIEW',
  MATERIALIZED_VIEW: 'MATERIALIZED_VIEW',
  FOREIGN: 'FOREIGN_TABLE',
};

export const tableKindOf = (tableType: unknown): TableKind => TABLE_KINDS[String(tableType)] ?? 'TABLE';

/** The columns of a TableInfo in their order (`position` is 0-based there); undefined when it has none. */
export function columnsOf(tableInfo: unknown): ColumnInfo[] | undefined {
  if (!isObject(tableInfo) || !Array.isArray(tableInfo.columns)) return undefined;
  return (tableInfo.columns as unknown[])
    .filter(isObject)
    .map((column, index) => ({ column, order: typeof column.position === 'number' ? column.position : index }))
    .sort((a, b) => a.order - b.order)
    .map(({ column }, index) => ({
      name: String(column.name),
      type: typeof column.type_text === 'string' ? column.type_text : String(column.type_name ?? 'unknown').toLowerCase(),
      nullable: column.nullable !== false,
      default: null,
      // Unity Catalog keeps constraints apart from the table's columns; informational primary keys are not read here.
      primaryKey: false,
      position: index + 1,
    }));
}

/** A result column of a statement's manifest: its name and SQL type as the warehouse spells it. */
export interface ManifestColumn {
  name: string;
  type: string;
  /** The ColumnTypeName enum (LONG, STRING, DECIMAL…): how a cell is read. */
  typeName: string;
}

export function manifestColumnsOf(manifest: unknown): ManifestColumn[] | undefined {
  const schema = isObject(manifest) && isObject(manifest.schema) ? manifest.schema : undefined;
  if (!schema || !Array.isArray(schema.columns)) return undefined;
  return (schema.columns as unknown[]).filter(isObject).map((column) => ({
    name: String(column.name),
    type: typeof column.type_text === 'string' ? column.type_text : String(column.type_name ?? 'unknown'),
    typeName: String(column.type_name ?? '').toUpperCase(),
  }));
}

export const resultColumnsOf = (columns: ManifestColumn[]): ResultColumn[] => columns.map(({ name, type }) => ({ name, type }));

const SMALL_INTEGERS = new Set(['BYTE', 'SHORT', 'INT']);
const FLOATS = new Set(['FLOAT', 'DOUBLE']);
/** 64-bit integers and exact decimals stay strings of their digits, as for every type. */
const EXACT = new Set(['LONG', 'DECIMAL']);

/** One JSON_ARRAY value (a string or null) as a cell, by its column's type name (see introspection/cells.ts). */
export function cellOf(value: unknown, typeName: string): Cell {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeName === 'BOOLEAN' && (text === 'true' || text === 'false')) return text === 'true';
  if (SMALL_INTEGERS.has(typeName) && /^-?\d+$/.test(text)) return Number(text);
  if (FLOATS.has(typeName)) {
    const number = Number(text);
    return Number.isNaN(number) && text !== 'NaN' ? textCell(text) : numberCell(number);
  }
  if (EXACT.has(typeName)) return textCell(text);
  // JSON_ARRAY gives BINARY values base64-encoded.
  if (typeName === 'BINARY' && /^[A-Za-z0-9+/]*={0,2}$/.test(text)) return binaryCell(Buffer.from(text, 'base64'));
  return textCell(text);
}

export const rowOf = (values: unknown[], columns: ManifestColumn[]): Cell[] =>
  columns.map((column, index) => cellOf(values[index], column.typeName));
