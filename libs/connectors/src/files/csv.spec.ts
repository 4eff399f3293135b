import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnNames, detectDelimiter, detectHeader, parseCsv } from './csv';
import { assertUnprocessable, columns, infer } from '../../../../test/support/file-schemas';
import { cellType } from './value-types';

const all = { complete: true, maxRecords: 1000 };

describe('CSV parsing (RFC 4180)', () => {
  it('honours quotes, doubled quotes, quoted delimiters and line breaks, CRLF, LF and CR endings', () => {
    const text = 'a,"b, c","say ""hi""","two\r\nlines"\r\nd,,"",e\rf\n';
    assert.deepEqual(parseCsv(text, ',', all), [['a', 'b, c', 'say "hi"', 'two\r\nlines'], ['d', '', '', 'e'], ['f']]);
  });

  it('skips blank lines, keeps a last record without line break in a whole file, drops it in a head', () => {
    assert.deepEqual(parseCsv('a,b\n\n1,2\n\n3,4', ',', all), [
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
    assert.deepEqual(parseCsv('a,b\n1,2\n3,4', ',', { complete: false, maxRecords: 10 }), [
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('drops a record whose quoted field (with a line break) is cut by the end of the head', () => {
    const head = 'a,b\n1,"multi\nline\n2,x';
    assert.deepEqual(parseCsv(head, ',', { complete: false, maxRecords: 10 }), [['a', 'b']]);
    assert.deepEqual(parseCsv(head, ',', all), [
      ['a', 'b'],
      ['1', 'multi\nline\n2,x'],
    ]);
  });

  it('is lenient with stray quotes inside unquoted fields and text after a closing quote', () => {
    assert.deepEqual(parseCsv('5"7,"ab"cd,x\n', ',', all), [['5"7', 'abcd', 'x']]);
  });

  it('stops at maxRecords', () => {
    assert.equal(parseCsv('1\n2\n3\n4\n', ',', { complete: true, maxRecords: 2 }).length, 2);
  });
});

describe('CSV detection', () => {
  it('picks the delimiter whose field counts are consistent, ignoring delimiters inside quotes', () => {
    assert.equal(detectDelimiter('a;b;c\n"1,5";2;3\n4;"5,5";6\n', true)?.delimiter, ';');
    assert.equal(detectDelimiter('a\tb\n1,5\t2\n3\t4,4\n', true)?.delimiter, '\t');
    assert.equal(detectDelimiter('a|b|c\n1|2|3\n', true)?.delimiter, '|');
    assert.equal(detectDelimiter('a,b;c\n1,2;3\n4,5;6\n', true)?.delimiter, ',');
    assert.equal(detectDelimiter('just one column\nof text\n', true), null);
  });

  it('tells a header from data', () => {
    assert.equal(
      detectHeader([
        ['id', 'price'],
        ['1', '2.5'],
        ['2', '3'],
      ]),
      true,
    );
    assert.equal(
      detectHeader([
        ['1', '2.5'],
        ['2', '3'],
      ]),
      false,
    );
    assert.equal(
      detectHeader([
        ['name', 'city'],
        ['alice', 'paris'],
      ]),
      true,
    );
    assert.equal(
      detectHeader([
        ['alice', 'alice'],
        ['bob', 'rome'],
      ]),
      false,
    );
    assert.equal(
      detectHeader([
        ['', 'a', 'b'],
        ['0', '1', '2'],
      ]),
      true,
      'a blank index header beside typed columns',
    );
    assert.equal(
      detectHeader([
        ['id', 'id', ''],
        ['1', '2', '3'],
      ]),
      true,
      'duplicates and blanks are renamed, not data',
    );
    assert.equal(
      detectHeader([
        ['name', '2021'],
        ['alice', '5'],
      ]),
      false,
      'documented limit: a numeric header over numbers',
    );
  });

  it('names headerless, blank and duplicate columns uniquely', () => {
    assert.deepEqual(columnNames(null, 3), ['column_1', 'column_2', 'column_3']);
    assert.deepEqual(columnNames([' id ', 'id', '', 'id_2', 'x'], 6), ['id', 'id_2', 'column_3', 'id_2_2', 'x', 'column_6']);
  });

  it('types cells: integer, number, boolean, date, timestamp, string; empty is null', () => {
    const cases: [string, string | null][] = [
      ['42', 'integer'],
      ['-7', 'integer'],
      ['007', 'string'],
      ['3.14', 'number'],
      ['-1e5', 'number'],
      ['.5', 'number'],
      ['TRUE', 'boolean'],
      ['false', 'boolean'],
      ['2024-02-29', 'date'],
      ['2023-02-29', 'string'],
      ['2024-01-02T03:04:05Z', 'timestamp'],
      ['2024-01-02 03:04', 'timestamp'],
      ['2024-01-02T03:04:05.123456+05:30', 'timestamp'],
      ['2024-01-02T25:00:00', 'string'],
      ['NaN', 'string'],
      ['', null],
      ['  ', null],
    ];
    for (const [cell, type] of cases) assert.equal(cellType(cell), type, cell);
  });
});

describe('CSV file schemas', () => {
  it('infers a comma file with a header, quoted delimiters and line breaks, ragged rows and empty cells', async () => {
    const text =
      'id,name,price,active,day,seen\n1,"Smith, J.",1.5,true,2024-01-01,2024-01-01T10:00:00Z\n2,"multi\nline",2,false,2024-01-02,2024-01-02\n3,x,,TRUE\n';
    const schema = await infer('people.csv', text);
    assert.equal(schema.format, 'csv');
    assert.deepEqual(schema.columns, columns('id:integer name:string price:number? active:boolean day:date? seen:timestamp?'));
    assert.deepEqual(schema.details, { delimiter: ',', header: true, sampledRows: 3, bytesRead: text.length });
  });

  it('reads semicolon and tab files, a .tsv as tabs even when commas are consistent', async () => {
    const semicolon = await infer('eu.csv', 'name;amount\nA;"1,5"\nB;2\n');
    assert.deepEqual(semicolon.columns, columns('name:string amount:string'));
    assert.equal(semicolon.details.delimiter, ';');
    const tabs = await infer('data.tsv', 'a,b\tc\n1,2\t3\n4,5\t6\n');
    assert.deepEqual(tabs.columns, columns('a,b:string c:integer'));
    assert.equal(tabs.details.delimiter, '\t');
    const sniffed = await infer('export.txt', 'x\ty\n1\t2\n');
    assert.deepEqual(sniffed.columns, columns('x:integer y:integer'));
  });

  it('names the columns of a headerless numeric file', async () => {
    const schema = await infer('numbers.csv', '1,2.5,true\n2,3,false\n3,,true\n');
    assert.equal(schema.details.header, false);
    assert.deepEqual(schema.columns, columns('column_1:integer column_2:number? column_3:boolean'));
    assert.equal(schema.details.sampledRows, 3);
  });

  it('drops a UTF-8 BOM and handles CRLF', async () => {
    const schema = await infer('bom.csv', '\ufeffid,label\r\n1,a\r\n2,b\r\n');
    assert.deepEqual(schema.columns, columns('id:integer label:string'));
  });

  it('decodes UTF-16 (BOM) files', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id;label\r\n1;é\r\n', 'utf16le')]);
    const schema = await infer('excel.csv', utf16);
    assert.deepEqual(schema.columns, columns('id:integer label:string'));
  });

  it('makes rows with fewer fields nullable and names the extra fields of longer rows', async () => {
    const schema = await infer('ragged.csv', 'a,b\n1,2\n3\n4,5,6\n');
    assert.deepEqual(schema.columns, columns('a:integer b:integer? column_3:integer?'));
  });

  it('renames duplicate and blank header names', async () => {
    const schema = await infer('dupes.csv', 'id,id,,name\n1,2,3,x\n');
    assert.deepEqual(schema.columns, columns('id:integer id_2:integer column_3:integer name:string'));
  });

  it('accepts a header without rows, and a one-column file when the extension says CSV', async () => {
    assert.deepEqual((await infer('empty-table.csv', 'id,name\n')).columns, columns('id:string? name:string?'));
    assert.deepEqual((await infer('list.csv', 'city\nParis\nRome\n')).columns, columns('city:string'));
  });

  it('reads the head only, drops the row cut by its end and samples at most 1,000 rows', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},row ${i}`).join('\n');
    const text = `id,label\n${rows}\n`;
    const schema = await infer('long.csv', text, { headBytes: 64 * 1024 });
    assert.equal(schema.details.sampledRows, 1000);
    assert.deepEqual(schema.columns, columns('id:integer label:string'));
    const cut = await infer('cut.csv', 'id,n\n1,2\n2,3\n3,abc', { headBytes: 17 });
    assert.equal(cut.served, 17);
    assert.deepEqual(cut.columns, columns('id:integer n:integer'), 'the partial "3,ab" row is not sampled');
  });

  it('grows the head (up to 1 MiB) when the first rows do not fit, then refuses a first record over 1 MiB', async () => {
    const wide = `id,blob\n1,${'x'.repeat(300_000)}\n2,y\n`;
    const schema = await infer('wide.csv', wide);
    assert.deepEqual(schema.columns, columns('id:integer blob:string'));
    assert.ok(schema.served <= 1024 * 1024);
    const huge = `${'h'.repeat(2 * 1024 * 1024)},b\n1,2\n`;
    await assertUnprocessable('huge.csv', huge, /first record of huge.csv does not fit in its first 1048576 bytes/);
  });

  it('keeps the header when the first data row does not fit in 1 MiB', async () => {
    const schema = await infer('blob.csv', `name,blob\nx,${'y'.repeat(2 * 1024 * 1024)}\n`);
    assert.deepEqual(schema.columns, columns('name:string? blob:string?'));
    assert.equal(schema.details.sampledRows, 0);
  });

  it('reads only its head of a pathological width and reports at most 10,000 columns', async () => {
    const text = `id,${Array.from({ length: 100_000 }, () => 'a').join(',')}\n${'1\n'.repeat(2000)}`;
    const started = Date.now();
    const schema = await infer('wide.csv', text, { headBytes: 1024 * 1024 });
    assert.ok(schema.served <= 1024 * 1024, `read ${schema.served} bytes`);
    // A catastrophe only (quadratic work on 100,000 columns); speed is bench/'s to measure.
    assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
    assert.equal(schema.columns.length, 10_000);
    assert.equal(schema.details.columnsTruncated, true);
    assert.deepEqual(schema.columns.slice(0, 4), columns('id:integer a:string? a_2:string? a_3:string?'));
  });
});
