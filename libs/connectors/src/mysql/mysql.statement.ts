import { AppError, ErrorCode } from '@switchboard/common';
import { invalidInput, readOnlyViolation } from '../introspection/errors';

/**
 * The client-side half of read-only queries on MySQL/MariaDB. The server enforces the rest
 * (every statement runs in a READ ONLY transaction: DML, DDL, CREATE TEMPORARY TABLE,
 * writing functions, NEXTVAL, SELECT … FOR UPDATE all fail there with error 1792), but some
 * statements are not transactional writes and would pass: SET (it can turn the read-only
 * flag off, e.g. SET STATEMENT tx_read_only=0 FOR …), SELECT … INTO OUTFILE/DUMPFILE/@var,
 * DO, HANDLER, KILL, FLUSH, PREPARE… So only an allowlist of leading keywords is sent, and
 * executable comments and optimizer hints, which would hide code from this check (or raise
 * the statement timeout), are refused.
 *
 * The scanner reads SQL the way the server does in the session it prepares (mysql.session.ts
 * removes NO_BACKSLASH_ESCAPES and ANSI_QUOTES from sql_mode): '…' and "…" are strings with
 * backslash escapes and doubled quotes, `…` identifiers with doubled backticks, comments are
 * #… and "-- " up to a newline and non-nesting /* … *\/.
 */

type TokenKind = 'word' | 'quoted' | 'symbol';

interface Token {
  kind: TokenKind;
  /** Upper-cased for words, the character for symbols, empty for strings and quoted identifiers. */
  text: string;
  start: number;
}

/** Statements whose first keyword may be sent. */
const ALLOWED_LEADERS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'VALUES', 'TABLE']);
/** What EXPLAIN/DESCRIBE may not look at: MariaDB's EXPLAIN of a write does not run it, but MySQL's EXPLAIN ANALYZE does. */
const WRITE_VERBS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);
const EXPLAIN_OPTIONS = new Set(['EXTENDED', 'PARTITIONS']);
/**
 * INTO (and what follows it) as a word, or right after digits: the server ends a number like
 * 1.5 or 1e5 where letters start, so `1.5INTO OUTFILE` reads as `1.5 INTO OUTFILE`.
 */
