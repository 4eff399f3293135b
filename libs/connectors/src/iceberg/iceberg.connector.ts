import { notFound } from '@switchboard/common';
import type { ConnectionConfig } from '../connection-type';
import type { Connector, ConnectorContext, ResolvedConnection, TestResult } from '../connector';
import { invalidInput } from '../introspection/errors';
import type {
  CatalogInfo,
  ColumnInfo,
  IntrospectionContext,
  SchemaInfo,
  TableInfo,
  TablePage,
  TableRef,
  TablesRequest,
} from '../introspection/types';
import { testRestApi, useRestApi } from '../rest-api/rest-api-test';
import { remoteName } from '../rest-api/remote-names';
import { baseUrlOf, ICEBERG_METADATA_LIMIT, IcebergClient, IcebergFailure, OAuthTokenCache, portOf } from './iceberg-client';
import { columnsOf, namespaceLevels, namespaceName, namespacePath, NAMESPACE_SEPARATOR, viewColumnsOf } from './iceberg-metadata';

/** The catalog a connection without a warehouse shows. */
export const DEFAULT_CATALOG = 'default';
/** Namespaces one listing walks at most: a catalog that never stops paging ends here, or at the deadline. */
export const MAX_NAMESPACES = 100_000;
/** Pages one list follows at most, empty ones included, and the longest page token taken: a catalog's paging stays bounded in memory. */
export const MAX_PAGES = 10_000;
export const MAX_PAGE_TOKEN_CHARS = 4_096;
/** Levels of nesting walked at most. */
const MAX_NAMESPACE_DEPTH = 16;

/** The spec's list-views route, as a catalog names it in /v1/config `endpoints` when it serves views. */
const LIST_VIEWS_ENDPOINT = 'GET /v1/{prefix}/namespaces/{namespace}/views';
/**
 * How a catalog that says nothing of its endpoints answers view routes it does not have: no route
 * (400), not found (404), method not allowed (405), unsupported (406, 501).
 */
const NO_VIEW_ROUTE = new Set([400, 404, 405, 406, 501]);

/** Whether the catalog serves views: as its `endpoints` say, or unknown (undefined) when it sends none. */
type ViewSupport = boolean | undefined;

/** The name of a TableIdentifier in a list (a table's or a view's). */
const nameOf =
  (client: IcebergClient) =>
  (identifier: unknown): string =>
    remoteName((identifier as { name?: unknown } | null)?.name, client.where);

/** Through an SSH tunnel, the bastion forwards to uri's host and port. */
export function icebergTunnelTarget(config: ConnectionConfig): { host: string; port: number } {
  const url = baseUrlOf(config);
  return { host: url.hostname.replace(/^\[(.*)\]$/u, '$1'), port: portOf(url) };
}

const catalogNameOf = (connection: ResolvedConnection): string =>
  typeof connection.config.warehouse === 'string' ? connection.config.warehouse : DEFAULT_CATALOG;

/**
 * An Iceberg REST catalog (Polaris, Lakekeeper, Gravitino, Unity's iceberg-rest endpoint, per the
 * Apache Iceberg REST catalog OpenAPI spec): metadata only. Its one catalog is the warehouse;
 * schemas are namespaces, nested ones joined with '.'; tables are its tables and views (type VIEW).
 */
export class IcebergConnector implements Connector {
  readonly type = 'iceberg' as const;
  private readonly tokens = new OAuthTokenCache();

