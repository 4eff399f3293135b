import { AppError, ErrorCode } from '@switchboard/common';
import type { ExplainStmt, Node } from 'libpg-query';
import { invalidInput, queryFailed, readOnlyViolation } from '../introspection/errors';
import { parsePostgres, StatementSyntaxError, StatementTooComplex } from './postgres.parser';

/**
 * Checks on a statement before it reaches the server, on the tree PostgreSQL's own parser makes
 * of it (postgres.parser.ts): the READ ONLY transaction (and the transaction-ID check after it,
 * postgres.read-only.ts) stays the first guard for every write to the database; these refuse
 * what is not a read at all, and what a read-only transaction does not stop.
 *
 * The parser is PostgreSQL 18's; the target may be older. Where a string, comment or identifier
 * ends is decided the same way (the pools pin standard_conforming_strings=on, and every server
 * encoding leaves ASCII bytes alone, which is all these rules look at), and the grammar only
 * grew: a statement only a newer grammar accepts fails on an older server with a syntax error
 * (`0x1F`: 31 here, refused by 15). Where 18 is stricter, the statement is refused here as a
 * syntax error: postfix operators (dropped in 14), and a comment inside the line break that
 * continues a string ('a' -- c, newline, 'b' is one string to 15), which
 * test/attack/read-only-differential.spec.ts found.
 */

/**
 * Functions whose effects a read-only transaction neither stops nor rolls back: server files
 * (lo_export writes one even inside a READ ONLY transaction), other connections (dblink,
 * pg_background), replication slots and origins, other sessions and server state; and those
 * that run SQL given as text, which would hide any of these from this check. Privileged roles
 * only, but a connection may well use one. Matched by name in any schema: a statement cannot
 * call one of these by another name (regproc casts only name a function; operators, casts,
 * views and wrapper functions that call one are objects the database already holds).
 */
export const OUTSIDE_EFFECT_FUNCTIONS = new Set([
  'lo_export',
  'lo_import',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_file_sync',
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  // ts_stat(sqlquery) and ts_rewrite(query, sqlquery) run their text argument too (the pure 3-argument ts_rewrite goes with it).
  'ts_stat',
  'ts_rewrite',
  'dblink',
  'dblink_exec',
  'dblink_connect',
  'dblink_connect_u',
  'dblink_send_query',
  'dblink_open',
  'pg_background_launch',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_replication_slot_advance',
  'pg_sync_replication_slots',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_get_binary_changes',
  'pg_logical_emit_message',
  'pg_replication_origin_advance',
  'pg_replication_origin_session_setup',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_restore_point',
  // Backup mode outlives the rolled-back transaction (and forces a checkpoint on the way in).
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_stat_reset',
  'pg_stat_reset_shared',
  'pg_stat_reset_single_table_counters',
  'pg_stat_reset_single_function_counters',
  'pg_stat_reset_slru',
  'pg_stat_reset_replication_slot',
  'pg_stat_reset_subscription_stats',
  'pg_stat_reset_backend_stats',
  'pg_stat_statements_reset',
]);

export interface StatementAnalysis {
  /** Statements in the text: 0 when it holds only comments and semicolons. The rest describes the first. */
  statements: number;
  /** Why it is not a read, when it is not. */
  notRead?: string;
  /** The OUTSIDE_EFFECT_FUNCTIONS it calls, anywhere in it, in the order they are written. */
  outsideEffects: string[];
}

const READS = 'Only SELECT, WITH, VALUES, TABLE, EXPLAIN and SHOW statements run here';

/** Statements that change data, which a WITH query can hold. */
const MODIFYING: Record<string, string> = { InsertStmt: 'INSERT', UpdateStmt: 'UPDATE', DeleteStmt: 'DELETE', MergeStmt: 'MERGE' };

/** The statements EXPLAIN can wrap besides SELECT, as SQL names them. */
const EXPLAINABLE: Record<string, string> = {
  ...MODIFYING,
  DeclareCursorStmt: 'DECLARE',
  CreateTableAsStmt: 'CREATE TABLE AS',
  ExecuteStmt: 'EXECUTE',
};

