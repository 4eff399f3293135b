import type { ParseResult } from 'libpg-query';
import { ParserInstance, StatementSyntaxError } from './postgres.parser-instance';

export { StatementSyntaxError };

/**
 * PostgreSQL's own scanner and grammar: libpg_query (the server's source, PostgreSQL 18) compiled
 * to WebAssembly once per process, started with the connector (read and compiled off the event
 * loop), then parsing synchronously (10 to 20 µs for a short statement) in one instance at a time
 * (postgres.parser-instance.ts).
 *
 * An instance's memory grows to the largest statement it has parsed and never shrinks: a
 * statement of MAX_SQL_LENGTH (100,000 characters) can leave 20 MiB written. So an instance that
 * parsed a statement longer than LONG is retired once no such statement has come for
 * RETIRE_IDLE_MS, and its successor made at once (4 to 7 ms on the event loop, in a timer). Not
 * after each one: each new instance counts its 128 MiB of memory against V8's external-memory
 * limit, which starts a full collection of the heap (measured, retiring after each statement of
 * 10,000 characters: 74 ms of CPU a statement with 60 MB of heap, 190 ms with 190 MB, instead of
 * 8). So a run of long statements shares one instance, at most about 20 MiB larger than a fresh
 * one, and length makes at most one new instance per RETIRE_IDLE_MS. That collection takes the
 * retired instance and its memory with it (measured: gone as its successor is made).
 *
 * A trap inside an instance (the native stack runs out on a statement nested a couple of
 * thousand levels deep) unwinds through the C code without its cleanup: that instance's memory
 * contexts and error stack stay half unwound, and after a few hundred such traps it fails on any
 * statement. So an instance that trapped is retired at once.
 */

/**
 * Statements longer than this (characters) grow the instance. Parsing writes up to about 200
 * bytes of the instance's memory per character, so an instance that parsed none holds at most
 * about 2 MiB more than a fresh one. The size of the instance's memory cannot tell: it starts at
 * 128 MiB, of which only the pages written take room, and grows only past that.
 */
export const LONG = 8_192;

/** How long after the last long statement an instance that parsed one is retired. */
export const RETIRE_IDLE_MS = 5_000;

let current: Promise<ParserInstance> | undefined;

/** The instance that parsed a long statement, and the timer that retires it. */
let grown: { instance: Promise<ParserInstance>; timer: NodeJS.Timeout } | undefined;

/** A statement the parser could not finish (too deeply nested): it is not known what it does. */
export class StatementTooComplex extends Error {}

/** The instance in use, made on first use; a failed one is made again on the next call. */
function instance(): Promise<ParserInstance> {
  if (!current) {
    const creating = ParserInstance.create();
    current = creating;
    creating.catch(() => {
      if (current === creating) current = undefined;
    });
  }
  return current;
}

/** Drops `retired` (unless already replaced) and makes its successor now, before the next statement needs it. */
function retire(retired: Promise<ParserInstance>): void {
  if (current !== retired) return;
  current = undefined;
  // Only the current instance can have grown.
  if (grown) clearTimeout(grown.timer);
  grown = undefined;
  instance().catch(() => undefined);
}

/** `using` parsed a long statement: it is retired RETIRE_IDLE_MS after the last one. */
function grew(using: Promise<ParserInstance>): void {
  if (current !== using) return;
  if (grown?.instance === using) {
    grown.timer.refresh();
    return;
  }
  const timer = setTimeout(() => retire(using), RETIRE_IDLE_MS);
  // Nothing to free at exit: the process does not wait for it.
  timer.unref();
  grown = { instance: using, timer };
}

/** Starts loading the parser (at start-up), so that the first statement does not wait for it. */
export function preloadPostgresParser(): void {
  instance().catch(() => undefined);
}

/** Runs `work` on an instance; a syntax error stays one, a trap becomes StatementTooComplex. */
async function withParser<T>(sql: string, work: (parser: ParserInstance) => T): Promise<T> {
  const using = instance();
  const parser = await using;
  // Retired while this call waited: use its successor.
  if (using !== current) return withParser(sql, work);
  try {
    return work(parser);
  } catch (error) {
    if (error instanceof StatementSyntaxError) throw error;
    retire(using);
    throw new StatementTooComplex('The statement is nested too deeply to be checked.', { cause: error });
  } finally {
    if (sql.length > LONG) grew(using);
  }
}

/** The raw parse tree of `sql`. */
export function parsePostgres(sql: string): Promise<ParseResult> {
  return withParser(sql, (parser) => parser.parse(sql));
}
