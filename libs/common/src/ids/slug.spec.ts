import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSlug } from './slug';

describe('slugs', () => {
  it('accepts lowercase words and rejects the rest', () => {
    for (const slug of ['default', 'team-a', 'a1']) assert.ok(isSlug(slug), slug);
    for (const slug of ['A', 'Default', '1abc', 'a--b', 'a-', 'a b', 'a'.repeat(64), 'abcdef01-2345-7890-abcd-ef0123456789']) {
      assert.ok(!isSlug(slug), slug);
    }
  });
});
