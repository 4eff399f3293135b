import mysql, { type RowDataPacket } from 'mysql2/promise';
import type { Connector, ConnectorContext, ResolvedConnection, TestResult } from '../connector';
import type {
  ColumnInfo,
  DatabaseInfo,
  IntrospectionContext,
  PreviewRequest,
  QueryRequest,
  QueryResult,
  RowSet,
  SchemaInfo,
  TablePage,
  TableRef,
  TablesRequest,
} from '../introspection/types';
import type { TargetSocket } from '../egress/target-socket';
import { reachTarget } from '../probes/reach';
import { secretScrubber, TestRun } from '../probes/test-run';
import { classifyMysqlError, mysqlConnectionOptions } from './mysql.client';
import { listColumns, listDatabases, listSchemas, listTables, preview, runQuery } from './mysql.introspection';

export { classifyMysqlError, mysqlConnectionOptions, mysqlTls } from './mysql.client';

const abortError = (): Error => Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });

/** Resolves after `ms`, without keeping the process alive. */
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export class MysqlConnector implements Connector {
  readonly type = 'mysql' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const { config, secrets } = connection;
    const host = String(config.host);
    const port = Number(config.port ?? 3306);
    const where = `${host}:${port}`;
    const run = new TestRun('mysql2', secretScrubber(secrets));
    let socket: TargetSocket | undefined;
    let client: mysql.Connection | undefined;
    // Destroying the socket fails whatever mysql2 is waiting for (handshake or query) with an AbortError.
    const stop = () => socket?.destroy(abortError());
    context.signal.addEventListener('abort', stop, { once: true });
    try {
      const target = await reachTarget(run, context, host, port);
      client = await run.stage(
        'auth',
        async () => {
          if (context.signal.aborted) throw abortError();
          const opened = await mysql.createConnection(
            mysqlConnectionOptions(config, secrets, target, context.remainingMs(), (created) => (socket = created)),
          );
          // A late error (the server going away) must not be an unhandled 'error' event.
          opened.on('error', () => undefined);
          return opened;
        },
        (error) => classifyMysqlError(error, where),
      );
      const version = await run.stage(
        'query',
        async () => {
          const [rows] = await client!.query<RowDataPacket[]>({
            sql: 'SELECT VERSION() AS version',
            timeout: Math.max(1, Math.floor(context.remainingMs())),
          });
          return String(rows[0]?.version ?? '');
        },
        (error) => classifyMysqlError(error, where),
      );
      const product = /mariadb/i.test(version) ? 'MariaDB' : 'MySQL';
      return run.succeed(`Connected to ${product} ${version} at ${where}.`, version || undefined);
    } catch (error) {
      return run.fail(error);
    } finally {
      context.signal.removeEventListener('abort', stop);
      // Say goodbye (COM_QUIT) when there is still time, so the server logs no aborted
      // connection; never wait long for it, and always close the socket.
      if (client && !context.signal.aborted) await Promise.race([client.end().catch(() => undefined), delay(500)]);
      client?.destroy();
      socket?.destroy();
    }
  }

  // Introspection (mysql.introspection.ts): one cached pool per connection version, read-only sessions.

  listDatabases(connection: ResolvedConnection, context: IntrospectionContext): Promise<DatabaseInfo[]> {
    return listDatabases(connection, context);
  }

  listSchemas(connection: ResolvedConnection, context: IntrospectionContext, database?: string): Promise<SchemaInfo[]> {
    return listSchemas(connection, context, database);
  }

  listTables(connection: ResolvedConnection, context: IntrospectionContext, request: TablesRequest): Promise<TablePage> {
    return listTables(connection, context, request);
  }

  listColumns(connection: ResolvedConnection, context: IntrospectionContext, table: TableRef): Promise<ColumnInfo[]> {
    return listColumns(connection, context, table);
  }

  preview(connection: ResolvedConnection, context: IntrospectionContext, request: PreviewRequest): Promise<RowSet> {
    return preview(connection, context, request);
  }

  query(connection: ResolvedConnection, context: IntrospectionContext, request: QueryRequest): Promise<QueryResult> {
    return runQuery(connection, context, request);
  }
}
