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
 *   GET  /v1/{prefix}/namespaces/{namespace}/views      ListTablesResponse (identifiers) of the views, paged
 *   GET  /v1/{prefix}/namespaces/{namespace}/views/{view}    LoadViewResult (view metadata format 1);
 *                                                       404 NoSuchViewException
 *
 * The spec makes the view endpoints optional: a server lists what it supports in /v1/config
 * `endpoints`, and one that sends no `endpoints` is assumed to support only the default set, which
 * has no views. `setViewSupport` serves them advertised (the default), unadvertised (not in
 * `endpoints`; their routes are unknown, 400), or as an older server does: no `endpoints` field
 * and the view routes answered 400, 404 (a servlet's plain "Not Found") or 501.
 *
 * Paging as the spec's PageToken says: without `pageToken` everything in one answer with
 * `next-page-token: null`; with it (empty for the first page) at most `pageSize` per page and the
 * token of the next, null on the last; optionally an empty page carrying a token before each page.
 * Every route but the token endpoint needs `Authorization: Bearer`. Errors are IcebergErrorResponse
 * `{error: {message, type, code}}`: 400 BadRequestException, 401 NotAuthorizedException (419
 * AuthenticationTimeoutException for expired tokens when asked), 403 ForbiddenException, 404
 * NoSuchNamespaceException / NoSuchTableException / NoSuchViewException, 503 SlowDownException
 * with Retry-After, and 429 TooManyRequestsException (what an API gateway in front of a catalog answers).
 *
 * `misbehave` makes it break the spec in ways a client must survive: pages that never end, page
 * tokens of any length, children listed under a parent they do not extend, namespaces nested
 * without end; `setLatency` delays every answer.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BearerTokens, type TokenCheck } from './bearer-tokens';
import { InjectedFailures } from './injected-failures';
import { sendJson, startJsonServer, type JsonRequest, type SeenRequest } from './json-server';
import { pageAt, type Page, type Paging } from './page-tokens';
import { DEFAULT_WAREHOUSES, loadTableResult, loadViewResult, type IcebergNamespace, type IcebergWarehouse } from './iceberg/catalog-data';

export type {
  IcebergField,
  IcebergNamespace,
  IcebergSchema,
  IcebergTable,
  IcebergType,
  IcebergView,
  IcebergWarehouse,
} from './iceberg/catalog-data';
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
  /** The spec's `basePath`: the catalog answers under it only (`/api/catalog/v1/config`); none by default. */
  basePath?: string;
  /** The bearer token and OAuth client it accepts; random ones by default. */
  credentials?: { token: string; clientId: string; clientSecret: string };
}

/**
 * Whether views are served and said to be: advertised in /v1/config `endpoints` (the default), left
 * out of `endpoints` (their routes unknown), or as a server from before the spec had `endpoints`:
 * none sent, and the view routes answered with this status.
 */
export type IcebergViewSupport = 'advertised' | 'unadvertised' | { legacy: 400 | 404 | 501 };

/** Ways to break the spec, each off by default. */
export interface IcebergMisbehaviour {
  /** Every page after the first is empty and carries a new token: the list never ends. */
  endlessPages: boolean;
  /** Characters of padding added to every next-page-token (taken off again when it comes back). */
  pageTokenPadding: number;
  /** Extra children listed under a parent (levels joined with '.'), though they do not extend it. */
  foreignChildren: Record<string, string[][]>;
  /** A top-level namespace `loop` with a child `loop` under every level: nesting without end. */
  endlessNesting: boolean;
}

export interface IcebergRestCatalog {
  /** `https://127.0.0.1:<port>` (or http) and the base path: the catalog `uri`, without /v1. */
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
  /** The next `count` requests under `pathPrefix` (default /v1/) answer 503 SlowDownException (or 429 TooManyRequestsException). */
  failNextRequests(count: number, failure?: { status?: 429 | 503; retryAfterSeconds?: number; pathPrefix?: string }): void;
  setPaging(paging: Partial<Paging>): void;
  setViewSupport(support: IcebergViewSupport): void;
  misbehave(misbehaviour: Partial<IcebergMisbehaviour>): void;
  /** Every answer from now on (under `pathPrefix` only, when given) waits this long first (0: none). */
  setLatency(ms: number, pathPrefix?: string): void;
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
const VIEW_ENDPOINTS = ['GET /v1/{prefix}/namespaces/{namespace}/views', 'GET /v1/{prefix}/namespaces/{namespace}/views/{view}'];

/** What a web server with no route there answers: not JSON. */
function sendPlainNotFound(response: http.ServerResponse): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(404, { 'content-type': 'text/html' });
  response.end('<html><body><h2>404 Not Found</h2></body></html>');
}

