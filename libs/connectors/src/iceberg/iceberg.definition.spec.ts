import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failingFields, registry } from '../../../../test/support/connection-uris';
import { icebergDefinition } from './iceberg.definition';

describe('iceberg definition', () => {
  it('needs an http(s) uri; OAuth (clientId) needs clientSecret; a token alone or nothing is fine', () => {
    assert.deepEqual(registry.validateConfig('iceberg', { uri: 'https://catalog.example.com/api' }), {
      uri: 'https://catalog.example.com/api',
    });
    assert.deepEqual(icebergDefinition.requiredSecrets({ uri: 'https://c', clientId: 'me' }), ['clientSecret']);
    assert.deepEqual(icebergDefinition.requiredSecrets({ uri: 'https://c' }), []);
    assert.deepEqual(
      failingFields(() => registry.validateConfig('iceberg', { uri: 'ftp://catalog.example.com' })),
      ['config.uri'],
    );
    assert.deepEqual(
      failingFields(() => registry.validateConfig('iceberg', { uri: 'https://c.example.com', scope: 'catalog' })),
      ['config.scope'],
    );
  });

  it('refuses a token together with OAuth client credentials', () => {
    assert.deepEqual(
      icebergDefinition.checkSecrets!({ token: 't', clientSecret: 's' }, { allowMask: false }).map((error) => error.field),
      ['token'],
    );
    assert.deepEqual(icebergDefinition.checkSecrets!({ token: 't' }, { allowMask: false }), []);
  });

  it('counts a changed tlsCa as pointing elsewhere only over https', () => {
    const [tlsCa] = icebergDefinition.transportSecurity;
    const view = (uri: string, ca: string) => ({ config: { uri }, secrets: { tlsCa: ca } });
    assert.equal(tlsCa.weakens(view('https://c', 'A'), view('https://c', 'B')), true);
    assert.equal(tlsCa.weakens(view('http://c', 'A'), view('http://c', 'B')), false);
  });
});
