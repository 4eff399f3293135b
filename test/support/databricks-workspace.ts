/**
 * A Databricks workspace for connector tests: HTTPS on 127.0.0.1 (a random port) with a
 * self-signed certificate made at start (`ca`, to trust as the connection's `tlsCa`), answering
 * the public REST APIs a Databricks connection uses, written from Databricks' own reference:
 *
 *   - Authentication: personal access tokens (`Authorization: Bearer dapi…`), and OAuth M2M
 *     (https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html): POST /oidc/v1/token,
 *     grant_type=client_credentials, scope all-apis, the client id and secret by HTTP Basic or
 *     in the form; answers {access_token, token_type: Bearer, expires_in, scope}; tokens expire.
 *   - Errors (https://docs.databricks.com/api/workspace/errors): status + {error_code, message,
 *     details}, see databricks/errors.ts; 429 and 503 carry Retry-After.
 *   - Unity Catalog API 2.1 catalogs / schemas / tables, list and get: databricks/unity-catalog.ts.
 *   - SQL Warehouses API 2.0 get and SQL Statement Execution API 2.0: databricks/statements.ts,
 *     answering the SQL in databricks/sql.ts from the tables' in-memory rows.
 *
 * Tests steer it through the methods on the returned object (not over HTTP): warehouse states,
 * injected 429/503 answers, slow statements, paging, denied catalogs, revoked or expired tokens,
 * and what it saw (requests, submitted and cancelled statements, OAuth tokens issued).
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { BearerTokens, type TokenCheck } from './bearer-tokens';
import { InjectedFailures } from './injected-failures';
import { sendJson, startJsonServer, type JsonRequest, type SeenRequest } from './json-server';
import { sendDatabricksError } from './databricks/errors';
import {
  handleWarehouseSide,
  type SubmittedStatement,
  type Warehouse,
  type WarehouseSideState,
  type WarehouseState,
} from './databricks/statements';
import { handleUnityCatalog, type UcCatalog, type UcPaging, type UnityCatalogState } from './databricks/unity-catalog';

export type { UcCatalog, UcColumn, UcSchema, UcTable, UcTableType } from './databricks/unity-catalog';
export type { SubmittedStatement, Warehouse, WarehouseState } from './databricks/statements';

export interface DatabricksWorkspaceOptions {
  /** Unity Catalog content; DEFAULT_CATALOGS when not given. */
  catalogs?: UcCatalog[];
  /** SQL warehouses; DEFAULT_WAREHOUSES when not given. */
  warehouses?: Warehouse[];
  /** Unity Catalog list paging; by default pages of 2 and no empty pages. */
  paging?: Partial<UcPaging>;
  /** Looks a statement answers PENDING, then RUNNING, before it is done (1 and 1 by default). */
  statementPolls?: { pending: number; running: number };
  /** Lifetime of the OAuth access tokens /oidc/v1/token issues (3600 s, as Databricks does). */
  oauthTokenLifetimeSeconds?: number;
}

export interface DatabricksWorkspace {
  /** `https://127.0.0.1:<port>`: the workspace URL. */
  url: string;
  port: number;
  /** PEM of the workspace's self-signed certificate: the connection's `tlsCa`. */
  ca: string;
  /** A personal access token the workspace accepts. */
  pat: string;
  /** An OAuth M2M service principal the workspace accepts. */
  clientId: string;
  clientSecret: string;
  /** Every request, oldest first; `auth` says how it authenticated. */
  requests: (SeenRequest & { auth: 'pat' | 'oauth' | 'none' | 'rejected' })[];
  /** Statements as submitted (statement text, row_limit, wait_timeout, …), oldest first. */
  submittedStatements: SubmittedStatement[];
  /** Ids of the statements cancelled (by cancel or on_wait_timeout=CANCEL), in order. */
  cancelledStatementIds: string[];
  /** Requests whose path starts with `pathPrefix` (all when omitted). */
  requestCount(pathPrefix?: string): number;
  oauthTokensIssued(): number;
  setWarehouseState(id: string, state: WarehouseState): void;
  /** The next `count` requests under `pathPrefix` (default `/api/`) answer 429 REQUEST_LIMIT_EXCEEDED or 503 TEMPORARILY_UNAVAILABLE. */
  failNextRequests(count: number, failure: { status: 429 | 503; retryAfterSeconds?: number; pathPrefix?: string }): void;
  /** The next statement submitted stays RUNNING for `ms` (default: until cancelled). */
  makeNextStatementSlow(ms?: number): void;
  setPaging(paging: Partial<UcPaging>): void;
  /** The principal loses USE CATALOG on `catalog`: 403 PERMISSION_DENIED on its schemas and tables. */
  denyCatalog(catalog: string): void;
  /** USE CATALOG on `catalog` granted back. */
  allowCatalog(catalog: string): void;
  /** The token (a PAT or an OAuth access token) is refused from now on: 401. */
  revokeToken(token: string): void;
  /** Every OAuth access token issued so far has expired: 401 until the client gets a new one. */
  expireOAuthTokens(): void;
  stop(): Promise<void>;
}

