import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { safeSqlMode } from './mysql.session';
import { readOnlyStatement } from './mysql.statement';

/** The code readOnlyStatement refuses `sql` with. */
function refusal(sql: string): string {
  try {
    readOnlyStatement(sql);
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error.code;
  }
  assert.fail(`accepted: ${sql}`);
}

describe('readOnlyStatement (the client-side half of MySQL read-only queries)', () => {
  it('accepts reading statements as they are', () => {
    for (const sql of [
      'SELECT 1',
      '  select * from t where a = 1',
      '(SELECT 1) UNION (SELECT 2)',
      'WITH a AS (SELECT 1 AS x) SELECT * FROM a',
      'WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
      'SHOW TABLES',
      'DESCRIBE t',
      'DESC `delete`',
      'EXPLAIN SELECT * FROM t',
      'EXPLAIN FORMAT=JSON SELECT 1',
      'EXPLAIN EXTENDED SELECT 1',
      'VALUES (1), (2)',
      'TABLE t',
      '-- a comment\nSELECT 1',
      '# a comment\nSELECT 1',
      '/* a comment */ SELECT 1',
      'SELECT \'a;b\', "c;d", `e;f`',
      'SELECT \'INTO OUTFILE\', `into`, "into" FROM t',
      "SELECT 'it''s', 'back\\'slash; INTO'",
      'SELECT 1--1',
      'SELECT * FROM t LOCK IN SHARE MODE',
      'SELECT * FROM t FOR UPDATE',
    ]) {
      assert.equal(readOnlyStatement(sql), sql, sql);
    }
  });

  it('drops one trailing semicolon (and what follows it when that is only comments)', () => {
    assert.equal(readOnlyStatement('SELECT 1;'), 'SELECT 1');
    assert.equal(readOnlyStatement('SELECT 1 ;  -- done\n'), 'SELECT 1');
    assert.equal(readOnlyStatement("SELECT ';' ;"), "SELECT ';'");
  });

  it('refuses several statements with UNPROCESSABLE', () => {
    assert.equal(refusal('SELECT 1; DELETE FROM t'), ErrorCode.UNPROCESSABLE);
    assert.equal(refusal('SELECT 1;SELECT 2'), ErrorCode.UNPROCESSABLE);
    assert.equal(refusal("SELECT 'x'; -- \n DROP TABLE t"), ErrorCode.UNPROCESSABLE);
  });

  it('refuses an empty statement with VALIDATION_FAILED', () => {
    assert.equal(refusal(''), ErrorCode.VALIDATION_FAILED);
    assert.equal(refusal('  -- nothing\n /* at all */ ;'), ErrorCode.VALIDATION_FAILED);
  });

  it('refuses every statement that does not start with a reading keyword', () => {
    for (const sql of [
      'INSERT INTO t VALUES (1)',
      '  dElEtE FROM t',
      '(DELETE FROM t)',
      'SET @x := 1',
      'SET SESSION tx_read_only = 0',
      'SET STATEMENT tx_read_only = 0 FOR INSERT INTO t VALUES (1)',
      'DO SLEEP(1)',
      'HANDLER t OPEN',
      'LOCK TABLES t WRITE',
      'CALL p()',
      'LOAD DATA INFILE "/etc/passwd" INTO TABLE t',
      'ANALYZE SELECT 1',
      'ANALYZE TABLE t',
      'PREPARE s FROM "DELETE FROM t"',
      'KILL 1',
      'FLUSH TABLES',
      'USE mysql',
      'BEGIN',
      'GRANT ALL ON *.* TO x',
      '-- SELECT\nDELETE FROM t',
      '/* SELECT */ DELETE FROM t',
      '@x',
    ]) {
      assert.equal(refusal(sql), ErrorCode.READ_ONLY_VIOLATION, sql);
    }
  });

  it('refuses SELECT … INTO, however it is spelled', () => {
    for (const sql of [
      "SELECT * FROM t INTO OUTFILE '/tmp/x'",
      "SELECT 1 into dumpfile '/tmp/x'",
      'SELECT 1 INTO @x',
      "SELECT 1.5INTO OUTFILE '/tmp/x'",
      "SELECT 1e5INTO OUTFILE '/tmp/x'",
      "SELECT 'a' INTO/**/OUTFILE '/tmp/x'",
      "(SELECT 1) INTO OUTFILE '/tmp/x'",
      "WITH a AS (SELECT 1) SELECT * FROM a INTO OUTFILE '/tmp/x'",
      "SELECT '\\\\' INTO OUTFILE '/tmp/x'",
      "TABLE t INTO OUTFILE '/tmp/x'",
    ]) {
      assert.equal(refusal(sql), ErrorCode.READ_ONLY_VIOLATION, sql);
    }
  });

  it('refuses executable comments and optimizer hints, which hide code from the check', () => {
    for (const sql of [
      '/*!50000 DELETE FROM t */',
      "SELECT 1 /*!INTO OUTFILE '/tmp/x' */",
      '/*M!100000 DELETE FROM t */',
      'SELECT /*+ MAX_EXECUTION_TIME(100000000) */ 1',
      'SELECT /*+ SET_VAR(transaction_read_only = 0) */ 1',
    ]) {
      assert.equal(refusal(sql), ErrorCode.READ_ONLY_VIOLATION, sql);
    }
  });

  it('refuses EXPLAIN/DESCRIBE of a write and WITH … <write>', () => {
    for (const sql of [
      'EXPLAIN DELETE FROM t',
      'EXPLAIN ANALYZE DELETE FROM t',
      'EXPLAIN ANALYZE SELECT 1',
      'EXPLAIN FORMAT=JSON UPDATE t SET a = 1',
      'DESCRIBE INSERT INTO t VALUES (1)',
      'WITH c AS (SELECT 1) DELETE FROM t',
      'WITH c AS (SELECT 1), d AS (SELECT 2) UPDATE t SET a = 1',
    ]) {
      assert.equal(refusal(sql), ErrorCode.READ_ONLY_VIOLATION, sql);
    }
  });

  it('reads a "--" without a following space as two minus signs, like the server', () => {
    // Were "--x" a comment here, the DELETE would hide behind it; it is not, and neither is it to the server.
    assert.equal(refusal('--x\nDELETE FROM t'), ErrorCode.READ_ONLY_VIOLATION);
    assert.equal(readOnlyStatement('SELECT 2--1'), 'SELECT 2--1');
  });
});

describe('safeSqlMode', () => {
  it('removes the modes that change how quotes and backslashes read, keeps the rest', () => {
    assert.equal(
      safeSqlMode('STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES,ANSI_QUOTES,ONLY_FULL_GROUP_BY'),
      'STRICT_TRANS_TABLES,ONLY_FULL_GROUP_BY',
    );
    assert.equal(safeSqlMode('REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ANSI'), 'REAL_AS_FLOAT,PIPES_AS_CONCAT,IGNORE_SPACE');
    assert.equal(
      safeSqlMode('PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ORACLE,SIMULTANEOUS_ASSIGNMENT'),
      'PIPES_AS_CONCAT,IGNORE_SPACE,SIMULTANEOUS_ASSIGNMENT',
    );
    assert.equal(safeSqlMode(''), '');
    assert.equal(safeSqlMode("STRICT_TRANS_TABLES,x'; DROP"), 'STRICT_TRANS_TABLES');
  });
});
