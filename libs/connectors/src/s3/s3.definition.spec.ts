import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, failingFields, registry, uriError } from '../../../../test/support/connection-uris';
import { s3Definition } from './s3.definition';

describe('s3 definition', () => {
  it('defaults region, prefix and addressing, and always needs explicit keys', () => {
    const config = registry.validateConfig('s3', { bucket: 'acme-exports' });
    assert.deepEqual(config, { bucket: 'acme-exports', region: 'us-east-1', forcePathStyle: false, prefix: '' });
    assert.deepEqual(s3Definition.requiredSecrets(config), ['accessKeyId', 'secretAccessKey']);
  });

  it('applies the bucket naming rules', () => {
    for (const bucket of ['Acme', 'ab', '192.168.1.1', 'a..b', 'xn--abc', '-abc', 'a'.repeat(64), 'acme_exports']) {
      assert.deepEqual(
        failingFields(() => registry.validateConfig('s3', { bucket })),
        ['config.bucket'],
        bucket,
      );
    }
    registry.validateConfig('s3', { bucket: 'my.bucket-1' });
  });

  it('takes an S3-compatible endpoint, without credentials in it', () => {
    registry.validateConfig('s3', { bucket: 'b-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
    assert.deepEqual(
      failingFields(() => registry.validateConfig('s3', { bucket: 'b-1', endpoint: 'http://key:secret@minio:9000' })),
      ['config.endpoint'],
    );
  });

  it('round-trips s3 URIs, masking both key halves', () => {
    const secretAccessKey = 'wJalr+XUtnFEMI/K7MDENG';
    assertRoundTrip(
      `s3://AKIAEXAMPLE:${encodeURIComponent(secretAccessKey)}@acme-exports/daily/2024%20q1/?region=eu-central-1&endpoint=https://minio.example.com:9000&forcePathStyle=true`,
      {
        config: {
          bucket: 'acme-exports',
          prefix: 'daily/2024 q1/',
          region: 'eu-central-1',
          endpoint: 'https://minio.example.com:9000',
          forcePathStyle: true,
        },
        secrets: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey },
        formatted:
          's3://********:********@acme-exports/daily/2024%20q1/?region=eu-central-1&endpoint=https://minio.example.com:9000&forcePathStyle=true',
      },
    );
    assertRoundTrip('s3://acme-exports', {
      config: { bucket: 'acme-exports', region: 'us-east-1', forcePathStyle: false, prefix: '' },
      secrets: {},
      formatted: 's3://acme-exports',
    });
  });

  it('refuses bad query parameters', () => {
    assert.equal(uriError('s3://b-1?forcePathStyle=1'), "query parameter 'forcePathStyle' must be true or false");
    assert.equal(uriError('s3://b-1?profile=prod'), "unknown query parameter 'profile'; expected region, endpoint, forcePathStyle");
  });
});
