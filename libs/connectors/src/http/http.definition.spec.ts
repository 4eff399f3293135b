import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRoundTrip, failingFields, fieldErrors, registry, uriError } from '../../../../test/support/connection-uris';
import { httpDefinition } from './http.definition';

const DEFAULTS = { healthPath: '/', method: 'GET', authType: 'none', expectedStatusMin: 200, expectedStatusMax: 399, tlsVerify: true };
const validate = (config: Record<string, unknown>) => registry.validateConfig('http', { baseUrl: 'https://api.example.com', ...config });

describe('http definition', () => {
  it('fills in the defaults', () => {
    assert.deepEqual(validate({}), { baseUrl: 'https://api.example.com', ...DEFAULTS });
  });

  it('needs a username for basic and a headerName for header authentication', () => {
    assert.deepEqual(
      fieldErrors(() => validate({ authType: 'basic' })),
      [{ field: 'config.username', message: 'is required' }],
    );
    assert.deepEqual(
      fieldErrors(() => validate({ authType: 'header' })),
      [{ field: 'config.headerName', message: 'is required' }],
    );
    validate({ authType: 'basic', username: 'u' });
    validate({ authType: 'header', headerName: 'X-API-Key' });
    validate({ authType: 'bearer' });
  });

  it('requires the password for basic and the token for bearer and header', () => {
    const required = (config: Record<string, unknown>) => httpDefinition.requiredSecrets(validate(config));
    assert.deepEqual(required({}), []);
    assert.deepEqual(required({ authType: 'basic', username: 'u' }), ['password']);
    assert.deepEqual(required({ authType: 'bearer' }), ['token']);
    assert.deepEqual(required({ authType: 'header', headerName: 'X-API-Key' }), ['token']);
  });

  it('keeps credentials and client-owned headers out of the non-secret headers', () => {
    const errors = fieldErrors(() =>
      validate({
        headers: { Authorization: 'Bearer x', cookie: 'a=b', Host: 'evil', 'X Foo': 'a', 'X-Ok': 'line\r\nInjected: 1', 'X-Num': 5 },
      }),
    );
    assert.deepEqual(
      errors.map((error) => error.field),
      [
        'config.headers.Authorization',
        'config.headers.cookie',
        'config.headers.Host',
        'config.headers.X Foo',
        'config.headers.X-Ok',
        'config.headers.X-Num',
      ],
    );
    assert.match(errors[0].message, /credentials go in secrets/);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-H${i}`, 'v']));
    assert.deepEqual(
      fieldErrors(() => validate({ headers: many })),
      [{ field: 'config.headers', message: 'must have at most 50 entries' }],
    );
    assert.deepEqual(
      failingFields(() => validate({ authType: 'header', headerName: 'X-API-Key', headers: { 'x-api-key': 'shown' } })),
      ['config.headers.x-api-key'],
    );
    validate({ authType: 'header', headerName: 'Authorization' });
  });

  it('refuses URLs with credentials, a query or port 0, and paths that change the host', () => {
    for (const baseUrl of [
      'https://u:p@api.example.com',
      'https://api.example.com:0',
      'http://api.example.com:00/v2',
      'https://api.example.com/?key=1',
      'ftp://api.example.com',
      'api.example.com',
      'https://a.example.com/#x',
    ]) {
      assert.deepEqual(
        failingFields(() => registry.validateConfig('http', { baseUrl })),
        ['config.baseUrl'],
        baseUrl,
      );
    }
    for (const healthPath of ['//evil.example.com', '/\\evil.example.com', 'health', '/a b', '/a#b']) {
      assert.deepEqual(
        failingFields(() => validate({ healthPath })),
        ['config.healthPath'],
        healthPath,
      );
    }
    validate({ healthPath: '/health?verbose=1' });
  });

  it('checks the healthy status range', () => {
    assert.deepEqual(
      fieldErrors(() => validate({ expectedStatusMin: 300, expectedStatusMax: 299 })),
      [{ field: 'config.expectedStatusMax', message: 'must be >= expectedStatusMin' }],
    );
    assert.deepEqual(
      failingFields(() => validate({ expectedStatusMin: 99, method: 'POST' })),
      ['config.method', 'config.expectedStatusMin'],
    );
  });

  it('round-trips http(s) URIs, credentials meaning basic authentication', () => {
    assertRoundTrip(`https://svc%20user:${encodeURIComponent('p:ss@1')}@API.example.com:8443/v2`, {
      config: { baseUrl: 'https://api.example.com:8443/v2', ...DEFAULTS, authType: 'basic', username: 'svc user' },
      secrets: { password: 'p:ss@1' },
      formatted: 'https://svc%20user:********@api.example.com:8443/v2',
    });
    assertRoundTrip('http://example.com/', {
      config: { baseUrl: 'http://example.com', ...DEFAULTS },
      secrets: {},
      formatted: 'http://example.com',
    });
    assert.equal(registry.formatUri('http', validate({ authType: 'bearer' }), ['token']), 'https://api.example.com');
  });

  it('refuses a query or a password without user name', () => {
    assert.equal(uriError('https://api.example.com/v2?key=secret'), "unknown query parameter 'key'; this URI takes none");
    assert.equal(uriError('https://:secret@api.example.com'), 'a password needs a user name (basic authentication)');
  });
});
