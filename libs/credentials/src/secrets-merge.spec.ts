import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskSecrets, mergeSecrets } from './secrets-merge';

describe('mergeSecrets', () => {
  it('keeps omitted and masked secrets, clears nulls, sets values', () => {
    const merged = mergeSecrets({ password: 'p', token: 't', key: 'k' }, { password: '********', token: null, extra: 'e' });
    assert.deepEqual(merged.secrets, { password: 'p', key: 'k', extra: 'e' });
    assert.deepEqual(merged.kept.sort(), ['key', 'password']);
    assert.equal(merged.changed, true);
    assert.equal(mergeSecrets({ password: 'p' }, { password: 'p' }).changed, false);
    assert.equal(mergeSecrets({}, { gone: null }).changed, false);
  });

  it('masks names', () => {
    assert.deepEqual(maskSecrets(['a', 'b']), { a: '********', b: '********' });
  });
});
