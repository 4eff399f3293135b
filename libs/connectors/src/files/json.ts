import type { FileColumn } from '../introspection/types';
import { invalidJson, unprocessable } from './file-errors';
import { MAX_COLUMNS } from './limits';
import { ColumnStats, jsonValueType } from './value-types';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

export function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index after the closing quote of the string opening at `start`, or -1 when the text ends first. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) i++;
    else if (code === QUOTE) return i + 1;
  }
  return -1;
}

/** Index after the object or array opening at `start` (brackets counted outside strings), or -1. */
function containerEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = stringEnd(text, i) - 1;
      if (i < 0) return -1;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Where the JSON value starting at `start` ends, found without parsing it: -1 when the text
 * ends first (a scalar is only known to end at a space, comma or bracket). Validation is
 * JSON.parse's job on the slice; this only finds record boundaries, iteratively (no
 * recursion, so nesting depth costs nothing).
 */
export function valueEnd(text: string, start: number): number {
  const code = text.charCodeAt(start);
  if (code === OPEN_BRACE || code === OPEN_BRACKET) return containerEnd(text, start);
  if (code === QUOTE) return stringEnd(text, start);
  let i = start;
  while (i < text.length) {
    const next = text.charCodeAt(i);
    if (isSpace(next) || next === COMMA || next === CLOSE_BRACE || next === CLOSE_BRACKET) return i;
    i++;
  }
  return -1;
}

function parseRecord(path: string, slice: string, index: number): unknown {
  try {
    return JSON.parse(slice);
  } catch {
    throw invalidJson(path, index + 1);
  }
}

/**
 * The complete values of a JSON-lines text (any whitespace between values). A value cut by
 * the end of the head is dropped; in a complete text it is invalid JSON.
 */
export function jsonLinesRecords(path: string, text: string, complete: boolean, max: number): unknown[] {
  const records: unknown[] = [];
  let i = skipSpace(text, 0);
  while (i < text.length && records.length < max) {
    let end = valueEnd(text, i);
    if (end < 0 && !complete) break;
    if (end < 0) end = text.length;
    records.push(parseRecord(path, text.slice(i, end), records.length));
    i = skipSpace(text, end);
  }
  return records;
}

/** The complete elements of the JSON array opening at `start` (`[`); the element cut by the end of the head is dropped. */
export function jsonArrayRecords(path: string, text: string, start: number, complete: boolean, max: number): unknown[] {
  const records: unknown[] = [];
  let i = skipSpace(text, start + 1);
  if (text.charCodeAt(i) === CLOSE_BRACKET) return records;
  while (i < text.length && records.length < max) {
    let end = valueEnd(text, i);
    if (end < 0 && !complete) break;
    if (end < 0) end = text.length;
    records.push(parseRecord(path, text.slice(i, end), records.length));
    i = skipSpace(text, end);
    const separator = text.charCodeAt(i);
    if (separator === CLOSE_BRACKET || i >= text.length) break;
    if (separator !== COMMA) throw invalidJson(path, records.length + 1);
    i = skipSpace(text, i + 1);
  }
  if (complete && records.length < max && text.charCodeAt(i) !== CLOSE_BRACKET) throw invalidJson(path, records.length + 1);
  return records;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface JsonSchema {
  columns: FileColumn[];
  sampledRows: number;
  columnsTruncated: boolean;
}

/**
 * Columns of sampled JSON records: the union of the keys in first-seen order; a key
 * missing from a record, or null in it, makes its column nullable; a column that was only
 * ever null is typed 'null'. Records that are not objects (an array of scalars, a lines
 * file of numbers) make one column named `value`; objects mixed with other values are 422.
 */
export function inferJsonColumns(path: string, records: unknown[]): JsonSchema {
  const objects = records.filter(isObject).length;
  if (objects > 0 && objects < records.length) {
    throw unprocessable(`${path} mixes JSON objects with other values; expected one object per record.`);
  }
  const rows = objects ? (records as Record<string, unknown>[]) : records.map((value) => ({ value }));
  const columns = new Map<string, ColumnStats>();
  const seen = new Map<string, number>();
  let columnsTruncated = false;
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      let stats = columns.get(key);
      if (!stats && columns.size >= MAX_COLUMNS) {
        columnsTruncated = true;
        continue;
      }
      if (!stats) columns.set(key, (stats = new ColumnStats(key)));
      stats.add(jsonValueType(value));
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  for (const [key, stats] of columns) if ((seen.get(key) ?? 0) < rows.length) stats.markNullable();
  return { columns: [...columns.values()].map((stats) => stats.toColumn('null')), sampledRows: rows.length, columnsTruncated };
}
