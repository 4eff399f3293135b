/**
 * The Unity Catalog 2.1 read API of the test Databricks workspace (test/support/databricks-workspace.ts),
 * from https://docs.databricks.com/api/workspace/catalogs/list, …/schemas/list, …/tables/list and
 * …/tables/get, and "Paginate Unity Catalog REST API operations"
 * (https://docs.databricks.com/aws/en/data-governance/unity-catalog/paginate-legacy-list-apis):
 *
 *   - without `max_results` a list answers everything in one page (the legacy form);
 *   - `max_results=0` lets the server choose the page size, `max_results>0` asks for at most that;
 *   - a page may hold no results and still carry `next_page_token`; only its absence ends a list.
 */
import type http from 'node:http';
import type { JsonRequest } from '../json-server';
import { pageAt, type Page, type Paging } from '../page-tokens';
import { sendDatabricksError, sendOk } from './errors';

export type UcTableType = 'MANAGED' | 'EXTERNAL' | 'VIEW';

export interface UcColumn {
  name: string;
  /** As Databricks spells the SQL type: `bigint`, `decimal(10,2)`, `array<string>`. */
  typeText: string;
  /** The ColumnTypeName enum: LONG, STRING, DECIMAL, TIMESTAMP, ARRAY, … */
  typeName: string;
  nullable?: boolean;
  comment?: string;
}

export interface UcTable {
  name: string;
  tableType: UcTableType;
  comment?: string;
  columns: UcColumn[];
  /** Rows as the Statement Execution API's JSON_ARRAY format gives them: every value a string, or null. */
  rows: (string | null)[][];
}

export interface UcSchema {
  name: string;
  comment?: string;
  tables: UcTable[];
}

export interface UcCatalog {
  name: string;
  comment?: string;
  /** MANAGED_CATALOG unless said otherwise. */
  catalogType?: string;
  schemas: UcSchema[];
}

export type UcPaging = Paging;

export interface UnityCatalogState {
  catalogs: UcCatalog[];
  paging: UcPaging;
  /** Catalogs whose schemas and tables this principal may not see (403 PERMISSION_DENIED). */
  deniedCatalogs: Set<string>;
}

const METASTORE_ID = '11111111-2222-3333-4444-555555555555';
const CREATED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const OWNER = 'sb-owner@example.com';
const PREFIX = '/api/2.1/unity-catalog/';

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function findCatalog(state: UnityCatalogState, name: string): UcCatalog | undefined {
  return state.catalogs.find((catalog) => sameName(catalog.name, name));
}

export function findSchema(catalog: UcCatalog, name: string): UcSchema | undefined {
  return catalog.schemas.find((schema) => sameName(schema.name, name));
}

export function findTable(schema: UcSchema, name: string): UcTable | undefined {
  return schema.tables.find((table) => sameName(table.name, name));
}

export function isDenied(state: UnityCatalogState, catalog: string): boolean {
  return [...state.deniedCatalogs].some((denied) => sameName(denied, catalog));
}

/** A list answer under Unity Catalog's rules (see the top of this file). */
export function pageOf<T>(items: T[], query: URLSearchParams, paging: UcPaging): Page<T> {
  const maxResults = query.get('max_results');
  if (maxResults === null) return { items };
  if (!/^\d+$/.test(maxResults)) return { invalid: `Invalid max_results: ${maxResults}` };
  return pageAt(items, query.get('page_token') ?? undefined, Number(maxResults) || undefined, paging);
}

function catalogInfo(catalog: UcCatalog) {
  return {
    name: catalog.name,
    catalog_type: catalog.catalogType ?? 'MANAGED_CATALOG',
    comment: catalog.comment,
    owner: OWNER,
    metastore_id: METASTORE_ID,
    created_at: CREATED_AT,
  };
}

function schemaInfo(catalog: UcCatalog, schema: UcSchema) {
  return {
    name: schema.name,
    catalog_name: catalog.name,
    full_name: `${catalog.name}.${schema.name}`,
    comment: schema.comment,
    owner: OWNER,
    metastore_id: METASTORE_ID,
    created_at: CREATED_AT,
  };
}

