import type { Cell } from './types';

/**
 * One rule per kind of value, the same for every engine, so a console can render any cell:
 * - null -> null; booleans -> true/false.
 * - integers up to 32 bits and floats -> numbers; NaN and ±Infinity -> "NaN", "Infinity", "-Infinity".
 * - 64-bit integers (bigint, int8, unsigned bigint) and exact decimals (numeric, decimal) -> strings
 *   of their digits, so no precision is lost in JSON. SQLite, typed per value: integers within
 *   ±(2^53 - 1) -> numbers, beyond -> strings.
 * - date -> "YYYY-MM-DD"; timestamp without zone -> "YYYY-MM-DDTHH:MM:SS[.ffffff]";
 *   with zone -> the same in UTC ending in "Z"; time -> "HH:MM:SS[.ffffff]" as the server writes it.
 * - text longer than MAX_TEXT_CHARS characters (code points) -> its first MAX_TEXT_CHARS + TRUNCATION_MARK + the full length.
 * - binary -> "\x" + hex of its bytes (PostgreSQL's bytea format), capped at MAX_BINARY_BYTES the same way.
 * - JSON, arrays, composite and anything else -> its JSON (or server) text, capped as text.
 */
export const MAX_TEXT_CHARS = 4_096;
export const MAX_BINARY_BYTES = 2_048;
export const TRUNCATION_MARK = '…[truncated; ';

/** A whole response's cells stay below this many bytes of JSON (UTF-8, escapes included); further rows are cut off. */
export const MAX_RESULT_BYTES = 16 * 1024 * 1024;

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** Characters are code points: an emoji is one, and a cut never splits its surrogate pair. */
export function textCell(value: string): string {
  // At most one character per UTF-16 unit: short strings need no counting.
  if (value.length <= MAX_TEXT_CHARS) return value;
  let characters = 0;
  let cutAt = -1;
  for (let index = 0; index < value.length; index++) {
    if (characters === MAX_TEXT_CHARS) cutAt = index;
    if (isHighSurrogate(value.charCodeAt(index)) && isLowSurrogate(value.charCodeAt(index + 1))) index++;
    characters++;
  }
  return cutAt < 0 ? value : `${value.slice(0, cutAt)}${TRUNCATION_MARK}${characters} characters]`;
}

export function binaryCell(value: Uint8Array): string {
  const bytes = Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, MAX_BINARY_BYTES));
  const hex = `\\x${bytes.toString('hex')}`;
  return value.byteLength <= MAX_BINARY_BYTES ? hex : `${hex}${TRUNCATION_MARK}${value.byteLength} bytes]`;
}

export function numberCell(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** 64-bit integers and exact decimals, whatever the driver handed over. */
export function exactNumberCell(value: bigint | number | string): string {
  return typeof value === 'string' ? value : value.toString();
}

/** A JS Date built from a zoned timestamp: ISO 8601 in UTC (millisecond precision, as the driver parsed it). */
export function instantCell(value: Date): string {
  return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
}

/** Anything structured (JSON, arrays, composites): its JSON text, capped as text. */
export function structuredCell(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : (JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value));
  return textCell(text);
}

/** Best effort for a value whose database type says nothing more precise. */
export function anyCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return numberCell(value);
  if (typeof value === 'bigint') return exactNumberCell(value);
  if (typeof value === 'string') return textCell(value);
  if (value instanceof Date) return instantCell(value);
  if (value instanceof Uint8Array) return binaryCell(value);
  return structuredCell(value);
}

/** Printable ASCII that JSON writes as it is: one byte per character. */
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** \b \t \n \f \r: the control characters JSON escapes in two bytes rather than \uXXXX. */
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/** The bytes JSON.stringify writes for `text` in UTF-8, quotes and escapes included. */
export function jsonTextBytes(text: string): number {
  if (PLAIN_JSON_TEXT.test(text)) return text.length + 2;
  let bytes = 2;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20) bytes += SHORT_ESCAPES.has(code) ? 2 : 6;
    else if (code === 0x22 || code === 0x5c) bytes += 2;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    // A pair is 4 bytes, 2 per unit; a lone surrogate is escaped as \uXXXX.
    else if (isHighSurrogate(code) || isLowSurrogate(code)) {
      const paired = isHighSurrogate(code) ? isLowSurrogate(text.charCodeAt(index + 1)) : isHighSurrogate(text.charCodeAt(index - 1));
      bytes += paired ? 2 : 6;
    } else bytes += 3;
  }
  return bytes;
}

/** JSON size of a cell, for the response budget. */
function cellBytes(cell: Cell): number {
  if (cell === null) return 4;
  if (typeof cell === 'string') return jsonTextBytes(cell);
  return typeof cell === 'number' ? String(cell).length : 5;
}

/** A row's JSON size: its cells, commas and brackets. */
const rowBytes = (row: Cell[]): number => row.reduce<number>((sum, cell) => sum + cellBytes(cell) + 1, 2);

/**
 * At least rowBytes(row), without reading the text: a character takes at most 6 bytes of JSON
 * (\u0001), a number at most 24.
 */
const rowBytesBound = (row: Cell[]): number =>
  row.reduce<number>((sum, cell) => sum + (typeof cell === 'string' ? cell.length * 6 + 2 : 24) + 1, 2);

/**
 * Collects up to `limit` rows within MAX_RESULT_BYTES. Feed it rows until `add` answers
 * false, then stop fetching: `truncated` then says whether anything was left out. Fetch
 * limit + 1 rows so the one beyond the limit proves there were more.
 */
export class RowCollector {
  readonly rows: Cell[][] = [];
  /** An upper bound of the rows' JSON size, while it stays under the budget (reading no text). */
  private bound = 0;
  /** The exact size, counted once the bound could pass the budget. */
  private exact: number | undefined;
  private cut = false;

  constructor(
    private readonly limit: number,
    private readonly maxBytes = MAX_RESULT_BYTES,
  ) {}

  /** False once the collector is full: the caller stops reading (and closes its cursor). */
  add(row: Cell[]): boolean {
    if (this.cut) return false;
    if (this.rows.length >= this.limit) return this.refuse();
    if (this.exact === undefined) {
      const bound = rowBytesBound(row);
      if (this.bound + bound <= this.maxBytes) {
        this.bound += bound;
        this.rows.push(row);
        return true;
      }
      this.exact = this.rows.reduce((sum, kept) => sum + rowBytes(kept), 0);
    }
    const size = rowBytes(row);
    if (this.exact + size > this.maxBytes && this.rows.length > 0) return this.refuse();
    this.rows.push(row);
    this.exact += size;
    return true;
  }

  /** True once a row was refused: there was more than the response carries. */
  get truncated(): boolean {
    return this.cut;
  }

  private refuse(): false {
    this.cut = true;
    return false;
  }
}
