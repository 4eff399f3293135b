/**
 * The standing read-only corpus (issues 5 and 13): statements a read-only query must never
 * run, and SQL written to make a statement checker see something other than what the server
 * will run. Used by test/attack/read-only.spec.ts (PostgreSQL's parser in the service against
 * the server itself, and the connector against a real server) and by the PostgreSQL connector's
 * own spec. Add to it: every suite that reads it picks the new entry up.
 *
 * The statements name the objects of READ_ONLY_FIXTURES (table victim, sequence victim_seq,
 * functions sneaky_insert and sneaky_lo_import, procedure sneaky_proc, materialized view
 * kinds.mv), so that the server can analyse them.
 */

/** Which layer refuses an attack when the service runs it: the statement check, the server's read-only transaction, the transaction-ID check after it. */
export type Layer = 'refused' | 'server' | 'wrote' | 'one-statement';

export interface WriteAttack {
  sql: string;
  layer: Layer;
}

/** Server-side paths and a large object the attacks aim at (the suites check that none of them changes). */
export interface Canaries {
  programFile: string;
  copyFile: string;
  largeObjectFile: string;
  largeObject: number;
}

/** What writeAttacks() aims at: a table, a sequence, and routines that write when called. */
export const WRITE_ATTACK_FIXTURES = `
  CREATE TABLE public.victim (id int PRIMARY KEY, v text NOT NULL);
  INSERT INTO public.victim SELECT i, 'row ' || i FROM generate_series(1, 100) i;
  CREATE SEQUENCE public.victim_seq;
  CREATE FUNCTION public.sneaky_insert() RETURNS int LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO public.victim VALUES (1000, 'written'); RETURN 1; END $$;
  CREATE FUNCTION public.sneaky_lo_import() RETURNS oid LANGUAGE plpgsql AS
    $$ BEGIN RETURN lo_import('/etc/hostname'); END $$;
  CREATE PROCEDURE public.sneaky_proc() LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO public.victim VALUES (1001, 'written'); END $$`;

/** The objects the statements name; enough for the server to analyse every one. */
export const READ_ONLY_FIXTURES = `${WRITE_ATTACK_FIXTURES};
  CREATE SCHEMA IF NOT EXISTS kinds;
  CREATE MATERIALIZED VIEW kinds.mv AS SELECT id FROM public.victim`;

