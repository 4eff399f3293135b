import { Client } from 'pg';
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
import { reachTarget } from '../probes/reach';
import { secretScrubber, TestRun } from '../probes/test-run';
import * as introspection from './postgres.introspection';
import { preloadPostgresParser } from './postgres.parser';
import { classifyPostgresError, clientConfig, cutConnection, targetOf } from './postgres.session';

export { postgresTls } from './postgres.session';

export class PostgresConnector implements Connector {
  readonly type = 'postgres' as const;

  constructor() {
    // Queries are checked by PostgreSQL's parser (WebAssembly): loaded with the service, not on the first query.
    preloadPostgresParser();
  }

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const { host, port, where } = targetOf(connection);
    const run = new TestRun('pg', secretScrubber(connection.secrets));
    let client: Client | undefined;
    // At the deadline the socket is cut, which fails the connect or query at once (see cutConnection).
    const stop = () => client && cutConnection(client, new DOMException('aborted', 'AbortError'));
    context.signal.addEventListener('abort', stop, { once: true });
    try {
      const target = await reachTarget(run, context, host, port);
      client = new Client({
        ...clientConfig(connection, target),
        connectionTimeoutMillis: Math.max(1, context.remainingMs()),
        query_timeout: Math.max(1, context.remainingMs()),
      });
      client.on('error', () => undefined);
      await run.stage(
        'auth',
        () => client!.connect(),
        (error) => classifyPostgresError(error, where),
      );
      const version = await run.stage(
        'query',
        async () => (await client!.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version,
        (error) => classifyPostgresError(error, where),
      );
      return run.succeed(`Connected to PostgreSQL ${version} at ${where}.`, version);
    } catch (error) {
      return run.fail(error);
    } finally {
      context.signal.removeEventListener('abort', stop);
      await client?.end().catch(() => undefined);
    }
  }

  listDatabases(connection: ResolvedConnection, context: IntrospectionContext): Promise<DatabaseInfo[]> {
    return introspection.listDatabases(connection, context);
  }

  listSchemas(connection: ResolvedConnection, context: IntrospectionContext, database?: string): Promise<SchemaInfo[]> {
    return introspection.listSchemas(connection, context, database);
  }

  createSchema(connection: ResolvedConnection, context: IntrospectionContext, name: string, database?: string): Promise<SchemaInfo> {
    return introspection.createSchema(connection, context, name, database);
  }

  listTables(connection: ResolvedConnection, context: IntrospectionContext, request: TablesRequest): Promise<TablePage> {
    return introspection.listTables(connection, context, request);
  }

  listColumns(connection: ResolvedConnection, context: IntrospectionContext, table: TableRef): Promise<ColumnInfo[]> {
    return introspection.listColumns(connection, context, table);
  }

  /** Up to `limit` rows of a table the catalog knows, read like a query (read-only, statement timeout, cursor). */
  preview(connection: ResolvedConnection, context: IntrospectionContext, request: PreviewRequest): Promise<RowSet> {
    return introspection.preview(connection, context, request);
  }

  /** One read-only statement; see postgres.read-only.ts for what keeps it from writing. */
  query(connection: ResolvedConnection, context: IntrospectionContext, request: QueryRequest): Promise<QueryResult> {
    return introspection.query(connection, context, request);
  }
}
