/**
 * The only SQL the test Databricks warehouse answers, on purpose small and honest:
 *
 *   SELECT * | col [, col …] FROM [[catalog.]schema.]table [LIMIT n] [;]
 *
 * with identifiers quoted in backticks (`` ` `` doubled inside) or bare, matched without regard to
 * case as Databricks does, the catalog and schema defaulting to the request's `catalog` / `schema`.
 * It runs against the in-memory Unity Catalog tables. Anything else fails the way a warehouse
 * reports a failed statement (https://docs.databricks.com/api/workspace/statementexecution):
 * state FAILED, `status.error {error_code, message}` and `status.sql_state`, with Databricks'
 * error classes in the message (PARSE_SYNTAX_ERROR 42601, TABLE_OR_VIEW_NOT_FOUND 42P01,
 * UNRESOLVED_COLUMN 42703, INSUFFICIENT_PERMISSIONS 42501); statements beyond this grammar get
 * UNSUPPORTED_FEATURE 0A000 and say that this test server does not run them.
 */
import { findCatalog, findSchema, findTable, isDenied, type UcColumn, type UnityCatalogState } from './unity-catalog';

export interface StatementFailure {
  errorCode: string;
  message: string;
  sqlState: string;
}

export interface StatementRows {
  columns: UcColumn[];
  rows: (string | null)[][];
}

interface Token {
  kind: 'word' | 'quoted' | 'number' | 'symbol';
  text: string;
}

const BEYOND_GRAMMAR = new Set(['WHERE', 'ORDER', 'GROUP', 'HAVING', 'JOIN', 'UNION', 'AS', 'DISTINCT', 'OFFSET', 'INNER', 'LEFT']);

/** First words of real statements this grammar does not cover (anything else first is a syntax error). */
const OTHER_STATEMENTS = new Set(
  'INSERT UPDATE DELETE MERGE CREATE DROP ALTER TRUNCATE GRANT REVOKE USE SET RESET SHOW DESCRIBE DESC WITH OPTIMIZE VACUUM COPY CALL EXPLAIN VALUES REFRESH ANALYZE'.split(
    ' ',
  ),
);

const failure = (errorClass: string, detail: string, sqlState: string): StatementFailure => ({
  errorCode: 'BAD_REQUEST',
  message: `[${errorClass}] ${detail} SQLSTATE: ${sqlState}`,
  sqlState,
});

const syntaxError = (near: string) => failure('PARSE_SYNTAX_ERROR', `Syntax error at or near '${near}'.`, '42601');
const unsupported = (what: string) =>
  failure(
    'UNSUPPORTED_FEATURE',
    `${what} is not supported by the Switchboard test warehouse, which only answers SELECT columns FROM a table [LIMIT n].`,
    '0A000',
  );

function tokenize(sql: string): Token[] | StatementFailure {
  const tokens: Token[] = [];
  let at = 0;
  while (at < sql.length) {
    const rest = sql.slice(at);
    const space = /^\s+/.exec(rest);
    if (space) {
      at += space[0].length;
      continue;
    }
    if (rest[0] === '`') {
      const quoted = /^`((?:[^`]|``)*)`/.exec(rest);
      if (!quoted) return syntaxError(rest.slice(0, 20));
      tokens.push({ kind: 'quoted', text: quoted[1].replace(/``/g, '`') });
      at += quoted[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ?? /^\d+/.exec(rest);
    if (word) {
      tokens.push({ kind: /^\d/.test(word[0]) ? 'number' : 'word', text: word[0] });
      at += word[0].length;
      continue;
    }
    tokens.push({ kind: 'symbol', text: rest[0] });
    at += 1;
  }
  return tokens;
}

interface ParsedSelect {
  columns: string[] | '*';
  table: string[];
  limit: number | undefined;
}

const isKeyword = (token: Token | undefined, keyword: string) => token?.kind === 'word' && token.text.toUpperCase() === keyword;
const isIdentifier = (token: Token | undefined) =>
  token?.kind === 'quoted' || (token?.kind === 'word' && !['FROM', 'LIMIT', 'SELECT'].includes(token.text.toUpperCase()));

