import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pgCell, timestampCell } from './postgres.cells';
import { firstKeyword, refusalOf, startOf, wordsOf } from './postgres.statement';

describe('PostgreSQL cells', () => {
  it('writes timestamps in ISO 8601, zoned ones in UTC with their microseconds', () => {
    assert.equal(timestampCell('2024-02-29 13:14:15.123456', false), '2024-02-29T13:14:15.123456');
    assert.equal(timestampCell('2024-02-29 13:14:15', false), '2024-02-29T13:14:15');
    assert.equal(timestampCell('2024-02-29 13:14:15.5+00', true), '2024-02-29T13:14:15.5Z');
    assert.equal(timestampCell('2024-03-01 01:00:00.000001+05:30', true), '2024-02-29T19:30:00.000001Z');
    assert.equal(timestampCell('2023-12-31 22:00:00-03', true), '2024-01-01T01:00:00Z');
    assert.equal(timestampCell('1883-11-18 12:00:00-04:56:02', true), '1883-11-18T16:56:02Z', 'LMT offsets have seconds');
    assert.equal(timestampCell('0099-01-01 00:00:00+01', true), '0098-12-31T23:00:00Z', 'two-digit years stay years');
  });

  it('passes on what is not in the ISO format as the server wrote it', () => {
    for (const text of ['infinity', '-infinity', '2024-02-29 13:14:15 BC', '29.02.2024 13:14:15.5 UTC', '12024-01-01 00:00:00']) {
      assert.equal(timestampCell(text, false), text);
      assert.equal(timestampCell(text, true), text);
    }
    assert.equal(timestampCell('2024-02-29 13:14:15+00', false), '2024-02-29 13:14:15+00', 'a zone where none is expected');
    assert.equal(timestampCell('9999-12-31 23:00:00-02', true), '9999-12-31 23:00:00-02', 'beyond year 9999 in UTC');
  });

  it('reads bytea in both output formats and numbers by type', () => {
    assert.equal(pgCell(17, '\\x00ff'), '\\x00ff');
    assert.equal(pgCell(17, 'a\\000b'), '\\x610062');
    assert.equal(pgCell(16, 'f'), false);
    assert.equal(pgCell(700, '1.5'), 1.5);
    assert.equal(pgCell(20, '-9223372036854775808'), '-9223372036854775808');
    assert.equal(pgCell(1700, 'NaN'), 'NaN');
    assert.equal(pgCell(25, null), null);
  });
});

describe('PostgreSQL statement guard', () => {
  it('finds the first word past whitespace and (nested) comments', () => {
    assert.equal(firstKeyword('  select 1'), 'SELECT');
    assert.equal(firstKeyword('/* a /* b */ c */\n-- x\r\n\tCoPy t TO STDOUT'), 'COPY');
    assert.equal(firstKeyword('(SELECT 1)'), '(');
    assert.equal(firstKeyword('/* unterminated SELECT 1'), '');
    assert.equal(firstKeyword('selectx'), 'SELECTX');
    assert.equal(startOf(' -- only a comment'), ' -- only a comment'.length);
  });

  it('lets read statements through and names what it refuses', () => {
    for (const sql of [
      'SELECT 1',
      'with x as (select 1) select * from x',
      'VALUES (1)',
      'TABLE t',
      'EXPLAIN SELECT 1',
      'SHOW ALL',
      '(SELECT 1)',
    ]) {
      assert.equal(refusalOf(sql), undefined, sql);
    }
    for (const sql of ['COPY t TO STDOUT', 'DO $$ BEGIN END $$', 'CALL p()', 'BEGIN', 'SET x = 1', '\u00a0SELECT 1', 'ＳＥＬＥＣＴ 1']) {
      assert.ok(refusalOf(sql), sql);
    }
    assert.match(refusalOf('  copy t to stdout') ?? '', /COPY is refused/);
  });

  it('finds identifiers outside strings, dollar quotes and comments, quoted ones as written', () => {
    const sql = `SELECT a.B, "Mixed ""q""", 'lo_export', E'\\' lo_export', $t$ dblink $t$, $$x$$ -- pg_terminate_backend
      /* /* query_to_xml */ */ f$1, $1, U&"x", b'01', c`;
    assert.deepEqual(wordsOf(sql), {
      identifiers: ['select', 'a', 'b', 'Mixed "q"', 'f$1', 'u', 'x', 'b', 'c'],
      unicodeIdentifier: true,
    });
  });

  it('refuses functions that act outside the transaction however they are spelled', () => {
    for (const sql of [
      'SELECT lo_export(1, $$/tmp/x$$)',
      "select PG_CATALOG.LO_EXPORT(1, '/tmp/x')",
      `SELECT "lo_export"(1, '/tmp/x')`,
      "SELECT E'\\'', lo_export(1, '/tmp/x')",
      `SELECT U&"\\006C\\006F_export"(1, '/tmp/x')`,
      "SELECT * FROM dblink('dbname=x', 'DELETE FROM t RETURNING 1') AS t(a int)",
      "SELECT query_to_xml('select 1', true, false, '')",
    ]) {
      assert.ok(refusalOf(sql), sql);
    }
    for (const sql of [
      "SELECT 'lo_export'",
      'SELECT $q$lo_export$q$',
      'SELECT 1 -- lo_export',
      'SELECT "LO_EXPORT" FROM t',
      "SELECT 'it''s lo_export'",
    ]) {
      assert.equal(refusalOf(sql), undefined, sql);
    }
  });
});
