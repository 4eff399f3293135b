import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertUnprocessable, columns, infer } from '../../../../test/support/file-schemas';
import { valueEnd } from './json';

describe('JSON value boundaries', () => {
  it('finds the end of objects, arrays, strings and scalars without parsing, honouring strings and escapes', () => {
    const text = '{"a":"}\\"]","b":[1,{"c":"["}]} [1,[2]] "x\\\\" 12.5e3,true null';
    const ends: string[] = [];
    let i = 0;
    while (i < text.length) {
      const end = valueEnd(text, i);
      if (end < 0) break;
      ends.push(text.slice(i, end));
      i = end;
      while (text[i] === ' ' || text[i] === ',') i++;
    }
    assert.deepEqual(ends, ['{"a":"}\\"]","b":[1,{"c":"["}]}', '[1,[2]]', '"x\\\\"', '12.5e3', 'true']);
    assert.equal(valueEnd('{"a":"b', 0), -1, 'cut inside a string');
    assert.equal(valueEnd('{"a":[1,2]', 0), -1, 'cut inside an object');
    assert.equal(valueEnd('123', 0), -1, 'a scalar at the end of a head may go on');
  });

  it('scans deep nesting without recursion', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    assert.equal(valueEnd(deep, 0), deep.length);
  });
});

describe('JSON lines file schemas', () => {
  it('unions keys in first-seen order, makes missing and null keys nullable, widens integer+number', async () => {
    const text = [
      '{"id":1,"price":2,"tags":["a"],"meta":{"k":1},"at":"2024-01-01","flag":true}',
      '{"id":2,"price":2.5,"tags":[],"meta":null,"at":"2024-01-02T10:00:00Z","flag":false,"extra":"x"}',
      '{"id":3,"price":1,"tags":null,"at":"2024-01-03","flag":true,"nothing":null}',
      '',
    ].join('\n');
    const schema = await infer('events.jsonl', text);
    assert.equal(schema.format, 'jsonl');
    assert.deepEqual(
      schema.columns,
      columns('id:integer price:number tags:array? meta:object? at:timestamp flag:boolean extra:string? nothing:null?'),
    );
    assert.deepEqual(schema.details, { sampledRows: 3, bytesRead: text.length });
  });

  it('types other mixes as string and keeps ISO-looking text among other strings a string', async () => {
    const schema = await infer('mixed.ndjson', '{"a":1,"b":"2024-01-01"}\n{"a":"one","b":"soon"}\n{"a":true,"b":"2024-01-01"}\n');
    assert.deepEqual(schema.columns, columns('a:string b:string'));
  });

  it('drops the record cut by the end of the head', async () => {
    const text = '{"a":1}\n{"a":2}\n{"a":"three", "b":';
    const schema = await infer('cut.jsonl', text, { headBytes: text.length - 1 });
    assert.deepEqual(schema.columns, columns('a:integer'));
    assert.equal(schema.details.sampledRows, 2);
  });

  it('samples at most 1,000 records of a long file', async () => {
    const text = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, late: i >= 1000 ? 'x' : undefined })).join('\n');
    const schema = await infer('long.jsonl', text);
    assert.equal(schema.details.sampledRows, 1000);
    assert.deepEqual(schema.columns, columns('i:integer'), 'a key first seen after the sample is not guessed');
  });

  it('gives a file of scalars one `value` column, and refuses objects mixed with other values', async () => {
    assert.deepEqual((await infer('numbers.jsonl', '1\n2.5\nnull\n')).columns, columns('value:number?'));
    await assertUnprocessable('mixed.jsonl', '{"a":1}\n[1,2]\n', /mixes JSON objects with other values/);
  });

  it('refuses an invalid line with its record number, never echoing the content', async () => {
    const error = await assertUnprocessable(
      'bad.jsonl',
      '{"a":1}\n{"secret": s3cr3t}\n',
      /bad.jsonl is not valid JSON: record 2 cannot be parsed/,
    );
    assert.ok(!error.detail.includes('s3cr3t'));
  });

  it('refuses a whole file whose last record is cut (the file itself is truncated)', async () => {
    await assertUnprocessable('truncated.jsonl', '{"a":1}\n{"a":', /record 2 cannot be parsed/);
  });
});

describe('JSON document file schemas', () => {
  it('reads the complete elements of an array of objects in the head', async () => {
    const elements = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ id: i, name: `n${i}`, score: i % 2 ? i / 2 : null }));
    const text = `[\n  ${elements.join(',\n  ')}\n]`;
    const schema = await infer('rows.json', text, { headBytes: 4096 });
    assert.equal(schema.format, 'json');
    assert.deepEqual(schema.columns, columns('id:integer name:string score:number?'));
    assert.ok(Number(schema.details.sampledRows) < 1000, 'only the elements complete within 4 KiB');
    assert.equal(schema.served, 4096);
  });

  it('reads an empty-ish array as no records, a single object as one record, an array of scalars as `value`', async () => {
    await assertUnprocessable('empty.json', '[ ]', /empty.json has no records/);
    const single = await infer('config.json', '{\n  "name": "x",\n  "port": 80,\n  "tls": {"on": true}\n}\n');
    assert.equal(single.format, 'json');
    assert.deepEqual(single.columns, columns('name:string port:integer tls:object'));
    assert.deepEqual((await infer('tags.json', '["a", "b", null]')).columns, columns('value:string?'));
  });

  it('reads several objects in a .json file as JSON lines', async () => {
    const schema = await infer('export.json', '{"a":1}\n{"a":2}\n');
    assert.equal(schema.format, 'jsonl');
  });

  it('refuses invalid JSON arrays and a .json file that is neither array nor objects', async () => {
    await assertUnprocessable('bad.json', '[{"a":1} {"a":2}]', /bad.json is not valid JSON: record 2/);
    await assertUnprocessable('open.json', '[{"a":1},', /open.json is not valid JSON: record 2/);
    await assertUnprocessable('scalar.json', '42', /scalar.json is not a JSON array or JSON objects/);
  });

  it('refuses a first element larger than 1 MiB', async () => {
    await assertUnprocessable(
      'big.json',
      `[{"blob":"${'x'.repeat(1_100_000)}"}]`,
      /first record of big.json does not fit in its first 1048576 bytes/,
    );
  });
});
