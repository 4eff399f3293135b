import type { FieldPacket, TypeCast } from 'mysql2';
import { binaryCell, exactNumberCell, numberCell, textCell } from '../introspection/cells';
import type { Cell, ResultColumn } from '../introspection/types';

/**
 * MySQL/MariaDB values as cells (see introspection/cells.ts). The pool is opened with
 * supportBigNumbers + bigNumberStrings, dateStrings and jsonStrings, so mysql2 hands over
 * the server's text for everything but small integers and floats; this turns that into the
 * common rules:
 * - TINYINT…INT, YEAR, FLOAT, DOUBLE -> numbers (BOOLEAN is TINYINT(1): 0/1, as the server has it);
 * - BIGINT (signed or not), DECIMAL -> strings of digits;
 * - BIT(1) -> true/false; BIT(n) -> its unsigned value (a number up to 32 bits, else a string);
 * - DATE -> "YYYY-MM-DD"; DATETIME -> "YYYY-MM-DDTHH:MM:SS[.ffffff]"; TIMESTAMP (zoned: the
 *   session is UTC) -> the same ending in "Z"; zero dates ("0000-00-00…") as the server writes them;
 * - TIME -> "[-]HH:MM:SS[.ffffff]" as the server writes it (it may exceed 24 h);
 * - JSON, ENUM, SET, text -> text (capped); binary strings, BLOB, GEOMETRY, VECTOR -> "\x…" hex (capped).
 */

function bitCell(bytes: Buffer, width: number): Cell {
  if (width === 1) return bytes.length > 0 && bytes[bytes.length - 1] === 1;
  const value = bytes.reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
  return width <= 32 ? Number(value) : value.toString();
}

/** "YYYY-MM-DD HH:MM:SS[.ffffff]" -> ISO with a T; zero dates stay as they are. */
function dateTimeCell(text: string, zoned: boolean): string {
  if (text.startsWith('0000-00-00')) return text;
  const iso = text.replace(' ', 'T');
  return zoned ? `${iso}Z` : iso;
}

/** The cell of one value; `next` is mysql2's own conversion (with the pool's options above). */
export const mysqlTypeCast: TypeCast = (field, next) => {
  switch (field.type) {
    case 'GEOMETRY':
    case 'VECTOR': {
      const bytes = field.buffer();
      return bytes === null ? null : binaryCell(bytes);
    }
    case 'BIT': {
      const bytes = next() as Buffer | null;
      return bytes === null ? null : bitCell(bytes, field.length);
    }
    case 'TIMESTAMP':
    case 'DATETIME': {
      const text = next() as string | null;
      return text === null ? null : dateTimeCell(text, field.type === 'TIMESTAMP');
    }
    case 'LONGLONG':
    case 'DECIMAL':
    case 'NEWDECIMAL': {
      const value = next() as string | null;
      return value === null ? null : exactNumberCell(value);
    }
    default:
      return anyServerValue(next());
  }
};

/** Numbers (small integers, floats), text (dates, JSON, strings) or bytes (binary collation). */
function anyServerValue(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return numberCell(value);
  if (Buffer.isBuffer(value)) return binaryCell(value);
  return textCell(String(value));
}

const BINARY_CHARSET = 63;
const UNSIGNED_FLAG = 32;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;

/** Type names by protocol type code; [text name, binary name] for the string types. */
const TYPE_NAMES: Record<number, string | [string, string]> = {
  0x00: 'decimal',
  0x01: 'tinyint',
  0x02: 'smallint',
  0x03: 'int',
  0x04: 'float',
  0x05: 'double',
  0x06: 'null',
  0x07: 'timestamp',
  0x08: 'bigint',
  0x09: 'mediumint',
  0x0a: 'date',
  0x0b: 'time',
  0x0c: 'datetime',
  0x0d: 'year',
  0x0e: 'date',
  0x0f: ['varchar', 'varbinary'],
  0x10: 'bit',
  0xf2: 'vector',
  0xf5: 'json',
  0xf6: 'decimal',
  0xf7: 'enum',
  0xf8: 'set',
  0xf9: ['tinytext', 'tinyblob'],
  0xfa: ['mediumtext', 'mediumblob'],
  0xfb: ['longtext', 'longblob'],
  0xfc: ['text', 'blob'],
  0xfd: ['varchar', 'varbinary'],
  0xfe: ['char', 'binary'],
  0xff: 'geometry',
};
const NUMERIC = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint', 'decimal', 'float', 'double']);

/** A result column's type as the server describes it on the wire, e.g. `bigint unsigned`, `varchar`, `json`. */
export function columnTypeName(field: FieldPacket): string {
  if (field.extendedTypeName) return field.extendedTypeName;
  if (field.extendedFormat === 'json') return 'json';
  const flags = typeof field.flags === 'number' ? field.flags : 0;
  if (flags & ENUM_FLAG) return 'enum';
  if (flags & SET_FLAG) return 'set';
  const name = TYPE_NAMES[field.columnType ?? -1] ?? 'unknown';
  if (Array.isArray(name)) return field.characterSet === BINARY_CHARSET ? name[1] : name[0];
  return NUMERIC.has(name) && flags & UNSIGNED_FLAG ? `${name} unsigned` : name;
}

export const resultColumns = (fields: FieldPacket[]): ResultColumn[] =>
  fields.map((field) => ({ name: field.name, type: columnTypeName(field) }));
