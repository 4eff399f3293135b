import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { qualifiedName, quoteIdentifier, singleStatement } from './databricks-sql';

const codeOf = (sql: string): string | undefined => {
  try {
    singleStatement(sql);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppError);
    return error.code;
  }
};

describe('databricks SQL', () => {
  it('quotes identifiers in backticks, doubling those inside', () => {
    assert.equal(quoteIdentifier('orders'), '`orders`');
    assert.equal(quoteIdentifier('a`b'), '`a``b`');
    assert.equal(qualifiedName('main', 'my schema', 'x`; DROP'), '`main`.`my schema`.`x``; DROP`');
  });

  it('takes one statement, a trailing semicolon and comments included', () => {
    for (const sql of [
      'SELECT 1',
      'SELECT 1;',
      'SELECT 1;  -- done',
      'SELECT 1; /* a /* nested */ comment */',
      'SELECT \'a;b\', "c;d", `e;f`',
      "SELECT 'it\\'s; fine'",
      'SELECT 1 -- ; not a second one',
      'SELECT 1;;',
      'SELECT r\'C:\\dir;x\', R"a;b\\"',
      "SELECT bar'it\\'s; fine'",
    ]) {
      assert.equal(codeOf(sql), undefined, sql);
    }
  });

  it('refuses a second statement (422) and an empty one (400)', () => {
    assert.equal(codeOf('SELECT 1; SELECT 2'), ErrorCode.UNPROCESSABLE);
    assert.equal(codeOf("SELECT 'x'; DROP TABLE t"), ErrorCode.UNPROCESSABLE);
    assert.equal(codeOf('SELECT 1 /* ; */; DELETE FROM t'), ErrorCode.UNPROCESSABLE);
    // A raw literal ends at its first quote, a backslash no escape; a -- comment ends at \r as at \n.
    assert.equal(codeOf("SELECT r'\\'; DROP TABLE t; --'"), ErrorCode.UNPROCESSABLE);
    assert.equal(codeOf('SELECT R"\\"; DROP TABLE t; --"'), ErrorCode.UNPROCESSABLE);
    assert.equal(codeOf('SELECT 1 -- note\r; DROP TABLE t'), ErrorCode.UNPROCESSABLE);
    assert.equal(codeOf(''), ErrorCode.VALIDATION_FAILED);
    assert.equal(codeOf(' ; -- nothing'), ErrorCode.VALIDATION_FAILED);
  });
});
