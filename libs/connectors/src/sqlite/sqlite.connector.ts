import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConnectionRejected, type Connector, type ConnectorContext, type ResolvedConnection, type TestResult } from '../connector';
import { messageOf, secretScrubber, TestRun } from '../testing/test-run';

/**
 * The real path of `relative` inside `root`, or ConnectionRejected: `..`, absolute paths,
 * sibling prefixes (/data2 vs /data) and symlinks out of the root are all refused.
 */
export function confineToRoot(root: string, relative: string): string {
  const realRoot = fs.realpathSync(root);
  const inside = (candidate: string) => candidate === realRoot || candidate.startsWith(realRoot + path.sep);
  const joined = path.resolve(realRoot, relative);
  if (path.isAbsolute(relative) || !inside(joined)) throw new ConnectionRejected('The SQLite path must stay inside the SQLite root.');
  let real: string;
  try {
    real = fs.realpathSync(joined);
  } catch {
    return joined; // does not exist: opening it reports NOT_FOUND
  }
  if (!inside(real)) throw new ConnectionRejected('The SQLite path must stay inside the SQLite root.');
  return real;
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
}