/** Issue 5: every way to write through a read-only query, with the layer that stops it. */
export function writeAttacks(c: Canaries): WriteAttack[] {
  return [
    { sql: `INSERT INTO victim VALUES (500, 'x')`, layer: 'refused' },
    { sql: `UPDATE victim SET v = 'changed'`, layer: 'refused' },
    { sql: `DELETE FROM victim`, layer: 'refused' },
    { sql: `WITH d AS (DELETE FROM victim RETURNING *) SELECT * FROM d`, layer: 'refused' },
    { sql: `WITH u AS (UPDATE victim SET v = 'changed' RETURNING *) SELECT count(*) FROM u`, layer: 'refused' },
    { sql: `CREATE TABLE intruder (a int)`, layer: 'refused' },
    { sql: `DROP TABLE victim`, layer: 'refused' },
    { sql: `ALTER TABLE victim ADD COLUMN intruder int`, layer: 'refused' },
    { sql: `TRUNCATE victim`, layer: 'refused' },
    { sql: `CREATE TEMP TABLE intruder (a int)`, layer: 'refused' },
    { sql: `SELECT * INTO intruder FROM victim`, layer: 'refused' },
    { sql: `COPY (SELECT 1) TO PROGRAM 'cat > ${c.programFile}'`, layer: 'refused' },
    { sql: `COPY victim TO '${c.copyFile}'`, layer: 'refused' },
    { sql: `/* x */ copy (SELECT 1) TO PROGRAM 'cat > ${c.programFile}'`, layer: 'refused' },
    { sql: `  CoPy victim TO '${c.copyFile}'`, layer: 'refused' },
    { sql: `-- comment\n\tCOPY victim TO '${c.copyFile}'`, layer: 'refused' },
    { sql: `/* /* nested */ */ DELETE FROM victim`, layer: 'refused' },
    { sql: `DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''cat > ${c.programFile}'''; END $$`, layer: 'refused' },
    { sql: `DO $$ BEGIN DELETE FROM victim; END $$`, layer: 'refused' },
    { sql: `SELECT 1; DELETE FROM victim`, layer: 'one-statement' },
    { sql: `SELECT 1; COPY (SELECT 1) TO PROGRAM 'cat > ${c.programFile}'`, layer: 'one-statement' },
    { sql: `SELECT sneaky_insert()`, layer: 'server' },
    { sql: `WITH x AS (SELECT sneaky_insert()) SELECT * FROM x`, layer: 'server' },
    { sql: `CALL sneaky_proc()`, layer: 'refused' },
    { sql: `SELECT nextval('victim_seq')`, layer: 'server' },
    { sql: `SELECT setval('victim_seq', 99)`, layer: 'server' },
    { sql: `SELECT * FROM victim FOR UPDATE`, layer: 'refused' },
    { sql: `SET TRANSACTION READ WRITE`, layer: 'refused' },
    { sql: `SELECT set_config('transaction_read_only', 'off', false)`, layer: 'server' },
    { sql: `SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE`, layer: 'refused' },
    { sql: `EXPLAIN ANALYZE DELETE FROM victim`, layer: 'refused' },
    // A read-only transaction lets lo_import and lo_from_bytea write (then rolls back) and lo_export write a server file.
    { sql: `SELECT lo_import('/etc/hostname')`, layer: 'refused' },
    { sql: `SELECT sneaky_lo_import()`, layer: 'wrote' },
    { sql: `SELECT lo_from_bytea(0, 'x')`, layer: 'wrote' },
    { sql: `EXPLAIN ANALYZE SELECT lo_from_bytea(0, 'x')`, layer: 'wrote' },
    { sql: `SELECT txid_current()`, layer: 'wrote' },
    { sql: `SELECT lo_export(${c.largeObject}, '${c.largeObjectFile}')`, layer: 'refused' },
    { sql: `SELECT pg_catalog."lo_export"(${c.largeObject}, '${c.largeObjectFile}')`, layer: 'refused' },
    { sql: `SELECT U&"\\006C\\006F_export"(${c.largeObject}, '${c.largeObjectFile}')`, layer: 'refused' },
    { sql: `SELECT E'\\'', lo_export(${c.largeObject}, '${c.largeObjectFile}')`, layer: 'refused' },
    { sql: `SELECT (${c.largeObject}::oid).lo_export`, layer: 'refused' },
    { sql: `SELECT query_to_xml('select lo_export(${c.largeObject}, ''${c.largeObjectFile}'')', true, false, '')`, layer: 'refused' },
    { sql: `SELECT * FROM ts_stat($$SELECT to_tsvector(lo_export(${c.largeObject}, '${c.largeObjectFile}')::text)$$)`, layer: 'refused' },
    {
      sql: `SELECT ts_rewrite('a'::tsquery, $$SELECT 'a'::tsquery, to_tsquery(lo_export(${c.largeObject}, '${c.largeObjectFile}')::text)$$)`,
      layer: 'refused',
    },
    { sql: `SELECT pg_backup_start('switchboard', true)`, layer: 'refused' },
    { sql: `SELECT pg_stat_reset_subscription_stats(NULL)`, layer: 'refused' },
    { sql: `NOTIFY intruders`, layer: 'refused' },
    { sql: `LISTEN intruders`, layer: 'refused' },
    { sql: `COMMIT`, layer: 'refused' },
    { sql: `BEGIN`, layer: 'refused' },
    { sql: `ROLLBACK`, layer: 'refused' },
    { sql: `SAVEPOINT s`, layer: 'refused' },
    { sql: `END`, layer: 'refused' },
    { sql: `VACUUM victim`, layer: 'refused' },
    { sql: `ANALYZE victim`, layer: 'refused' },
    { sql: `LOCK victim`, layer: 'refused' },
    { sql: `REFRESH MATERIALIZED VIEW kinds.mv`, layer: 'refused' },
    { sql: `PREPARE TRANSACTION 'x'`, layer: 'refused' },
    { sql: `SET search_path = kinds`, layer: 'refused' },
    { sql: `RESET ALL`, layer: 'refused' },
    { sql: `LOAD 'plpgsql'`, layer: 'refused' },
    { sql: `CHECKPOINT`, layer: 'refused' },
    { sql: `SELECT pg_terminate_backend(pg_backend_pid())`, layer: 'refused' },
    { sql: `SELECT (pg_backend_pid()).pg_terminate_backend`, layer: 'refused' },
  ];
}