const LOCKS: Record<string, string> = {
  LCS_FORKEYSHARE: 'FOR KEY SHARE',
  LCS_FORSHARE: 'FOR SHARE',
  LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE',
  LCS_FORUPDATE: 'FOR UPDATE',
};

type Fields = Record<string, unknown>;

/** A parse-tree node's tag and fields: `{ SelectStmt: {...} }`. */
const entryOf = (node: Node | undefined): [string, Fields] => {
  const [tag, fields] = Object.entries(node ?? {})[0] ?? ['', {}];
  return [tag, (fields ?? {}) as Fields];
};

/**
 * Every key of every object in `tree` with its value. Not every node carries its tag (a UNION's
 * sides, a WITH clause, an INTO clause are bare fields), so callers look at keys. Iterative:
 * trees can be a couple of thousand levels deep.
 */
function* fieldsOf(tree: unknown): Generator<[string, unknown]> {
  const pending: unknown[] = [tree];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index -= 1) pending.push(value[index]);
      continue;
    }
    const entries = Object.entries(value);
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      yield entries[index];
      pending.push(entries[index][1]);
    }
  }
}

const names = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((item) => (item as { String?: { sval?: string } }).String?.sval ?? '') : [];

/**
 * The functions `tree` calls, in the order they are written: `f(...)` and `schema.f(...)` (the
 * parser has already folded unquoted names and decoded U&"..." escapes), and `(expr).f`, which
 * PostgreSQL reads as `f(expr)` when expr has no field f (a field named like a listed function
 * is taken for a call too). `alias.f` is a column, or f of the whole row, which no listed
 * function takes.
 */
function callsIn(tree: unknown): string[] {
  const calls: { name: string; at: number }[] = [];
  for (const [key, value] of fieldsOf(tree)) {
    const fields = value as Fields;
    if (key === 'FuncCall' || key === 'funccall') {
      calls.push({ name: names(fields.funcname).at(-1) ?? '', at: Number(fields.location ?? 0) });
    } else if (key === 'A_Indirection') {
      for (const name of names(fields.indirection)) calls.push({ name, at: Number.MAX_SAFE_INTEGER });
    }
  }
  return calls.sort((a, b) => a.at - b.at).map((call) => call.name);
}

/**
 * Why a SELECT is not a read: SELECT INTO, a row lock or a data-modifying WITH query, anywhere in
 * it. A read-only transaction refuses all three before anything runs; they are refused here too,
 * so that what this check lets through is a read on any target (a row lock is a write: it marks
 * the row and takes a transaction ID).
 */
function writeIn(select: Node): string | undefined {
  for (const [key, value] of fieldsOf(select)) {
    if (key === 'intoClause') return 'SELECT ... INTO creates a table and is refused.';
    if (key === 'LockingClause') {
      const strength = LOCKS[String((value as Fields).strength)] ?? 'FOR UPDATE';
      return `SELECT ... ${strength} locks rows and is refused.`;
    }
    if (Object.hasOwn(MODIFYING, key)) return `A data-modifying WITH query (${MODIFYING[key]}) is refused.`;
  }
  return undefined;
}

/** EXPLAIN runs the statement when ANALYZE is given, with no value or with any but false, off or 0. */
function analyzes(options: Node[] | undefined): boolean {
  return (options ?? []).some((option) => {
    const { defname, arg } = (option as { DefElem?: { defname?: string; arg?: Node } }).DefElem ?? {};
    if (defname?.toLowerCase() !== 'analyze') return false;
    const [tag, value] = entryOf(arg);
    if (tag === 'String') return !['false', 'off'].includes(String(value.sval).toLowerCase());
    if (tag === 'Integer') return Number(value.ival ?? 0) !== 0;
    return true;
  });
}

