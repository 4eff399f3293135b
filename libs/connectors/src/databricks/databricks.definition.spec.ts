import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, failingFields, registry, uriError } from '../../../../test/support/connection-uris';
import { databricksDefinition } from './databricks.definition';

const HOST = 'https://dbc-a1b2c3d4-e5f6.cloud.databricks.com';

describe('databricks definition', () => {
  it('needs an https workspace URL and a warehouse; pat by default, reading only without readOnlyByGrants', () => {
    assert.deepEqual(registry.validateConfig('databricks', { host: HOST, warehouseId: 'abc123' }), {
      host: HOST,
      warehouseId: 'abc123',
      authType: 'pat',
      readOnlyByGrants: false,
    });
    assert.deepEqual(
      failingFields(() => registry.validateConfig('databricks', { host: 'http://dbc.example.com', warehouseId: 'abc' })),
      ['config.host'],
    );
    assert.deepEqual(
      failingFields(() => registry.validateConfig('databricks', { host: `${HOST}/sql`, warehouseId: 'abc' })),
      ['config.host'],
    );
    assert.deepEqual(
      failingFields(() => registry.validateConfig('databricks', { host: HOST })),
      ['config.warehouseId'],
    );
    assert.deepEqual(
      failingFields(() => registry.validateConfig('databricks', { host: HOST, warehouseId: '../statements' })),
      ['config.warehouseId'],
    );
  });

  it('oauth-m2m needs clientId and clientSecret; pat needs token; clientId is for oauth-m2m only', () => {
    assert.deepEqual(
      failingFields(() => registry.validateConfig('databricks', { host: HOST, warehouseId: 'a', authType: 'oauth-m2m' })),
      ['config.clientId'],
    );
    assert.deepEqual(
      failingFields(() => registry.validateConfig('databricks', { host: HOST, warehouseId: 'a', clientId: 'sp' })),
      ['config.clientId'],
    );
    assert.deepEqual(databricksDefinition.requiredSecrets({ host: HOST, authType: 'oauth-m2m', clientId: 'sp' }), ['clientSecret']);
    assert.deepEqual(databricksDefinition.requiredSecrets({ host: HOST, authType: 'pat' }), ['token']);
    assert.deepEqual(
      databricksDefinition.checkSecrets!({ token: 't', clientSecret: 's' }, { allowMask: false }).map((error) => error.field),
      ['token'],
    );
  });

  it('counts turning readOnlyByGrants on as a weakening (statements then run on the token alone); off is free', () => {
    const view = (readOnlyByGrants?: boolean) => ({ config: { host: HOST, warehouseId: 'a', readOnlyByGrants }, secrets: {} });
    const weakened = (before: boolean | undefined, after: boolean | undefined) =>
      databricksDefinition.transportSecurity.filter((setting) => setting.weakens(view(before), view(after))).map((setting) => setting.name);
    assert.deepEqual(weakened(false, true), ['readOnlyByGrants']);
    assert.deepEqual(weakened(undefined, true), ['readOnlyByGrants']);
    assert.deepEqual(weakened(true, false), []);
    assert.deepEqual(weakened(true, true), []);
  });

  it('reads and writes the SQLAlchemy dialect URI, the token masked', () => {
    assertRoundTrip(`databricks://token:dapi123secret@dbc.example.com?http_path=/sql/1.0/warehouses/abc123&catalog=main&schema=sales`, {
      config: {
        host: 'https://dbc.example.com',
        warehouseId: 'abc123',
        catalog: 'main',
        schema: 'sales',
        authType: 'pat',
        readOnlyByGrants: false,
      },
      secrets: { token: 'dapi123secret' },
      formatted: 'databricks://token:********@dbc.example.com?http_path=/sql/1.0/warehouses/abc123&catalog=main&schema=sales',
    });
    assertRoundTrip('databricks://dbc.example.com:8443?http_path=/sql/1.0/endpoints/abc&client_id=sp-1', {
      config: {
        host: 'https://dbc.example.com:8443',
        warehouseId: 'abc',
        authType: 'oauth-m2m',
        clientId: 'sp-1',
        readOnlyByGrants: false,
      },
      secrets: {},
      formatted: 'databricks://dbc.example.com:8443?http_path=/sql/1.0/warehouses/abc&client_id=sp-1',
    });
    assert.match(uriError('databricks://token:x@dbc.example.com'), /http_path/);
    assert.match(uriError('databricks://admin:x@dbc.example.com?http_path=/sql/1.0/warehouses/a'), /'token'/);
    assert.match(uriError('databricks://token:x@dbc.example.com?http_path=/sql/1.0/warehouses/a&client_id=sp'), /either/);
  });
});
