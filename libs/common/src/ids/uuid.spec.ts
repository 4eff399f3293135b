import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUuid, uuidv7 } from './uuid';

describe('uuidv7', () => {
  it('is a valid v7 UUID that sorts by time', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    assert.ok(isUuid(a));
    assert.equal(a[14], '7');
    assert.ok('89ab'.includes(a[19]));
    assert.ok(a < b);
  });

  it('stays in order within one millisecond and when the clock steps back', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_800_000_000_000));
    ids.push(uuidv7(1_799_999_999_000));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
    assert.ok(ids.every(isUuid));
  });

  it('never repeats across many batches of pooled entropy', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => uuidv7()));
    assert.equal(ids.size, 20_000);
  });
});