/** Why `statement` is not a read; `keyword` names it when it is not a kind that can be. */
function notReadOf(statement: Node, keyword: string): string | undefined {
  const [tag, fields] = entryOf(statement);
  if (tag === 'SelectStmt') return writeIn(statement);
  if (tag === 'VariableShowStmt') return undefined;
  if (tag === 'ExplainStmt') {
    const { query, options } = fields as ExplainStmt;
    if (!analyzes(options) || !query) return undefined;
    const [innerTag] = entryOf(query);
    const inner = notReadOf(query, Object.hasOwn(EXPLAINABLE, innerTag) ? EXPLAINABLE[innerTag] : innerTag);
    return inner && `EXPLAIN ANALYZE runs the statement it explains. ${inner}`;
  }
  return `${READS}; ${keyword} is refused.`;
}

/**
 * The first word of the statement, upper-cased, as its name: the parser gives where its first
 * token starts (`stmt_location`, a UTF-8 byte offset, past any comments), so nothing is scanned
 * again (scanning 100,000 characters into tokens took half a second).
 */
function firstKeyword(sql: string, byteOffset: number): string {
  const start = Buffer.from(sql, 'utf8')
    .subarray(byteOffset, byteOffset + 64)
    .toString('latin1');
  return /^[A-Za-z_]+/.exec(start)?.[0].toUpperCase() ?? 'this statement';
}

/**
 * What `sql` does, by PostgreSQL's parser. Throws StatementSyntaxError where the server would
 * report a syntax error, StatementTooComplex where the parser gave up.
 */
export async function analyseStatement(sql: string): Promise<StatementAnalysis> {
  if (sql === '') return { statements: 0, outsideEffects: [] };
  const { stmts = [] } = await parsePostgres(sql);
  const { stmt: statement, stmt_location: location = 0 } = stmts[0] ?? {};
  if (stmts.length !== 1 || !statement) return { statements: stmts.length, outsideEffects: [] };
  const outsideEffects = callsIn(statement).filter((name) => OUTSIDE_EFFECT_FUNCTIONS.has(name));
  return { statements: 1, notRead: notReadOf(statement, nameOf(statement, sql, location)), outsideEffects };
}

/** How to name `statement` if it is refused for its kind: as written, but WITH ... DELETE is a DELETE. */
function nameOf(statement: Node, sql: string, byteOffset: number): string {
  const [tag] = entryOf(statement);
  if (['SelectStmt', 'VariableShowStmt', 'ExplainStmt'].includes(tag)) return '';
  return Object.hasOwn(MODIFYING, tag) ? MODIFYING[tag] : firstKeyword(sql, byteOffset);
}

/**
 * Refuses, with the API's error, what may not run as a read-only query; resolves when `sql` may.
 * `scrub` cleans the parser's messages as the server's are (they quote the statement).
 */
export async function checkReadOnlyStatement(sql: string, scrub: (message: string) => string): Promise<void> {
  // The parser reads a C string: a NUL would end the text it checks but not the text the server gets.
  if (sql.includes('\0')) throw invalidInput('sql', 'must not contain NUL characters');
  // A lone surrogate reaches the parser and the server as different bytes.
  if (/\p{Cs}/u.test(sql)) throw invalidInput('sql', 'must be well-formed Unicode (no unpaired surrogates)');
  let analysis: StatementAnalysis;
  try {
    analysis = await analyseStatement(sql);
  } catch (error) {
    if (error instanceof StatementSyntaxError) throw queryFailed(scrub(`${error.message} (at character ${error.position + 1})`));
    if (error instanceof StatementTooComplex) throw queryFailed(`${error.message} Simplify it.`);
    throw error;
  }
  if (analysis.statements === 0) throw invalidInput('sql', 'must contain a statement');
  if (analysis.statements > 1) throw new AppError(ErrorCode.UNPROCESSABLE, 'Send one statement at a time.');
  if (analysis.notRead) throw readOnlyViolation(analysis.notRead);
  const outside = analysis.outsideEffects[0];
  if (outside) throw readOnlyViolation(`${outside}() acts outside the read-only transaction and is refused.`);
}
