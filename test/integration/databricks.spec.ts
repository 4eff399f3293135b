/**
 * The databricks type over HTTP, driving the real service against the test Databricks workspace
 * (test/support/databricks-workspace.ts) on both metadata drivers: PAT and OAuth M2M, warehouse
 * states, Unity Catalog paging, previews and queries through the Statement Execution API, the
 * errors every type maps, TLS, and an SSH tunnel to the workspace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CATALOGS, startDatabricksWorkspace, type DatabricksWorkspace, type UcCatalog } from '../support/databricks-workspace';
import { startServers, stopServers, type Servers } from '../support/servers';
import { DRIVERS, expectOk, expectProblem, startTestApp, type TestApp } from '../support/test-app';

const LONG_TEXT = 'x'.repeat(5_000);

/** The default catalogs and one more whose table has a cell longer than any text cell may be. */
const CATALOGS: UcCatalog[] = [
  ...DEFAULT_CATALOGS,
  {
    name: 'lab',
    schemas: [
      {
        name: 'wide',
        tables: [
          {
            name: 'notes',
            tableType: 'MANAGED',
            columns: [
              { name: 'n', typeText: 'int', typeName: 'INT', nullable: false },
              { name: 'ratio', typeText: 'double', typeName: 'DOUBLE' },
              { name: 'ok', typeText: 'boolean', typeName: 'BOOLEAN' },
              { name: 'body', typeText: 'string', typeName: 'STRING' },
            ],
            rows: [['7', '0.25', 'true', LONG_TEXT]],
          },
        ],
      },
    ],
  },
];

const stagesOf = (result: Record<string, any>): string[] =>
  (result.stages as { name: string; ok: boolean }[]).map((stage) => `${stage.name}:${stage.ok}`);