  test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    return testRestApi(
      context,
      connection.secrets.tlsCa,
      () => new IcebergClient(connection, context, this.tokens),
      (error) => (error instanceof IcebergFailure ? error.testError : { code: 'PROTOCOL_ERROR', message: 'uri is not a valid URL.' }),
      async (run, client) => {
        const { prefix } = await run.stage(
          'auth',
          () => client.loadConfig(),
          (error) => client.testErrorOf(error),
        );
        const catalog = catalogNameOf(connection);
        return run.succeed(`Iceberg REST catalog at ${client.where} answered for catalog "${catalog}".`, undefined, { catalog, prefix });
      },
    );
  }

  async listCatalogs(connection: ResolvedConnection, context: IntrospectionContext): Promise<CatalogInfo[]> {
    return this.session(connection, context, `Warehouse "${catalogNameOf(connection)}"`, async (client) => {
      await client.loadConfig();
      return [{ name: catalogNameOf(connection) }];
    });
  }

  async listSchemas(
    connection: ResolvedConnection,
    context: IntrospectionContext,
    _database?: string,
    catalog?: string,
  ): Promise<SchemaInfo[]> {
    this.checkCatalog(connection, catalog);
    return this.session(connection, context, `Warehouse "${catalogNameOf(connection)}"`, async (client) =>
      (await this.namespaces(client)).map((levels) => ({ name: namespaceName(levels) })),
    );
  }

  async listTables(connection: ResolvedConnection, context: IntrospectionContext, request: TablesRequest): Promise<TablePage> {
    this.checkCatalog(connection, request.catalog);
    const missing = request.schema === undefined ? `Warehouse "${catalogNameOf(connection)}"` : `Namespace "${request.schema}"`;
    return this.session(connection, context, missing, async (client) => {
      const namespaces = request.schema === undefined ? await this.namespaces(client) : [namespaceLevels(request.schema)];
      const search = request.search?.toLowerCase();
      const tables: TableInfo[] = [];
      let views: ViewSupport | 'unasked' = 'unasked';
      for (const levels of namespaces) {
        const tableNames = await this.pages(client, ['namespaces', namespacePath(levels), 'tables'], 'identifiers', {}, nameOf(client));
        if (views === 'unasked') views = await this.viewSupport(client, connection);
        const viewNames = await this.views(client, levels, views);
        const found = [
          ...tableNames.map((name) => ({ name, type: 'TABLE' as const })),
          ...viewNames.map((name) => ({ name, type: 'VIEW' as const })),
        ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const { name, type } of found) {
          if (!search || name.toLowerCase().includes(search)) tables.push({ name, schema: namespaceName(levels), type });
        }
      }
      return { tables: tables.slice(request.offset, request.offset + request.limit), total: tables.length };
    });
  }

  async listColumns(connection: ResolvedConnection, context: IntrospectionContext, table: TableRef): Promise<ColumnInfo[]> {
    this.checkCatalog(connection, table.catalog);
    if (table.schema === undefined) throw invalidInput('schema', 'is required for an Iceberg catalog: the namespace of the table');
    const schema = table.schema;
    return this.session(connection, context, `Table "${schema}.${table.table}"`, async (client) => {
      const namespace = namespacePath(namespaceLevels(schema));
      let columns: ColumnInfo[] | undefined;
      let kind = 'table';
      try {
        columns = columnsOf(
          await client.get(['namespaces', namespace, 'tables', encodeURIComponent(table.table)], {}, true, true, ICEBERG_METADATA_LIMIT),
        );
      } catch (error) {
        // Not a table: perhaps a view, when the catalog may have views.
        if (!(error instanceof IcebergFailure) || error.status !== 404) throw error;
        const views = await this.viewSupport(client, connection);
        if (views === false) throw error;
        let loaded: unknown;
        try {
          loaded = await client.get(
            ['namespaces', namespace, 'views', encodeURIComponent(table.table)],
            {},
            true,
            true,
            ICEBERG_METADATA_LIMIT,
          );
        } catch (viewError) {
          const noView =
            viewError instanceof IcebergFailure &&
            (viewError.status === 404 || (views === undefined && NO_VIEW_ROUTE.has(viewError.status ?? 0)));
          throw noView ? error : viewError;
        }
        columns = viewColumnsOf(loaded);
        kind = 'view';
      }
      if (!columns)
        throw new IcebergFailure({
          code: 'PROTOCOL_ERROR',
          message: `${client.where} answered ${kind} metadata without its current schema.`,
        });
      return columns;
    });
  }

  /**
   * Whether the catalog serves views, from /v1/config `endpoints` (the spec's view routes are
   * optional). A catalog that sends no `endpoints` predates them: its view routes are tried.
   */
  private async viewSupport(client: IcebergClient, connection: ResolvedConnection): Promise<ViewSupport> {
    const warehouse = connection.config.warehouse;
    const body = (await client.get(['config'], typeof warehouse === 'string' ? { warehouse } : {}, false)) as {
      endpoints?: unknown;
    } | null;
    return Array.isArray(body?.endpoints) ? body.endpoints.includes(LIST_VIEWS_ENDPOINT) : undefined;
  }

  /** The view names of a namespace; none when the catalog has no view routes. */
  private async views(client: IcebergClient, levels: string[], support: ViewSupport): Promise<string[]> {
    if (support === false) return [];
    try {
      return await this.pages(client, ['namespaces', namespacePath(levels), 'views'], 'identifiers', {}, nameOf(client));
    } catch (error) {
      if (support === undefined && error instanceof IcebergFailure && NO_VIEW_ROUTE.has(error.status ?? 0)) return [];
      throw error;
    }
  }

  /** The one catalog is the warehouse: any other name is a 404. */
  private checkCatalog(connection: ResolvedConnection, catalog: string | undefined): void {
    if (catalog !== undefined && catalog !== catalogNameOf(connection)) throw notFound(`Catalog "${catalog}"`);
  }

  /** Every namespace, parents before their children, each level's pages followed to the end. */
  private async namespaces(client: IcebergClient): Promise<string[][]> {
    const found: string[][] = [];
    const walk = async (parent: string[]): Promise<void> => {
      const query: Record<string, string> = parent.length ? { parent: parent.join(NAMESPACE_SEPARATOR) } : {};
      let children: (string[] | undefined)[];
      try {
        // Only namespaces the walk may take are kept, their levels as names.
        const levelsOf = (child: unknown) =>
          Array.isArray(child) && child.length <= MAX_NAMESPACE_DEPTH ? child.map((level) => remoteName(level, client.where)) : undefined;
        children = await this.pages(client, ['namespaces'], 'namespaces', query, levelsOf);
      } catch (error) {
        // A namespace the principal may see but not look into still is one: its children stay unlisted.
        if (parent.length && error instanceof IcebergFailure && error.status === 403) return;
        throw error;
      }
      for (const levels of children) {
        // A child extends its parent by one level; anything else is not walked (nor stored twice over).
        if (!levels || levels.length !== parent.length + 1) continue;
        if (parent.some((level, index) => levels[index] !== level)) continue;
        if (found.length >= MAX_NAMESPACES) {
          throw new IcebergFailure({ code: 'PROTOCOL_ERROR', message: `${client.where} lists more than ${MAX_NAMESPACES} namespaces.` });
        }
        found.push(levels);
        await walk(levels);
      }
    };
    await walk([]);
    return found;
  }

  /** What `pick` takes of every item of a paged list: pageToken from '' to a null next-page-token, empty pages included. */
  private async pages<T>(
    client: IcebergClient,
    segments: string[],
    key: string,
    query: Record<string, string>,
    pick: (item: unknown) => T,
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | null = '';
    const seen = new Set<string>();
    const fail = (message: string) => new IcebergFailure({ code: 'PROTOCOL_ERROR', message: `${client.where} ${message}` });
    while (token !== null) {
      if (seen.size >= MAX_PAGES) throw fail(`pages a list in more than ${MAX_PAGES} pages.`);
      const body = (await client.get(segments, { ...query, pageToken: token }, true, true)) as Record<string, unknown> | null;
      const page = body?.[key];
      if (!Array.isArray(page))
        throw new IcebergFailure({ code: 'PROTOCOL_ERROR', message: `${client.where} answered a list without "${key}".` });
      if (items.length + page.length > MAX_NAMESPACES) {
        throw new IcebergFailure({ code: 'PROTOCOL_ERROR', message: `${client.where} lists more than ${MAX_NAMESPACES} entries.` });
      }
      // One by one: spreading a long page into push() overflows the stack.
      for (const item of page as unknown[]) items.push(pick(item));
      const next = body?.['next-page-token'];
      token = typeof next === 'string' && next !== '' ? next : null;
      if (token === null) break;
      if (token.length > MAX_PAGE_TOKEN_CHARS) throw fail(`answered a page token over ${MAX_PAGE_TOKEN_CHARS} characters.`);
      if (seen.has(token)) throw fail('repeated a page token.');
      seen.add(token);
    }
    return items;
  }

  /** One operation on a fresh client through the egress guard; errors as the API answers them, `missing` naming a 404. */
  private session<T>(
    connection: ResolvedConnection,
    context: IntrospectionContext,
    missing: string,
    work: (client: IcebergClient) => Promise<T>,
  ): Promise<T> {
    const create = () => {
      baseUrlOf(connection.config);
      return new IcebergClient(connection, context, this.tokens);
    };
    return useRestApi(create, 'uri is not a valid http(s) URL.', missing, work);
  }
}
