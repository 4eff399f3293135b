import { parquetMetadata, parquetSchema } from 'hyparquet';
import type { FileMetaData, SchemaElement, SchemaTree } from 'hyparquet';
import type { FileColumn, FileColumnType, FileSchema } from '../introspection/types';
import type { CountingReader } from './counting-reader';
import { invalidParquet, unprocessable } from './file-errors';
import { MAX_PARQUET_FOOTER_BYTES, PARQUET_TAIL_PROBE_BYTES } from './limits';

/** PAR1 + 4-byte metadata length + PAR1 at least. */
const MIN_PARQUET_BYTES = 12;
const PLAIN_MAGIC = 'PAR1';
const ENCRYPTED_MAGIC = 'PARE';

/**
 * The footer (metadata + length + magic) through range reads: the last 64 KiB first, then,
 * when the metadata is longer, only its missing start. Nothing else of the file is read.
 */
async function readFooter(path: string, source: CountingReader): Promise<Buffer> {
  if (source.size < MIN_PARQUET_BYTES) throw invalidParquet(path, 'it is too short');
  const probeLength = Math.min(source.size, PARQUET_TAIL_PROBE_BYTES);
  const tail = await source.read(source.size - probeLength, probeLength);
  if (tail.length !== probeLength) throw invalidParquet(path, 'it changed while being read');
  const magic = tail.toString('latin1', probeLength - 4);
  if (magic === ENCRYPTED_MAGIC) throw unprocessable(`${path} is an encrypted Parquet file; its schema cannot be read.`);
  if (magic !== PLAIN_MAGIC) throw invalidParquet(path, 'it does not end with the PAR1 magic');
  const footerLength = tail.readUInt32LE(probeLength - 8) + 8;
  if (footerLength - 8 > MAX_PARQUET_FOOTER_BYTES) {
    throw unprocessable(`The Parquet footer of ${path} is ${footerLength - 8} bytes, over the ${MAX_PARQUET_FOOTER_BYTES}-byte limit.`);
  }
  if (footerLength > source.size - 4) throw invalidParquet(path, 'its footer length exceeds the file');
  if (footerLength <= probeLength) return tail.subarray(probeLength - footerLength);
  const missing = footerLength - probeLength;
  const start = await source.read(source.size - footerLength, missing);
  if (start.length !== missing) throw invalidParquet(path, 'it changed while being read');
  return Buffer.concat([start, tail]);
}

/** Logical annotations first (they refine the physical type), then legacy converted types, then physical types. */
function leafType(element: SchemaElement): FileColumnType {
  switch (element.logical_type?.type) {
    case 'STRING':
    case 'ENUM':
    case 'JSON':
    case 'UUID':
    case 'TIME':
    case 'INTERVAL':
      return 'string';
    case 'DATE':
      return 'date';
    case 'TIMESTAMP':
      return 'timestamp';
    case 'INTEGER':
      return 'integer';
    case 'DECIMAL':
    case 'FLOAT16':
      return 'number';
    case 'NULL':
      return 'null';
    case 'BSON':
    case 'GEOMETRY':
    case 'GEOGRAPHY':
      return 'binary';
  }
  return convertedType(element) ?? physicalType(element);
}

function convertedType(element: SchemaElement): FileColumnType | undefined {
  const converted = element.converted_type;
  if (!converted) return undefined;
  if (converted === 'UTF8' || converted === 'ENUM' || converted === 'JSON' || converted === 'INTERVAL') return 'string';
  if (converted.startsWith('TIME_')) return 'string';
  if (converted.startsWith('TIMESTAMP_')) return 'timestamp';
  if (converted === 'DATE') return 'date';
  if (converted === 'DECIMAL') return 'number';
  if (converted.startsWith('INT_') || converted.startsWith('UINT_')) return 'integer';
  if (converted === 'BSON') return 'binary';
  return undefined;
}

function physicalType(element: SchemaElement): FileColumnType {
  switch (element.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
    case 'INT64':
      return 'integer';
    case 'INT96':
      return 'timestamp';
    case 'FLOAT':
    case 'DOUBLE':
      return 'number';
    default:
      return 'binary';
  }
}

/** A group is an array when annotated LIST, an object otherwise (MAP, struct, VARIANT); a repeated field is an array. */
function fieldType(node: SchemaTree): FileColumnType {
  const element = node.element;
  if (element.repetition_type === 'REPEATED') return 'array';
  if (!node.children.length) return leafType(element);
  const list = element.logical_type?.type === 'LIST' || element.converted_type === 'LIST';
  return list ? 'array' : 'object';
}

function toColumn(node: SchemaTree): FileColumn {
  const element = node.element;
  return { name: String(element.name ?? ''), type: fieldType(node), nullable: element.repetition_type === 'OPTIONAL' };
}

interface ParquetFacts {
  columns: FileColumn[];
  numRows: number;
  rowGroups: number;
  createdBy?: string;
}

/** The top-level fields of a flat Parquet schema (its first element is the root). Throws on an inconsistent schema. */
export function parquetColumns(schema: SchemaElement[]): FileColumn[] {
  return parquetSchema({ schema }).children.map(toColumn);
}

function facts(metadata: FileMetaData): ParquetFacts {
  const numRows = Number(metadata.num_rows);
  if (!Number.isFinite(numRows) || !Array.isArray(metadata.row_groups)) throw new Error('incomplete metadata');
  const createdBy = typeof metadata.created_by === 'string' ? metadata.created_by : undefined;
  return { columns: parquetColumns(metadata.schema), numRows, rowGroups: metadata.row_groups.length, createdBy };
}

function decodeFooter(path: string, footer: Buffer): ParquetFacts {
  try {
    return facts(parquetMetadata(footer, { geoparquet: false }));
  } catch {
    // hyparquet throws plain errors (or TypeErrors, RangeErrors on garbage): every one is a bad file here.
    throw invalidParquet(path, 'its footer cannot be decoded');
  }
}

/** Columns of a Parquet file from its footer: the top-level fields of the schema tree. */
export async function inferParquet(path: string, source: CountingReader): Promise<FileSchema> {
  const footer = await readFooter(path, source);
  const { columns, numRows, rowGroups, createdBy } = decodeFooter(path, footer);
  const details: FileSchema['details'] = { numRows, rowGroups, bytesRead: source.bytesRead };
  if (createdBy) details.createdBy = createdBy;
  return { path, format: 'parquet', columns, details };
}