for (const driver of DRIVERS) {
  describe(`databricks over HTTP (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let workspace: DatabricksWorkspace;
    const base = '/api/v1/projects/default/connections';
    const create = async (name: string, body: Record<string, unknown>) =>
      expectOk(await t.call('POST', base, { token, body: { name, ...body } }), 201);
    const get = (url: string) => t.call('GET', `${base}/${url}`, { token });
    const post = (url: string, body: Record<string, unknown> = {}) => t.call('POST', `${base}/${url}`, { token, body });
    const config = (extra: Record<string, unknown> = {}) => ({ host: workspace.url, warehouseId: 'wh-running', catalog: 'main', ...extra });
    const patSecrets = () => ({ token: workspace.pat, tlsCa: workspace.ca });
    const assertNoSecret = (reply: { text: string }) => {
      for (const secret of [workspace.pat, workspace.clientSecret])
        assert.ok(!reply.text.includes(secret), `a secret leaked: ${reply.text}`);
    };

    before(async () => {
      workspace = await startDatabricksWorkspace({ catalogs: CATALOGS });
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
      await create('lake', { type: 'databricks', config: config({ schema: 'default' }), secrets: patSecrets() });
      await create('sql', { type: 'databricks', config: config({ schema: 'default', readOnlyByGrants: true }), secrets: patSecrets() });
    });
    after(async () => {
      await t?.close();
      await workspace?.stop();
    });

    it('is a type with catalogs, previews and queries; secrets masked; a URI form', async () => {
      const types = expectOk(await t.call('GET', '/api/v1/connection-types', { token }));
      const databricks = types.data.find((type: { type: string }) => type.type === 'databricks');
      assert.deepEqual(databricks.capabilities, ['test', 'catalogs', 'schemas', 'tables', 'columns', 'preview', 'query']);
      assert.deepEqual(
        databricks.secretFields.map((field: { name: string }) => field.name),
        ['token', 'clientSecret', 'tlsCa', 'sshPassword', 'sshPrivateKey', 'sshPassphrase'],
      );
      const lake = expectOk(await get('lake'));
      assert.equal(lake.config.authType, 'pat');
      assert.equal(lake.config.readOnlyByGrants, false);
      assert.equal(
        lake.uri,
        `databricks://token:********@${new URL(workspace.url).host}?http_path=/sql/1.0/warehouses/wh-running&catalog=main&schema=default`,
      );
      assertNoSecret({ text: JSON.stringify(lake) });

      const byUri = await create('by-uri', {
        uri: `databricks://token:${workspace.pat}@${new URL(workspace.url).host}?http_path=/sql/1.0/warehouses/wh-running&catalog=samples`,
        secrets: { tlsCa: workspace.ca },
      });
      assert.deepEqual(byUri.config, {
        host: workspace.url,
        warehouseId: 'wh-running',
        catalog: 'samples',
        authType: 'pat',
        readOnlyByGrants: false,
      });
      assert.deepEqual(expectOk(await get('by-uri/schemas')).data, [{ name: 'nyctaxi' }]);

      const http = await t.call('POST', base, {
        token,
        body: { name: 'plain', type: 'databricks', config: { host: 'http://dbc.example.com', warehouseId: 'w' }, secrets: { token: 't' } },
      });
      expectProblem(http, 400, 'VALIDATION_FAILED');
      const noClient = await t.call('POST', base, {
        token,
        body: {
          name: 'm2m',
          type: 'databricks',
          config: { host: 'https://dbc.example.com', warehouseId: 'w', authType: 'oauth-m2m' },
          secrets: { clientSecret: 's' },
        },
      });
      expectProblem(noClient, 400, 'VALIDATION_FAILED');
      const noToken = await t.call('POST', base, {
        token,
        body: { name: 'no-token', type: 'databricks', config: { host: 'https://dbc.example.com', warehouseId: 'w' } },
      });
      expectProblem(noToken, 400, 'VALIDATION_FAILED');
    });

    it('tests dns -> tcp -> tls -> auth -> warehouse; a stopped or starting warehouse is a success that says so', async () => {
      const reply = await post('lake/test');
      const result = expectOk(reply);
      assert.equal(result.success, true, reply.text);
      assert.deepEqual(stagesOf(result), ['dns:true', 'tcp:true', 'tls:true', 'auth:true', 'warehouse:true']);
      assert.match(result.message, /is RUNNING\.$/);
      assert.deepEqual(result.details, { warehouseState: 'RUNNING' });
      assertNoSecret(reply);

      for (const [warehouseId, state] of [
        ['wh-stopped', 'STOPPED'],
        ['wh-starting', 'STARTING'],
      ]) {
        const draft = expectOk(await post('test', { type: 'databricks', config: config({ warehouseId }), secrets: patSecrets() }));
        assert.equal(draft.success, true, JSON.stringify(draft));
        assert.match(draft.message, new RegExp(`is ${state}; it starts on the first statement`));
        assert.equal(draft.details.warehouseState, state);
      }
      const missing = expectOk(
        await post('test', { type: 'databricks', config: config({ warehouseId: 'wh-nope' }), secrets: patSecrets() }),
      );
      assert.equal(missing.error.code, 'NOT_FOUND');
      assert.deepEqual(stagesOf(missing), ['dns:true', 'tcp:true', 'tls:true', 'auth:true', 'warehouse:false']);

      const wrong = await post('test', {
        type: 'databricks',
        config: config(),
        secrets: { token: 'dapi-wrong-token-1234', tlsCa: workspace.ca },
      });
      const failed = expectOk(wrong);
      assert.equal(failed.error.code, 'AUTH_FAILED');
      assert.deepEqual(stagesOf(failed), ['dns:true', 'tcp:true', 'tls:true', 'auth:false']);
      assert.ok(!wrong.text.includes('dapi-wrong-token-1234'), wrong.text);
    });

    it('without tlsCa the self-signed workspace is TLS_ERROR, in the test and on every route', async () => {
      const reply = await post('test', { type: 'databricks', config: config(), secrets: { token: workspace.pat } });
      const result = expectOk(reply);
      assert.equal(result.error.code, 'TLS_ERROR');
      assert.deepEqual(stagesOf(result), ['dns:true', 'tcp:true', 'tls:false']);
      assertNoSecret(reply);
      await create('no-ca', { type: 'databricks', config: config(), secrets: { token: workspace.pat } });
      const catalogs = await get('no-ca/catalogs');
      expectProblem(catalogs, 502, 'TARGET_UNAVAILABLE');
      assert.equal(catalogs.body.targetCode, 'TLS_ERROR');
      assertNoSecret(catalogs);
    });

    it('catalogs, schemas and tables follow every page to the end, empty pages included', async () => {
      workspace.setPaging({ pageSize: 1, emptyPages: true });
      try {
        const before = workspace.requestCount('/api/2.1/unity-catalog/');
        assert.deepEqual(expectOk(await get('lake/catalogs')), {
          data: [
            { name: 'main', type: 'MANAGED_CATALOG', comment: 'Main catalog' },
            { name: 'samples', type: 'MANAGED_CATALOG', comment: 'Sample data' },
            { name: 'empty_catalog', type: 'MANAGED_CATALOG' },
            { name: 'lab', type: 'MANAGED_CATALOG' },
          ],
          meta: { total: 4, page: 1, perPage: 20 },
        });
        assert.deepEqual(
          expectOk(await get('lake/catalogs?search=SAM')).data.map((c: { name: string }) => c.name),
          ['samples'],
        );
        assert.deepEqual(expectOk(await get('lake/schemas')).data, [{ name: 'default' }, { name: 'sales' }, { name: 'staging' }]);
        assert.deepEqual(expectOk(await get('lake/schemas?catalog=empty_catalog')).data, []);
        const pages = workspace.requests.filter(
          (request) => request.path.startsWith('/api/2.1/unity-catalog/') && request.query.page_token,
        );
        assert.ok(pages.length >= 6, `only ${pages.length} follow-up pages were asked for`);
        assert.ok(workspace.requestCount('/api/2.1/unity-catalog/') - before >= 10);
        assert.deepEqual(expectOk(await get('lake/tables')), {
          data: [
            { name: 'big_orders', schema: 'default', type: 'VIEW' },
            { name: 'customers', schema: 'default', type: 'EXTERNAL' },
            { name: 'orders', schema: 'default', type: 'TABLE' },
          ],
          meta: { total: 3, page: 1, perPage: 20 },
        });
      } finally {
        workspace.setPaging({ pageSize: 2, emptyPages: false });
      }
      assert.deepEqual(expectOk(await get('lake/tables?schema=default&search=ORD&perPage=1&page=2')), {
        data: [{ name: 'orders', schema: 'default', type: 'TABLE' }],
        meta: { total: 2, page: 2, perPage: 1 },
      });
      assert.deepEqual(expectOk(await get('lake/tables?catalog=samples&schema=nyctaxi')).data, [
        { name: 'trips', schema: 'nyctaxi', type: 'TABLE' },
      ]);
      // A connection with no default schema lists the tables of every schema of its catalog.
      await create('all-schemas', { type: 'databricks', config: config({ catalog: 'samples' }), secrets: patSecrets() });
      assert.equal(expectOk(await get('all-schemas/tables')).meta.total, 1);
      expectProblem(await get('lake/schemas?catalog=nope'), 404, 'NOT_FOUND');
      expectProblem(await get('lake/tables?schema=nope'), 404, 'NOT_FOUND');
      expectProblem(await get('lake/tables?catalog=nope&schema=default'), 404, 'NOT_FOUND');
    });

    it('columns with type, nullability and position; an unknown table is 404', async () => {
      assert.deepEqual(expectOk(await get('lake/columns?table=orders')).data, [
        { name: 'id', type: 'bigint', nullable: false, default: null, primaryKey: false, position: 1 },
        { name: 'customer', type: 'string', nullable: true, default: null, primaryKey: false, position: 2 },
        { name: 'amount', type: 'decimal(10,2)', nullable: true, default: null, primaryKey: false, position: 3 },
        { name: 'placed_at', type: 'timestamp', nullable: true, default: null, primaryKey: false, position: 4 },
        { name: 'tags', type: 'array<string>', nullable: true, default: null, primaryKey: false, position: 5 },
      ]);
      assert.equal(expectOk(await get('lake/columns?catalog=samples&schema=nyctaxi&table=trips')).data.length, 2);
      const missing = await get('lake/columns?table=missing');
      expectProblem(missing, 404, 'NOT_FOUND');
      assert.match(missing.body.detail, /Table "main\.default\.missing" not found/);
      expectProblem(await get('lake/columns?schema=nope&table=orders'), 404, 'NOT_FOUND');
      await create('no-defaults', {
        type: 'databricks',
        config: { host: workspace.url, warehouseId: 'wh-running' },
        secrets: patSecrets(),
      });
      expectProblem(await get('no-defaults/schemas'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('no-defaults/columns?catalog=main&table=orders'), 400, 'VALIDATION_FAILED');
    });

    it('previews through the Statement Execution API: quoted names, row_limit, typed cells, text cut, audited', async () => {
      const started = Date.now();
      const preview = expectOk(await get('lake/preview?table=orders&limit=2'));
      const tookMs = Date.now() - started;
      assert.deepEqual(preview, {
        columns: [
          { name: 'id', type: 'BIGINT' },
          { name: 'customer', type: 'STRING' },
          { name: 'amount', type: 'DECIMAL(10,2)' },
          { name: 'placed_at', type: 'TIMESTAMP' },
          { name: 'tags', type: 'ARRAY<STRING>' },
        ],
        rows: [
          ['1', 'Ada', '12.50', '2026-01-02T03:04:05.000Z', '["new"]'],
          ['2', 'Grace', '7.00', '2026-01-03T10:00:00.000Z', '[]'],
        ],
        truncated: true,
        limit: 2,
      });
      const submitted = workspace.submittedStatements.at(-1)!;
      assert.equal(submitted.statement, 'SELECT * FROM `main`.`default`.`orders` LIMIT 3');
      assert.equal(submitted.rowLimit, 3);
      assert.equal(submitted.warehouseId, 'wh-running');
      console.log(`databricks preview of 2 rows took ${tookMs} ms (${driver})`);

      const all = expectOk(await get('lake/preview?table=orders'));
      assert.equal(all.truncated, false);
      assert.deepEqual(all.rows[2], ['3', null, null, '2026-01-04T12:30:00.000Z', null]);

      const wide = expectOk(await get('lake/preview?catalog=lab&schema=wide&table=notes'));
      const [n, ratio, ok, body] = wide.rows[0];
      assert.deepEqual([n, ratio, ok], [7, 0.25, true]);
      assert.equal(body, `${'x'.repeat(4_096)}…[truncated; 5000 characters]`);

      const missing = await get('lake/preview?table=nope');
      expectProblem(missing, 404, 'NOT_FOUND');
      assert.match(missing.body.detail, /Table "main\.default\.nope" not found/);
      const quoted = await get(`lake/preview?table=${encodeURIComponent('or`ders')}`);
      expectProblem(quoted, 404, 'NOT_FOUND');
      assert.equal(workspace.submittedStatements.at(-1)!.statement, 'SELECT * FROM `main`.`default`.`or``ders` LIMIT 101');

      const events = expectOk(
        await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.preview&perPage=100', { token }),
      );
      assert.ok(
        events.data.some(
          (event: { target: { name: string }; outcome: string }) => event.target.name === 'lake' && event.outcome === 'success',
        ),
      );
    });

    it('query: refused without readOnlyByGrants; with it one statement, row_limit, and a cancel at the deadline', async () => {
      const refused = await post('lake/query', { sql: 'SELECT * FROM orders' });
      expectProblem(refused, 422, 'UNSUPPORTED_OPERATION');
      assert.match(refused.body.detail, /readOnlyByGrants/);
      assert.match(refused.body.detail, /Unity Catalog grants are the only guard/);

      const result = expectOk(await post('sql/query', { sql: 'SELECT id, customer FROM orders;', limit: 1 }));
      assert.deepEqual(result.columns, [
        { name: 'id', type: 'BIGINT' },
        { name: 'customer', type: 'STRING' },
      ]);
      assert.deepEqual(result.rows, [['1', 'Ada']]);
      assert.equal(result.truncated, true);
      assert.equal(result.stats.rowCount, 1);
      const submitted = workspace.submittedStatements.at(-1)!;
      assert.deepEqual([submitted.catalog, submitted.schema, submitted.rowLimit], ['main', 'default', 2]);

      expectProblem(await post('sql/query', { sql: 'SELECT 1 FROM orders; DROP TABLE orders' }), 422, 'UNPROCESSABLE');
      // A ';' inside a quoted name is not a second statement: the warehouse gets it, and finds no such table.
      const quotedSemicolon = await post('sql/query', { sql: 'SELECT * FROM `a;b`' });
      expectProblem(quotedSemicolon, 422, 'QUERY_FAILED');
      assert.match(quotedSemicolon.body.detail, /TABLE_OR_VIEW_NOT_FOUND/);
      const failed = await post('sql/query', { sql: 'SELECT nope FROM orders' });
      expectProblem(failed, 422, 'QUERY_FAILED');
      assert.match(failed.body.detail, /UNRESOLVED_COLUMN/);

      workspace.makeNextStatementSlow();
      const started = Date.now();
      const slow = await post('sql/query', { sql: 'SELECT * FROM orders', timeoutMs: 1_500 });
      expectProblem(slow, 504, 'TARGET_TIMEOUT');
      assert.ok(Date.now() - started < 4_500, `took ${Date.now() - started} ms`);
      const slowId = workspace.submittedStatements.at(-1)!.statementId;
      assert.ok(workspace.cancelledStatementIds.includes(slowId), 'the statement was not cancelled');
      assert.equal(workspace.submittedStatements.at(-1)!.waitTimeout, '0s');

      const events = expectOk(await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.query&perPage=100', { token }));
      const outcomes = events.data.map((event: { target: { name: string }; outcome: string }) => `${event.target.name}:${event.outcome}`);
      assert.ok(outcomes.includes('lake:failure') && outcomes.includes('sql:success'), outcomes.join());
    });

    it('scopes: catalogs need connections:test, preview and query data:read, as for every type', async () => {
      const key = async (scopes: string[]) =>
        expectOk(
          await t.call('POST', '/api/v1/projects/default/api-keys', { token, body: { name: `db-${scopes.join('-')}`, scopes } }),
          201,
        ).key as string;
      const tester = await key(['connections:read', 'connections:test']);
      const reader = await key(['connections:read', 'data:read']);
      expectOk(await t.call('GET', `${base}/lake/catalogs`, { token: tester }));
      expectProblem(await t.call('GET', `${base}/lake/preview?table=orders`, { token: tester }), 403, 'FORBIDDEN');
      expectProblem(await t.call('POST', `${base}/sql/query`, { token: tester, body: { sql: 'SELECT * FROM orders' } }), 403, 'FORBIDDEN');
      expectProblem(await t.call('GET', `${base}/lake/catalogs`, { token: reader }), 403, 'FORBIDDEN');
      expectOk(await t.call('GET', `${base}/lake/preview?table=orders`, { token: reader }));
      expectOk(await t.call('POST', `${base}/sql/query`, { token: reader, body: { sql: 'SELECT * FROM orders' } }));
    });

    it('discover: every catalog with its schemas, or the one named; audited', async () => {
      const lake = expectOk(await get('lake'));
      assert.deepEqual(expectOk(await post('lake/discover')), {
        connectionId: lake.id,
        catalogs: [
          { name: 'main', schemas: ['default', 'sales', 'staging'] },
          { name: 'samples', schemas: ['nyctaxi'] },
          { name: 'empty_catalog', schemas: [] },
          { name: 'lab', schemas: ['wide'] },
        ],
        truncated: false,
      });
      assert.deepEqual(expectOk(await post('lake/discover', { catalog: 'samples' })).catalogs, [{ name: 'samples', schemas: ['nyctaxi'] }]);
      expectProblem(await post('lake/discover', { catalog: 'nope' }), 404, 'NOT_FOUND');
      const events = expectOk(
        await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.discover&perPage=100', { token }),
      );
      assert.equal(events.data.filter((event: { target: { name: string } }) => event.target.name === 'lake').length, 3);
    });

    it('429 and 503 are waited out per Retry-After within the deadline, then RATE_LIMITED or TARGET_UNAVAILABLE', async () => {
      workspace.failNextRequests(1, { status: 429, retryAfterSeconds: 1 });
      const started = Date.now();
      assert.equal(expectOk(await get('lake/catalogs')).meta.total, 4);
      assert.ok(Date.now() - started >= 900, 'the Retry-After was not waited for');
      workspace.failNextRequests(1, { status: 503, retryAfterSeconds: 1 });
      assert.equal(expectOk(await get('lake/preview?table=orders')).rows.length, 3);

      workspace.failNextRequests(1, { status: 429, retryAfterSeconds: 60 });
      const limited = await get('lake/catalogs');
      expectProblem(limited, 429, 'RATE_LIMITED');
      assert.equal(limited.headers.get('retry-after'), '60');
      workspace.failNextRequests(1, { status: 503, retryAfterSeconds: 60 });
      expectProblem(await get('lake/catalogs'), 502, 'TARGET_UNAVAILABLE');
      workspace.failNextRequests(4, { status: 503 });
      const exhausted = await get('lake/schemas');
      expectProblem(exhausted, 502, 'TARGET_UNAVAILABLE');
      assert.match(exhausted.body.detail, /TEMPORARILY_UNAVAILABLE/);
      assert.equal(expectOk(await get('lake/schemas')).data.length, 3);
    });

    it('401, 403 and 404 as AUTH_FAILED, PERMISSION_DENIED and NOT_FOUND; a token never in an answer', async () => {
      const other = await startDatabricksWorkspace();
      try {
        await create('revoked', {
          type: 'databricks',
          config: { host: other.url, warehouseId: 'wh-running', catalog: 'main' },
          secrets: { token: other.pat, tlsCa: other.ca },
        });
        expectOk(await get('revoked/schemas'));
        other.denyCatalog('main');
        const denied = await get('revoked/tables?schema=default');
        expectProblem(denied, 502, 'TARGET_UNAVAILABLE');
        assert.equal(denied.body.targetCode, 'PERMISSION_DENIED');
        const deniedPreview = await get('revoked/preview?schema=default&table=orders');
        expectProblem(deniedPreview, 502, 'TARGET_UNAVAILABLE');
        assert.equal(deniedPreview.body.targetCode, 'PERMISSION_DENIED');
        other.revokeToken(other.pat);
        const revoked = await get('revoked/catalogs');
        expectProblem(revoked, 502, 'TARGET_UNAVAILABLE');
        assert.equal(revoked.body.targetCode, 'AUTH_FAILED');
        for (const reply of [denied, deniedPreview, revoked]) assert.ok(!reply.text.includes(other.pat), reply.text);
      } finally {
        await other.stop();
      }
      expectProblem(await get('lake/tables?catalog=nope&schema=x'), 404, 'NOT_FOUND');
      await create('no-warehouse', {
        type: 'databricks',
        config: config({ warehouseId: 'wh-gone', schema: 'default' }),
        secrets: patSecrets(),
      });
      const gone = await get('no-warehouse/preview?table=orders');
      expectProblem(gone, 404, 'NOT_FOUND');
      assert.match(gone.body.detail, /SQL warehouse "wh-gone" not found/);
    });

    it('OAuth M2M: one token for several operations, a new one when it expired; the secret never shown', async () => {
      const m2m = await startDatabricksWorkspace();
      try {
        const created = await create('m2m', {
          type: 'databricks',
          config: {
            host: m2m.url,
            warehouseId: 'wh-running',
            catalog: 'main',
            schema: 'default',
            authType: 'oauth-m2m',
            clientId: m2m.clientId,
          },
          secrets: { clientSecret: m2m.clientSecret, tlsCa: m2m.ca },
        });
        assert.ok(!JSON.stringify(created).includes(m2m.clientSecret));
        assert.equal(expectOk(await post('m2m/test')).success, true);
        assert.equal(expectOk(await get('m2m/catalogs')).meta.total, 3);
        assert.equal(expectOk(await get('m2m/tables')).meta.total, 3);
        assert.equal(expectOk(await get('m2m/preview?table=customers')).rows.length, 2);
        assert.equal(m2m.oauthTokensIssued(), 1);
        assert.ok(m2m.requests.filter((request) => request.path.startsWith('/api/')).every((request) => request.auth === 'oauth'));

        m2m.expireOAuthTokens();
        assert.equal(expectOk(await get('m2m/schemas')).data.length, 3);
        assert.equal(m2m.oauthTokensIssued(), 2);
        assert.equal(expectOk(await get('m2m/catalogs')).meta.total, 3);
        assert.equal(m2m.oauthTokensIssued(), 2);

        const refused = await post('test', {
          type: 'databricks',
          config: { host: m2m.url, warehouseId: 'wh-running', authType: 'oauth-m2m', clientId: m2m.clientId },
          secrets: { clientSecret: 'not-the-secret-5678', tlsCa: m2m.ca },
        });
        const result = expectOk(refused);
        assert.equal(result.error.code, 'AUTH_FAILED');
        assert.ok(!refused.text.includes('not-the-secret-5678'), refused.text);
      } finally {
        await m2m.stop();
      }
    });

    it('an OAuth token that expires within its lifetime is replaced before it runs out', async () => {
      const shortLived = await startDatabricksWorkspace({ oauthTokenLifetimeSeconds: 2 });
      try {
        await create('short', {
          type: 'databricks',
          config: {
            host: shortLived.url,
            warehouseId: 'wh-running',
            catalog: 'main',
            authType: 'oauth-m2m',
            clientId: shortLived.clientId,
          },
          secrets: { clientSecret: shortLived.clientSecret, tlsCa: shortLived.ca },
        });
        expectOk(await get('short/schemas'));
        expectOk(await get('short/schemas'));
        assert.equal(shortLived.oauthTokensIssued(), 1);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expectOk(await get('short/schemas'));
        assert.equal(shortLived.oauthTokensIssued(), 2);
        assert.ok(!shortLived.requests.some((request) => request.auth === 'rejected'), 'an expired token was sent');
      } finally {
        await shortLived.stop();
      }
    });

    describe('through an SSH tunnel', () => {
      let servers: Pick<Servers, 'sshd'>;
      before(async () => {
        servers = await startServers(['sshd']);
      });
      after(async () => {
        if (servers) await stopServers(servers);
      });

      it('tests dns -> tcp -> ssh -> tunnel -> tls -> auth -> warehouse, and previews through the bastion', async () => {
        const { sshd } = servers;
        const sshTunnel = { host: '127.0.0.1', port: sshd.port, username: sshd.username, hostKeyFingerprint: sshd.hostKeyFingerprint };
        await create('tunneled', {
          type: 'databricks',
          config: config({ schema: 'default', sshTunnel }),
          secrets: { ...patSecrets(), sshPassword: sshd.password },
        });
        const result = expectOk(await post('tunneled/test'));
        assert.equal(result.success, true, JSON.stringify(result));
        assert.deepEqual(stagesOf(result), ['dns:true', 'tcp:true', 'ssh:true', 'tunnel:true', 'tls:true', 'auth:true', 'warehouse:true']);
        assert.match(result.message, /through the SSH tunnel/);
        assert.equal(expectOk(await get('tunneled/preview?table=customers')).rows.length, 2);
        assert.equal(expectOk(await get('tunneled/catalogs')).meta.total, 4);
      });
    });

    it('no token or client secret reached a log line, an audit event or a reply', async () => {
      const audit = expectOk(await t.call('GET', '/api/v1/projects/default/audit-events?perPage=100', { token }));
      const json = JSON.stringify(audit);
      const connections = JSON.stringify(expectOk(await t.call('GET', `${base}?perPage=100`, { token })));
      for (const secret of [workspace.pat, workspace.clientSecret]) {
        assert.ok(!json.includes(secret), 'a secret reached the audit events');
        assert.ok(!connections.includes(secret), 'a secret reached the connection list');
        assert.ok(!t.logs.some((line) => line.includes(secret)), 'a secret reached the logs');
      }
    });
  });
}
