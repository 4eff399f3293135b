/**
 * Checks on a statement before it reaches the server, as defence in depth: the READ ONLY
 * transaction (and the transaction-ID check after it) decides for every write to the
 * database; these refuse what a read-only transaction does not stop.
 *
 * The lexer follows PostgreSQL's for what matters here (the pools pin
 * standard_conforming_strings=on): comments (`--`, nested `/* *\/`), strings ('' and E'\''),
 * dollar quotes, quoted identifiers. It only finds words; the server still parses the SQL.
 */

const WHITESPACE = /[ \t\n\r\f\v]/;
const IDENTIFIER_START = /[A-Za-z_\u0080-\uffff]/;
const IDENTIFIER_REST = /^[A-Za-z0-9_$\u0080-\uffff]*/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export interface Words {
  /** Identifiers and keywords outside strings and comments: unquoted ones lower-cased, quoted ones as written. */
  identifiers: string[];
  /** A U&"..." identifier was seen: its escapes could spell any name. */
  unicodeIdentifier: boolean;
}

/** Where the statement starts: past leading whitespace and comments (sql.length if there is nothing else). */
export function startOf(sql: string): number {
  let at = 0;
  while (at < sql.length) {
    if (WHITESPACE.test(sql[at])) at += 1;
    else if (sql.startsWith('--', at)) at = lineEnd(sql, at);
    else if (sql.startsWith('/*', at)) at = commentEnd(sql, at);
    else break;
  }
  return at;
}

/**
 * The first word of a statement, upper-cased; '(' for a parenthesised query; '' when nothing
 * follows (an empty statement) or the text starts with anything else.
 */
export function firstKeyword(sql: string): string {
  const at = startOf(sql);
  if (sql[at] === '(') return '(';
  return /^[A-Za-z_]+/.exec(sql.slice(at, at + 64))?.[0].toUpperCase() ?? '';
}

/** Every identifier of `sql`, skipping strings, dollar quotes and comments. */
export function wordsOf(sql: string): Words {
  const words: Words = { identifiers: [], unicodeIdentifier: false };
  let at = 0;
  while (at < sql.length) {
    const char = sql[at];
    if (sql.startsWith('--', at)) at = lineEnd(sql, at);
    else if (sql.startsWith('/*', at)) at = commentEnd(sql, at);
    else if (char === "'") at = stringEnd(sql, at, false);
    else if (char === '"') at = quotedIdentifier(sql, at, words);
    else if (char === '$' && DOLLAR_TAG.test(sql.slice(at, at + 128))) at = dollarQuoteEnd(sql, at);
    else if (IDENTIFIER_START.test(char)) at = identifier(sql, at, words);
    else at += 1;
  }
  return words;
}

function identifier(sql: string, from: number, words: Words): number {
  const rest = IDENTIFIER_REST.exec(sql.slice(from + 1, from + 1 + 1024))?.[0] ?? '';
  const word = sql[from] + rest;
  const end = from + word.length;
  // E'...' takes backslash escapes; U&"..." spells names with escapes.
  if (/^[eE]$/.test(word) && sql[end] === "'") return stringEnd(sql, end, true);
  if (/^[uU]$/.test(word) && sql.startsWith('&"', end)) words.unicodeIdentifier = true;
  words.identifiers.push(word.toLowerCase());
  return end;
}

function quotedIdentifier(sql: string, from: number, words: Words): number {
  let at = from + 1;
  let name = '';
  while (at < sql.length) {
    if (sql[at] === '"' && sql[at + 1] === '"') {
      name += '"';
      at += 2;
    } else if (sql[at] === '"') {
      at += 1;
      break;
    } else {
      name += sql[at];
      at += 1;
    }
  }
  words.identifiers.push(name);
  return at;
}

/** Past a '...' string ('' inside; with `backslashes`, \' too, as in E'...'). */
function stringEnd(sql: string, from: number, backslashes: boolean): number {
  let at = from + 1;
  while (at < sql.length) {
    if (backslashes && sql[at] === '\\') at += 2;
    else if (sql[at] === "'" && sql[at + 1] === "'") at += 2;
    else if (sql[at] === "'") return at + 1;
    else at += 1;
  }
  return sql.length;
}

function dollarQuoteEnd(sql: string, from: number): number {
  const tag = DOLLAR_TAG.exec(sql.slice(from, from + 128))![0];
  const end = sql.indexOf(tag, from + tag.length);
  return end < 0 ? sql.length : end + tag.length;
}

function lineEnd(sql: string, from: number): number {
  const newline = /[\n\r]/g;
  newline.lastIndex = from;
  const found = newline.exec(sql);
  return found ? found.index + 1 : sql.length;
}

/** PostgreSQL block comments nest; an unterminated one runs to the end (the server then refuses the text). */
function commentEnd(sql: string, from: number): number {
  let depth = 0;
  let at = from;
  while (at < sql.length) {
    if (sql.startsWith('/*', at)) {
      depth += 1;
      at += 2;
    } else if (sql.startsWith('*/', at)) {
      depth -= 1;
      at += 2;
      if (depth === 0) return at;
    } else {
      at += 1;
    }
  }
  return sql.length;
}

/**
 * Statements that can only read, by their first word. Everything else (COPY, whose TO PROGRAM
 * and TO file a read-only transaction does not stop; transaction control; DO and CALL, which
 * run code; SET, LOCK, ANALYZE, NOTIFY, LOAD...) is refused before it reaches the server.
 */
export const READ_STATEMENTS = ['SELECT', 'WITH', 'VALUES', 'TABLE', 'EXPLAIN', 'SHOW', '('] as const;

/**
 * Functions whose effects a read-only transaction neither stops nor rolls back: server files
 * (lo_export writes one even inside a READ ONLY transaction), other connections (dblink),
 * replication slots, other sessions and server state; and those that run SQL given as text,
 * which would hide any of these from this check. Privileged roles only, but a connection may
 * well use one.
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
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_replication_slot_advance',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_get_binary_changes',
  'pg_logical_emit_message',
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
  'pg_stat_statements_reset',
]);

/** Why `sql` may not run as a read-only query, or undefined when it may. */
export function refusalOf(sql: string): string | undefined {
  const keyword = firstKeyword(sql);
  const allowed = 'Only SELECT, WITH, VALUES, TABLE, EXPLAIN and SHOW statements run here';
  if (keyword === '') return `${allowed}.`;
  if (!(READ_STATEMENTS as readonly string[]).includes(keyword)) return `${allowed}; ${keyword} is refused.`;
  const words = wordsOf(sql);
  if (words.unicodeIdentifier) return 'A Unicode-escaped identifier (U&"...") is refused here.';
  const outside = words.identifiers.find((word) => OUTSIDE_EFFECT_FUNCTIONS.has(word));
  if (outside) return `${outside}() acts outside the read-only transaction and is refused.`;
  return undefined;
}
