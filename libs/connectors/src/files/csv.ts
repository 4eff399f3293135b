import type { FileColumn } from '../introspection/types';
import { DELIMITER_PROBE_RECORDS, MAX_COLUMNS, SAMPLE_RECORDS } from './limits';
import { ColumnStats, cellType } from './value-types';

export const CSV_DELIMITERS = [',', '\t', ';', '|'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

export interface CsvParseOptions {
  /** The text is the whole file: a last record without a line break is complete. */
  complete: boolean;
  maxRecords: number;
}

interface ParsedRecord {
  fields: string[];
  next: number;
  /** Ended by a line break (or by the end of a complete text). */
  terminated: boolean;
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** One quoted field from the opening quote at `start`; null when the text ends inside it. */
function readQuoted(text: string, start: number): { value: string; next: number } | null {
  let value = '';
  let i = start + 1;
  for (;;) {
    const close = text.indexOf('"', i);
    if (close < 0) return null;
    value += text.slice(i, close);
    if (text.charCodeAt(close + 1) !== QUOTE) return { value, next: close + 1 };
    value += '"';
    i = close + 2;
  }
}

/** Characters up to the next delimiter or line break (RFC 4180 leniency: a stray quote is literal). */
function readUnquoted(text: string, start: number, delimiter: number): number {
  let i = start;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === delimiter || code === LF || code === CR) break;
    i++;
  }
  return i;
}

/** One record from `start`: RFC 4180 quotes, doubled quotes, quoted line breaks, CRLF, LF or CR endings. */
function readRecord(text: string, start: number, delimiter: number): ParsedRecord {
  const fields: string[] = [];
  let i = start;
  for (;;) {
    let field = '';
    if (text.charCodeAt(i) === QUOTE) {
      const quoted = readQuoted(text, i);
      // An unclosed quote runs to the end of the text: kept only if the text is the whole file.
      if (!quoted) return { fields: [...fields, text.slice(i + 1)], next: text.length, terminated: false };
      field = quoted.value;
      i = quoted.next;
    }
    const end = readUnquoted(text, i, delimiter);
    field += text.slice(i, end);
    fields.push(field);
    i = end;
    if (i >= text.length) return { fields, next: i, terminated: false };
    const code = text.charCodeAt(i);
    i++;
    if (code === delimiter) continue;
    if (code === CR && text.charCodeAt(i) === LF) i++;
    return { fields, next: i, terminated: true };
  }
}

/**
 * Complete records of `text`, blank lines skipped. When the text is only the head of the
 * file, the record cut by the end of the head is dropped; in a complete text an
 * unterminated last record (even an unclosed quote) is kept.
 */
export function parseCsv(text: string, delimiter: string, options: CsvParseOptions): string[][] {
  const records: string[][] = [];
  const code = delimiter.charCodeAt(0);
  let i = 0;
  while (i < text.length && records.length < options.maxRecords) {
    const record = readRecord(text, i, code);
    if (!record.terminated && !options.complete) break;
    if (record.fields.length > 1 || record.fields[0] !== '') records.push(record.fields);
    i = record.next;
  }
  return records;
}

interface DelimiterScore {
  delimiter: CsvDelimiter;
  /** The most frequent number of fields per record. */
  fields: number;
  /** Share of records with that number of fields. */
  consistency: number;
}

function scoreDelimiter(text: string, delimiter: CsvDelimiter, complete: boolean): DelimiterScore {
  const records = parseCsv(text, delimiter, { complete, maxRecords: DELIMITER_PROBE_RECORDS });
  const counts = new Map<number, number>();
  for (const record of records) counts.set(record.length, (counts.get(record.length) ?? 0) + 1);
  let fields = 0;
  let best = 0;
  for (const [count, times] of counts) {
    if (times > best || (times === best && count > fields)) [fields, best] = [count, times];
  }
  return { delimiter, fields, consistency: records.length ? best / records.length : 0 };
}

/**
 * The delimiter among , tab ; | whose records most consistently have the same number (>1)
 * of fields; ties go to the larger field count, then to the order above. Null when no
 * candidate splits the records at all (a one-column file).
 */
export function detectDelimiter(text: string, complete: boolean): DelimiterScore | null {
  let best: DelimiterScore | null = null;
  for (const delimiter of CSV_DELIMITERS) {
    const score = scoreDelimiter(text, delimiter, complete);
    if (score.fields < 2) continue;
    const better = !best || score.consistency > best.consistency || (score.consistency === best.consistency && score.fields > best.fields);
    if (better) best = score;
  }
  return best;
}

