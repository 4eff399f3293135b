import { type CustomTypesConfig, types } from 'pg';
import { binaryCell, exactNumberCell, numberCell, structuredCell, textCell } from '../introspection/cells';
import type { Cell } from '../introspection/types';

/** Built-in type OIDs (pg_type.oid, fixed since forever). */
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

/** pg's own bytea parser: reads both the hex and the escape output formats. */
const parseBytea = types.getTypeParser(OID.bytea, 'text') as (value: string) => Buffer;

/** "YYYY-MM-DD HH:MM:SS[.ffffff]" plus, for timestamptz, "+HH[:MM[:SS]]" (DateStyle ISO). */
const ISO_TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?$/;

type CellParser = (text: string) => Cell;

const boolCell: CellParser = (text) => text === 't';
const numericCell: CellParser = (text) => numberCell(Number(text));
const byteaCell: CellParser = (text) => binaryCell(parseBytea(text));
const plainTimestampCell: CellParser = (text) => timestampCell(text, false);
const zonedTimestampCell: CellParser = (text) => timestampCell(text, true);

/**
 * The cell of a value of type `oid`, from the server's text, by the rules of
 * introspection/cells.ts. Anything not in the expected format (another DateStyle, BC dates,
 * infinity) is passed on as the server wrote it.
 */
function cellParser(oid: number): CellParser {
  switch (oid) {
    case OID.bool:
      return boolCell;
    case OID.int2:
    case OID.int4:
    case OID.oid:
    case OID.float4:
    case OID.float8:
      return numericCell;
    case OID.int8:
    case OID.numeric:
      return exactNumberCell;
    case OID.bytea:
      return byteaCell;
    case OID.timestamp:
      return plainTimestampCell;
    case OID.timestamptz:
      return zonedTimestampCell;
    case OID.json:
    case OID.jsonb:
      return structuredCell;
    default:
      // date, time, interval, uuid, arrays, composites, text...: the server's text, capped.
      return textCell;
  }
}

/**
 * Result rows as cells, for a query's `types`: pg converts each value as it parses the row
 * (NULL stays null), with one function per column chosen once from its type.
 */
export const CELL_TYPES: CustomTypesConfig = { getTypeParser: cellParser as CustomTypesConfig['getTypeParser'] };

/** One cell from the server's text of a value of type `oid`. */
export const pgCell = (oid: number, text: string | null): Cell => (text === null ? null : cellParser(oid)(text));

/** "YYYY-MM-DDTHH:MM:SS[.ffffff]", and for a zoned value the same instant in UTC ending in "Z". */
// The common shapes (sessions run in UTC) by slicing, without the captures below: this runs per cell of every row.
const PLAIN_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/;
const PLAIN_LOCAL = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?$/;

export function timestampCell(text: string, zoned: boolean): string {
  // One flat string per cell (replace copies once), not a rope of slices: (g) converts thousands per request.
  if (zoned ? PLAIN_UTC.test(text) : PLAIN_LOCAL.test(text)) return (zoned ? `${text.slice(0, -3)}Z` : text).replace(' ', 'T');
  const match = ISO_TIMESTAMP.exec(text);
  if (!match || (match[8] !== undefined) !== zoned) return textCell(text);
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours, offsetMinutes = '0', offsetSeconds = '0'] = match;
  if (!zoned) return `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}`;
  const offset = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60 + Number(offsetSeconds));
  if (offset === 0) return `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}Z`;
  // Whole seconds through Date (exact), the fraction kept as written so microseconds survive.
  const utc = new Date(0);
  utc.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  utc.setUTCHours(Number(hour), Number(minute), Number(second) - offset);
  const shifted = utc.toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z, or ±YYYYYY-… beyond year 9999
  return /^\d{4}-/.test(shifted) ? `${shifted.slice(0, 19)}${fraction}Z` : textCell(text);
}
