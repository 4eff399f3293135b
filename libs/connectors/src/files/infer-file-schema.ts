import type { FileFormat, FileSchema, RangeReader } from '../introspection/types';
import { CountingReader } from './counting-reader';
import { CsvDelimiter, inferCsv } from './csv';
import { FormatHint, formatFromPath } from './detect';
import { emptyFile, noRecords, recordTooLarge, unknownFormat, unprocessable } from './file-errors';
import { Head, HeadText, looksBinary } from './head';
import { inferJsonColumns, jsonArrayRecords, jsonLinesRecords, skipSpace } from './json';
import { HEAD_BUDGET_BYTES, MAX_HEAD_BYTES, SAMPLE_RECORDS } from './limits';
import { inferParquet } from './parquet';

export { HEAD_BUDGET_BYTES, MAX_HEAD_BYTES, MAX_PARQUET_FOOTER_BYTES, PARQUET_TAIL_PROBE_BYTES, SAMPLE_RECORDS } from './limits';

export interface InferFileSchemaOptions {
  /** Bytes of the head read first (default HEAD_BUDGET_BYTES, at most MAX_HEAD_BYTES). */
  headBytes?: number;
  /** Records sampled (default and maximum SAMPLE_RECORDS). */
  sampleRecords?: number;
}

/** What a head analysis found; 'none' when the head holds no complete record yet. */
type Found = Pick<FileSchema, 'format' | 'columns' | 'details'>;
type Outcome = Found | 'none';

interface Analysis {
  path: string;
  head: HeadText;
  sample: number;
  /** The head cannot grow any more. */
  lastChance: boolean;
}

function clamp(value: number | undefined, fallback: number, max: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.min(Math.floor(value), max) : fallback;
}

function csvOutcome(analysis: Analysis, delimiter?: CsvDelimiter, requireDelimiter = false): Outcome | null {
  const { head, sample, lastChance } = analysis;
  const csv = inferCsv(head.text, {
    complete: head.complete,
    delimiter,
    requireDelimiter,
    sampleRecords: sample,
    acceptHeaderOnly: lastChance,
  });
  if (csv === null || csv === 'none') return csv;
  const details: FileSchema['details'] = { delimiter: csv.delimiter, header: csv.header, sampledRows: csv.sampledRows };
  if (csv.columnsTruncated) details.columnsTruncated = true;
  return { format: 'csv', columns: csv.columns, details };
}

function jsonOutcome(analysis: Analysis, records: unknown[], format: FileFormat): Outcome {
  if (!records.length) {
    if (!analysis.head.complete) return 'none';
    throw noRecords(analysis.path);
  }
  const json = inferJsonColumns(analysis.path, records);
  const details: FileSchema['details'] = { sampledRows: json.sampledRows };
  if (json.columnsTruncated) details.columnsTruncated = true;
  return { format, columns: json.columns, details };
}

function jsonLinesRecordsOf({ path, head, sample }: Analysis): unknown[] {
  return jsonLinesRecords(path, head.text, head.complete, sample);
}

function jsonArrayRecordsOf({ path, head, sample }: Analysis, start: number): unknown[] {
  return jsonArrayRecords(path, head.text, start, head.complete, sample);
}

/** JSON values one after another are JSON lines; a single complete value of a .json file is a JSON document. */
function jsonValuesOutcome(analysis: Analysis, records: unknown[], named: 'jsonl' | 'json'): Outcome {
  const single = named === 'json' && records.length === 1 && analysis.head.complete;
  return jsonOutcome(analysis, records, single ? 'json' : 'jsonl');
}

/** A .json file: an array of records, or JSON values one after another. */
function jsonFileOutcome(analysis: Analysis): Outcome {
  const start = skipSpace(analysis.head.text, 0);
  const first = analysis.head.text[start];
  if (first === '[') return jsonOutcome(analysis, jsonArrayRecordsOf(analysis, start), 'json');
  if (first === '{') return jsonValuesOutcome(analysis, jsonLinesRecordsOf(analysis), 'json');
  throw unprocessable(`${analysis.path} is not a JSON array or JSON objects.`);
}