const column = (name: string, typeText: string, typeName: string, nullable = true) => ({ name, typeText, typeName, nullable });

/** Three catalogs: `main` (tables of every type), `samples`, and an empty one. */
export const DEFAULT_CATALOGS: UcCatalog[] = [
  {
    name: 'main',
    comment: 'Main catalog',
    schemas: [
      {
        name: 'default',
        comment: 'Default schema',
        tables: [
          {
            name: 'orders',
            tableType: 'MANAGED',
            comment: 'Orders placed',
            columns: [
              column('id', 'bigint', 'LONG', false),
              column('customer', 'string', 'STRING'),
              column('amount', 'decimal(10,2)', 'DECIMAL'),
              column('placed_at', 'timestamp', 'TIMESTAMP'),
              column('tags', 'array<string>', 'ARRAY'),
            ],
            rows: [
              ['1', 'Ada', '12.50', '2026-01-02T03:04:05.000Z', '["new"]'],
              ['2', 'Grace', '7.00', '2026-01-03T10:00:00.000Z', '[]'],
              ['3', null, null, '2026-01-04T12:30:00.000Z', null],
            ],
          },
          {
            name: 'customers',
            tableType: 'EXTERNAL',
            columns: [column('id', 'int', 'INT', false), column('name', 'string', 'STRING')],
            rows: [
              ['1', 'Ada'],
              ['2', 'Grace'],
            ],
          },
          { name: 'big_orders', tableType: 'VIEW', comment: 'Orders over 10', columns: [column('id', 'bigint', 'LONG')], rows: [['1']] },
        ],
      },
      { name: 'sales', tables: [] },
      { name: 'staging', tables: [] },
    ],
  },
  {
    name: 'samples',
    comment: 'Sample data',
    schemas: [
      {
        name: 'nyctaxi',
        tables: [
          {
            name: 'trips',
            tableType: 'MANAGED',
            columns: [column('trip_distance', 'double', 'DOUBLE'), column('fare_amount', 'double', 'DOUBLE')],
            rows: [['1.5', '8.0']],
          },
        ],
      },
    ],
  },
  { name: 'empty_catalog', schemas: [] },
];

export const DEFAULT_WAREHOUSES: Warehouse[] = [
  { id: 'wh-running', name: 'Running warehouse', state: 'RUNNING' },
  { id: 'wh-stopped', name: 'Stopped warehouse', state: 'STOPPED' },
  { id: 'wh-starting', name: 'Starting warehouse', state: 'STARTING' },
];

