import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLabels } from './labels';

describe('assertLabels', () => {
  it('accepts short string labels and names every bad one', () => {
    assert.doesNotThrow(() => assertLabels({ team: 'data', 'app.kubernetes.io/name': 'x' }));
    assert.throws(
      () => assertLabels({ ok: 'fine', 'bad key': 'x', num: 5 as unknown as string, long: 'x'.repeat(201) }),
      (error: { options: { errors: { field: string }[] } }) =>
        JSON.stringify(error.options.errors.map((e) => e.field)) === JSON.stringify(['labels.bad key', 'labels.num', 'labels.long']),
    );
  });
});
