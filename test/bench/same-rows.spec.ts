import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pgCell } from '../../libs/connectors/src/postgres/postgres.cells';
import { SERVICE_CELLS } from '../../bench/baseline/introspection';
import { assertSameRows } from '../../bench/lib/measure';

const answer = (rows: unknown[][], truncated = false) =>
  JSON.stringify({ columns: [{ name: 'id', type: 'bigint' }], rows, truncated, stats: { executionMs: Math.random() } });

// (f)/(g) compare the service with baselines that must do the same work: the same cells, not merely 2xx.
describe('bench assertSameRows', () => {
  it('accepts the same rows whatever the rest of the answer says', () => {
    assertSameRows(
      new Map([
        ['service', answer([['1'], ['2']])],
        ['baseline', answer([['1'], ['2']])],
      ]),
    );
  });

  it('names the side and the first row that differs', () => {
    const probes = new Map([
      ['service', answer([['1'], ['2026-01-01T00:00:01Z']])],
      ['baseline', answer([['1'], ['2026-01-01 00:00:01+00']])],
    ]);
    assert.throws(
      () => assertSameRows(probes),
      /baseline answered other rows than service \(2 against 2\); row 1: \["2026-01-01 00:00:01\+00"\]/,
    );
  });

  it('refuses fewer rows and another truncation', () => {
    assert.throws(
      () =>
        assertSameRows(
          new Map([
            ['service', answer([['1'], ['2']])],
            ['baseline', answer([['1']])],
          ]),
        ),
      /\(1 against 2\); row 1/,
    );
    assert.throws(
      () =>
        assertSameRows(
          new Map([
            ['service', answer([['1']], true)],
            ['baseline', answer([['1']])],
          ]),
        ),
      /other columns/,
    );
  });
});

// The Fastify baseline's type parsers must give the connector's cells for the bench's columns.
describe('bench baseline SERVICE_CELLS', () => {
  const samples: [oid: number, text: string][] = [
    [16, 't'],
    [16, 'f'],
    [20, '9223372036854775807'],
    [21, '-7'],
    [23, '49999'],
    [25, 'order'],
    [1114, '2026-01-01 00:00:01.5'],
    [1184, '2026-01-01 00:00:01+00'],
    [1184, '2026-01-01 00:16:40.123456+00'],
    [1700, '14285.71'],
  ];
  for (const [oid, text] of samples) {
    it(`reads ${oid} ${JSON.stringify(text)} as the connector does`, () => {
      const parse = SERVICE_CELLS.getTypeParser(oid as never, 'text') as (value: string) => unknown;
      assert.deepEqual(parse(text), pgCell(oid, text));
    });
  }
});