/** What to say about the token where the grammar stopped matching. */
function stoppedAt(token: Token | undefined): StatementFailure {
  if (!token) return syntaxError('end of input');
  if ((token.kind === 'word' && BEYOND_GRAMMAR.has(token.text.toUpperCase())) || token.text === '(') return unsupported(`'${token.text}'`);
  return syntaxError(token.text);
}

function parseSelect(tokens: Token[]): ParsedSelect | StatementFailure {
  const first = tokens[0];
  if (first?.kind === 'word' && OTHER_STATEMENTS.has(first.text.toUpperCase())) {
    return unsupported(`A ${first.text.toUpperCase()} statement`);
  }
  if (!isKeyword(first, 'SELECT')) return syntaxError(first?.text ?? 'end of input');
  let at = 1;
  let columns: string[] | '*';
  if (tokens[at]?.text === '*') {
    columns = '*';
    at += 1;
  } else {
    columns = [];
    for (;;) {
      if (!isIdentifier(tokens[at])) return stoppedAt(tokens[at]);
      columns.push(tokens[at].text);
      at += 1;
      if (tokens[at]?.text !== ',') break;
      at += 1;
    }
  }
  if (!isKeyword(tokens[at], 'FROM')) return stoppedAt(tokens[at]);
  at += 1;
  const table: string[] = [];
  for (;;) {
    if (!isIdentifier(tokens[at])) return stoppedAt(tokens[at]);
    table.push(tokens[at].text);
    at += 1;
    if (tokens[at]?.text !== '.' || table.length === 3) break;
    at += 1;
  }
  let limit: number | undefined;
  if (isKeyword(tokens[at], 'LIMIT')) {
    if (tokens[at + 1]?.kind !== 'number') return stoppedAt(tokens[at + 1]);
    limit = Number(tokens[at + 1].text);
    at += 2;
  }
  if (tokens[at]?.text === ';') at += 1;
  if (at < tokens.length) return stoppedAt(tokens[at]);
  return { columns, table, limit };
}

const quote = (parts: string[]) => parts.map((part) => '`' + part.replace(/`/g, '``') + '`').join('.');

/** Runs `sql` against the catalog; the rows before `row_limit` is applied. */
export function runSelect(
  sql: string,
  defaults: { catalog?: string; schema?: string },
  state: UnityCatalogState,
): StatementRows | StatementFailure {
  const tokens = tokenize(sql);
  if (!Array.isArray(tokens)) return tokens;
  const parsed = parseSelect(tokens);
  if ('errorCode' in parsed) return parsed;
  const [catalogName, schemaName, tableName] = [
    ...[defaults.catalog ?? 'main', defaults.schema ?? 'default'].slice(0, 3 - parsed.table.length),
    ...parsed.table,
  ];
  const catalog = findCatalog(state, catalogName);
  if (catalog && isDenied(state, catalog.name)) {
    return failure(
      'INSUFFICIENT_PERMISSIONS',
      `Insufficient privileges: User does not have USE CATALOG on Catalog '${catalog.name}'.`,
      '42501',
    );
  }
  const schema = catalog && findSchema(catalog, schemaName);
  const table = schema && findTable(schema, tableName);
  if (!table) {
    const name = quote([catalogName, schemaName, tableName]);
    return failure(
      'TABLE_OR_VIEW_NOT_FOUND',
      `The table or view ${name} cannot be found. Verify the spelling and correctness of the schema and catalog.`,
      '42P01',
    );
  }
  const indexes: number[] = [];
  for (const column of parsed.columns === '*' ? table.columns.map((c) => c.name) : parsed.columns) {
    const index = table.columns.findIndex((candidate) => candidate.name.toLowerCase() === column.toLowerCase());
    if (index < 0) {
      return failure(
        'UNRESOLVED_COLUMN.WITH_SUGGESTION',
        `A column, variable, or function parameter with name ${quote([column])} cannot be resolved.`,
        '42703',
      );
    }
    indexes.push(index);
  }
  const rows = table.rows.slice(0, parsed.limit ?? table.rows.length).map((row) => indexes.map((index) => row[index] ?? null));
  return { columns: indexes.map((index) => table.columns[index]), rows };
}
