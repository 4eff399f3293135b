import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inputFlawAt, MAX_INPUT_DEPTH } from './request-hooks';

describe('inputFlawAt', () => {
  const nested = (levels: number): unknown => {
    let value: unknown = 'leaf';
    for (let level = 0; level < levels; level++) value = level % 2 ? [value] : { a: value };
    return value;
  };

  it('allows objects and arrays nested MAX_INPUT_DEPTH levels deep, and refuses one level more', () => {
    assert.equal(MAX_INPUT_DEPTH, 32);
    assert.equal(inputFlawAt(nested(32)), undefined);
    const flaw = inputFlawAt(nested(33));
    assert.equal(flaw?.kind, 'depth');
    // The path to the 33rd container: 32 keys and indexes.
    assert.equal(flaw?.field.split(/[.[]/).length, 32);
    // A bracket bomb stops at the limit rather than walking (or overflowing) the whole depth.
    assert.equal(inputFlawAt(nested(100_000))?.kind, 'depth');
  });

  it('finds U+0000 in values and keys, with the path', () => {
    assert.deepEqual(inputFlawAt({ a: [{ b: 'x\u0000' }] }), { kind: 'nul', field: 'a[0].b' });
    assert.deepEqual(inputFlawAt({ ['k\u0000']: 1 }), { kind: 'nul', field: 'k\u0000' });
    assert.deepEqual(inputFlawAt('\u0000'), { kind: 'nul', field: '(body)' });
    assert.equal(inputFlawAt({ a: null, b: 1, c: [true, 'fine'] }), undefined);
  });

  it('finds lone surrogates in values and keys; paired ones (astral characters) are text', () => {
    assert.deepEqual(inputFlawAt({ a: ['x\ud800y'] }), { kind: 'surrogate', field: 'a[0]' });
    assert.deepEqual(inputFlawAt({ b: 'tail\udc00' }), { kind: 'surrogate', field: 'b' });
    assert.deepEqual(inputFlawAt({ ['k\udbff']: 1 }), { kind: 'surrogate', field: 'k\udbff' });
    assert.equal(inputFlawAt({ emoji: '😀 \ud83d\ude00', rtl: '\u202e' }), undefined);
  });
});
