/**
 * An Iceberg REST catalog for connector tests, on 127.0.0.1 (a random port), over HTTPS with a
 * self-signed certificate made at start (`ca`, to trust as `tlsCa`) or over plain HTTP (`tls: false`),
 * following the Apache Iceberg REST catalog OpenAPI spec (apache/iceberg
 * open-api/rest-catalog-open-api.yaml):
 *
 *   GET  /v1/config?warehouse=w                         CatalogConfig {defaults, overrides: {prefix, warehouse, uri?}, endpoints}
 *   POST /v1/oauth/tokens                               client credentials (deprecated in the spec, still used):
 *                                                       id and secret by HTTP Basic or in the form; OAuthTokenResponse
 *                                                       or OAuthError {error: invalid_client, …}
 *   GET  /v1/{prefix}/namespaces?parent&pageToken&pageSize   ListNamespacesResponse; nested namespaces are arrays,
 *                                                       joined with the unit separator 0x1F (%1F) in `parent` and paths
 *   GET  /v1/{prefix}/namespaces/{namespace}            GetNamespaceResponse
 *   GET  /v1/{prefix}/namespaces/{namespace}/tables     ListTablesResponse (identifiers), paged the same way
 *   GET  /v1/{prefix}/namespaces/{namespace}/tables/{table}  LoadTableResult (iceberg/catalog-data.ts)
 *
 * Paging as the spec's PageToken says: without `pageToken` everything in one answer with
 * `next-page-token: null`; with it (empty for the first page) at most `pageSize` per page and the
 * token of the next, null on the last; optionally an empty page carrying a token before each page.
 * Every route but the token endpoint needs `Authorization: Bearer`. Errors are IcebergErrorResponse
 * `{error: {message, type, code}}`: 400 BadRequestException, 401 NotAuthorizedException (419
 * AuthenticationTimeoutException for expired tokens when asked), 403 ForbiddenException, 404
 * NoSuchNamespaceException / NoSuchTableException, 503 SlowDownException with Retry-After.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { BearerTokens, type TokenCheck } from './bearer-tokens';
import { InjectedFailures } from './injected-failures';
import { sendJson, startJsonServer, type JsonRequest, type SeenRequest } from './json-server';
import { pageAt, type Page, type Paging } from './page-tokens';
import { DEFAULT_WAREHOUSES, loadTableResult, type IcebergNamespace, type IcebergWarehouse } from './iceberg/catalog-data';

export type { IcebergField, IcebergNamespace, IcebergSchema, IcebergTable, IcebergType, IcebergWarehouse } from './iceberg/catalog-data';
export { DEFAULT_WAREHOUSES as DEFAULT_ICEBERG_WAREHOUSES } from './iceberg/catalog-data';

export interface IcebergCatalogOptions {
  /** HTTPS with a self-signed certificate (default) or plain HTTP. */
  tls?: boolean;
  /** DEFAULT_ICEBERG_WAREHOUSES when not given; the first is the default warehouse. */
  warehouses?: IcebergWarehouse[];
  /** Pages of 2 and no empty pages by default. */
  paging?: Partial<Paging>;
  /** Lifetime of the OAuth access tokens /v1/oauth/tokens issues (3600 s by default). */
  oauthTokenLifetimeSeconds?: number;
  /** How an expired token is refused: 401 (what the spec prefers, the default) or 419. */
  expiredTokenStatus?: 401 | 419;
}

export interface IcebergRestCatalog {
  /** `https://127.0.0.1:<port>` (or http): the catalog `uri`, without /v1. */
  url: string;
  port: number;
  /** PEM of the self-signed certificate when TLS is on. */
  ca: string | undefined;
  /** A bearer token the catalog accepts as it is. */
  token: string;
  /** OAuth2 client credentials the catalog accepts at /v1/oauth/tokens. */
  clientId: string;
  clientSecret: string;
  requests: (SeenRequest & { auth: 'token' | 'oauth' | 'none' | 'rejected' })[];
  requestCount(pathPrefix?: string): number;
  oauthTokensIssued(): number;
  /** The next `count` requests under `pathPrefix` (default /v1/) answer 503 SlowDownException. */
  failNextRequests(count: number, failure?: { retryAfterSeconds?: number; pathPrefix?: string }): void;
  setPaging(paging: Partial<Paging>): void;
  /** The principal may not see this namespace (403 on it, its tables, and listing under it). */
  denyNamespace(namespace: string[]): void;
  revokeToken(token: string): void;
  /** Every OAuth access token issued so far has expired. */
  expireOAuthTokens(): void;
  /** /v1/config tells clients to use this base URI from now on (`overrides.uri`); undefined stops saying so. */
  setConfigUri(uri: string | undefined): void;
  stop(): Promise<void>;
}

