import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ErrorCode } from '@switchboard/common';
import type { ConnectionConfig } from '../connection-type';
import type { Connector, ConnectorContext, ResolvedConnection, TestResult } from '../connector';
import { invalidInput, queryFailed, targetFailed } from '../introspection/errors';
import { RowCollector } from '../introspection/cells';
import type {
  CatalogInfo,
  ColumnInfo,
  IntrospectionContext,
  PreviewRequest,
  QueryRequest,
  QueryResult,
  RowSet,
  SchemaInfo,
  TableInfo,
  TablePage,
  TableRef,
  TablesRequest,
} from '../introspection/types';
import { StageFailure } from '../probes/test-run';
import { OAuthTokenCache } from '../rest-api/oauth-token-cache';
import { portOf } from '../rest-api/rest-api-client';
import { protocolError, RestApiFailure } from '../rest-api/rest-api-failure';
import { testRestApi, useRestApi } from '../rest-api/rest-api-test';
import { remoteComment, remoteName } from '../rest-api/remote-names';
import { DatabricksClient, STATEMENT_BODY_LIMIT } from './databricks-client';
import { columnsOf, manifestColumnsOf, resultColumnsOf, rowOf, tableKindOf, type ManifestColumn } from './databricks-metadata';
import { qualifiedName, singleStatement } from './databricks-sql';
import { workspaceUrlOf } from './databricks.definition';

const UC = '/api/2.1/unity-catalog';
const STATEMENTS = '/api/2.0/sql/statements';
/** Warehouse states a test reports as a success: the warehouse is there, and starts on the first statement if it must. */
const USABLE_WAREHOUSE_STATES = new Set(['RUNNING', 'STARTING', 'STOPPED', 'STOPPING']);
/** The longest a statement submission waits for its result before polling (the API allows 0 or 5 to 50 s). */
const MAX_WAIT_SECONDS = 10;
/** What is kept of the deadline beyond a submission's wait, so its answer (with the statement id to cancel) arrives in time. */
const SUBMIT_SLACK_MS = 2_000;
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 1_000;
/** How long a cancel may take once the deadline has passed. */
const CANCEL_GRACE_MS = 2_000;
const DONE_STATES = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'CLOSED']);

interface StatementAnswer {
  statement_id?: unknown;
  status?: { state?: unknown; error?: { error_code?: unknown; message?: unknown } };
  manifest?: unknown;
  result?: { data_array?: unknown; next_chunk_internal_link?: unknown };
}

/** What a statement names and where it runs; `missing` names the table a TABLE_OR_VIEW_NOT_FOUND is about. */
interface Statement {
  sql: string;
  limit: number;
  catalog?: string;
  schema?: string;
  missing?: string;
}

const stringOf = (config: ConnectionConfig, name: string): string | undefined =>
  typeof config[name] === 'string' ? (config[name] as string) : undefined;

/** Through an SSH tunnel, the bastion forwards to the workspace's host and port. */
export function databricksTunnelTarget(config: ConnectionConfig): { host: string; port: number } {
  const url = workspaceUrlOf(config);
  return { host: url.hostname.replace(/^\[(.*)\]$/u, '$1'), port: portOf(url) };
}

/**
 * A Databricks workspace: Unity Catalog 2.1 for catalogs, schemas, tables and columns; a SQL
 * warehouse through the Statement Execution API 2.0 for previews and (with readOnlyByGrants) queries.
 */
export class DatabricksConnector implements Connector {
  readonly type = 'databricks' as const;
  private readonly tokens = new OAuthTokenCache();