const INTO_WORD = /^(?:[0-9A-Z]*[0-9])?(?:INTO|OUTFILE|DUMPFILE)$/;
/** The statement a WITH clause ends in, at the top level. */
const CTE_BODIES = new Set(['SELECT', 'VALUES', 'TABLE', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

const isWordChar = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36 || code >= 128;

/** "--" starts a comment only before a space or a control character (or the end), as in the server's lexer. */
const startsDashComment = (sql: string, at: number): boolean => {
  if (sql[at] !== '-' || sql[at + 1] !== '-') return false;
  const next = sql.charCodeAt(at + 2);
  return Number.isNaN(next) || next <= 32 || next === 127;
};

/** Index just past a string or quoted identifier opened at `at` (the end of the text when unterminated). */
function skipQuoted(sql: string, at: number): number {
  const quote = sql[at];
  const escapes = quote !== '`';
  let index = at + 1;
  while (index < sql.length) {
    const char = sql[index];
    if (escapes && char === '\\') index += 2;
    else if (char === quote && sql[index + 1] === quote) index += 2;
    else if (char === quote) return index + 1;
    else index += 1;
  }
  return sql.length;
}

/** Index just past the comment at `at`, or -1 when there is none there. */
function skipComment(sql: string, at: number): number {
  if (sql[at] === '#' || startsDashComment(sql, at)) {
    const end = sql.indexOf('\n', at);
    return end < 0 ? sql.length : end + 1;
  }
  if (sql[at] === '/' && sql[at + 1] === '*') {
    // /*! and /*M! run their content; /*+ are optimizer hints (MAX_EXECUTION_TIME, SET_VAR…).
    if (/^\/\*(!|[mM]!|\+)/.test(sql.slice(at, at + 4))) {
      throw readOnlyViolation('Executable comments (/*! … */) and optimizer hints (/*+ … */) are not accepted in read-only queries.');
    }
    const end = sql.indexOf('*/', at + 2);
    return end < 0 ? sql.length : end + 2;
  }
  return -1;
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < sql.length) {
    const code = sql.charCodeAt(index);
    if (code <= 32) {
      index += 1;
      continue;
    }
    const afterComment = skipComment(sql, index);
    if (afterComment >= 0) {
      index = afterComment;
    } else if (sql[index] === "'" || sql[index] === '"' || sql[index] === '`') {
      tokens.push({ kind: 'quoted', text: '', start: index });
      index = skipQuoted(sql, index);
    } else if (isWordChar(code)) {
      let end = index + 1;
      while (end < sql.length && isWordChar(sql.charCodeAt(end))) end += 1;
      tokens.push({ kind: 'word', text: sql.slice(index, end).toUpperCase(), start: index });
      index = end;
    } else {
      tokens.push({ kind: 'symbol', text: sql[index], start: index });
      index += 1;
    }
  }
  return tokens;
}

const isWord = (token: Token | undefined, ...words: string[]): boolean => token?.kind === 'word' && words.includes(token.text);

/** EXPLAIN [EXTENDED|PARTITIONS|FORMAT=x] <what>: what must not be a write (nor ANALYZE, which runs it). */
function checkExplained(tokens: Token[], from: number): void {
  let index = from;
  while (index < tokens.length) {
    if (isWord(tokens[index], ...EXPLAIN_OPTIONS)) index += 1;
    else if (isWord(tokens[index], 'FORMAT') && tokens[index + 1]?.text === '=') index += 3;
    else break;
  }
  const explained = tokens[index];
  if (isWord(explained, 'ANALYZE')) throw readOnlyViolation('EXPLAIN ANALYZE runs the statement; it is not allowed in read-only queries.');
  if (explained?.kind === 'word' && WRITE_VERBS.has(explained.text)) {
    throw readOnlyViolation(`EXPLAIN/DESCRIBE of ${explained.text} is not allowed in read-only queries.`);
  }
}

/** WITH … <body>: the first keyword at the top level after the common table expressions. */
function checkCteBody(tokens: Token[], from: number): void {
  let depth = 0;
  for (let index = from; index < tokens.length; index++) {
    const token = tokens[index];
    if (token.text === '(') depth += 1;
    else if (token.text === ')') depth -= 1;
    else if (depth === 0 && token.kind === 'word' && CTE_BODIES.has(token.text)) {
      if (token.text === 'SELECT' || token.text === 'VALUES' || token.text === 'TABLE') return;
      throw readOnlyViolation(`WITH … ${token.text} writes; only reading statements are allowed.`);
    }
  }
}

/**
 * Checks that `sql` is one reading statement and returns it as it will be sent (without a
 * trailing semicolon). Throws 422 READ_ONLY_VIOLATION for anything else, 422 UNPROCESSABLE
 * for several statements and 400 for an empty one.
 */
export function readOnlyStatement(sql: string): string {
  const tokens = tokenize(sql);
  const semicolon = tokens.findIndex((token) => token.text === ';');
  if (semicolon >= 0 && semicolon < tokens.length - 1) throw new AppError(ErrorCode.UNPROCESSABLE, 'Send one statement at a time.');
  const statement = semicolon >= 0 ? tokens.slice(0, semicolon) : tokens;
  const first = statement.findIndex((token) => token.text !== '(');
  if (first < 0) throw invalidInput('sql', 'The statement is empty.');
  const leader = statement[first];
  if (leader.kind !== 'word' || !ALLOWED_LEADERS.has(leader.text)) {
    const shown = leader.kind === 'word' ? leader.text : sql.slice(leader.start, leader.start + 1);
    throw readOnlyViolation(`Only reading statements (${[...ALLOWED_LEADERS].join(', ')}) are allowed; this one starts with ${shown}.`);
  }
  if (statement.some((token) => token.kind === 'word' && INTO_WORD.test(token.text))) {
    throw readOnlyViolation('SELECT … INTO writes a file or a variable; it is not allowed in read-only queries.');
  }
  if (isWord(leader, 'EXPLAIN', 'DESCRIBE', 'DESC')) checkExplained(statement, first + 1);
  if (isWord(leader, 'WITH')) checkCteBody(statement, first + 1);
  return semicolon >= 0 ? sql.slice(0, tokens[semicolon].start).trimEnd() : sql;
}