/** What PostgreSQL's parser in the service makes of a statement. */
export type Verdict = 'runs' | 'refused' | 'several' | 'empty' | 'syntax';

export interface TrickySql {
  sql: string;
  /** The analyser's verdict this entry pins (the server's agreement is checked apart). */
  verdict: Verdict;
  /** Syntax only PostgreSQL from this major version on accepts: an older server reports a syntax error. */
  since?: number;
  /** Syntax an older server accepts and the parser (PostgreSQL 18) does not: refused, never run as something else. */
  olderServersAccept?: boolean;
}

const CALLS = [
  `dblink_exec('dbname=postgres', 'INSERT INTO victim VALUES (1000, ''written'')')`,
  `pg_terminate_backend(0)`,
  `pg_file_write('sb-canary', 'x', false)`,
  `pg_reload_conf()`,
  `pg_create_physical_replication_slot('sb_canary')`,
];
const call = `pg_reload_conf()`;
const long = (length: number, char = 'a'): string => char.repeat(length);

/**
 * Issue 13: the corners of PostgreSQL's lexer where a hand-written one goes wrong. Each entry
 * hides or seems to hide a call of a function the check refuses (pg_reload_conf unless said).
 */
export function trickySql(): TrickySql[] {
  const entries: TrickySql[] = [];
  const add = (verdict: Verdict, ...sqls: string[]) => entries.push(...sqls.map((sql) => ({ sql, verdict })));

  // An identifier longer than 1,024 characters, then `$$`: the old lexer stopped reading it early and took the `$$` for a quote.
  for (const fn of CALLS) add('refused', `SELECT 1 AS ${long(1025)}$$, ${fn} AS b$$`);
  for (const length of [1, 63, 64, 1023, 1024, 1026, 2048, 10_000]) add('refused', `SELECT 1 AS ${long(length)}$$, ${call} AS b$$`);
  add(
    'refused',
    `SELECT 1 AS ${long(1025, 'é')}$$, ${call} AS b$$`,
    `SELECT 1 AS ${long(1025)}$x$, ${call} AS b$x$`,
    `SELECT 1 AS ${long(1025)}$1, ${call}`,
    `SELECT 1 AS "${long(1025)}$$", ${call} AS "b$$"`,
    `SELECT ${long(1025)}$$ FROM (SELECT 1 AS ${long(1025)}$$, ${call}) s`,
    `SELECT 1 AS a$b$c, ${call} AS d$b$e`,
  );
  add('runs', `SELECT 1 AS ${long(1025)} , $$, ${call} AS b$$`, `SELECT 1 AS ${long(1025)}, $x$ $$ ${call} $$ $x$`);

  // Dollar quotes: tags, nesting, case, unterminated.
  add(
    'runs',
    `SELECT $a$ $b$ ${call} $b$ $a$`,
    `SELECT $a$ $A$ ${call} $A$ $a$`,
    `SELECT $a$ ${call} $a $a$`,
    `SELECT $$${call}$$`,
    `SELECT $_$ $$ ${call} $$ $_$`,
    `SELECT $é$ ${call} $é$`,
    `SELECT $$ $$ AS x, $$ ${call} $$`,
    `SELECT $q$'$q$, $q$ ${call} '$q$`,
  );
  add(
    'refused',
    `SELECT $a$ $$ $a$, ${call}, $$ $a$ $$`,
    `SELECT $$ $a$ $$, ${call}, $a$ $$ $a$`,
    `SELECT $_$x$_$, $é$x$é$, ${call}`,
    `SELECT $$ $$ || ${call}::text`,
    `SELECT $$a$$, ${call}, $$b$$`,
  );
  add('syntax', `SELECT $$ ${call}`, `SELECT $a$ ${call} $b$`);

  // Unicode escapes in identifiers and strings, with and without UESCAPE.
  add(
    'refused',
    `SELECT U&"\\0070g_reload_conf"()`,
    `SELECT u&"\\+000070g_reload_conf"()`,
    `SELECT U&"!0070g_reload_conf" UESCAPE '!'()`,
    `SELECT U&"d\\0062link_exec"('dbname=postgres', 'SELECT 1')`,
    `SELECT U&'\\0027', ${call}`,
    `SELECT U&'!0027' UESCAPE '!', ${call}`,
    `SELECT U&'\\\\', ${call}`,
  );
  add('runs', `SELECT U&'\\0027, ${call}, \\0027'`, `SELECT U&"\\0070g_reload_conF"()`, `SELECT U&'!0027 !!, ${call}' UESCAPE '!'`);
  add('syntax', `SELECT U&'\\d800'`, `SELECT U&"pg_reload_conf\\0000"()`, `SELECT U&'x' UESCAPE ''''`, `SELECT U&"" UESCAPE '!'`);

  // E'' strings with backslashes, standard strings (standard_conforming_strings is on), continuation lines.
  add(
    'refused',
    `SELECT E'\\'', ${call}`,
    `SELECT e'\\\\', ${call}`,
    `SELECT E'\\\\\\'', ${call}`,
    `SELECT 'a\\', ${call}`,
    `SELECT E'a' || ${call}::text`,
    `SELECT 'a'\n'b', ${call}`,
    `SELECT N'x', B'01', X'1F', ${call}`,
  );
  add(
    'runs',
    `SELECT E'\\x27, ${call}, \\x27'`,
    `SELECT E'\\047, ${call}, \\047'`,
    `SELECT E'\\u0027, ${call}, \\u0027'`,
    `SELECT E'''${call}'''`,
    `SELECT 'a\\'', ${call}, '`,
  );
  add('syntax', `SELECT 'a'  'b'`, `SELECT E'\\'`, `SELECT 'a' /* c */ 'b'`);
  // PostgreSQL 15 joins these into one string (a comment may sit in the line break); PostgreSQL 18's scanner does not.
  for (const sql of [
    `SELECT 'a' -- c\n'b', ${call}`,
    `SELECT 'a'\n-- c\n'b', ${call}`,
    `SELECT 'a' /* c */\n'b'`,
    `SELECT 'a'\n/* c */ 'b'`,
  ]) {
    entries.push({ sql, verdict: 'syntax', olderServersAccept: true });
  }

  // Comments in every position: between every token, nested, at the end without a newline, holding quotes.
  add(
    'refused',
    `SELECT/**/pg_reload_conf/**/()`,
    `SELECT pg_catalog/**/./**/pg_reload_conf()`,
    `SELECT pg_catalog --\n . -- x\n pg_reload_conf ( -- y\n )`,
    `SELECT 1 --\n, ${call}`,
    `SELECT 1 -- x\r, ${call}`,
    `SELECT 1 /* /* */ */ , ${call}`,
    `/* leading */ -- leading\n SELECT ${call}`,
    `SELECT ${call} -- trailing`,
    `SELECT ${call} /* trailing */`,
    `SELECT 1 -- $$\n, ${call} -- $$`,
    `SELECT 1 /* $$ */, ${call} /* $$ */`,
    `SELECT 1 /* ' */, ${call} /* ' */`,
    `SELECT 1 /* " */, ${call} /* " */`,
    `SELECT '/*', ${call}, '*/'`,
    `SELECT '--', ${call}`,
    `SELECT 1 AS "/*", ${call} AS "*/"`,
    `SELECT $$--$$, ${call}`,
    `SELECT 2 */**/ ${call}::int`,
    `SELECT 2 +-- x\n ${call}::int`,
    `SELECT 2 @-- x\n ${call}::int`,
  );
  add(
    'runs',
    `SELECT 1 -- , ${call}`,
    `SELECT 1 /* /* */ , ${call} */`,
    `SELECT 1 /* ${call} /* ${call} */ ${call} */`,
    `SELECT 2 */* c */ 3`,
    `SELECT 1 -- x\\\n, 2`,
  );
  add('syntax', `SELECT 1 /* ${call}`, `SELECT 1 /* /* */ ${call}`, `SELECT 1 */ , ${call}`);

  // Parameters, quoted names, attribute notation.
  add(
    'refused',
    `SELECT $1, ${call}`,
    `SELECT "pg_reload_conf"()`,
    `SELECT pg_catalog."pg_reload_conf"()`,
    `SELECT ('x'::text).dblink_exec`,
    `SELECT (pg_backend_pid()).pg_cancel_backend`,
    `SELECT (id).pg_terminate_backend FROM victim`,
    `SELECT ('sb_canary'::name).pg_create_physical_replication_slot`,
  );
  add('runs', `SELECT $1`, `SELECT "PG_RELOAD_CONF"()`, `SELECT v.dblink FROM victim v`, `SELECT 'pg_reload_conf'::regproc`);

  // Very long texts: the call after 99,000 characters of string, comment, dollar quote, identifiers.
  add(
    'refused',
    `SELECT '${long(99_000, 'x')}', ${call}`,
    `SELECT 1 /* ${long(99_000, '*')} */, ${call}`,
    `SELECT $$${'$x'.repeat(49_500)}$$, ${call}`,
    `SELECT ${Array.from({ length: 10_000 }, (_, i) => `${i}`).join(', ')}, ${call}`,
    `SELECT ${'('.repeat(200)}${call}${')'.repeat(200)}`,
  );
  add('runs', `SELECT '${long(99_000, 'x')}${call}'`, `SELECT 1 -- ${long(99_000, 'x')}, ${call}`);

  // Statement kinds and counts.
  add('several', `SELECT 1; SELECT ${call}`, `SELECT 1 AS ${long(1025)}$$; SELECT ${call}; SELECT 1 AS b$$`);
  add('runs', `;SELECT 1;;`, `SHOW search_path`, `SHOW ALL`, `TABLE victim`, `VALUES (1), (2)`, `(SELECT 1) UNION (SELECT 2)`);
  add('empty', `;`, `-- ${call}`, `/* ${call} */`);
  add(
    'refused',
    `WITH RECURSIVE r AS (SELECT 1) SELECT ${call} FROM r`,
    `SELECT * FROM victim FOR SHARE`,
    `SELECT * FROM (SELECT * FROM victim FOR KEY SHARE) s`,
    `EXPLAIN SELECT ${call}`,
    `EXPLAIN ANALYZE UPDATE victim SET v = 'x'`,
    `EXPLAIN (ANALYZE) WITH d AS (DELETE FROM victim RETURNING 1) SELECT * FROM d`,
  );
  add('runs', `EXPLAIN DELETE FROM victim`, `EXPLAIN (ANALYZE false) DELETE FROM victim`, `EXPLAIN (ANALYZE 0) DELETE FROM victim`);
  add('runs', `EXPLAIN /* x */ ANALYZE SELECT 1`, `EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM victim`);

  // Newer grammar: an older server refuses it as a syntax error, never runs it as something else.
  entries.push({ sql: `SELECT 0x1F, 0o17, 0b101, 1_000`, verdict: 'runs', since: 16 });
  entries.push({ sql: `SELECT JSON_OBJECT('a': 1)`, verdict: 'runs', since: 16 });
  return entries;
}
