/**
 * Proves the test Databricks workspace (test/support/databricks-workspace.ts) speaks the REST APIs
 * as documented, beyond the happy path, driving it with plain undici over TLS: the connector tests
 * of issue 17 rely on every behaviour checked here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { startDatabricksWorkspace, type DatabricksWorkspace } from '../support/databricks-workspace';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

function client(workspace: DatabricksWorkspace) {
  const dispatcher = new Agent({ connect: { ca: workspace.ca } });
  const call = async (
    path: string,
    init: { method?: string; token?: string | null; json?: unknown; form?: string; basic?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    const token = init.token === undefined ? workspace.pat : init.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.basic) headers.authorization = `Basic ${Buffer.from(init.basic).toString('base64')}`;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    if (init.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${workspace.url}${path}`, {
      method: init.method ?? (init.json !== undefined || init.form !== undefined ? 'POST' : 'GET'),
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.form,
      dispatcher,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers as unknown as Headers,
      body: text ? JSON.parse(text) : undefined,
    } as Answer;
  };
  return { call, close: () => dispatcher.close() };
}

/** Follows next_page_token to the end; returns the names and the pages seen. */
async function listAll(call: ReturnType<typeof client>['call'], path: string, key: string): Promise<{ names: string[]; pages: number[] }> {
  const names: string[] = [];
  const pages: number[] = [];
  let token: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const answer = await call(`${path}${separator}max_results=0${token ? `&page_token=${encodeURIComponent(token)}` : ''}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    pages.push(answer.body[key].length);
    names.push(...answer.body[key].map((item: { name: string }) => item.name));
    token = answer.body.next_page_token;
  } while (token);
  return { names, pages };
}

const STATEMENT = { warehouse_id: 'wh-running', wait_timeout: '0s', disposition: 'INLINE', format: 'JSON_ARRAY' };

describe('test Databricks workspace', () => {
  let workspace: DatabricksWorkspace;
  let api: ReturnType<typeof client>;
  before(async () => {
    workspace = await startDatabricksWorkspace();
    api = client(workspace);
  });
  after(async () => {
    await api?.close();
    await workspace?.stop();
  });

  it('serves HTTPS with a self-signed certificate that only its CA makes trusted', async () => {
    await assert.rejects(fetch(`${workspace.url}/api/2.1/unity-catalog/catalogs`), (error: Error) => {
      assert.match(String((error.cause as Error)?.message ?? error.message), /self-signed|self signed/i);
      return true;
    });
    assert.equal((await api.call('/api/2.1/unity-catalog/catalogs')).status, 200);
    assert.match(workspace.ca, /^-----BEGIN CERTIFICATE-----/);
  });

  it('refuses requests without a valid token with 401 UNAUTHENTICATED, and a revoked PAT too', async () => {
    const missing = await api.call('/api/2.1/unity-catalog/catalogs', { token: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error_code, 'UNAUTHENTICATED');
    assert.equal(typeof missing.body.message, 'string');
    const wrong = await api.call('/api/2.1/unity-catalog/catalogs', { token: 'dapi-not-a-token' });
    assert.deepEqual([wrong.status, wrong.body.error_code], [401, 'UNAUTHENTICATED']);

    const other = await startDatabricksWorkspace();
    const otherApi = client(other);
    try {
      assert.equal((await otherApi.call('/api/2.1/unity-catalog/catalogs')).status, 200);
      other.revokeToken(other.pat);
      const revoked = await otherApi.call('/api/2.1/unity-catalog/catalogs');
      assert.deepEqual([revoked.status, revoked.body.error_code], [401, 'UNAUTHENTICATED']);
      assert.deepEqual(
        other.requests.map((request) => request.auth),
        ['pat', 'rejected'],
      );
    } finally {
      await otherApi.close();
      await other.stop();
    }
  });

  it('issues OAuth M2M tokens by client credentials (Basic or form), refuses bad clients, and expires them', async () => {
    const basic = await api.call('/oidc/v1/token', {
      token: null,
      basic: `${workspace.clientId}:${workspace.clientSecret}`,
      form: 'grant_type=client_credentials&scope=all-apis',
    });
    assert.equal(basic.status, 200);
    assert.deepEqual([basic.body.token_type, basic.body.expires_in, basic.body.scope], ['Bearer', 3600, 'all-apis']);
    const form = await api.call('/oidc/v1/token', {
      token: null,
      form: `grant_type=client_credentials&client_id=${workspace.clientId}&client_secret=${workspace.clientSecret}`,
    });
    assert.equal(form.status, 200);
    assert.notEqual(form.body.access_token, basic.body.access_token);

    const badSecret = await api.call('/oidc/v1/token', {
      token: null,
      basic: `${workspace.clientId}:nope`,
      form: 'grant_type=client_credentials',
    });
    assert.deepEqual([badSecret.status, badSecret.body.error], [401, 'invalid_client']);
    const badGrant = await api.call('/oidc/v1/token', {
      token: null,
      basic: `${workspace.clientId}:${workspace.clientSecret}`,
      form: 'grant_type=password',
    });
    assert.deepEqual([badGrant.status, badGrant.body.error], [400, 'unsupported_grant_type']);

    assert.equal((await api.call('/api/2.1/unity-catalog/catalogs', { token: basic.body.access_token })).status, 200);
    workspace.expireOAuthTokens();
    const expired = await api.call('/api/2.1/unity-catalog/catalogs', { token: basic.body.access_token });
    assert.deepEqual([expired.status, expired.body.error_code], [401, 'UNAUTHENTICATED']);
    const renewed = await api.call('/oidc/v1/token', {
      token: null,
      basic: `${workspace.clientId}:${workspace.clientSecret}`,
      form: 'grant_type=client_credentials',
    });
    assert.equal((await api.call('/api/2.1/unity-catalog/catalogs', { token: renewed.body.access_token })).status, 200);
    assert.equal(workspace.oauthTokensIssued(), 3);
  });

  it('lets OAuth tokens run out after expires_in seconds', async () => {
    const shortLived = await startDatabricksWorkspace({ oauthTokenLifetimeSeconds: 1 });
    const shortApi = client(shortLived);
    try {
      const issued = await shortApi.call('/oidc/v1/token', {
        token: null,
        basic: `${shortLived.clientId}:${shortLived.clientSecret}`,
        form: 'grant_type=client_credentials',
      });
      assert.equal(issued.body.expires_in, 1);
      assert.equal((await shortApi.call('/api/2.0/sql/warehouses/wh-running', { token: issued.body.access_token })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await shortApi.call('/api/2.0/sql/warehouses/wh-running', { token: issued.body.access_token })).status, 401);
    } finally {
      await shortApi.close();
      await shortLived.stop();
    }
  });

  it('lists catalogs in one answer without max_results, and page by page with next_page_token', async () => {
    const unpaged = await api.call('/api/2.1/unity-catalog/catalogs');
    assert.deepEqual(
      unpaged.body.catalogs.map((catalog: { name: string }) => catalog.name),
      ['main', 'samples', 'empty_catalog'],
    );
    assert.equal(unpaged.body.next_page_token, undefined);
    assert.equal(unpaged.body.catalogs[0].catalog_type, 'MANAGED_CATALOG');

    assert.deepEqual(await listAll(api.call, '/api/2.1/unity-catalog/catalogs', 'catalogs'), {
      names: ['main', 'samples', 'empty_catalog'],
      pages: [2, 1],
    });
    const one = await api.call('/api/2.1/unity-catalog/catalogs?max_results=1');
    assert.equal(one.body.catalogs.length, 1);
    assert.equal(typeof one.body.next_page_token, 'string');

    const badToken = await api.call('/api/2.1/unity-catalog/catalogs?max_results=0&page_token=garbage');
    assert.deepEqual([badToken.status, badToken.body.error_code], [400, 'INVALID_PARAMETER_VALUE']);
  });

  it('serves empty pages that still carry a token when told to, so only the token ends a list', async () => {
    workspace.setPaging({ emptyPages: true });
    try {
      const first = await api.call('/api/2.1/unity-catalog/catalogs?max_results=0');
      assert.deepEqual(first.body.catalogs, []);
      assert.equal(typeof first.body.next_page_token, 'string');
      assert.deepEqual(await listAll(api.call, '/api/2.1/unity-catalog/catalogs', 'catalogs'), {
        names: ['main', 'samples', 'empty_catalog'],
        pages: [0, 2, 0, 1],
      });
      assert.deepEqual(await listAll(api.call, '/api/2.1/unity-catalog/schemas?catalog_name=empty_catalog', 'schemas'), {
        names: [],
        pages: [0],
      });
    } finally {
      workspace.setPaging({ emptyPages: false });
    }
  });

  it('lists schemas of a catalog; an unknown catalog is 404 and a catalog without USE CATALOG 403', async () => {
    const schemas = await listAll(api.call, '/api/2.1/unity-catalog/schemas?catalog_name=main', 'schemas');
    assert.deepEqual(schemas.names, ['default', 'sales', 'staging']);
    const unknown = await api.call('/api/2.1/unity-catalog/schemas?catalog_name=nope');
    assert.deepEqual([unknown.status, unknown.body.error_code], [404, 'NOT_FOUND']);
    assert.match(unknown.body.message, /Catalog 'nope' does not exist/);
    const missing = await api.call('/api/2.1/unity-catalog/schemas');
    assert.deepEqual([missing.status, missing.body.error_code], [400, 'INVALID_PARAMETER_VALUE']);

    const other = await startDatabricksWorkspace();
    const otherApi = client(other);
    try {
      other.denyCatalog('samples');
      const denied = await otherApi.call('/api/2.1/unity-catalog/schemas?catalog_name=samples');
      assert.deepEqual([denied.status, denied.body.error_code], [403, 'PERMISSION_DENIED']);
      const deniedTables = await otherApi.call('/api/2.1/unity-catalog/tables?catalog_name=samples&schema_name=nyctaxi');
      assert.equal(deniedTables.status, 403);
    } finally {
      await otherApi.close();
      await other.stop();
    }
  });

  it('lists tables with their type and columns (type_text, type_name, nullable, position) and gets one by full name', async () => {
    const listed = await api.call('/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=default');
    assert.deepEqual(
      listed.body.tables.map((table: { name: string; table_type: string }) => [table.name, table.table_type]),
      [
        ['orders', 'MANAGED'],
        ['customers', 'EXTERNAL'],
        ['big_orders', 'VIEW'],
      ],
    );
    const orders = listed.body.tables[0];
    assert.equal(orders.full_name, 'main.default.orders');
    assert.deepEqual(orders.columns[0], {
      name: 'id',
      type_text: 'bigint',
      type_name: 'LONG',
      type_json: '{"name":"id","type":"bigint","nullable":false,"metadata":{}}',
      position: 0,
      nullable: false,
    });
    assert.deepEqual(
      orders.columns.map((column: { type_name: string }) => column.type_name),
      ['LONG', 'STRING', 'DECIMAL', 'TIMESTAMP', 'ARRAY'],
    );
    const paged = await listAll(api.call, '/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=default', 'tables');
    assert.deepEqual(paged, { names: ['orders', 'customers', 'big_orders'], pages: [2, 1] });
    const omitted = await api.call('/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=default&omit_columns=true');
    assert.equal(omitted.body.tables[0].columns, undefined);

    const one = await api.call('/api/2.1/unity-catalog/tables/main.default.customers');
    assert.deepEqual([one.status, one.body.table_type, one.body.columns.length], [200, 'EXTERNAL', 2]);
    const unknown = await api.call('/api/2.1/unity-catalog/tables/main.default.nope');
    assert.deepEqual([unknown.status, unknown.body.error_code], [404, 'NOT_FOUND']);
    const unknownSchema = await api.call('/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=nope');
    assert.equal(unknownSchema.status, 404);
  });

  it('reports warehouses RUNNING, STOPPED and STARTING, as a test sets them; an unknown one is 404', async () => {
    const states = [];
    for (const id of ['wh-running', 'wh-stopped', 'wh-starting']) states.push((await api.call(`/api/2.0/sql/warehouses/${id}`)).body.state);
    assert.deepEqual(states, ['RUNNING', 'STOPPED', 'STARTING']);
    const running = await api.call('/api/2.0/sql/warehouses/wh-running');
    assert.deepEqual(running.body.odbc_params.path, '/sql/1.0/warehouses/wh-running');
    const unknown = await api.call('/api/2.0/sql/warehouses/nope');
    assert.deepEqual([unknown.status, unknown.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST']);
  });

  it('runs a statement PENDING -> RUNNING -> SUCCEEDED with a JSON_ARRAY result of strings and nulls', async () => {
    const submitted = await api.call('/api/2.0/sql/statements', {
      json: { ...STATEMENT, statement: 'SELECT `id`, `customer`, `amount` FROM `main`.`default`.`orders`' },
    });
    assert.equal(submitted.status, 200);
    assert.equal(submitted.body.status.state, 'PENDING');
    const id = submitted.body.statement_id;
    assert.equal((await api.call(`/api/2.0/sql/statements/${id}`)).body.status.state, 'RUNNING');
    const done = await api.call(`/api/2.0/sql/statements/${id}`);
    assert.equal(done.body.status.state, 'SUCCEEDED');
    assert.deepEqual(done.body.manifest.schema, {
      column_count: 3,
      columns: [
        { name: 'id', type_text: 'BIGINT', type_name: 'LONG', position: 0 },
        { name: 'customer', type_text: 'STRING', type_name: 'STRING', position: 1 },
        { name: 'amount', type_text: 'DECIMAL(10,2)', type_name: 'DECIMAL', position: 2 },
      ],
    });
    assert.equal(done.body.manifest.truncated, false);
    assert.deepEqual(done.body.result.data_array, [
      ['1', 'Ada', '12.50'],
      ['2', 'Grace', '7.00'],
      ['3', null, null],
    ]);
    assert.equal((await api.call(`/api/2.0/sql/statements/${id}`)).body.status.state, 'SUCCEEDED');
  });

  it('honours row_limit with manifest.truncated, LIMIT, default catalog and schema, and waits with wait_timeout', async () => {
    const limited = await api.call('/api/2.0/sql/statements', {
      json: { ...STATEMENT, wait_timeout: '10s', row_limit: 2, statement: 'SELECT * FROM `main`.`default`.`orders`' },
    });
    assert.equal(limited.body.status.state, 'SUCCEEDED');
    assert.deepEqual(
      [limited.body.result.row_count, limited.body.manifest.truncated, limited.body.manifest.schema.column_count],
      [2, true, 5],
    );
    const sqlLimit = await api.call('/api/2.0/sql/statements', {
      json: {
        ...STATEMENT,
        wait_timeout: '5s',
        row_limit: 5,
        catalog: 'main',
        schema: 'default',
        statement: 'select customer from orders limit 1;',
      },
    });
    assert.deepEqual(sqlLimit.body.result.data_array, [['Ada']]);
    assert.equal(sqlLimit.body.manifest.truncated, false);
    const none = await api.call('/api/2.0/sql/statements', {
      json: { ...STATEMENT, wait_timeout: '5s', statement: 'SELECT `id` FROM `main`.`default`.`orders` LIMIT 0' },
    });
    assert.deepEqual([none.body.status.state, none.body.result.row_count, none.body.result.data_array], ['SUCCEEDED', 0, undefined]);
    assert.equal(workspace.submittedStatements.find((statement) => statement.statementId === limited.body.statement_id)?.rowLimit, 2);
  });

  it('fails statements it cannot run the way a warehouse does: FAILED with error and sql_state', async () => {
    const cases: [string, RegExp, string][] = [
      ['SELECT `id` FROM `main`.`default`.`nope`', /^\[TABLE_OR_VIEW_NOT_FOUND\]/, '42P01'],
      ['SELECT `nope` FROM `main`.`default`.`orders`', /^\[UNRESOLVED_COLUMN/, '42703'],
      ['SELECT FROM', /^\[PARSE_SYNTAX_ERROR\]/, '42601'],
      ['DELETE FROM `main`.`default`.`orders`', /^\[UNSUPPORTED_FEATURE\]/, '0A000'],
      ['SELECT `id` FROM `main`.`default`.`orders` WHERE `id` = 1', /^\[UNSUPPORTED_FEATURE\]/, '0A000'],
    ];
    for (const [statement, message, sqlState] of cases) {
      const answer = await api.call('/api/2.0/sql/statements', { json: { ...STATEMENT, wait_timeout: '5s', statement } });
      assert.equal(answer.status, 200, statement);
      assert.equal(answer.body.status.state, 'FAILED', statement);
      assert.equal(answer.body.status.error.error_code, 'BAD_REQUEST', statement);
      assert.match(answer.body.status.error.message, message, statement);
      assert.equal(answer.body.status.sql_state, sqlState, statement);
      assert.equal(answer.body.result, undefined);
    }
  });

  it('keeps a slow statement RUNNING until it is cancelled, then answers CANCELED', async () => {
    workspace.makeNextStatementSlow();
    const submitted = await api.call('/api/2.0/sql/statements', {
      json: { ...STATEMENT, statement: 'SELECT * FROM `samples`.`nyctaxi`.`trips`' },
    });
    const id = submitted.body.statement_id;
    assert.equal(submitted.body.status.state, 'PENDING');
    for (let look = 0; look < 4; look += 1) assert.equal((await api.call(`/api/2.0/sql/statements/${id}`)).body.status.state, 'RUNNING');
    const cancel = await api.call(`/api/2.0/sql/statements/${id}/cancel`, { method: 'POST' });
    assert.deepEqual([cancel.status, cancel.body], [200, {}]);
    assert.equal((await api.call(`/api/2.0/sql/statements/${id}`)).body.status.state, 'CANCELED');
    assert.deepEqual(workspace.cancelledStatementIds, [id]);
    const unknown = await api.call('/api/2.0/sql/statements/nope/cancel', { method: 'POST' });
    assert.deepEqual([unknown.status, unknown.body.error_code], [404, 'NOT_FOUND']);
  });

  it('waits wait_timeout for a slow statement, and cancels it there with on_wait_timeout=CANCEL', async () => {
    workspace.makeNextStatementSlow(300);
    const started = Date.now();
    const slowButDone = await api.call('/api/2.0/sql/statements', {
      json: { ...STATEMENT, wait_timeout: '5s', statement: 'SELECT * FROM `main`.`default`.`customers`' },
    });
    assert.equal(slowButDone.body.status.state, 'SUCCEEDED');
    assert.ok(Date.now() - started >= 250, 'the call waited for the slow statement');

    workspace.makeNextStatementSlow();
    const cancelled = await api.call('/api/2.0/sql/statements', {
      json: { ...STATEMENT, wait_timeout: '5s', on_wait_timeout: 'CANCEL', statement: 'SELECT * FROM `main`.`default`.`customers`' },
    });
    assert.equal(cancelled.body.status.state, 'CANCELED');
    assert.ok(workspace.cancelledStatementIds.includes(cancelled.body.statement_id));
  });

  it('keeps a statement PENDING on a STOPPED warehouse (which it starts) until the warehouse runs', async () => {
    const submitted = await api.call('/api/2.0/sql/statements', {
      json: { ...STATEMENT, warehouse_id: 'wh-stopped', statement: 'SELECT * FROM `main`.`default`.`customers`' },
    });
    const id = submitted.body.statement_id;
    assert.equal(submitted.body.status.state, 'PENDING');
    assert.equal((await api.call('/api/2.0/sql/warehouses/wh-stopped')).body.state, 'STARTING');
    assert.equal((await api.call(`/api/2.0/sql/statements/${id}`)).body.status.state, 'PENDING');
    assert.equal((await api.call(`/api/2.0/sql/statements/${id}`)).body.status.state, 'PENDING');
    workspace.setWarehouseState('wh-stopped', 'RUNNING');
    const states = [];
    for (let look = 0; look < 3; look += 1) states.push((await api.call(`/api/2.0/sql/statements/${id}`)).body.status.state);
    assert.deepEqual(states, ['PENDING', 'RUNNING', 'SUCCEEDED']);
    workspace.setWarehouseState('wh-stopped', 'STOPPED');
  });

  it('rejects malformed statement requests with 400 INVALID_PARAMETER_VALUE, an unknown warehouse with 404', async () => {
    const cases = [
      { ...STATEMENT, statement: 'SELECT * FROM `main`.`default`.`orders`', wait_timeout: '3s' },
      { ...STATEMENT, statement: 'SELECT * FROM `main`.`default`.`orders`', disposition: 'EXTERNAL_LINKS' },
      { ...STATEMENT, statement: 'SELECT * FROM `main`.`default`.`orders`', format: 'ARROW_STREAM' },
      { ...STATEMENT, statement: 'SELECT * FROM `main`.`default`.`orders`', row_limit: -1 },
      { ...STATEMENT, statement: '' },
    ];
    for (const body of cases) {
      const answer = await api.call('/api/2.0/sql/statements', { json: body });
      assert.deepEqual([answer.status, answer.body.error_code], [400, 'INVALID_PARAMETER_VALUE'], JSON.stringify(body));
    }
    const unknown = await api.call('/api/2.0/sql/statements', { json: { ...STATEMENT, warehouse_id: 'nope', statement: 'SELECT 1' } });
    assert.deepEqual([unknown.status, unknown.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST']);
  });

  it('answers injected 429 REQUEST_LIMIT_EXCEEDED and 503 TEMPORARILY_UNAVAILABLE with Retry-After, then recovers', async () => {
    const before = workspace.requestCount('/api/2.1/unity-catalog/');
    workspace.failNextRequests(2, { status: 429, retryAfterSeconds: 3 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const limited = await api.call('/api/2.1/unity-catalog/catalogs');
      assert.deepEqual([limited.status, limited.body.error_code, limited.headers.get('retry-after')], [429, 'REQUEST_LIMIT_EXCEEDED', '3']);
    }
    assert.equal((await api.call('/api/2.1/unity-catalog/catalogs')).status, 200);
    workspace.failNextRequests(1, { status: 503, pathPrefix: '/api/2.0/sql/' });
    assert.equal((await api.call('/api/2.1/unity-catalog/catalogs')).status, 200);
    const unavailable = await api.call('/api/2.0/sql/warehouses/wh-running');
    assert.deepEqual(
      [unavailable.status, unavailable.body.error_code, unavailable.headers.get('retry-after')],
      [503, 'TEMPORARILY_UNAVAILABLE', null],
    );
    assert.equal((await api.call('/api/2.0/sql/warehouses/wh-running')).status, 200);
    assert.equal(workspace.requestCount('/api/2.1/unity-catalog/') - before, 4);
  });
});
