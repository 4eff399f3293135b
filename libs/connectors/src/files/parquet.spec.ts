import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@switchboard/common';
import type { SchemaElement } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { LARGE_PARQUET_COLUMNS, countingReader, openFileReader, writeLargeParquet } from '../../../../test/support/large-files';
import { assertUnprocessable, columns, infer } from '../../../../test/support/file-schemas';
import { inferFileSchema } from './infer-file-schema';
import { MAX_PARQUET_FOOTER_BYTES, PARQUET_TAIL_PROBE_BYTES } from './limits';
import { parquetColumns } from './parquet';

const utf8 = (name: string, repetition: 'REQUIRED' | 'OPTIONAL'): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  repetition_type: repetition,
});

/** Every kind of column hyparquet-writer can write, nullable and not, nested included. */
const RICH_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 21 },
  { name: 'b', type: 'BOOLEAN', repetition_type: 'REQUIRED' },
  { name: 'i32', type: 'INT32', repetition_type: 'OPTIONAL' },
  { name: 'i64', type: 'INT64', repetition_type: 'REQUIRED' },
  { name: 'u32', type: 'INT32', converted_type: 'UINT_32', repetition_type: 'OPTIONAL' },
  { name: 'u64', type: 'INT64', logical_type: { type: 'INTEGER', bitWidth: 64, isSigned: false }, repetition_type: 'REQUIRED' },
  { name: 'f', type: 'FLOAT', repetition_type: 'REQUIRED' },
  { name: 'd', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  { name: 'dec', type: 'INT32', converted_type: 'DECIMAL', precision: 9, scale: 2, repetition_type: 'REQUIRED' },
  utf8('s', 'OPTIONAL'),
  { name: 'e', type: 'BYTE_ARRAY', converted_type: 'ENUM', repetition_type: 'REQUIRED' },
  { name: 'j', type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' },
  { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
  { name: 'ts', type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }, repetition_type: 'OPTIONAL' },
  { name: 'tsm', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
  { name: 't', type: 'INT32', converted_type: 'TIME_MILLIS', repetition_type: 'REQUIRED' },
  { name: 'bin', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
  { name: 'uuid', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' }, repetition_type: 'REQUIRED' },
  { name: 'tags', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  utf8('element', 'OPTIONAL'),
  { name: 'address', repetition_type: 'OPTIONAL', num_children: 2 },
  utf8('city', 'REQUIRED'),
  { name: 'zip', type: 'INT32', repetition_type: 'OPTIONAL' },
  { name: 'attrs', repetition_type: 'REQUIRED', converted_type: 'MAP', num_children: 1 },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  utf8('key', 'REQUIRED'),
  { name: 'value', type: 'INT32', repetition_type: 'OPTIONAL' },
  { name: 'half', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, logical_type: { type: 'FLOAT16' }, repetition_type: 'OPTIONAL' },
];

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function richParquet(): Buffer {
  const data: Record<string, unknown[]> = {
    b: [true, false],
    i32: [1, null],
    i64: [1n, 2n],
    u32: [4_000_000_000, null],
    u64: [18446744073709551615n, 0n],
    f: [1.5, 2.5],
    d: [null, 3.25],
    dec: [12.34, 5.6],
    s: ['a', null],
    e: [bytes('RED'), bytes('BLUE')],
    j: [{ a: 1 }, null],
    day: [new Date('2024-01-02'), new Date('2024-03-04')],
    ts: [new Date('2024-01-02T03:04:05Z'), null],
    tsm: [new Date('2024-01-02T03:04:05Z'), new Date(0)],
    t: [1000, 2000],
    bin: [new Uint8Array([1, 2]), null],
    uuid: ['00112233-4455-6677-8899-aabbccddeeff', '00112233-4455-6677-8899-aabbccddeef0'],
    tags: [['x', null], null],
    address: [{ city: 'Paris', zip: 75001 }, null],
    attrs: [{ k: 1 }, {}],
    half: [1.5, null],
  };
  const columnData = Object.entries(data).map(([name, values]) => ({ name, data: values }));
  return Buffer.from(parquetWriteBuffer({ schema: RICH_SCHEMA, columnData, createdBy: 'switchboard spec' }));
}

const RICH_COLUMNS = columns(
  'b:boolean i32:integer? i64:integer u32:integer? u64:integer f:number d:number? dec:number s:string? e:string j:string? ' +
    'day:date ts:timestamp? tsm:timestamp t:string bin:binary? uuid:string tags:array? address:object? attrs:object half:number?',
);

/** Deterministic bytes for the corruption fuzz (reproducible failures). */
function* pseudoRandom(seed: number): Generator<number> {
  let state = seed;
  for (;;) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    yield state;
  }
}

describe('Parquet file schemas', () => {
  const rich = richParquet();

  it('maps every physical and logical type, nullability and nested list/struct/map from the footer', async () => {
    const schema = await infer('data/rich.parquet', rich);
    assert.equal(schema.format, 'parquet');
    assert.deepEqual(schema.columns, RICH_COLUMNS);
    assert.deepEqual(schema.details, { numRows: 2, rowGroups: 1, bytesRead: rich.length, createdBy: 'switchboard spec' });
  });

  it('detects Parquet by its magic whatever the name, and reads only the tail for a .parquet name', async () => {
    const sniffed = await infer('data/rich', rich);
    assert.deepEqual(sniffed.columns, RICH_COLUMNS);
    const misnamed = await infer('data/rich.csv', rich);
    assert.equal(misnamed.format, 'parquet');
  });

  it('maps the types hyparquet-writer cannot write: legacy repeated fields, INT96, TIME, NULL, BSON, intervals', () => {
    const schema: SchemaElement[] = [
      { name: 'root', num_children: 8 },
      { name: 'scores', type: 'INT32', repetition_type: 'REPEATED' },
      { name: 'legacy_ts', type: 'INT96', repetition_type: 'OPTIONAL' },
      { name: 'time', type: 'INT64', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' }, repetition_type: 'REQUIRED' },
      { name: 'nothing', type: 'INT32', logical_type: { type: 'NULL' }, repetition_type: 'OPTIONAL' },
      { name: 'doc', type: 'BYTE_ARRAY', converted_type: 'BSON', repetition_type: 'OPTIONAL' },
      { name: 'span', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 12, converted_type: 'INTERVAL', repetition_type: 'OPTIONAL' },
      { name: 'small', type: 'INT32', converted_type: 'UINT_8', repetition_type: 'REQUIRED' },
      { name: 'pairs', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'k', type: 'INT32', repetition_type: 'REQUIRED' },
    ];
    assert.deepEqual(
      parquetColumns(schema),
      columns('scores:array legacy_ts:timestamp? time:string nothing:null? doc:binary? span:string? small:integer pairs:array'),
    );
  });

  it('refuses a truncated file, a footer length past the file, an encrypted footer and a non-Parquet .parquet', async () => {
    await assertUnprocessable(
      'cut.parquet',
      rich.subarray(0, rich.length - 10),
      /cut.parquet is not a valid Parquet file: it does not end with the PAR1 magic/,
    );
    const lying = Buffer.from(rich);
    lying.writeUInt32LE(rich.length, rich.length - 8);
    await assertUnprocessable('lying.parquet', lying, /its footer length exceeds the file/);
    const encrypted = Buffer.from(rich);
    encrypted.write('PARE', rich.length - 4, 'latin1');
    await assertUnprocessable('secret.parquet', encrypted, /encrypted Parquet file/);
    await assertUnprocessable('fake.parquet', 'id,name\n1,x\n', /fake.parquet is not a valid Parquet file/);
    await assertUnprocessable('tiny.parquet', 'PAR1PAR1', /it is too short/);
    await assertUnprocessable('x.parquet.gz', 'whatever', /gzip-compressed Parquet/);
  });

  it('refuses a garbage footer with 422 and never another error, whatever bytes are flipped', async () => {
    const footerLength = rich.readUInt32LE(rich.length - 8);
    const footerStart = rich.length - 8 - footerLength;
    const random = pseudoRandom(42);
    let refused = 0;
    for (let round = 0; round < 300; round++) {
      const corrupt = Buffer.from(rich);
      const flips = 1 + ((random.next().value as number) % 8);
      for (let flip = 0; flip < flips; flip++) {
        const at = footerStart + ((random.next().value as number) % footerLength);
        corrupt[at] = (random.next().value as number) % 256;
      }
      try {
        const schema = await inferFileSchema(
          'fuzz.parquet',
          countingReader({ size: corrupt.length, read: async (o, l) => corrupt.subarray(o, o + l) }),
        );
        assert.ok(Array.isArray(schema.columns));
        JSON.stringify(schema);
      } catch (error) {
        assert.ok(error instanceof AppError && error.status === 422, `round ${round}: ${String(error)}`);
        refused++;
      }
    }
    assert.ok(refused > 0, 'some corruptions must be refused');
    const garbage = Buffer.from(rich);
    garbage.fill(0xff, footerStart, rich.length - 8);
    await assertUnprocessable('garbage.parquet', garbage, /its footer cannot be decoded/);
  });

  it('refuses a footer over 16 MiB after reading only the tail probe', async () => {
    const size = 100 * 1024 * 1024;
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(MAX_PARQUET_FOOTER_BYTES + 1, 0);
    tail.write('PAR1', 4, 'latin1');
    const reader = countingReader({
      size,
      read: async (offset, length) => {
        const out = Buffer.alloc(length);
        const overlap = offset + length - (size - 8);
        if (overlap > 0) tail.copy(out, length - overlap, Math.max(0, 8 - overlap));
        return out;
      },
    });
    await assertUnprocessable(
      'huge-footer.parquet',
      reader,
      /footer of huge-footer.parquet is 16777217 bytes, over the 16777216-byte limit/,
    );
    assert.equal(reader.served, PARQUET_TAIL_PROBE_BYTES);
  });

  it("passes the errors of the reader through untouched (they are the target's, not the file's)", async () => {
    const failure = new Error('connection reset');
    const reader = { size: 1000, read: () => Promise.reject(failure) };
    await assert.rejects(inferFileSchema('a.parquet', reader), (error) => error === failure);
    await assert.rejects(inferFileSchema('a.csv', reader), (error) => error === failure);
  });
});

describe('Parquet: a 200 MB file', () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-parquet-'));
  const file = path.join(directory, 'large.parquet');
  let written: { size: number; rows: number; rowGroups: number };

  before(async () => {
    const started = Date.now();
    written = await writeLargeParquet(file, 200 * 1024 * 1024);
    console.log(`wrote ${written.size} bytes of Parquet (${written.rowGroups} row groups) in ${Date.now() - started} ms`);
  });

  after(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('answers from the footer alone: the schema, row count and row groups after reading < 1 MiB', async () => {
    assert.ok(written.size >= 200 * 1024 * 1024);
    const fileReader = await openFileReader(file);
    try {
      const reader = countingReader(fileReader);
      const started = Date.now();
      const schema = await inferFileSchema('exports/large.parquet', reader);
      console.log(`large Parquet schema in ${Date.now() - started} ms after ${reader.served} bytes in ${reader.requests.length} reads`);
      assert.deepEqual(schema.columns, LARGE_PARQUET_COLUMNS);
      assert.equal(schema.details.numRows, written.rows);
      assert.equal(schema.details.rowGroups, written.rowGroups);
      assert.equal(schema.details.bytesRead, reader.served);
      assert.ok(reader.served < 1024 * 1024, `served ${reader.served} bytes`);
      for (const [offset] of reader.requests) assert.ok(offset >= written.size - 1024 * 1024, 'only the end of the file is read');
    } finally {
      await fileReader.close();
    }
  });
});