export async function startDatabricksWorkspace(options: DatabricksWorkspaceOptions = {}): Promise<DatabricksWorkspace> {
  const tokens = new BearerTokens(`dapi${randomBytes(16).toString('hex')}`, options.oauthTokenLifetimeSeconds ?? 3600, 'eyJ');
  const failures = new InjectedFailures();
  const requests: DatabricksWorkspace['requests'] = [];

  const catalog: UnityCatalogState = {
    catalogs: structuredClone(options.catalogs ?? DEFAULT_CATALOGS),
    paging: { pageSize: 2, emptyPages: false, ...options.paging },
    deniedCatalogs: new Set(),
  };
  const side: WarehouseSideState = {
    catalog,
    warehouses: new Map((options.warehouses ?? DEFAULT_WAREHOUSES).map((warehouse) => [warehouse.id, { ...warehouse }])),
    statements: new Map(),
    polls: options.statementPolls ?? { pending: 1, running: 1 },
    nextSlowMs: undefined,
    submitted: [],
    cancelledIds: [],
    stopped: false,
  };

  const UNAUTHENTICATED: Partial<Record<TokenCheck, string>> = {
    missing: 'Credential was not sent or was of an unsupported type for this API.',
    invalid: 'Invalid access token.',
    revoked: 'Invalid access token.',
    expired: 'Token expired. Please obtain a new token.',
  };

  /** POST /oidc/v1/token: the client-credentials grant as Databricks answers it (token_type Bearer, scope all-apis). */
  function issueToken(request: JsonRequest, response: http.ServerResponse): void {
    const { status, body } = tokens.grant(request);
    sendJson(response, status, status === 200 ? { ...body, token_type: 'Bearer', scope: body.scope ?? 'all-apis' } : body);
  }

  /** Answers an injected failure for this request, if one is due. */
  function injectedFailure(request: JsonRequest, response: http.ServerResponse): boolean {
    const failure = failures.take(request.path);
    if (failure?.status === 429) {
      sendDatabricksError(
        response,
        429,
        'REQUEST_LIMIT_EXCEEDED',
        'Too many requests. Please wait a moment and try again.',
        failure.headers,
      );
    } else if (failure) {
      const message = 'The service is temporarily unavailable. Please try again later.';
      sendDatabricksError(response, 503, 'TEMPORARILY_UNAVAILABLE', message, failure.headers);
    }
    return !!failure;
  }

  async function handle(request: JsonRequest, response: http.ServerResponse): Promise<void> {
    const isTokenRoute = request.path === '/oidc/v1/token';
    const check = isTokenRoute ? 'missing' : tokens.check(request.headers);
    const auth = check === 'static' ? 'pat' : check === 'oauth' ? 'oauth' : check === 'missing' ? 'none' : 'rejected';
    requests.push({ method: request.method, path: request.path, query: Object.fromEntries(request.query), at: new Date(), auth });
    if (injectedFailure(request, response)) return;
    if (isTokenRoute) {
      if (request.method === 'POST') return issueToken(request, response);
      return sendJson(response, 405, { error: 'invalid_request', error_description: 'Use POST' });
    }
    const refusal = UNAUTHENTICATED[check];
    if (refusal) return sendDatabricksError(response, 401, 'UNAUTHENTICATED', refusal);
    if (handleUnityCatalog(request, response, catalog)) return;
    const answered = handleWarehouseSide(request, response, side);
    if (answered instanceof Promise) return answered;
    if (!answered) sendDatabricksError(response, 404, 'ENDPOINT_NOT_FOUND', `No API found for '${request.method} ${request.path}'`);
  }

  const server = await startJsonServer('databricks', handle, { tls: true });
  return {
    url: server.url,
    port: server.port,
    ca: server.ca!,
    pat: tokens.staticToken,
    clientId: tokens.clientId,
    clientSecret: tokens.clientSecret,
    requests,
    submittedStatements: side.submitted,
    cancelledStatementIds: side.cancelledIds,
    requestCount: (pathPrefix = '') => requests.filter((request) => request.path.startsWith(pathPrefix)).length,
    oauthTokensIssued: () => tokens.issued(),
    setWarehouseState(id, state) {
      const warehouse = side.warehouses.get(id);
      if (!warehouse) throw new Error(`no warehouse ${id} in the test workspace`);
      warehouse.state = state;
    },
    failNextRequests(count, failure) {
      failures.add(count, { ...failure, pathPrefix: failure.pathPrefix ?? '/api/' });
    },
    makeNextStatementSlow(ms = Infinity) {
      side.nextSlowMs = ms;
    },
    setPaging(paging) {
      Object.assign(catalog.paging, paging);
    },
    allowCatalog(name) {
      catalog.deniedCatalogs.delete(name);
    },
    denyCatalog(name) {
      catalog.deniedCatalogs.add(name);
    },
    revokeToken: (token) => tokens.revoke(token),
    expireOAuthTokens: () => tokens.expireAll(),
    async stop() {
      side.stopped = true;
      await server.stop();
    },
  };
}
