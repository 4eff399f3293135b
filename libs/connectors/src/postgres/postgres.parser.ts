import { createRequire } from 'node:module';
import type { ParseResult, ScanResult } from 'libpg-query';

/**
 * PostgreSQL's own scanner and grammar: libpg_query (the server's source, PostgreSQL 18) compiled
 * to WebAssembly, loaded once per process (started with the connector: about 10 ms on the
 * event loop to read it, the compilation runs in the background) and then parsing synchronously
 * (10 to 20 µs for a short statement).
 *
 * libpg-query keeps one WebAssembly instance per loaded copy of its module. A trap inside it (the
 * native stack runs out on a statement nested a couple of thousand levels deep) unwinds through
 * the C code without its cleanup: that instance's memory contexts and error stack stay half
 * unwound, and after a few hundred such traps it fails on any statement. So an instance that
 * trapped is never used again: the next parse loads a fresh copy of the module.
 */
type LibPgQuery = typeof import('libpg-query');

const requireFresh = createRequire(__filename);
let current: Promise<LibPgQuery> | undefined;

/** A statement the parser could not finish (too deeply nested): it is not known what it does. */
export class StatementTooComplex extends Error {}

/** A syntax error, as the server would report it: its message and the 0-based character it points at. */
export class StatementSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

function load(): Promise<LibPgQuery> {
  const id = requireFresh.resolve('libpg-query');
  delete requireFresh.cache[id];
  const parser = requireFresh(id) as LibPgQuery;
  return parser.loadModule().then(() => parser);
}

/** The loaded parser, loading it on first use; a failed load is tried again on the next call. */
function parser(): Promise<LibPgQuery> {
  if (!current) {
    const loading = load();
    current = loading;
    loading.catch(() => {
      if (current === loading) current = undefined;
    });
  }
  return current;
}

/** Starts loading the parser (at start-up), so that the first statement does not wait for it. */
export function preloadPostgresParser(): void {
  parser().catch(() => undefined);
}

/** Runs `work` on the loaded parser; a syntax error becomes StatementSyntaxError, a trap StatementTooComplex (and a fresh instance). */
async function withParser<T>(work: (loaded: LibPgQuery) => T): Promise<T> {
  const loading = parser();
  const loaded = await loading;
  try {
    return work(loaded);
  } catch (error) {
    if (loaded.hasSqlDetails(error)) throw new StatementSyntaxError(error.message, error.sqlDetails?.cursorPosition ?? 0);
    if (current === loading) current = undefined;
    throw new StatementTooComplex('The statement is nested too deeply to be checked.', { cause: error });
  }
}

/** The raw parse tree of `sql` (not empty: the parser refuses an empty string). */
export function parsePostgres(sql: string): Promise<ParseResult> {
  return withParser((loaded) => loaded.parseSync(sql));
}

/** The tokens of `sql`, comments included. */
export function scanPostgres(sql: string): Promise<ScanResult> {
  return withParser((loaded) => loaded.scanSync(sql));
}