  test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    return testRestApi(
      context,
      connection.secrets.tlsCa,
      () => new DatabricksClient(connection, context, this.tokens),
      () => ({ code: 'PROTOCOL_ERROR', message: 'host is not a valid https:// URL.' }),
      async (run, client) => {
        await run.stage(
          'auth',
          () => client.call('GET', `${UC}/catalogs`, { query: { max_results: '1' } }),
          (error) => client.testErrorOf(error),
        );
        const warehouseId = String(connection.config.warehouseId);
        const warehouse = await run.stage(
          'warehouse',
          () => this.warehouse(client, warehouseId),
          (error) => client.testErrorOf(error),
        );
        const shown = warehouse.name ? `"${warehouse.name}" (${warehouseId})` : warehouseId;
        const starts = warehouse.state === 'RUNNING' ? '' : '; it starts on the first statement';
        return run.succeed(
          `Databricks workspace ${client.where} answered; SQL warehouse ${shown} is ${warehouse.state}${starts}.`,
          undefined,
          {
            warehouseState: warehouse.state,
          },
        );
      },
    );
  }

  async listCatalogs(connection: ResolvedConnection, context: IntrospectionContext): Promise<CatalogInfo[]> {
    return this.session(connection, context, 'The catalog list', async (client) => {
      return client.list<CatalogInfo>(`${UC}/catalogs`, 'catalogs', {}, (catalog) => ({
        name: remoteName(catalog.name, client.where),
        ...(typeof catalog.catalog_type === 'string' ? { type: remoteName(catalog.catalog_type, client.where) } : {}),
        ...(typeof catalog.comment === 'string' ? { comment: remoteComment(catalog.comment) } : {}),
      }));
    });
  }

  async listSchemas(
    connection: ResolvedConnection,
    context: IntrospectionContext,
    _database?: string,
    catalog?: string,
  ): Promise<SchemaInfo[]> {
    const name = this.catalogOf(connection, catalog);
    return this.session(connection, context, `Catalog "${name}"`, async (client) =>
      (await this.schemaNames(client, name)).map((schema) => ({ name: schema })),
    );
  }

  async listTables(connection: ResolvedConnection, context: IntrospectionContext, request: TablesRequest): Promise<TablePage> {
    const catalog = this.catalogOf(connection, request.catalog);
    const only = request.schema ?? stringOf(connection.config, 'schema');
    const missing = only === undefined ? `Catalog "${catalog}"` : `Schema "${catalog}.${only}"`;
    return this.session(connection, context, missing, async (client) => {
      const schemas = only === undefined ? await this.schemaNames(client, catalog) : [only];
      const search = request.search?.toLowerCase();
      const tables: TableInfo[] = [];
      for (const schema of schemas) {
        const query = { catalog_name: catalog, schema_name: schema, omit_columns: 'true' };
        const found = await client.list(`${UC}/tables`, 'tables', query, (info) => ({
          name: remoteName(info.name, client.where),
          schema,
          type: tableKindOf(info.table_type),
        }));
        found.sort((a, b) => a.name.localeCompare(b.name));
        for (const table of found) if (!search || table.name.toLowerCase().includes(search)) tables.push(table);
      }
      return { tables: tables.slice(request.offset, request.offset + request.limit), total: tables.length };
    });
  }

  async listColumns(connection: ResolvedConnection, context: IntrospectionContext, table: TableRef): Promise<ColumnInfo[]> {
    const [catalog, schema] = this.tablePlace(connection, table);
    const fullName = `${catalog}.${schema}.${table.table}`;
    return this.session(connection, context, `Table "${fullName}"`, async (client) => {
      const info = await client.call('GET', `${UC}/tables/${encodeURIComponent(fullName)}`);
      const columns = columnsOf(info);
      if (!columns) throw protocolError(`${client.where} answered a table without its columns.`);
      return columns;
    });
  }

  async preview(connection: ResolvedConnection, context: IntrospectionContext, request: PreviewRequest): Promise<RowSet> {
    const [catalog, schema] = this.tablePlace(connection, request);
    const table = qualifiedName(catalog, schema, request.table);
    const statement = {
      sql: `SELECT * FROM ${table} LIMIT ${request.limit + 1}`,
      limit: request.limit,
      missing: `Table "${catalog}.${schema}.${request.table}"`,
    };
    return this.session(connection, context, statement.missing, (client) => this.execute(client, connection, context, statement));
  }

  async query(connection: ResolvedConnection, context: IntrospectionContext, request: QueryRequest): Promise<QueryResult> {
    if (connection.config.readOnlyByGrants !== true) {
      throw new AppError(
        ErrorCode.UNSUPPORTED_OPERATION,
        'Databricks has no read-only transaction, so Switchboard cannot keep a statement from writing. Queries run only on a ' +
          "connection with config.readOnlyByGrants true, where the token's Unity Catalog grants are the only guard.",
      );
    }
    const sql = singleStatement(request.sql);
    const started = Date.now();
    const statement = {
      sql,
      limit: request.limit,
      catalog: stringOf(connection.config, 'catalog'),
      schema: stringOf(connection.config, 'schema'),
    };
    const rows = await this.session(connection, context, 'A table the statement names', (client) =>
      this.execute(client, connection, context, statement),
    );
    return { ...rows, stats: { rowCount: rows.rows.length, executionMs: Date.now() - started } };
  }

  /** GET /api/2.0/sql/warehouses/{id}: its name and state; a deleted one is NOT_FOUND. */
  private async warehouse(client: DatabricksClient, id: string): Promise<{ name?: string; state: string }> {
    let info: { name?: unknown; state?: unknown } | null;
    try {
      info = (await client.call('GET', `/api/2.0/sql/warehouses/${encodeURIComponent(id)}`)) as typeof info;
    } catch (error) {
      if (!(error instanceof RestApiFailure) || error.status !== 404) throw error;
      throw new StageFailure({ code: 'NOT_FOUND', message: `SQL warehouse ${id} does not exist at ${client.where}.` });
    }
    const state = typeof info?.state === 'string' ? info.state : 'UNKNOWN';
    if (!USABLE_WAREHOUSE_STATES.has(state)) {
      throw new StageFailure({ code: 'NOT_FOUND', message: `SQL warehouse ${id} at ${client.where} is ${state}.` });
    }
    return { name: typeof info?.name === 'string' ? info.name : undefined, state };
  }

  /**
   * Runs a statement on the warehouse: submitted with row_limit (INLINE, JSON_ARRAY), waited for
   * briefly, then polled until done; cancelled when polling ends first (the deadline, a failed poll). Rows past `limit`
   * or the 16 MiB budget are left out, cells bounded as for every type.
   */
  private async execute(
    client: DatabricksClient,
    connection: ResolvedConnection,
    context: ConnectorContext,
    statement: Statement,
  ): Promise<RowSet> {
    const waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.floor((context.remainingMs() - SUBMIT_SLACK_MS) / 1000));
    const body = {
      statement: statement.sql,
      warehouse_id: String(connection.config.warehouseId),
      ...(statement.catalog ? { catalog: statement.catalog } : {}),
      ...(statement.schema ? { schema: statement.schema } : {}),
      row_limit: statement.limit + 1,
      wait_timeout: waitSeconds >= 5 ? `${waitSeconds}s` : '0s',
      on_wait_timeout: 'CONTINUE',
      disposition: 'INLINE',
      format: 'JSON_ARRAY',
    };
    let answer: StatementAnswer;
    try {
      answer = (await client.call('POST', STATEMENTS, { body, bodyLimit: STATEMENT_BODY_LIMIT })) as StatementAnswer;
    } catch (error) {
      if (!(error instanceof RestApiFailure) || error.status !== 404) throw error;
      throw new RestApiFailure(error.testError, 404, undefined, `SQL warehouse "${body.warehouse_id}"`);
    }
    const id = typeof answer?.statement_id === 'string' ? answer.statement_id : undefined;
    if (!id) throw protocolError(`${client.where} answered a statement without its statement_id.`);
    const path = `${STATEMENTS}/${encodeURIComponent(id)}`;
    try {
      for (let delay = FIRST_POLL_MS; !DONE_STATES.has(String(answer.status?.state)); delay = Math.min(delay * 2, MAX_POLL_MS)) {
        await sleep(delay, undefined, { signal: context.signal });
        answer = (await client.call('GET', path, { bodyLimit: STATEMENT_BODY_LIMIT })) as StatementAnswer;
      }
    } catch (error) {
      // Polling ended (the deadline, or a failed poll) with the statement perhaps still running: it must not run on, unseen.
      await client.call('POST', `${path}/cancel`, { body: {}, graceMs: CANCEL_GRACE_MS }).catch(() => undefined);
      throw error;
    }
    const state = String(answer.status?.state);
    if (state === 'FAILED') throw this.statementFailed(client, answer, statement);
    if (state !== 'SUCCEEDED')
      throw targetFailed({ code: 'PROTOCOL_ERROR', message: `The statement was ${state.toLowerCase()} on ${client.where}.` });
    const columns = manifestColumnsOf(answer.manifest);
    if (!columns) throw protocolError(`${client.where} answered a finished statement without its result schema.`);
    return { columns: resultColumnsOf(columns), ...(await this.rows(client, answer, columns, statement.limit)) };
  }

  /** The rows of every INLINE chunk, the next one fetched only while the collector takes more. */
  private async rows(client: DatabricksClient, answer: StatementAnswer, columns: ManifestColumn[], limit: number) {
    const collector = new RowCollector(limit);
    let chunk = answer.result;
    for (;;) {
      const values = Array.isArray(chunk?.data_array) ? (chunk.data_array as unknown[]) : [];
      for (const row of values)
        if (!collector.add(rowOf(Array.isArray(row) ? row : [], columns))) return { rows: collector.rows, truncated: true };
      const next = chunk?.next_chunk_internal_link;
      if (typeof next !== 'string' || !next.startsWith(`${STATEMENTS}/`)) return { rows: collector.rows, truncated: collector.truncated };
      chunk = (await client.call('GET', next, { bodyLimit: STATEMENT_BODY_LIMIT })) as StatementAnswer['result'];
    }
  }

  /** A FAILED statement as the API answers it: a missing table 404, missing grants PERMISSION_DENIED, anything else QUERY_FAILED. */
  private statementFailed(client: DatabricksClient, answer: StatementAnswer, statement: Statement): Error {
    const said = answer.status?.error?.message;
    const message = client.scrub(typeof said === 'string' ? said : 'The statement failed.');
    if (message.includes('[TABLE_OR_VIEW_NOT_FOUND]') && statement.missing) return new RestApiFailure({ code: 'NOT_FOUND', message }, 404);
    if (message.includes('[INSUFFICIENT_PERMISSIONS]')) return new RestApiFailure({ code: 'PERMISSION_DENIED', message }, 403);
    return queryFailed(message);
  }

  /** The schema names of a catalog, every page followed. */
  private async schemaNames(client: DatabricksClient, catalog: string): Promise<string[]> {
    return client.list(`${UC}/schemas`, 'schemas', { catalog_name: catalog }, (schema) => remoteName(schema.name, client.where));
  }

  /** The catalog a route names, or the connection's default; one of them is needed. */
  private catalogOf(connection: ResolvedConnection, catalog: string | undefined): string {
    const chosen = catalog ?? stringOf(connection.config, 'catalog');
    if (chosen === undefined) throw invalidInput('catalog', 'is required: the connection has no default catalog (config.catalog)');
    return chosen;
  }

  /** The catalog and schema of a table a route names, the connection's defaults filling in. */
  private tablePlace(connection: ResolvedConnection, table: TableRef): [string, string] {
    const catalog = this.catalogOf(connection, table.catalog);
    const schema = table.schema ?? stringOf(connection.config, 'schema');
    if (schema === undefined) throw invalidInput('schema', 'is required: the connection has no default schema (config.schema)');
    return [catalog, schema];
  }

  /** One operation on a fresh client through the egress guard; errors as the API answers them, `missing` naming a 404. */
  private session<T>(
    connection: ResolvedConnection,
    context: IntrospectionContext,
    missing: string,
    work: (client: DatabricksClient) => Promise<T>,
  ): Promise<T> {
    return useRestApi(() => new DatabricksClient(connection, context, this.tokens), 'host is not a valid https:// URL.', missing, work);
  }
}