/** Namespace levels in `parent` and in paths are joined with the unit separator (0x1F, %1F). */
export const NAMESPACE_SEPARATOR = '\u001f';

const ENDPOINTS = [
  'GET /v1/{prefix}/namespaces',
  'GET /v1/{prefix}/namespaces/{namespace}',
  'GET /v1/{prefix}/namespaces/{namespace}/tables',
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
];

function sendIcebergError(
  response: http.ServerResponse,
  code: number,
  type: string,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  sendJson(response, code, { error: { message, type, code } }, headers);
}

const sameLevels = (a: string[], b: string[]) => a.length === b.length && a.every((level, index) => level === b[index]);
const shown = (levels: string[]) => levels.join('.');

export async function startIcebergRestCatalog(options: IcebergCatalogOptions = {}): Promise<IcebergRestCatalog> {
  const tokens = new BearerTokens(`sb-iceberg-${randomBytes(16).toString('hex')}`, options.oauthTokenLifetimeSeconds ?? 3600, 'sb-oauth-');
  const warehouses = structuredClone(options.warehouses ?? DEFAULT_WAREHOUSES);
  const paging: Paging = { pageSize: 2, emptyPages: false, ...options.paging };
  const denied: string[][] = [];
  const failures = new InjectedFailures();
  const requests: IcebergRestCatalog['requests'] = [];
  let configUri: string | undefined;

  const NOT_AUTHORIZED: Partial<Record<TokenCheck, string>> = {
    missing: 'Not authorized: missing bearer token',
    invalid: 'Not authorized: invalid token',
    revoked: 'Not authorized: token revoked',
    expired: 'Credentials have timed out',
  };

  /** POST /v1/oauth/tokens: OAuthTokenResponse (token_type bearer) or OAuthError. */
  function issueToken(request: JsonRequest, response: http.ServerResponse): void {
    const { status, body } = tokens.grant(request);
    const granted = {
      ...body,
      token_type: 'bearer',
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: body.scope ?? 'catalog',
    };
    sendJson(response, status, status === 200 ? granted : body);
  }

  function config(request: JsonRequest, response: http.ServerResponse): void {
    const name = request.query.get('warehouse');
    const warehouse = name ? warehouses.find((candidate) => candidate.name === name) : warehouses[0];
    if (!warehouse) return sendIcebergError(response, 404, 'NoSuchWarehouseException', `Warehouse does not exist: ${name}`);
    const overrides: Record<string, string> = { warehouse: warehouse.name };
    if (warehouse.prefix) overrides.prefix = warehouse.prefix;
    // The spec's CatalogConfig: a `uri` override moves every later request of the client there.
    if (configUri) overrides.uri = configUri;
    sendJson(response, 200, { defaults: { clients: '4' }, overrides, endpoints: ENDPOINTS });
  }

  function sendPage<T>(response: http.ServerResponse, key: string, items: T[], query: URLSearchParams): void {
    const token = query.get('pageToken');
    const size = query.get('pageSize');
    if (size !== null && !/^[1-9]\d*$/.test(size)) {
      return sendIcebergError(response, 400, 'BadRequestException', `Invalid pageSize: ${size}`);
    }
    const page: Page<T> = token === null ? { items } : pageAt(items, token, size === null ? undefined : Number(size), paging);
    if ('invalid' in page) return sendIcebergError(response, 400, 'BadRequestException', page.invalid);
    sendJson(response, 200, { [key]: page.items, 'next-page-token': page.nextPageToken ?? null });
  }

  const isDenied = (levels: string[]) => denied.some((namespace) => sameLevels(namespace, levels.slice(0, namespace.length)));

  /** The namespace named by `levels` if this principal may see it; otherwise the 404 or 403 is sent. */
  function visibleNamespace(warehouse: IcebergWarehouse, levels: string[], response: http.ServerResponse): IcebergNamespace | undefined {
    const namespace = warehouse.namespaces.find((candidate) => sameLevels(candidate.name, levels));
    if (!namespace) {
      sendIcebergError(response, 404, 'NoSuchNamespaceException', `Namespace does not exist: ${shown(levels)}`);
      return undefined;
    }
    if (isDenied(levels)) {
      sendIcebergError(response, 403, 'ForbiddenException', `Forbidden: not allowed to access namespace ${shown(levels)}`);
      return undefined;
    }
    return namespace;
  }

  function catalogRoute(request: JsonRequest, response: http.ServerResponse, segments: string[]): void {
    const prefix = segments[0] === 'namespaces' ? '' : segments.shift()!;
    const warehouse = warehouses.find((candidate) => candidate.prefix === prefix);
    const [collection, namespacePath, tables, tableName, ...extra] = segments;
    if (
      !warehouse ||
      collection !== 'namespaces' ||
      request.method !== 'GET' ||
      extra.length ||
      (tables !== undefined && tables !== 'tables')
    ) {
      return sendIcebergError(response, 400, 'BadRequestException', `No route for request: ${request.method} ${request.path}`);
    }
    if (namespacePath === undefined) {
      const parentParam = request.query.get('parent');
      const parent = parentParam ? parentParam.split(NAMESPACE_SEPARATOR) : [];
      if (parent.length && !visibleNamespace(warehouse, parent, response)) return;
      const children = warehouse.namespaces
        .filter((namespace) => namespace.name.length === parent.length + 1 && sameLevels(namespace.name.slice(0, parent.length), parent))
        .map((namespace) => namespace.name);
      return sendPage(response, 'namespaces', children, request.query);
    }
    const namespace = visibleNamespace(warehouse, namespacePath.split(NAMESPACE_SEPARATOR), response);
    if (!namespace) return;
    if (tables === undefined) return sendJson(response, 200, { namespace: namespace.name, properties: namespace.properties ?? {} });
    if (tableName === undefined) {
      const identifiers = namespace.tables.map((table) => ({ namespace: namespace.name, name: table.name }));
      return sendPage(response, 'identifiers', identifiers, request.query);
    }
    const table = namespace.tables.find((candidate) => candidate.name === tableName);
    if (!table) {
      return sendIcebergError(response, 404, 'NoSuchTableException', `Table does not exist: ${shown([...namespace.name, tableName])}`);
    }
    sendJson(response, 200, loadTableResult(warehouse, namespace, table));
  }

  function handle(request: JsonRequest, response: http.ServerResponse): void {
    const isTokenRoute = request.path === '/v1/oauth/tokens';
    const check = isTokenRoute ? 'missing' : tokens.check(request.headers);
    const auth = check === 'static' ? 'token' : check === 'oauth' ? 'oauth' : check === 'missing' ? 'none' : 'rejected';
    requests.push({ method: request.method, path: request.path, query: Object.fromEntries(request.query), at: new Date(), auth });
    const failure = failures.take(request.path);
    if (failure) return sendIcebergError(response, 503, 'SlowDownException', 'Slow down', failure.headers);
    if (isTokenRoute) {
      if (request.method === 'POST') return issueToken(request, response);
      return sendJson(response, 400, { error: 'invalid_request', error_description: 'POST only' });
    }
    const refusal = NOT_AUTHORIZED[check];
    if (refusal && check === 'expired' && options.expiredTokenStatus === 419) {
      return sendIcebergError(response, 419, 'AuthenticationTimeoutException', refusal);
    }
    if (refusal) return sendIcebergError(response, 401, 'NotAuthorizedException', refusal);
    if (request.path === '/v1/config' && request.method === 'GET') return config(request, response);
    if (!request.path.startsWith('/v1/')) {
      return sendIcebergError(response, 400, 'BadRequestException', `No route for request: ${request.method} ${request.path}`);
    }
    // Split before decoding, so a %2F inside a name stays part of the name.
    const segments = request.path.slice('/v1/'.length).split('/').map(decodeURIComponent);
    catalogRoute(request, response, segments);
  }

  const server = await startJsonServer('iceberg', handle, { tls: options.tls ?? true });
  return {
    url: server.url,
    port: server.port,
    ca: server.ca,
    token: tokens.staticToken,
    clientId: tokens.clientId,
    clientSecret: tokens.clientSecret,
    requests,
    requestCount: (pathPrefix = '') => requests.filter((request) => request.path.startsWith(pathPrefix)).length,
    oauthTokensIssued: () => tokens.issued(),
    failNextRequests(count, failure = {}) {
      failures.add(count, { status: 503, retryAfterSeconds: failure.retryAfterSeconds, pathPrefix: failure.pathPrefix ?? '/v1/' });
    },
    setPaging(next) {
      Object.assign(paging, next);
    },
    setConfigUri(uri) {
      configUri = uri;
    },
    denyNamespace(namespace) {
      denied.push([...namespace]);
    },
    revokeToken: (token) => tokens.revoke(token),
    expireOAuthTokens: () => tokens.expireAll(),
    stop: () => server.stop(),
  };
}
