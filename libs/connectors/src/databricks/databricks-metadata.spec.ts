import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellOf, columnsOf, errorMessageOf, manifestColumnsOf, rowOf, statusCode, tableKindOf } from './databricks-metadata';

describe('databricks metadata', () => {
  it('reads error bodies and maps statuses', () => {
    assert.equal(
      errorMessageOf({ error_code: 'NOT_FOUND', message: "Catalog 'x' does not exist." }),
      "NOT_FOUND: Catalog 'x' does not exist.",
    );
    assert.equal(
      errorMessageOf({ error: 'invalid_client', error_description: 'Client authentication failed' }),
      'invalid_client: Client authentication failed',
    );
    assert.equal(errorMessageOf('nope'), undefined);
    assert.deepEqual([401, 403, 404, 500].map(statusCode), ['AUTH_FAILED', 'PERMISSION_DENIED', 'NOT_FOUND', 'PROTOCOL_ERROR']);
  });

  it('names table types as every type does, EXTERNAL kept', () => {
    assert.deepEqual(['MANAGED', 'EXTERNAL', 'VIEW', 'MATERIALIZED_VIEW', 'STREAMING_TABLE', 'FOREIGN', 'SOMETHING_NEW'].map(tableKindOf), [
      'TABLE',
      'EXTERNAL',
      'VIEW',
      'MATERIALIZED_VIEW',
      'TABLE',
      'FOREIGN_TABLE',
      'TABLE',
    ]);
  });

  it('reads columns in position order, 1-based', () => {
    const info = {
      columns: [
        { name: 'b', type_text: 'string', type_name: 'STRING', position: 1 },
        { name: 'a', type_text: 'bigint', type_name: 'LONG', position: 0, nullable: false },
        { name: 'c', type_name: 'INT', position: 2 },
      ],
    };
    assert.deepEqual(columnsOf(info), [
      { name: 'a', type: 'bigint', nullable: false, default: null, primaryKey: false, position: 1 },
      { name: 'b', type: 'string', nullable: true, default: null, primaryKey: false, position: 2 },
      { name: 'c', type: 'int', nullable: true, default: null, primaryKey: false, position: 3 },
    ]);
    assert.equal(columnsOf({ name: 't' }), undefined);
  });

  it('reads JSON_ARRAY strings as the cells of every type', () => {
    const columns = manifestColumnsOf({
      schema: {
        columns: ['BOOLEAN', 'INT', 'LONG', 'DECIMAL', 'DOUBLE', 'DOUBLE', 'BINARY', 'STRING', 'STRUCT'].map((type_name, position) => ({
          name: `c${position}`,
          type_text: type_name,
          type_name,
          position,
        })),
      },
    })!;
    const row = rowOf(
      ['true', '42', '9007199254740993', '1.10', '0.5', 'Infinity', Buffer.from('hi').toString('base64'), 'text', '{"a":1}'],
      columns,
    );
    assert.deepEqual(row, [true, 42, '9007199254740993', '1.10', 0.5, 'Infinity', '\\x6869', 'text', '{"a":1}']);
    assert.equal(cellOf(null, 'STRING'), null);
    assert.equal(cellOf('y'.repeat(5_000), 'STRING'), `${'y'.repeat(4_096)}…[truncated; 5000 characters]`);
    assert.equal(manifestColumnsOf({}), undefined);
  });
});
