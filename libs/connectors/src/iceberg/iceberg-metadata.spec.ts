import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthTokenCache } from './iceberg-client';
import {
  columnsOf,
  errorMessageOf,
  icebergTypeName,
  namespaceLevels,
  namespaceName,
  namespacePath,
  retryAfterSeconds,
  statusCode,
  viewColumnsOf,
} from './iceberg-metadata';

const field = (id: number, name: string, type: unknown, required = false) => ({ id, name, type, required });

describe('iceberg metadata', () => {
  it('names primitive and nested types as Iceberg spells them', () => {
    assert.equal(icebergTypeName('decimal(10,2)'), 'decimal(10,2)');
    assert.equal(
      icebergTypeName({ type: 'struct', fields: [field(1, 'a', 'int'), field(2, 'b', { type: 'list', element: 'string' })] }),
      'struct<a: int, b: list<string>>',
    );
    assert.equal(icebergTypeName({ type: 'map', key: 'string', value: { type: 'struct', fields: [] } }), 'map<string, struct<>>');
    assert.equal(icebergTypeName(42), 'unknown');
  });

  it('joins nested namespaces with "." for the API and with the unit separator in paths', () => {
    assert.equal(namespaceName(['accounting', 'tax']), 'accounting.tax');
    assert.deepEqual(namespaceLevels('accounting.tax'), ['accounting', 'tax']);
    assert.equal(namespacePath(['accounting', 'tax', 'a/b']), 'accounting%1Ftax%1Fa%2Fb');
  });

  it('reads the columns of the current schema, not the last one; v1 metadata has one schema', () => {
    const metadata = {
      'current-schema-id': 0,
      schemas: [
        { 'schema-id': 0, 'identifier-field-ids': [1], fields: [field(1, 'id', 'long', true), field(2, 'name', 'string')] },
        { 'schema-id': 1, fields: [field(1, 'id', 'long', true)] },
      ],
    };
    assert.deepEqual(columnsOf({ metadata }), [
      { name: 'id', type: 'long', nullable: false, default: null, primaryKey: true, position: 1 },
      { name: 'name', type: 'string', nullable: true, default: null, primaryKey: false, position: 2 },
    ]);
    assert.deepEqual(columnsOf({ metadata: { schema: { fields: [field(1, 'x', 'date')] } } })?.[0].type, 'date');
    assert.equal(columnsOf({ metadata: { 'current-schema-id': 7, schemas: [] } }), undefined);
    assert.equal(columnsOf('nonsense'), undefined);
  });

  it("reads a view's columns from the schema its current version names, not the last one", () => {
    const metadata = {
      'current-version-id': 1,
      versions: [
        { 'version-id': 2, 'schema-id': 0 },
        { 'version-id': 1, 'schema-id': 1 },
      ],
      schemas: [
        { 'schema-id': 0, fields: [field(1, 'a', 'int')] },
        { 'schema-id': 1, fields: [field(1, 'a', 'int', true), field(2, 'b', { type: 'list', element: 'string' })] },
      ],
    };
    assert.deepEqual(
      viewColumnsOf({ metadata })?.map((column) => [column.name, column.type, column.nullable]),
      [
        ['a', 'int', false],
        ['b', 'list<string>', true],
      ],
    );
    assert.equal(viewColumnsOf({ metadata: { ...metadata, 'current-version-id': 9 } }), undefined);
    assert.equal(viewColumnsOf({ metadata: { ...metadata, schemas: [] } }), undefined);
    assert.equal(viewColumnsOf({ metadata: {} }), undefined);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterSeconds('3'), 3);
    assert.equal(retryAfterSeconds(new Date(10_000).toUTCString(), 4_000), 6);
    assert.equal(retryAfterSeconds(new Date(0).toUTCString(), 4_000), 0);
    assert.equal(retryAfterSeconds('soon'), undefined);
    assert.equal(retryAfterSeconds(undefined), undefined);
  });

  it('reads Iceberg and OAuth error bodies, and maps statuses to test codes', () => {
    assert.equal(errorMessageOf({ error: { message: 'gone', type: 'NoSuchTableException', code: 404 } }), 'NoSuchTableException: gone');
    assert.equal(errorMessageOf({ error: 'invalid_client', error_description: 'bad secret' }), 'invalid_client: bad secret');
    assert.equal(errorMessageOf('<html>'), undefined);
    assert.deepEqual([401, 419, 403, 404, 500].map(statusCode), [
      'AUTH_FAILED',
      'AUTH_FAILED',
      'PERMISSION_DENIED',
      'NOT_FOUND',
      'PROTOCOL_ERROR',
    ]);
  });

  it('keeps OAuth tokens until shortly before they expire', () => {
    const cache = new OAuthTokenCache();
    cache.set('a', 'token-a', 3600, 0);
    assert.equal(cache.get('a', 3_500_000), 'token-a');
    assert.equal(cache.get('a', 3_541_000), undefined, 'kept within the last minute of its life');
    cache.set('b', 'token-b', 10, 0);
    assert.equal(cache.get('b', 8_900), 'token-b');
    assert.equal(cache.get('b', 9_100), undefined, 'a short life loses its last tenth');
    cache.set('c', 'token-c', undefined, 0);
    assert.equal(cache.get('c', 4 * 60_000), 'token-c');
    cache.evict('c');
    assert.equal(cache.get('c', 0), undefined);
  });
});
