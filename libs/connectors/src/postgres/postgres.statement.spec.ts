import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { parsePostgres, StatementTooComplex } from './postgres.parser';
import { analyseStatement, checkReadOnlyStatement } from './postgres.statement';

const keep = (message: string): string => message;

/** The AppError checkReadOnlyStatement refuses `sql` with (fails when it lets it through). */
async function refusal(sql: string): Promise<AppError> {
  try {
    await checkReadOnlyStatement(sql, keep);
  } catch (error) {
    assert.ok(error instanceof AppError, `${sql}: ${String(error)}`);
    return error;
  }
  return assert.fail(`let through: ${sql}`);
}

async function refused(sql: string, code: ErrorCode, detail: RegExp): Promise<void> {
  const error = await refusal(sql);
  assert.equal(error.code, code, `${sql}: ${error.detail}`);
  assert.match(error.detail, detail, sql);
}

const runs = (sql: string): Promise<void> => checkReadOnlyStatement(sql, keep);

/** The issue-13 shape: an unquoted identifier longer than the old lexer's 1,024-character window, then `$$`. */
const longAlias = (length: number, call: string): string => `SELECT 1 AS ${'a'.repeat(length)}$$, ${call} AS b$$`;

describe('PostgreSQL statement analysis (PostgreSQL 18 parser)', () => {
  it('lets read statements through', async () => {
    for (const sql of [
      'SELECT 1',
      'with x as (select 1) select * from x',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
      'VALUES (1)',
      'TABLE t',
      'EXPLAIN SELECT 1',
      'EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM t',
      'EXPLAIN DELETE FROM t',
      'EXPLAIN (ANALYZE false) DELETE FROM t',
      'EXPLAIN (ANALYZE off, VERBOSE) INSERT INTO t VALUES (1)',
      'EXPLAIN (ANALYZE 0) UPDATE t SET a = 1',
      'SHOW ALL',
      '(SELECT 1)',
      'SELECT 1;',
      '/* a /* nested */ comment */ -- and a line\n  select 4',
      'SELECT 1 UNION SELECT 2 EXCEPT (SELECT 3)',
      'SELECT $1',
      `SELECT 'lo_export', $q$lo_export$q$, "LO_EXPORT" FROM t -- lo_export`,
      `SELECT 'it''s lo_export', E'\\' lo_export', U&'\\0064blink'`,
      'SELECT t.dblink FROM links t',
      'SELECT 1 AS a$$, 2 AS b$$',
      `SELECT 'dblink_exec'::regproc, 'lo_export(oid, text)'::regprocedure`,
    ]) {
      await runs(sql);
    }
  });

  it('refuses every other kind of statement, by the name it was written with', async () => {
    for (const [sql, name] of [
      ['COPY t TO STDOUT', 'COPY'],
      ['/* a /* b */ c */\n-- x\r\n\tCoPy t TO STDOUT', 'COPY'],
      ['DO $$ BEGIN END $$', 'DO'],
      ['CALL p()', 'CALL'],
      ['BEGIN', 'BEGIN'],
      ['SET x = 1', 'SET'],
      ['RESET ALL', 'RESET'],
      ['LOCK t', 'LOCK'],
      ['LISTEN x', 'LISTEN'],
      ['NOTIFY x', 'NOTIFY'],
      ['INSERT INTO t VALUES (1)', 'INSERT'],
      ['WITH x AS (SELECT 1) DELETE FROM t', 'DELETE'],
      ['CREATE TABLE t2 AS SELECT 1', 'CREATE'],
      ['DECLARE c CURSOR FOR SELECT 1', 'DECLARE'],
      ['PREPARE p AS SELECT 1', 'PREPARE'],
    ]) {
      await refused(
        sql,
        ErrorCode.READ_ONLY_VIOLATION,
        new RegExp(`^Only SELECT, WITH, VALUES, TABLE, EXPLAIN and SHOW .*; ${name} is refused\\.$`),
      );
    }
  });

  it('names a refused statement by its first word past any comments, however long the text', async () => {
    const only = (name: string) => new RegExp(`^Only SELECT, WITH, VALUES, TABLE, EXPLAIN and SHOW .*; ${name} is refused\\.$`);
    await refused(`COPY t FROM stdin WITH (DELIMITER '${'x'.repeat(5_000)}')`, ErrorCode.READ_ONLY_VIOLATION, only('COPY'));
    await refused(`/* ${'c'.repeat(5_000)} */ COPY t TO stdout`, ErrorCode.READ_ONLY_VIOLATION, only('COPY'));
    // Multi-byte comments before it: the parser's offset counts UTF-8 bytes.
    await refused(`${'-- é 🙂\n'.repeat(1_000)}SET x = 1`, ErrorCode.READ_ONLY_VIOLATION, only('SET'));
    await refused('; ; lock t', ErrorCode.READ_ONLY_VIOLATION, only('LOCK'));
  });

  it('refuses SELECTs that write: INTO, row locks and data-modifying WITH queries, wherever they are', async () => {
    const into = /SELECT \.\.\. INTO creates a table/;
    await refused('SELECT * INTO t2 FROM t', ErrorCode.READ_ONLY_VIOLATION, into);
    await refused('SELECT 1 INTO t2 UNION SELECT 2', ErrorCode.READ_ONLY_VIOLATION, into);
    await refused('(SELECT 1 INTO TEMP t2)', ErrorCode.READ_ONLY_VIOLATION, into);
    await refused('SELECT * FROM t FOR UPDATE', ErrorCode.READ_ONLY_VIOLATION, /FOR UPDATE locks rows/);
    await refused('SELECT * FROM (SELECT * FROM t FOR KEY SHARE SKIP LOCKED) s', ErrorCode.READ_ONLY_VIOLATION, /FOR KEY SHARE locks rows/);
    await refused('WITH x AS (SELECT * FROM t FOR NO KEY UPDATE) SELECT 1', ErrorCode.READ_ONLY_VIOLATION, /FOR NO KEY UPDATE/);
    await refused('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', ErrorCode.READ_ONLY_VIOLATION, /WITH query \(DELETE\)/);
    await refused(
      'WITH a AS (SELECT 1), b AS (WITH c AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM c) SELECT * FROM b',
      ErrorCode.READ_ONLY_VIOLATION,
      /WITH query \(UPDATE\)/,
    );
    await refused(
      'WITH m AS (MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE RETURNING t.a) SELECT 1',
      ErrorCode.READ_ONLY_VIOLATION,
      /WITH query \(MERGE\)/,
    );
    await refused('EXPLAIN ANALYZE DELETE FROM t', ErrorCode.READ_ONLY_VIOLATION, /^EXPLAIN ANALYZE runs .*; DELETE is refused\.$/);
    for (const options of [
      'ANALYZE',
      'ANALYZE VERBOSE',
      '(ANALYZE)',
      '(ANALYZE true)',
      '(analyze on)',
      '(ANALYZE 1)',
      '(ANALYZE false, ANALYZE)',
    ]) {
      await refused(
        `EXPLAIN ${options} INSERT INTO t VALUES (1)`,
        ErrorCode.READ_ONLY_VIOLATION,
        /EXPLAIN ANALYZE runs .*INSERT is refused/,
      );
    }
    await refused('EXPLAIN ANALYZE SELECT * INTO t2 FROM t', ErrorCode.READ_ONLY_VIOLATION, /EXPLAIN ANALYZE runs .* INTO creates a table/);
    await refused('EXPLAIN ANALYZE CREATE TABLE t2 AS SELECT 1', ErrorCode.READ_ONLY_VIOLATION, /CREATE TABLE AS is refused/);
  });

  it('refuses functions that act outside the transaction however they are spelled and wherever they are called', async () => {
    const calls: [string, string][] = [
      ['SELECT lo_export(1, $$/tmp/x$$)', 'lo_export'],
      ["select PG_CATALOG.LO_EXPORT(1, '/tmp/x')", 'lo_export'],
      [`SELECT "lo_export"(1, '/tmp/x')`, 'lo_export'],
      [`SELECT pg_catalog . /* c */ "lo_export" (1, '/tmp/x')`, 'lo_export'],
      ["SELECT E'\\'', lo_export(1, '/tmp/x')", 'lo_export'],
      [`SELECT U&"\\006C\\006F_export"(1, '/tmp/x')`, 'lo_export'],
      [`SELECT U&"d!0062link_exec" UESCAPE '!'('a', 'b')`, 'dblink_exec'],
      ["SELECT * FROM dblink('dbname=x', 'DELETE FROM t RETURNING 1') AS t(a int)", 'dblink'],
      ["SELECT * FROM ROWS FROM (dblink('x', 'y') AS (a int)) r", 'dblink'],
      ['SELECT * FROM t, LATERAL (SELECT pg_terminate_backend(t.pid)) x', 'pg_terminate_backend'],
      ["SELECT query_to_xml('select 1', true, false, '')", 'query_to_xml'],
      ['WITH x AS (SELECT pg_reload_conf()) SELECT * FROM x', 'pg_reload_conf'],
      ['SELECT (SELECT pg_reload_conf())', 'pg_reload_conf'],
      ['SELECT 1 WHERE EXISTS (SELECT pg_reload_conf())', 'pg_reload_conf'],
      ['SELECT CASE WHEN false THEN pg_reload_conf() END', 'pg_reload_conf'],
      ['SELECT pg_reload_conf()::text::int', 'pg_reload_conf'],
      ['SELECT count(*) FILTER (WHERE pg_reload_conf()) FROM t', 'pg_reload_conf'],
      ['SELECT a FROM t ORDER BY pg_reload_conf()', 'pg_reload_conf'],
      ['SELECT a FROM t GROUP BY a HAVING pg_reload_conf()', 'pg_reload_conf'],
      ['SELECT a FROM t LIMIT pg_reload_conf()::int', 'pg_reload_conf'],
      ['VALUES (pg_reload_conf())', 'pg_reload_conf'],
      ['SELECT 1 UNION SELECT pg_reload_conf()::int', 'pg_reload_conf'],
      ['EXPLAIN SELECT pg_reload_conf()', 'pg_reload_conf'],
      ['EXPLAIN ANALYZE SELECT pg_reload_conf()', 'pg_reload_conf'],
      // Attribute notation: PostgreSQL reads (expr).f as f(expr) when expr has no field f.
      ["SELECT ('INSERT INTO t VALUES (1)'::text).dblink_exec", 'dblink_exec'],
      ['SELECT (pg_backend_pid()).pg_terminate_backend', 'pg_terminate_backend'],
      ["SELECT ('slot'::name).pg_create_physical_replication_slot", 'pg_create_physical_replication_slot'],
      ['SELECT (s.pid).pg_cancel_backend FROM pg_stat_activity s', 'pg_cancel_backend'],
      // The issue-13 bypass, and its lengths around the old lexer's window.
      [longAlias(1025, "dblink_exec('dbname=x', 'INSERT INTO t VALUES (1)')"), 'dblink_exec'],
      [longAlias(1023, 'pg_terminate_backend(42)'), 'pg_terminate_backend'],
      [longAlias(1024, "pg_file_write('x', 'y', false)"), 'pg_file_write'],
      [longAlias(5000, 'pg_reload_conf()'), 'pg_reload_conf'],
      [longAlias(1025, "pg_create_physical_replication_slot('s')"), 'pg_create_physical_replication_slot'],
    ];
    for (const [sql, name] of calls) {
      await refused(
        sql,
        ErrorCode.READ_ONLY_VIOLATION,
        new RegExp(`^${name}\\(\\) acts outside the read-only transaction and is refused\\.$`),
      );
    }
  });

  it('reports what it found: statement count, why not a read, every listed function in order', async () => {
    assert.deepEqual(await analyseStatement('SELECT 1; SELECT 2;;'), { statements: 2, outsideEffects: [] });
    assert.deepEqual(await analyseStatement(' ;; -- nothing'), { statements: 0, outsideEffects: [] });
    assert.deepEqual(await analyseStatement(''), { statements: 0, outsideEffects: [] });
    assert.deepEqual(await analyseStatement("SELECT pg_reload_conf(), lo_export(1, 'x'), upper('a')"), {
      statements: 1,
      notRead: undefined,
      outsideEffects: ['pg_reload_conf', 'lo_export'],
    });
  });

  it('answers like the server for what it cannot run: several statements, none, syntax errors, NUL, lone surrogates', async () => {
    await refused('SELECT 1; DELETE FROM t', ErrorCode.UNPROCESSABLE, /^Send one statement at a time\.$/);
    await refused(`SELECT 1 AS ${'a'.repeat(1025)}$$; DELETE FROM t; SELECT 1 AS b$$`, ErrorCode.UNPROCESSABLE, /one statement/);
    const empty = await refusal('  -- nothing but a comment');
    assert.equal(empty.code, ErrorCode.VALIDATION_FAILED);
    assert.match(JSON.stringify(empty.options.errors), /must contain a statement/);
    await refused('SELECT 1 FROM', ErrorCode.QUERY_FAILED, /^syntax error at end of input \(at character 14\)$/);
    await refused('SELECT 1 /* unterminated', ErrorCode.QUERY_FAILED, /unterminated \/\* comment/);
    await refused('\u00a0SELECT 1', ErrorCode.QUERY_FAILED, /syntax error/);
    await refused('ＳＥＬＥＣＴ 1', ErrorCode.QUERY_FAILED, /syntax error/);
    await refused('SELECT 5 !', ErrorCode.QUERY_FAILED, /syntax error/);
    const nul = await refusal('SELECT 1\0; DELETE FROM t');
    assert.equal(nul.code, ErrorCode.VALIDATION_FAILED);
    assert.match(JSON.stringify(nul.options.errors), /NUL/);
    const surrogate = await refusal('SELECT 1 AS "\ud800"');
    assert.equal(surrogate.code, ErrorCode.VALIDATION_FAILED);
    assert.match(JSON.stringify(surrogate.options.errors), /surrogate/);
  });

  it('scrubs the parser messages as it would the server ones', async () => {
    const scrub = (message: string) => message.replaceAll('hunter2', '********');
    await assert.rejects(checkReadOnlyStatement(`SELECT hunter2 hunter2 hunter2`, scrub), (error: AppError) => {
      assert.equal(error.detail, 'syntax error at or near "********" (at character 24)');
      return true;
    });
  });

  it('refuses a statement nested too deeply to parse, and parses correctly after many (a trapped instance is replaced)', async () => {
    const deep = `SELECT ${Array(20_000).fill('1').join('+')}`;
    for (let round = 0; round < 40; round += 1) {
      await assert.rejects(parsePostgres(deep), StatementTooComplex);
      const { stmts } = await parsePostgres(`SELECT dblink_exec('a', 'b') AS x$$`);
      assert.match(JSON.stringify(stmts), /"sval":"dblink_exec"/, `round ${round}`);
    }
    await refused(deep, ErrorCode.QUERY_FAILED, /nested too deeply/);
    await refused(`SELECT ${'('.repeat(500)}pg_reload_conf()${')'.repeat(500)}`, ErrorCode.READ_ONLY_VIOLATION, /pg_reload_conf/);
  });
});