/**
 * No telling extension: `[` -> JSON array, `{` -> JSON values, else CSV when a delimiter is
 * consistent. JSON that does not parse falls back to CSV (a log line may start with `[`).
 */
function sniffOutcome(analysis: Analysis, allowOneColumn: boolean): Outcome {
  const start = skipSpace(analysis.head.text, 0);
  const first = analysis.head.text[start];
  if (first === '[' || first === '{') {
    let records: unknown[];
    try {
      records = first === '[' ? jsonArrayRecordsOf(analysis, start) : jsonLinesRecordsOf(analysis);
    } catch {
      return csvOutcome(analysis, undefined, true) ?? throwUnknown(analysis.path);
    }
    return first === '[' ? jsonOutcome(analysis, records, 'json') : jsonValuesOutcome(analysis, records, 'json');
  }
  return csvOutcome(analysis, undefined, !allowOneColumn) ?? throwUnknown(analysis.path);
}

function throwUnknown(path: string): never {
  throw unknownFormat(path);
}

function analyse(hint: FormatHint | null, analysis: Analysis): Outcome {
  switch (hint) {
    case 'csv':
      return csvOutcome(analysis) ?? 'none';
    case 'tsv':
      return csvOutcome(analysis, '\t') ?? 'none';
    case 'jsonl':
      return jsonValuesOutcome(analysis, jsonLinesRecordsOf(analysis), 'jsonl');
    case 'json':
      return jsonFileOutcome(analysis);
    case 'text':
      return sniffOutcome(analysis, true);
    default:
      return sniffOutcome(analysis, false);
  }
}

/** CSV and JSON: the head only, grown once (up to MAX_HEAD_BYTES) when its first record does not fit. */
async function inferFromHead(path: string, hint: FormatHint | null, head: Head, sample: number): Promise<Found> {
  for (;;) {
    const text = await head.text(path);
    if (text.complete && text.text.trim() === '') throw emptyFile(path);
    if (looksBinary(text.text)) throw unknownFormat(path);
    const outcome = analyse(hint, { path, head: text, sample, lastChance: !head.canGrow });
    if (outcome !== 'none') {
      if (text.compression) outcome.details.compression = text.compression;
      return outcome;
    }
    if (text.complete) throw noRecords(path);
    if (!head.canGrow) throw recordTooLarge(path, head.bytes.length);
    await head.readUpTo(MAX_HEAD_BYTES);
  }
}

/**
 * Detects the format of `path` and infers its columns from a bounded read: the head
 * (CSV, JSON; HEAD_BUDGET_BYTES, grown to MAX_HEAD_BYTES only when the first record needs
 * it) or the Parquet footer. Format: the Parquet magic, else the extension, else the head.
 * Every problem with the file itself is a 422 AppError; errors of the reader pass through.
 */
export async function inferFileSchema(path: string, reader: RangeReader, options: InferFileSchemaOptions = {}): Promise<FileSchema> {
  const source = new CountingReader(reader);
  if (source.size <= 0) throw emptyFile(path);
  const { hint, gzip } = formatFromPath(path);
  if (hint === 'parquet' && gzip) {
    throw unprocessable(`${path} is a gzip-compressed Parquet file; Parquet compresses its own pages, store it uncompressed.`);
  }
  if (hint === 'parquet') return inferParquet(path, source);
  const head = new Head(source);
  await head.readUpTo(clamp(options.headBytes, HEAD_BUDGET_BYTES, MAX_HEAD_BYTES));
  if (head.isParquet) return inferParquet(path, source);
  const outcome = await inferFromHead(path, hint, head, clamp(options.sampleRecords, SAMPLE_RECORDS, SAMPLE_RECORDS));
  return { path, format: outcome.format, columns: outcome.columns, details: { ...outcome.details, bytesRead: source.bytesRead } };
}
