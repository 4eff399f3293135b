import type { DataSource, EntityMetadata } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { isoTimestamp } from './columns';

type RawRow = Record<string, unknown>;
type Convert = (value: unknown) => unknown;

const unchanged: Convert = (value) => value;
const boolean: Convert = (value) => (value === null || value === undefined ? value : Boolean(value));
const simpleJson: Convert = (value) => (typeof value === 'string' ? JSON.parse(value) : value);
// pg hands over a Date of its own (kept, not copied); SQLite the ISO text.
const timestamp: Convert = (value) =>
  value === null || value === undefined ? null : value instanceof Date ? value : new Date(value as string);

/** Types both drivers hand over as they are, when no transformer is set. */
const AS_IS = new Set<unknown>(['varchar', 'text', 'uuid', 'integer']);

/**
 * How `column` is read, chosen once: what the driver's prepareHydratedValue does to it on
 * PostgreSQL and on SQLite alike, or that function itself for anything else.
 */
function converterOf(dataSource: DataSource, column: ColumnMetadata): Convert {
  if (column.transformer === isoTimestamp) return timestamp;
  if (!column.transformer) {
    if (AS_IS.has(column.type)) return unchanged;
    if (column.type === 'boolean') return boolean;
    if (column.type === 'simple-json') return simpleJson;
  }
  return (value) => dataSource.driver.prepareHydratedValue(value, column);
}

/**
 * Entities from the raw rows of plain SQL (hot reads that skip the query builder), each column
 * converted as TypeORM's own hydration would, by a conversion picked once per column rather
 * than through the driver's chain of type checks per value.
 */
export function rowHydrator<T>(dataSource: DataSource, metadata: EntityMetadata): (raw: RawRow) => T {
  const columns = metadata.columns.map((column) => ({
    property: column.propertyName,
    source: column.databaseName,
    convert: converterOf(dataSource, column),
  }));
  return (raw) => {
    const entity = metadata.create() as Record<string, unknown>;
    for (const { property, source, convert } of columns) entity[property] = convert(raw[source]);
    return entity as T;
  };
}