/**
 * Stats of the columns named `names` over `rows`, in one pass over the cells (so the cost is
 * bounded by the head's size, whatever the width); a missing cell counts as null.
 */
function sampleColumns(names: string[], rows: string[][]): ColumnStats[] {
  const stats = names.map((name) => new ColumnStats(name));
  const present = new Array<number>(names.length).fill(0);
  for (const row of rows) {
    const cells = Math.min(row.length, stats.length);
    for (let index = 0; index < cells; index++) {
      stats[index].add(cellType(row[index]));
      present[index]++;
    }
  }
  stats.forEach((column, index) => {
    if (present[index] < rows.length) column.markNullable();
  });
  return stats;
}

/**
 * Whether the first record is a header. Evidence for: a column whose other values are
 * typed (integer, number, boolean, date, timestamp) has an untyped first cell. Without such
 * evidence (all-string files, or a single record), the first record is a header when its
 * cells are non-empty, distinct and untyped. So a headerless numeric file is data, and
 * `name,2021\nalice,5` is too: its header cannot be told from data.
 */
export function detectHeader(records: string[][]): boolean {
  const [first, ...rest] = records;
  if (!first) return false;
  const untyped = first.slice(0, MAX_COLUMNS).map((cell) => cellType(cell) === 'string');
  const unnamed = untyped.map(() => '');
  const below = sampleColumns(unnamed, rest).map((column) => column.knownType);
  const evidence = untyped.some((isUntyped, index) => isUntyped && below[index] !== undefined && below[index] !== 'string');
  if (evidence) return true;
  const distinct = new Set(first.map((cell) => cell.trim())).size === first.length;
  return distinct && first.every((cell) => cellType(cell) === 'string');
}

/** Header cells made usable: trimmed, blanks named column_<n>, duplicates suffixed _2, _3... */
export function columnNames(header: string[] | null, width: number): string[] {
  const names: string[] = [];
  const taken = new Set<string>();
  const nextSuffix = new Map<string, number>();
  for (let index = 0; index < width; index++) {
    const base = header?.[index]?.trim() || `column_${index + 1}`;
    let name = base;
    if (taken.has(name)) {
      let suffix = nextSuffix.get(base) ?? 2;
      while (taken.has(`${base}_${suffix}`)) suffix++;
      nextSuffix.set(base, suffix + 1);
      name = `${base}_${suffix}`;
    }
    taken.add(name);
    names.push(name);
  }
  return names;
}

export interface CsvSchema {
  columns: FileColumn[];
  delimiter: string;
  header: boolean;
  sampledRows: number;
  columnsTruncated: boolean;
}

export interface CsvInferOptions {
  complete: boolean;
  /** Forced (e.g. tab for .tsv); detected otherwise. */
  delimiter?: CsvDelimiter;
  /** Refuse text without a consistent delimiter (format sniffing): returns null instead of a one-column file. */
  requireDelimiter?: boolean;
  sampleRecords?: number;
  /** The head cannot grow: a header alone (its first row cut by the end of the head) is enough. */
  acceptHeaderOnly?: boolean;
}

/** The CSV schema of a head; 'none' when the head holds no complete record, null when not CSV (requireDelimiter). */
export function inferCsv(text: string, options: CsvInferOptions): CsvSchema | 'none' | null {
  const detected = options.delimiter ? null : detectDelimiter(text, options.complete);
  if (options.requireDelimiter && !options.delimiter && (!detected || detected.consistency < 0.8)) return null;
  const delimiter = options.delimiter ?? detected?.delimiter ?? ',';
  const sample = options.sampleRecords ?? SAMPLE_RECORDS;
  const records = parseCsv(text, delimiter, { complete: options.complete, maxRecords: sample + 1 });
  if (records.length === 0 || (records.length === 1 && !options.complete && !options.acceptHeaderOnly)) return 'none';
  const header = detectHeader(records);
  const rows = header ? records.slice(1) : records.slice(0, sample);
  return { ...typeColumns(header ? records[0] : null, rows), delimiter, header, sampledRows: rows.length };
}

function typeColumns(header: string[] | null, rows: string[][]): { columns: FileColumn[]; columnsTruncated: boolean } {
  const fullWidth = Math.max(header?.length ?? 0, ...rows.map((row) => row.length));
  const width = Math.min(fullWidth, MAX_COLUMNS);
  const stats = sampleColumns(columnNames(header, width), rows);
  return { columns: stats.map((column) => column.toColumn('string')), columnsTruncated: fullWidth > width };
}
