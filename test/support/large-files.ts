/**
 * Large test files for file-schema inference, far larger than its read budget, made fast
 * and without holding them in memory:
 * - syntheticCsv / syntheticJsonl: a RangeReader whose bytes are generated from the offset
 *   asked (nothing stored), and writeLargeCsv / writeLargeJsonl: the same bytes streamed to a file;
 * - writeLargeParquet: a real Parquet file (hyparquet-writer) of many 1 MiB row groups;
 * - LARGE_*_COLUMNS: the schema file-schema must return for each;
 * - countingReader / bufferReader / openFileReader: RangeReaders for the specs.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { FileColumn, RangeReader } from '../../libs/connectors/src/introspection/types';

/** A RangeReader that counts what it served: `served` bytes in `requests` [offset, length] reads. */
export interface CountingRangeReader extends RangeReader {
  served: number;
  requests: [number, number][];
}

export function countingReader(inner: RangeReader): CountingRangeReader {
  const counting: CountingRangeReader = {
    size: inner.size,
    served: 0,
    requests: [],
    async read(offset: number, length: number): Promise<Buffer> {
      const data = await inner.read(offset, length);
      counting.served += data.length;
      counting.requests.push([offset, length]);
      return data;
    },
  };
  return counting;
}

export function bufferReader(content: Buffer | string): RangeReader {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  return { size: data.length, read: async (offset, length) => data.subarray(offset, offset + length) };
}

/** A RangeReader over a local file; close it when done. */
export async function openFileReader(path: string): Promise<RangeReader & { close(): Promise<void> }> {
  const handle = await fs.promises.open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async read(offset: number, length: number): Promise<Buffer> {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

/**
 * ASCII text made of a header and `blocks` blocks of equal length, each generated from its
 * index: any byte range is computed from its offset, so a 200 MB file costs nothing.
 */
class BlockText implements RangeReader {
  readonly size: number;
  private readonly blockLength: number;

  constructor(
    private readonly header: string,
    private readonly block: (index: number) => string,
    bytes: number,
  ) {
    this.blockLength = block(0).length;
    const blocks = Math.max(1, Math.ceil((bytes - header.length) / this.blockLength));
    this.size = header.length + blocks * this.blockLength;
  }

  private blockAt(index: number): string {
    const text = this.block(index);
    if (text.length !== this.blockLength) throw new Error(`block ${index} is ${text.length} characters, not ${this.blockLength}`);
    return text;
  }

  read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    const out = Buffer.allocUnsafe(Math.max(0, end - offset));
    let written = 0;
    if (offset < this.header.length) written += out.write(this.header.slice(offset, Math.min(end, this.header.length)), 'latin1');
    const first = Math.max(0, Math.floor((offset - this.header.length) / this.blockLength));
    for (let index = first; this.header.length + index * this.blockLength < end; index++) {
      const blockStart = this.header.length + index * this.blockLength;
      const from = Math.max(offset, blockStart) - blockStart;
      const to = Math.min(end, blockStart + this.blockLength) - blockStart;
      written += out.write(this.blockAt(index).slice(from, to), written, 'latin1');
    }
    return Promise.resolve(out.subarray(0, written));
  }
}

const two = (value: number): string => String(value).padStart(2, '0');
/** Ten digits for the first 9e9 rows: rows keep one length. */
const rowId = (row: number): number => 1_000_000_000 + row;

function csvBlock(index: number): string {
  const [even, odd] = [index * 2, index * 2 + 1];
  const line = (row: number, rest: string): string => `${rowId(row)},name_${rowId(row)},${100 + (row % 900)}.${two(row % 100)},${rest}\r\n`;
  const day = (row: number, month: string): string => `2024-${month}-${two(1 + (row % 28))}`;
  return (
    line(even, `true,${day(even, '01')},${day(even, '01')}T10:${two(even % 60)}:00Z,"say ""hi"", bob"`) +
    line(odd, `false,${day(odd, '02')},${day(odd, '02')} 11:${two(odd % 60)}:30.5+02:00,`)
  );
}

/** CRLF lines; a quoted field with a comma and doubled quotes, empty in every other row. */
export const LARGE_CSV_COLUMNS: FileColumn[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'name', type: 'string', nullable: false },
  { name: 'price', type: 'number', nullable: false },
  { name: 'active', type: 'boolean', nullable: false },
  { name: 'day', type: 'date', nullable: false },
  { name: 'updated_at', type: 'timestamp', nullable: false },
  { name: 'note', type: 'string', nullable: true },
];

export function syntheticCsv(bytes: number): RangeReader {
  return new BlockText('id,name,price,active,day,updated_at,note\r\n', csvBlock, bytes);
}

