import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pgCell, timestampCell } from './postgres.cells';

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
