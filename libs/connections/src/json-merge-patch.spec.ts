import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMergePatch } from './json-merge-patch';

describe('applyMergePatch (RFC 7396)', () => {
  it('merges objects key by key, removes on null, replaces everything else', () => {
    const target = { host: 'a', port: 1, headers: { x: '1', y: '2' }, list: [1, 2] };
    assert.deepEqual(applyMergePatch(target, { host: 'b', headers: { y: null, z: '3' }, list: [3], port: null }), {
      host: 'b',
      headers: { x: '1', z: '3' },
      list: [3],
    });
    assert.deepEqual(target.headers, { x: '1', y: '2' }, 'the target is not mutated');
  });

  it('follows the RFC examples for non-object patches and targets', () => {
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, ['c']), ['c']);
    assert.equal(applyMergePatch({ a: 'b' }, null), null);
    assert.deepEqual(applyMergePatch(['a'], { a: 'b' }), { a: 'b' });
    assert.deepEqual(applyMergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
  });
});