function jsonlBlock(index: number): string {
  const [even, odd] = [index * 2, index * 2 + 1];
  const start = (row: number): string => `{"id":${rowId(row)},"name":"name_${rowId(row)}","price":${100 + (row % 900)}`;
  const day = (row: number, month: string): string => `"day":"2024-${month}-${two(1 + (row % 28))}"`;
  return (
    `${start(even)}.5,"active":true,${day(even, '01')},"tags":["a","b"],"meta":{"k":1},"note":"x"}\n` +
    `${start(odd)},"active":false,${day(odd, '02')},"tags":[],"meta":null,"extra":"e"}\n`
  );
}

/** Prices mix integers and decimals; `meta` is null and `note` missing in every other record, `extra` appears in the second. */
export const LARGE_JSONL_COLUMNS: FileColumn[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'name', type: 'string', nullable: false },
  { name: 'price', type: 'number', nullable: false },
  { name: 'active', type: 'boolean', nullable: false },
  { name: 'day', type: 'date', nullable: false },
  { name: 'tags', type: 'array', nullable: false },
  { name: 'meta', type: 'object', nullable: true },
  { name: 'note', type: 'string', nullable: true },
  { name: 'extra', type: 'string', nullable: true },
];

export function syntheticJsonl(bytes: number): RangeReader {
  return new BlockText('', jsonlBlock, bytes);
}

const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

async function writeReader(path: string, reader: RangeReader): Promise<{ size: number }> {
  const handle = await fs.promises.open(path, 'w');
  try {
    for (let offset = 0; offset < reader.size; offset += WRITE_CHUNK_BYTES) {
      await handle.write(await reader.read(offset, WRITE_CHUNK_BYTES));
    }
  } finally {
    await handle.close();
  }
  return { size: reader.size };
}

/** Writes a CSV file of at least `bytes` bytes (whole lines) with the columns LARGE_CSV_COLUMNS. */
export const writeLargeCsv = (path: string, bytes: number): Promise<{ size: number }> => writeReader(path, syntheticCsv(bytes));

/** Writes a JSON-lines file of at least `bytes` bytes with the columns LARGE_JSONL_COLUMNS. */
export const writeLargeJsonl = (path: string, bytes: number): Promise<{ size: number }> => writeReader(path, syntheticJsonl(bytes));

const PAYLOAD_BYTES = 64 * 1024;
const ROWS_PER_GROUP = 16;

const LARGE_PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 5 },
  { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
  { name: 'label', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
  { name: 'payload', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' },
];

export const LARGE_PARQUET_COLUMNS: FileColumn[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'label', type: 'string', nullable: true },
  { name: 'score', type: 'number', nullable: true },
  { name: 'day', type: 'date', nullable: false },
  { name: 'payload', type: 'binary', nullable: false },
];

/**
 * Writes a Parquet file of at least `bytes` bytes: row groups of 16 rows carrying 64 KiB of
 * random (incompressible, plain-encoded) payload each, so about one row group per MiB and a
 * footer that lists them all. Memory stays at about one row group.
 */
export async function writeLargeParquet(path: string, bytes: number): Promise<{ size: number; rows: number; rowGroups: number }> {
  const pool = randomBytes(PAYLOAD_BYTES * ROWS_PER_GROUP);
  const payloads = Array.from({ length: ROWS_PER_GROUP }, (_, row) => pool.subarray(row * PAYLOAD_BYTES, (row + 1) * PAYLOAD_BYTES));
  const writer = fileWriter(path);
  const parquet = new ParquetWriter({ writer, schema: LARGE_PARQUET_SCHEMA, codec: 'UNCOMPRESSED', createdBy: 'switchboard large-files' });
  let rows = 0;
  let rowGroups = 0;
  while (writer.offset < bytes) {
    const ids = Array.from({ length: ROWS_PER_GROUP }, (_, row) => BigInt(rows + row));
    await parquet.write({
      rowGroupSize: ROWS_PER_GROUP,
      columnData: [
        { name: 'id', data: ids },
        { name: 'label', data: ids.map((id) => (id % 3n === 0n ? null : `label ${id}`)) },
        { name: 'score', data: ids.map((id) => (id % 5n === 0n ? null : Number(id) / 7)) },
        { name: 'day', data: ids.map((id) => 19_000 + Number(id % 365n)) },
        { name: 'payload', data: payloads, encoding: 'PLAIN', statistics: false },
      ],
    });
    rows += ROWS_PER_GROUP;
    rowGroups++;
  }
  await parquet.finish();
  return { size: (await fs.promises.stat(path)).size, rows, rowGroups };
}
