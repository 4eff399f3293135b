import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertCredentialContent, mergeFields } from './credential-content';

describe('credential content', () => {
  it('accepts what a type holds and names what it does not', () => {
    assert.doesNotThrow(() => assertCredentialContent('basic', { username: 'u' }, { password: 'p' }));
    assert.throws(
      () => assertCredentialContent('basic', { host: 'h' }, { token: 't' }),
      (error: { options: { errors: { field: string }[] } }) =>
        ['fields.host', 'secrets.token', 'secrets.password'].every((field) => error.options.errors.some((e) => e.field === field)),
    );
    assert.doesNotThrow(() => assertCredentialContent('generic', { anything: 'x' }, { any_name: 'y' }));
    assert.throws(() => assertCredentialContent('generic', {}, { 'bad name': 'y' }));
    assert.throws(() => assertCredentialContent('token', {}, { token: '' }));
  });

  it('merge-patches fields', () => {
    assert.deepEqual(mergeFields({ a: '1', b: '2' }, { b: null, c: '3' }), { a: '1', c: '3' });
  });
});
