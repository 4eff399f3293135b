import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIfMatch } from './versioning';

describe('parseIfMatch', () => {
  it('reads strong tags and lists of them, ignores * and absence, refuses what cannot match', () => {
    assert.deepEqual(parseIfMatch('"3"'), [3]);
    assert.deepEqual(parseIfMatch('"2", "3"'), [2, 3]);
    assert.deepEqual(parseIfMatch('W/"2", "3"'), [3]);
    assert.equal(parseIfMatch(undefined), undefined);
    assert.equal(parseIfMatch('*'), undefined);
    for (const bad of ['3', '"x"', 'W/"12"', '"1" "2"', '']) assert.throws(() => parseIfMatch(bad), /If-Match/);
  });
});