/** The separator between a page token and its padding; base64url never has it. */
const PADDING = '~';
const ENDLESS = 'endless-';

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
  const { credentials } = options;
  const tokens = new BearerTokens(
    credentials?.token ?? `sb-iceberg-${randomBytes(16).toString('hex')}`,
    options.oauthTokenLifetimeSeconds ?? 3600,
    'sb-oauth-',
    credentials && { id: credentials.clientId, secret: credentials.clientSecret },
  );
  const basePath = options.basePath?.replace(/\/+$/u, '') ?? '';
  const warehouses = structuredClone(options.warehouses ?? DEFAULT_WAREHOUSES);
  const paging: Paging = { pageSize: 2, emptyPages: false, ...options.paging };
  let viewSupport: IcebergViewSupport = 'advertised';
  const misbehaviour: IcebergMisbehaviour = { endlessPages: false, pageTokenPadding: 0, foreignChildren: {}, endlessNesting: false };
  let endlessPagesServed = 0;
  const latency = { ms: 0, pathPrefix: '/' };
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
    if (viewSupport === 'advertised')
      return sendJson(response, 200, { defaults: { clients: '4' }, overrides, endpoints: [...ENDPOINTS, ...VIEW_ENDPOINTS] });
    if (viewSupport === 'unadvertised') return sendJson(response, 200, { defaults: { clients: '4' }, overrides, endpoints: ENDPOINTS });
    sendJson(response, 200, { defaults: { clients: '4' }, overrides });
  }

  function sendPage<T>(response: http.ServerResponse, key: string, items: T[], query: URLSearchParams): void {
    const sent = query.get('pageToken');
    const token = sent === null ? null : sent.split(PADDING)[0];
    const size = query.get('pageSize');
    if (size !== null && !/^[1-9]\d*$/.test(size)) {
      return sendIcebergError(response, 400, 'BadRequestException', `Invalid pageSize: ${size}`);
    }
    if (misbehaviour.endlessPages && token !== null && (token === '' || token.startsWith(ENDLESS))) {
      endlessPagesServed += 1;
      return sendJson(response, 200, { [key]: [], 'next-page-token': `${ENDLESS}${endlessPagesServed}` });
    }
    const page: Page<T> = token === null ? { items } : pageAt(items, token, size === null ? undefined : Number(size), paging);
    if ('invalid' in page) return sendIcebergError(response, 400, 'BadRequestException', page.invalid);
    const padding = misbehaviour.pageTokenPadding ? `${PADDING}${'x'.repeat(misbehaviour.pageTokenPadding)}` : '';
    sendJson(response, 200, { [key]: page.items, 'next-page-token': page.nextPageToken ? `${page.nextPageToken}${padding}` : null });
  }

  /** The children a parent lists: its own, and what misbehaviour adds. */
  function childrenOf(warehouse: IcebergWarehouse, parent: string[]): string[][] {
    const own = warehouse.namespaces
      .filter((namespace) => namespace.name.length === parent.length + 1 && sameLevels(namespace.name.slice(0, parent.length), parent))
      .map((namespace) => namespace.name);
    const foreign = parent.length ? (misbehaviour.foreignChildren[shown(parent)] ?? []) : [];
    const loop = misbehaviour.endlessNesting && parent.every((level) => level === 'loop') ? [[...parent, 'loop']] : [];
    return [...own, ...foreign, ...loop];
  }

  const isLoop = (levels: string[]) => misbehaviour.endlessNesting && levels.every((level) => level === 'loop');

  const isDenied = (levels: string[]) => denied.some((namespace) => sameLevels(namespace, levels.slice(0, namespace.length)));

  /** The namespace named by `levels` if this principal may see it; otherwise the 404 or 403 is sent. */
  function visibleNamespace(warehouse: IcebergWarehouse, levels: string[], response: http.ServerResponse): IcebergNamespace | undefined {
    const namespace = isLoop(levels)
      ? { name: levels, tables: [] }
      : warehouse.namespaces.find((candidate) => sameLevels(candidate.name, levels));
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
    const noRoute = () => sendIcebergError(response, 400, 'BadRequestException', `No route for request: ${request.method} ${request.path}`);
    if (
      !warehouse ||
      collection !== 'namespaces' ||
      request.method !== 'GET' ||
      extra.length ||
      (tables !== undefined && tables !== 'tables' && tables !== 'views')
    ) {
      return noRoute();
    }
    if (tables === 'views' && viewSupport !== 'advertised') {
      if (viewSupport === 'unadvertised' || viewSupport.legacy === 400) return noRoute();
      if (viewSupport.legacy === 404) return sendPlainNotFound(response);
      return sendIcebergError(response, 501, 'UnsupportedOperationException', 'Views are not supported by this catalog');
    }
    if (namespacePath === undefined) {
      const parentParam = request.query.get('parent');
      const parent = parentParam ? parentParam.split(NAMESPACE_SEPARATOR) : [];
      if (parent.length && !visibleNamespace(warehouse, parent, response)) return;
      return sendPage(response, 'namespaces', childrenOf(warehouse, parent), request.query);
    }
    const namespace = visibleNamespace(warehouse, namespacePath.split(NAMESPACE_SEPARATOR), response);
    if (!namespace) return;
    if (tables === undefined) return sendJson(response, 200, { namespace: namespace.name, properties: namespace.properties ?? {} });
    if (tables === 'views') {
      const views = namespace.views ?? [];
      if (tableName === undefined) {
        const identifiers = views.map((view) => ({ namespace: namespace.name, name: view.name }));
        return sendPage(response, 'identifiers', identifiers, request.query);
      }
      const view = views.find((candidate) => candidate.name === tableName);
      if (!view)
        return sendIcebergError(response, 404, 'NoSuchViewException', `View does not exist: ${shown([...namespace.name, tableName])}`);
      return sendJson(response, 200, loadViewResult(warehouse, namespace, view));
    }
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

  async function handle(served: JsonRequest, response: http.ServerResponse): Promise<void> {
    if (basePath && !served.path.startsWith(`${basePath}/`)) return sendPlainNotFound(response);
    // Paths are recorded and routed without the base path.
    const request = { ...served, path: served.path.slice(basePath.length) };
    if (latency.ms > 0 && request.path.startsWith(latency.pathPrefix)) await sleep(latency.ms);
    const isTokenRoute = request.path === '/v1/oauth/tokens';
    const check = isTokenRoute ? 'missing' : tokens.check(request.headers);
    const auth = check === 'static' ? 'token' : check === 'oauth' ? 'oauth' : check === 'missing' ? 'none' : 'rejected';
    requests.push({ method: request.method, path: request.path, query: Object.fromEntries(request.query), at: new Date(), auth });
    const failure = failures.take(request.path);
    if (failure?.status === 429) return sendIcebergError(response, 429, 'TooManyRequestsException', 'Rate limit exceeded', failure.headers);
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
    url: `${server.url}${basePath}`,
    port: server.port,
    ca: server.ca,
    token: tokens.staticToken,
    clientId: tokens.clientId,
    clientSecret: tokens.clientSecret,
    requests,
    requestCount: (pathPrefix = '') => requests.filter((request) => request.path.startsWith(pathPrefix)).length,
    oauthTokensIssued: () => tokens.issued(),
    failNextRequests(count, failure = {}) {
      failures.add(count, {
        status: failure.status ?? 503,
        retryAfterSeconds: failure.retryAfterSeconds,
        pathPrefix: failure.pathPrefix ?? '/v1/',
      });
    },
    setPaging(next) {
      Object.assign(paging, next);
    },
    setConfigUri(uri) {
      configUri = uri;
    },
    setViewSupport(support) {
      viewSupport = support;
    },
    misbehave(next) {
      Object.assign(misbehaviour, next);
    },
    setLatency(ms, pathPrefix = '/') {
      Object.assign(latency, { ms, pathPrefix });
    },
    denyNamespace(namespace) {
      denied.push([...namespace]);
    },
    revokeToken: (token) => tokens.revoke(token),
    expireOAuthTokens: () => tokens.expireAll(),
    stop: () => server.stop(),
  };
}
