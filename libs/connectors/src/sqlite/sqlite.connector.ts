import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { notFound } from '@switchboard/common';
import { ConnectionRejected, type Connector, type ConnectorContext, type ResolvedConnection, type TestResult } from '../connector';
import { invalidInput } from '../introspection/errors';
import type {
  ColumnInfo,
  IntrospectionContext,
  PreviewRequest,
  QueryRequest,
  QueryResult,
  RowSet,
  TablePage,
  TableRef,
  TablesRequest,
} from '../introspection/types';
import { messageOf, secretScrubber, TestRun } from '../probes/test-run';
import { SqliteWorker } from './sqlite.session';

/** The path as a layer that percent-decodes would read it (itself when it is not valid encoding). */
function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The real path of `relative` inside `root`, or ConnectionRejected: `..`, absolute paths,
 * sibling prefixes (/data2 vs /data) and symlinks out of the root are all refused, and so is a
 * path that would leave the root once percent-decoded (`%2e%2e/x.db`), whatever layer decodes it.
 */
export function confineToRoot(root: string, relative: string): string {
  const realRoot = fs.realpathSync(root);
  const inside = (candidate: string) => candidate === realRoot || candidate.startsWith(realRoot + path.sep);
  const joined = path.resolve(realRoot, relative);
  const decoded = percentDecoded(relative);
  if (path.isAbsolute(relative) || !inside(joined) || path.isAbsolute(decoded) || !inside(path.resolve(realRoot, decoded))) {
    throw new ConnectionRejected('The SQLite path must stay inside the SQLite root.');
  }
  let real: string;
  try {
    real = fs.realpathSync(joined);
  } catch {
    return joined; // does not exist: opening it reports NOT_FOUND
  }
  if (!inside(real)) throw new ConnectionRejected('The SQLite path must stay inside the SQLite root.');
  return real;
}

/** SQLite has one schema worth listing: the main database (TEMP and ATTACHed ones are never reachable here). */
function requireMainSchema(schema: string | undefined): void {
  if (schema !== undefined && schema !== 'main') throw notFound(`Schema "${schema}"`);
}

/** A name with NUL can name no table; anything else is looked up in sqlite_schema as a bound parameter. */
function requireTableName(table: string): void {
  if (table.includes('\u0000')) throw invalidInput('table', 'A table name cannot contain NUL.');
}

export class SqliteConnector implements Connector {
  readonly type = 'sqlite' as const;

  constructor(private readonly root: string) {
    // The root must exist to be resolved; an empty one simply holds no databases yet.
    fs.mkdirSync(root, { recursive: true });
  }

  async test(connection: ResolvedConnection, _context: ConnectorContext): Promise<TestResult> {
    const run = new TestRun('better-sqlite3', secretScrubber(connection.secrets));
    const file = confineToRoot(this.root, String(connection.config.path));
    let database: Database.Database | undefined;
    try {
      database = await run.stage(
        'path',
        async () => new Database(file, { readonly: true, fileMustExist: true }),
        (error) => ({
          code: (error as { code?: string }).code === 'SQLITE_CANTOPEN' || !fs.existsSync(file) ? 'NOT_FOUND' : 'PERMISSION_DENIED',
          message: fs.existsSync(file)
            ? `Cannot open ${String(connection.config.path)}: ${messageOf(error)}`
            : `No file at ${String(connection.config.path)}.`,
        }),
      );
      const opened = database;
      const { version, tables } = await run.stage(
        'query',
        async () => ({
          version: (opened.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
          tables: (opened.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type IN ('table', 'view')").get() as { n: number }).n,
        }),
        (error) => ({ code: 'PROTOCOL_ERROR', message: `Not a readable SQLite database: ${messageOf(error)}` }),
      );
      return run.succeed(`Opened ${String(connection.config.path)} read-only: ${tables} tables and views.`, version, { tables });
    } catch (error) {
      return run.fail(error);
    } finally {
      database?.close();
    }
  }

  async listTables(connection: ResolvedConnection, context: IntrospectionContext, request: TablesRequest): Promise<TablePage> {
    requireMainSchema(request.schema);
    const { search, offset, limit } = request;
    return this.withWorker(connection, context, (worker) => worker.request({ op: 'tables', search, offset, limit }, context));
  }

  async listColumns(connection: ResolvedConnection, context: IntrospectionContext, table: TableRef): Promise<ColumnInfo[]> {
    requireMainSchema(table.schema);
    requireTableName(table.table);
    return this.withWorker(connection, context, (worker) => worker.request({ op: 'columns', table: table.table }, context));
  }

  async preview(connection: ResolvedConnection, context: IntrospectionContext, request: PreviewRequest): Promise<RowSet> {
    requireMainSchema(request.schema);
    requireTableName(request.table);
    const { table, limit } = request;
    return this.withWorker(connection, context, (worker) => worker.request({ op: 'preview', table, limit }, context));
  }

  /** Read-only by construction (see sqlite.worker.ts); timeoutMs is enforced by killing the worker process. */
  async query(connection: ResolvedConnection, context: IntrospectionContext, request: QueryRequest): Promise<QueryResult> {
    const { sql, limit, timeoutMs } = request;
    return this.withWorker(connection, context, (worker) => worker.request({ op: 'query', sql, limit }, context, timeoutMs));
  }

  /**
   * Runs `work` on the connection's cached worker. The path is confined to the root before
   * anything is opened or borrowed, and again whenever a worker (re)opens the file.
   */
  private withWorker<R>(
    connection: ResolvedConnection,
    context: IntrospectionContext,
    work: (worker: SqliteWorker) => Promise<R>,
  ): Promise<R> {
    const relative = String(connection.config.path);
    const locate = () => confineToRoot(this.root, relative);
    locate();
    const open = async () => {
      const worker = new SqliteWorker(locate, relative, secretScrubber(connection.secrets));
      await worker.start(context);
      return { client: worker, close: () => worker.close() };
    };
    return context.session('', open, work);
  }
}
