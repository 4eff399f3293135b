import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, registry, uriError } from '../../../../test/support/connection-uris';
import { postgresDefinition } from './postgres.definition';

describe('postgres definition', () => {
  it('needs no secret: trust and certificate authentication exist', () => {
    assert.deepEqual(postgresDefinition.requiredSecrets(registry.validateConfig('postgres', { host: 'db' })), []);
  });

  it('round-trips a full URI with a percent-encoded user and password', () => {
    const password = 'p@ss:w/rd%?#';
    assertRoundTrip(
      `postgresql://rep%40orter:${encodeURIComponent(password)}@db.example.com:6432/analytics?sslmode=verify-full&currentSchema=sales`,
      {
        config: {
          host: 'db.example.com',
          port: 6432,
          database: 'analytics',
          schema: 'sales',
          username: 'rep@orter',
          sslMode: 'verify-full',
        },
        secrets: { password },
        formatted: 'postgresql://rep%40orter:********@db.example.com:6432/analytics?sslmode=verify-full&schema=sales',
      },
    );
  });

  it('fills in the defaults and leaves them out of the formatted URI', () => {
    assertRoundTrip('postgres://u@db/app', {
      config: { host: 'db', port: 5432, database: 'app', username: 'u', sslMode: 'require' },
      secrets: {},
      formatted: 'postgresql://u@db:5432/app',
    });
    assertRoundTrip('postgres://[::1]:5433', {
      config: { host: '::1', port: 5433, sslMode: 'require' },
      secrets: {},
      formatted: 'postgresql://[::1]:5433',
    });
    assertRoundTrip('postgres://db/my%2Fdb?schema=x', {
      config: { host: 'db', port: 5432, database: 'my/db', schema: 'x', sslMode: 'require' },
      secrets: {},
      formatted: 'postgresql://db:5432/my%2Fdb?schema=x',
    });
  });

  it('refuses ambiguous URIs', () => {
    assert.equal(
      uriError('postgres://db/app?schema=a&currentSchema=b'),
      "give either query parameter 'schema' or 'currentSchema', not both",
    );
    assert.equal(uriError('postgres://db/app/extra'), 'the path must be a single database name');
    assert.equal(
      uriError('postgres://db/app?options=-c%20search_path%3Devil'),
      "unknown query parameter 'options'; expected sslmode, schema, currentSchema",
    );
  });
});
