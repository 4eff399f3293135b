import type { FileColumn, FileColumnType } from '../introspection/types';

/**
 * Column types inferred from sampled values, the same rules for CSV cells and JSON values:
 * integer+number -> number, date+timestamp -> timestamp, any other mix -> string; a null
 * (empty CSV cell, JSON null, missing key or field) makes the column nullable.
 */

const INTEGER = /^[-+]?(?:0|[1-9]\d*)$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function validDate(year: string, month: string, day: string): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
}

/** 'date' for YYYY-MM-DD, 'timestamp' for ISO 8601 date-times (T or space, optional seconds, fraction, zone), else null. */
export function temporalType(value: string): 'date' | 'timestamp' | null {
  const date = DATE.exec(value);
  if (date) return validDate(date[1], date[2], date[3]) ? 'date' : null;
  const stamp = TIMESTAMP.exec(value);
  if (!stamp || !validDate(stamp[1], stamp[2], stamp[3])) return null;
  const [hour, minute, second] = [Number(stamp[4]), Number(stamp[5]), Number(stamp[6] ?? 0)];
  return hour <= 23 && minute <= 59 && second <= 60 ? 'timestamp' : null;
}

/**
 * The type of a CSV cell, or null when empty. Integers with a leading zero (zip codes,
 * identifiers such as 007) stay strings; booleans are true/false in any case.
 */
export function cellType(raw: string): FileColumnType | null {
  const value = raw.trim();
  if (value === '') return null;
  if (INTEGER.test(value)) return 'integer';
  if (NUMBER.test(value) && !/^[-+]?0\d/.test(value)) return 'number';
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return 'boolean';
  return temporalType(value) ?? 'string';
}

/** The type of a parsed JSON value, or null for JSON null. Strings holding ISO dates are date/timestamp, as in CSV. */
export function jsonValueType(value: unknown): FileColumnType | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return temporalType(value) ?? 'string';
  return Array.isArray(value) ? 'array' : 'object';
}

/** The narrowest type holding both. */
export function mergeTypes(a: FileColumnType | undefined, b: FileColumnType): FileColumnType {
  if (a === undefined || a === b) return b;
  const pair = new Set([a, b]);
  if (pair.has('integer') && pair.has('number')) return 'number';
  if (pair.has('date') && pair.has('timestamp')) return 'timestamp';
  return 'string';
}

/** Accumulates the sampled values of one column. */
export class ColumnStats {
  private type: FileColumnType | undefined;
  private nullable = false;

  constructor(readonly name: string) {}

  /** The merged type of the non-null values, undefined when there were none. */
  get knownType(): FileColumnType | undefined {
    return this.type;
  }

  add(type: FileColumnType | null): void {
    if (type === null) this.nullable = true;
    else this.type = mergeTypes(this.type, type);
  }

  markNullable(): void {
    this.nullable = true;
  }

  /** A column that only held nulls (or no value at all) is `whenUnknown`, nullable. */
  toColumn(whenUnknown: FileColumnType): FileColumn {
    if (this.type === undefined) return { name: this.name, type: whenUnknown, nullable: true };
    return { name: this.name, type: this.type, nullable: this.nullable };
  }
}
