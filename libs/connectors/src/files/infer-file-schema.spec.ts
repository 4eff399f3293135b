import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { LARGE_CSV_COLUMNS, LARGE_JSONL_COLUMNS, countingReader, syntheticCsv, syntheticJsonl } from '../../../../test/support/large-files';
import { formatFromPath } from './detect';
import { assertUnprocessable, columns, infer } from '../../../../test/support/file-schemas';
import { HEAD_BUDGET_BYTES, MAX_HEAD_BYTES, inferFileSchema } from './infer-file-schema';

const LARGE = 200 * 1024 * 1024;

/** Runs `work` counting what every gunzip puts out meanwhile: how far a bomb was inflated. */
async function inflatedDuring<T>(work: () => Promise<T>): Promise<{ value: T; inflated: number }> {
  // zlib's exports are read-only; its Gunzip prototype takes an own `push` over the inherited one.
  const prototype = Object.getPrototypeOf(zlib.createGunzip()) as { push(chunk: Buffer | null, encoding?: BufferEncoding): boolean };
  const push = prototype.push;
  let inflated = 0;
  prototype.push = function (this: unknown, chunk: Buffer | null, encoding?: BufferEncoding) {
    inflated += chunk?.length ?? 0;
    return push.call(this, chunk, encoding);
  };
  try {
    const value = await work();
    return { value, inflated };
  } finally {
    delete (prototype as { push?: unknown }).push;
  }
}

describe('inferFileSchema: 200 MB files, head only', () => {
  it('infers a 200 MB CSV from its head alone', async () => {
    const reader = countingReader(syntheticCsv(LARGE));
    assert.ok(reader.size >= LARGE);
    const schema = await inferFileSchema('exports/big.csv', reader);
    assert.deepEqual(schema.columns, LARGE_CSV_COLUMNS);
    assert.deepEqual(schema.details, { delimiter: ',', header: true, sampledRows: 1000, bytesRead: HEAD_BUDGET_BYTES });
    assert.equal(reader.served, HEAD_BUDGET_BYTES);
    assert.deepEqual(reader.requests, [[0, HEAD_BUDGET_BYTES]]);
  });

  it('infers a 200 MB JSON-lines file (no extension) from its head alone', async () => {
    const reader = countingReader(syntheticJsonl(LARGE));
    const schema = await inferFileSchema('exports/big', reader);
    assert.equal(schema.format, 'jsonl');
    assert.deepEqual(schema.columns, LARGE_JSONL_COLUMNS);
    assert.equal(reader.served, HEAD_BUDGET_BYTES);
    assert.equal(schema.details.bytesRead, HEAD_BUDGET_BYTES);
  });

  it('honours a smaller head budget and caps a larger one at 1 MiB', async () => {
    const small = countingReader(syntheticCsv(LARGE));
    await inferFileSchema('big.csv', small, { headBytes: 8192 });
    assert.equal(small.served, 8192);
    const capped = countingReader(syntheticJsonl(LARGE));
    await inferFileSchema('big.jsonl', capped, { headBytes: 50 * 1024 * 1024 });
    assert.equal(capped.served, MAX_HEAD_BYTES);
  });
});

describe('inferFileSchema: format detection', () => {
  it('reads the format hint of the extension, .gz variants included', () => {
    assert.deepEqual(formatFromPath('a/b/c.CSV'), { hint: 'csv', gzip: false });
    assert.deepEqual(formatFromPath('x.tsv.gz'), { hint: 'tsv', gzip: true });
    assert.deepEqual(formatFromPath('x.ndjson'), { hint: 'jsonl', gzip: false });
    assert.deepEqual(formatFromPath('dir.v2/noext'), { hint: null, gzip: false });
    assert.deepEqual(formatFromPath('.hidden'), { hint: null, gzip: false });
    assert.deepEqual(formatFromPath('a.pq'), { hint: 'parquet', gzip: false });
  });

  it('sniffs the head of a file without a known extension: array, JSON lines, CSV', async () => {
    assert.equal((await infer('blob.dat', ' [{"a":1},{"a":2}]')).format, 'json');
    assert.equal((await infer('blob.dat', '{"a":1}\n{"a":2}\n')).format, 'jsonl');
    const csv = await infer('blob.dat', 'a|b\n1|2\n3|4\n');
    assert.equal(csv.format, 'csv');
    assert.equal(csv.details.delimiter, '|');
  });

  it('falls back to CSV when a head starting with [ is not JSON', async () => {
    const schema = await infer('app.log', '[INFO],started,1\n[WARN],slow,2\n');
    assert.deepEqual(schema.columns, columns('column_1:string column_2:string column_3:integer'));
  });

  it('refuses a binary file, prose without delimiters, an empty file and a blank one with 422', async () => {
    const unknown = /Cannot tell the format of .*; supported: CSV, JSON lines, JSON arrays, Parquet\./;
    await assertUnprocessable(
      'image.png',
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]), randomBytes(4096)]),
      unknown,
    );
    await assertUnprocessable('data.csv', randomBytes(64 * 1024), unknown);
    await assertUnprocessable('notes', 'Dear team\nplease find attached\n', unknown);
    await assertUnprocessable('empty.csv', '', /empty.csv is empty/);
    await assertUnprocessable('blank.jsonl', '\n \r\n\t', /blank.jsonl is empty/);
    await assertUnprocessable('bom-only.csv', '\ufeff', /bom-only.csv is empty/);
  });

  it('inflates the head of a gzip file only, and refuses a broken gzip stream', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `${i},name ${i},${i % 2 === 0}`).join('\n');
    const compressed = zlib.gzipSync(`id,name,flag\n${rows}\n`);
    assert.ok(compressed.length > HEAD_BUDGET_BYTES);
    const schema = await infer('rows.csv.gz', compressed);
    assert.deepEqual(schema.columns, columns('id:integer name:string flag:boolean'));
    assert.equal(schema.details.compression, 'gzip');
    assert.equal(schema.served, HEAD_BUDGET_BYTES);
    const sniffed = await infer('rows.gz', zlib.gzipSync('{"a":1}\n{"a":2}\n'));
    assert.equal(sniffed.format, 'jsonl');
    const broken = Buffer.concat([compressed.subarray(0, 10), Buffer.alloc(100, 0xff)]);
    await assertUnprocessable('broken.csv.gz', broken, /broken.csv.gz is not a valid gzip file/);
  });

  it('stops inflating a gzip bomb at 1 MiB of text', async () => {
    // Four gzip members of 64 MiB each: 256 MiB of text from a head-sized input.
    const member = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 'a,b\n'));
    const bomb = Buffer.concat([member, member, member, member]);
    assert.ok(bomb.length <= HEAD_BUDGET_BYTES);
    const { value: schema, inflated } = await inflatedDuring(() => infer('bomb.csv.gz', bomb));
    assert.deepEqual(schema.columns, columns('a:string b:string'));
    assert.equal(schema.details.sampledRows, 1000);
    // The cap plus the chunk that crossed it, not the 256 MiB.
    assert.ok(inflated > 0 && inflated < MAX_HEAD_BYTES + 1024 * 1024, `inflated ${inflated} bytes`);
  });
});
