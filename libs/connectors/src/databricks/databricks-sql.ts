/**
 * The SQL Switchboard writes or checks for a Databricks SQL warehouse (Databricks SQL language
 * reference: identifiers, comments, string literals). Pure: no I/O here.
 */
import { AppError, ErrorCode } from '@switchboard/common';
import { invalidInput } from '../introspection/errors';

/** A backtick-quoted identifier, backticks inside doubled ("Delimited identifiers"). */
export const quoteIdentifier = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** catalog.schema.table as a SELECT names it, every part quoted. */
export const qualifiedName = (...parts: string[]): string => parts.map(quoteIdentifier).join('.');

/** An r or R that starts a raw string literal (r'…', R"…"): followed by a quote, and not the end of an identifier. */
const isRawPrefix = (sql: string, at: number): boolean =>
  (sql[at] === 'r' || sql[at] === 'R') && (sql[at + 1] === "'" || sql[at + 1] === '"') && !/[\p{L}\p{N}_]/u.test(sql[at - 1] ?? '');

/**
 * The text between the ';'s outside literals, quoted identifiers and comments: for each piece,
 * whether it holds more than blanks and comments. Strings take backslash escapes ('it\'s'), as Databricks SQL
 * reads them, except raw ones (r'C:\dir'); -- comments end at a line feed or a carriage return, as
 * Spark's lexer ends them; bracketed comments nest.
 */
function statementsWithCode(sql: string): boolean[] {
  const code: boolean[] = [false];
  let at = 0;
  const skip = (close: string, escapes: boolean) => {
    at += 1;
    while (at < sql.length && sql[at] !== close) at += escapes && sql[at] === '\\' ? 2 : 1;
    at += 1;
  };
  while (at < sql.length) {
    const char = sql[at];
    if (char === "'" || char === '"') {
      code[code.length - 1] = true;
      skip(char, true);
    } else if (isRawPrefix(sql, at)) {
      code[code.length - 1] = true;
      at += 1;
      skip(sql[at], false);
    } else if (char === '`') {
      code[code.length - 1] = true;
      skip('`', false);
    } else if (char === '-' && sql[at + 1] === '-') {
      while (at < sql.length && sql[at] !== '\n' && sql[at] !== '\r') at += 1;
    } else if (char === '/' && sql[at + 1] === '*') {
      let depth = 1;
      at += 2;
      while (at < sql.length && depth > 0) {
        const pair = sql.slice(at, at + 2);
        depth += pair === '/*' ? 1 : pair === '*/' ? -1 : 0;
        at += pair === '/*' || pair === '*/' ? 2 : 1;
      }
    } else if (char === ';') {
      code.push(false);
      at += 1;
    } else {
      if (!/\s/u.test(char)) code[code.length - 1] = true;
      at += 1;
    }
  }
  return code;
}

/**
 * `sql` as one statement: a trailing ';' (and blanks or comments after it) is allowed, a second
 * statement is 422 as for every type, an empty one 400.
 */
export function singleStatement(sql: string): string {
  const statements = statementsWithCode(sql).filter(Boolean).length;
  if (statements === 0) throw invalidInput('sql', 'The statement is empty.');
  if (statements > 1) throw new AppError(ErrorCode.UNPROCESSABLE, 'Send one statement at a time.');
  return sql;
}