function tableInfo(catalog: UcCatalog, schema: UcSchema, table: UcTable, withColumns: boolean) {
  const fullName = `${catalog.name}.${schema.name}.${table.name}`;
  return {
    name: table.name,
    catalog_name: catalog.name,
    schema_name: schema.name,
    full_name: fullName,
    table_type: table.tableType,
    data_source_format: table.tableType === 'VIEW' ? undefined : 'DELTA',
    storage_location: table.tableType === 'EXTERNAL' ? `s3://sb-external/${fullName.replace(/\./g, '/')}` : undefined,
    view_definition: table.tableType === 'VIEW' ? `SELECT * FROM ${catalog.name}.${schema.name}.source` : undefined,
    columns: withColumns
      ? table.columns.map((column, position) => ({
          name: column.name,
          type_text: column.typeText,
          type_name: column.typeName,
          type_json: JSON.stringify({ name: column.name, type: column.typeText, nullable: column.nullable ?? true, metadata: {} }),
          position,
          nullable: column.nullable ?? true,
          comment: column.comment,
        }))
      : undefined,
    comment: table.comment,
    owner: OWNER,
    metastore_id: METASTORE_ID,
    created_at: CREATED_AT,
  };
}

function sendPage<T>(response: http.ServerResponse, key: string, page: Page<T>): void {
  if ('invalid' in page) return sendDatabricksError(response, 400, 'INVALID_PARAMETER_VALUE', page.invalid);
  sendOk(response, { [key]: page.items, next_page_token: page.nextPageToken });
}

const notFound = (response: http.ServerResponse, what: string) =>
  sendDatabricksError(response, 404, 'NOT_FOUND', `${what} does not exist.`);
const denied = (response: http.ServerResponse, catalog: string) =>
  sendDatabricksError(response, 403, 'PERMISSION_DENIED', `User does not have USE CATALOG on Catalog '${catalog}'.`);

function listSchemas(query: URLSearchParams, response: http.ServerResponse, state: UnityCatalogState): void {
  const catalogName = query.get('catalog_name');
  if (!catalogName) return sendDatabricksError(response, 400, 'INVALID_PARAMETER_VALUE', 'Missing required field: catalog_name');
  const catalog = findCatalog(state, catalogName);
  if (!catalog) return notFound(response, `Catalog '${catalogName}'`);
  if (isDenied(state, catalog.name)) return denied(response, catalog.name);
  const infos = catalog.schemas.map((schema) => schemaInfo(catalog, schema));
  sendPage(response, 'schemas', pageOf(infos, query, state.paging));
}

/** GET …/tables?catalog_name&schema_name (fullName undefined) or GET …/tables/{catalog.schema.table}. */
function tables(fullName: string | undefined, query: URLSearchParams, response: http.ServerResponse, state: UnityCatalogState): void {
  const parts = fullName === undefined ? [query.get('catalog_name'), query.get('schema_name')] : fullName.split('.');
  const [catalogName, schemaName, tableName] = parts;
  if (!catalogName || !schemaName || (fullName !== undefined && (parts.length !== 3 || !tableName))) {
    const problem =
      fullName === undefined ? 'Missing required field: catalog_name and schema_name' : `Invalid table full name: ${fullName}`;
    return sendDatabricksError(response, 400, 'INVALID_PARAMETER_VALUE', problem);
  }
  const catalog = findCatalog(state, catalogName);
  if (!catalog) return notFound(response, `Catalog '${catalogName}'`);
  if (isDenied(state, catalog.name)) return denied(response, catalog.name);
  const schema = findSchema(catalog, schemaName);
  if (!schema) return notFound(response, `Schema '${catalog.name}.${schemaName}'`);
  if (!tableName) {
    const withColumns = query.get('omit_columns') !== 'true';
    const infos = schema.tables.map((table) => tableInfo(catalog, schema, table, withColumns));
    return sendPage(response, 'tables', pageOf(infos, query, state.paging));
  }
  const table = findTable(schema, tableName);
  if (!table) return notFound(response, `Table '${catalog.name}.${schema.name}.${tableName}'`);
  sendOk(response, tableInfo(catalog, schema, table, true));
}

/** Answers a Unity Catalog read request; returns false when the path is not one of them. */
export function handleUnityCatalog(request: JsonRequest, response: http.ServerResponse, state: UnityCatalogState): boolean {
  if (request.method !== 'GET' || !request.path.startsWith(PREFIX)) return false;
  const [collection, ...rest] = request.path.slice(PREFIX.length).split('/');
  if (rest.length > 1) return false;
  const name = rest.length === 1 ? decodeURIComponent(rest[0]) : undefined;
  if (collection === 'catalogs' && name === undefined) {
    sendPage(response, 'catalogs', pageOf(state.catalogs.map(catalogInfo), request.query, state.paging));
  } else if (collection === 'catalogs') {
    const catalog = findCatalog(state, name!);
    if (catalog) sendOk(response, catalogInfo(catalog));
    else notFound(response, `Catalog '${name}'`);
  } else if (collection === 'schemas' && name === undefined) {
    listSchemas(request.query, response, state);
  } else if (collection === 'tables') {
    tables(name, request.query, response, state);
  } else {
    return false;
  }
  return true;
}
