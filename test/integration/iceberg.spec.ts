/**
 * The iceberg type and the catalogs capability over HTTP, driving the real service against the
 * test Iceberg REST catalog (test/support/iceberg-rest-catalog.ts) on both metadata drivers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIcebergRestCatalog, type IcebergRestCatalog } from '../support/iceberg-rest-catalog';
import { DRIVERS, expectOk, expectProblem, startTestApp, type TestApp } from '../support/test-app';

const ALL_NAMESPACES = ['accounting', 'accounting.tax', 'accounting.tax.paid', 'empty', 'marketing', 'sales', 'staging'];

for (const driver of DRIVERS) {
  describe(`iceberg REST catalogs over HTTP (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let catalog: IcebergRestCatalog;
    const base = '/api/v1/projects/default/connections';
    const create = async (name: string, body: Record<string, unknown>) =>
      expectOk(await t.call('POST', base, { token, body: { name, ...body } }), 201);
    const get = (url: string) => t.call('GET', `${base}/${url}`, { token });
    const post = (url: string, body: Record<string, unknown> = {}) => t.call('POST', `${base}/${url}`, { token, body });
    /** Every secret the catalog knows; none may reach a reply. */
    const secretsOf = (server: IcebergRestCatalog) => [server.token, server.clientSecret];
    const assertNoSecret = (server: IcebergRestCatalog, reply: { text: string }) => {
      for (const secret of secretsOf(server)) assert.ok(!reply.text.includes(secret), `a secret leaked: ${reply.text}`);
    };

    before(async () => {
      catalog = await startIcebergRestCatalog();
      // Two catalogs in one app: discover's caps are lowered so the second one's cut shows.
      t = await startTestApp(driver, { discoverLimits: { catalogs: 1_000, schemas: 3 } });
      token = (await t.login()).accessToken;
      await create('lake', {
        type: 'iceberg',
        config: { uri: catalog.url, warehouse: 'analytics' },
        secrets: { token: catalog.token, tlsCa: catalog.ca },
      });
      // Never reached: what a type without catalogs answers is decided before connecting.
      await create('pg', {
        type: 'postgres',
        config: { host: '127.0.0.1', port: 5432, database: 'postgres', username: 'postgres', sslMode: 'disable' },
        secrets: { password: 'unused' },
      });
    });
    after(async () => {
      await t?.close();
      await catalog?.stop();
    });

    it('is a type with catalogs, schemas, tables and columns, and takes an SSH tunnel', async () => {
      const types = expectOk(await t.call('GET', '/api/v1/connection-types', { token }));
      const iceberg = types.data.find((type: { type: string }) => type.type === 'iceberg');
      assert.deepEqual(iceberg.capabilities, ['test', 'catalogs', 'schemas', 'tables', 'columns']);
      assert.deepEqual(
        iceberg.secretFields.map((field: { name: string }) => field.name),
        ['token', 'clientSecret', 'tlsCa', 'sshPassword', 'sshPrivateKey', 'sshPassphrase'],
      );
    });

    it('tests in stages dns, tcp, tls, auth, with the prefix /v1/config gave; a secret never in the reply', async () => {
      const reply = await post('lake/test');
      const result = expectOk(reply);
      assert.equal(result.success, true, reply.text);
      assert.deepEqual(
        result.stages.map((stage: { name: string; ok: boolean }) => [stage.name, stage.ok]),
        [
          ['dns', true],
          ['tcp', true],
          ['tls', true],
          ['auth', true],
        ],
      );
      assert.deepEqual(result.details, { catalog: 'analytics', prefix: 'analytics-prefix' });
      assertNoSecret(catalog, reply);
      assert.ok(catalog.requests.some((request) => request.path === '/v1/config' && request.query.warehouse === 'analytics'));

      const wrong = await post('test', {
        type: 'iceberg',
        config: { uri: catalog.url },
        secrets: { token: 'wrong-token-1234', tlsCa: catalog.ca },
      });
      const failed = expectOk(wrong);
      assert.equal(failed.success, false);
      assert.equal(failed.error.code, 'AUTH_FAILED');
      assert.ok(!wrong.text.includes('wrong-token-1234'), wrong.text);

      const unknown = expectOk(
        await post('test', {
          type: 'iceberg',
          config: { uri: catalog.url, warehouse: 'nope' },
          secrets: { token: catalog.token, tlsCa: catalog.ca },
        }),
      );
      assert.equal(unknown.error.code, 'NOT_FOUND');
    });

    it('without tlsCa the self-signed catalog is TLS_ERROR, in the test and on every route', async () => {
      const reply = await post('test', { type: 'iceberg', config: { uri: catalog.url }, secrets: { token: catalog.token } });
      const result = expectOk(reply);
      assert.equal(result.success, false);
      assert.equal(result.error.code, 'TLS_ERROR');
      assert.deepEqual(
        result.stages.map((stage: { name: string }) => stage.name),
        ['dns', 'tcp', 'tls'],
      );
      assertNoSecret(catalog, reply);

      await create('no-ca', { type: 'iceberg', config: { uri: catalog.url }, secrets: { token: catalog.token } });
      const schemas = await get('no-ca/schemas');
      expectProblem(schemas, 502, 'TARGET_UNAVAILABLE');
      assert.equal(schemas.body.targetCode, 'TLS_ERROR');
      assertNoSecret(catalog, schemas);
    });

    it('catalogs: the warehouse, searched and paged; types without catalogs answer 422', async () => {
      assert.deepEqual(expectOk(await get('lake/catalogs')), { data: [{ name: 'analytics' }], meta: { total: 1, page: 1, perPage: 20 } });
      assert.deepEqual(expectOk(await get('lake/catalogs?search=LYT')).data, [{ name: 'analytics' }]);
      assert.deepEqual(expectOk(await get('lake/catalogs?search=zzz')), { data: [], meta: { total: 0, page: 1, perPage: 20 } });
      assert.deepEqual(expectOk(await get('lake/catalogs?page=2&perPage=1')), { data: [], meta: { total: 1, page: 2, perPage: 1 } });
      expectProblem(await get('lake/catalogs?perPage=0'), 400, 'VALIDATION_FAILED');

      await create('open', { type: 'iceberg', config: { uri: catalog.url }, secrets: { token: catalog.token, tlsCa: catalog.ca } });
      assert.deepEqual(expectOk(await get('open/catalogs')).data, [{ name: 'default' }]);

      expectProblem(await get('pg/catalogs'), 422, 'UNSUPPORTED_OPERATION');
      expectProblem(await post('pg/discover'), 422, 'UNSUPPORTED_OPERATION');
      expectProblem(await get('pg/schemas?catalog=main'), 422, 'UNSUPPORTED_OPERATION');
      expectProblem(await get('pg/tables?catalog=main'), 422, 'UNSUPPORTED_OPERATION');
      expectProblem(await get('nope/catalogs'), 404, 'NOT_FOUND');
    });

    it('schemas are the namespaces, nested ones joined with ".", every page followed, empty pages included', async () => {
      catalog.setPaging({ pageSize: 2, emptyPages: true });
      const before = catalog.requestCount('/v1/analytics-prefix/namespaces');
      try {
        const schemas = expectOk(await get('lake/schemas'));
        assert.deepEqual(
          schemas.data.map((schema: { name: string }) => schema.name),
          ALL_NAMESPACES,
        );
        const pagedRequests = catalog.requests.filter(
          (request) => request.path === '/v1/analytics-prefix/namespaces' && request.query.pageToken,
        );
        assert.ok(pagedRequests.length > 0, 'no page after the first was asked for');
        assert.ok(catalog.requestCount('/v1/analytics-prefix/namespaces') - before >= 8);
      } finally {
        catalog.setPaging({ pageSize: 2, emptyPages: false });
      }
      assert.deepEqual(expectOk(await get('lake/schemas?catalog=analytics')).data.length, ALL_NAMESPACES.length);
      expectProblem(await get('lake/schemas?catalog=lab'), 404, 'NOT_FOUND');
    });

    it('tables of a namespace, searched and paged with the total; columns of the current schema', async () => {
      const page1 = expectOk(await get('lake/tables?schema=sales&perPage=2'));
      assert.deepEqual(page1, {
        data: [
          { name: 'customers', schema: 'sales', type: 'TABLE' },
          { name: 'orders', schema: 'sales', type: 'TABLE' },
        ],
        meta: { total: 3, page: 1, perPage: 2 },
      });
      assert.deepEqual(expectOk(await get('lake/tables?schema=sales&perPage=2&page=2')).data, [
        { name: 'refunds', schema: 'sales', type: 'TABLE' },
      ]);
      assert.deepEqual(expectOk(await get('lake/tables?catalog=analytics&schema=sales&search=ORD')).data, [
        { name: 'orders', schema: 'sales', type: 'TABLE' },
      ]);
      assert.deepEqual(expectOk(await get('lake/tables?schema=empty')), { data: [], meta: { total: 0, page: 1, perPage: 20 } });
      expectProblem(await get('lake/tables?schema=nope'), 404, 'NOT_FOUND');
      expectProblem(await get('lake/tables?catalog=other&schema=sales'), 404, 'NOT_FOUND');

      const columns = expectOk(await get('lake/columns?schema=accounting.tax&table=returns'));
      assert.deepEqual(columns.data, [
        { name: 'id', type: 'long', nullable: false, default: null, primaryKey: true, position: 1 },
        { name: 'year', type: 'int', nullable: false, default: null, primaryKey: false, position: 2 },
        { name: 'amount', type: 'decimal(10,2)', nullable: true, default: null, primaryKey: false, position: 3 },
        { name: 'filed_at', type: 'timestamptz', nullable: true, default: null, primaryKey: false, position: 4 },
        { name: 'address', type: 'struct<street: string, zip: string>', nullable: true, default: null, primaryKey: false, position: 5 },
        { name: 'lines', type: 'list<struct<sku: string, qty: int>>', nullable: true, default: null, primaryKey: false, position: 6 },
        { name: 'attributes', type: 'map<string, string>', nullable: true, default: null, primaryKey: false, position: 7 },
      ]);
      expectProblem(await get('lake/columns?schema=sales&table=missing'), 404, 'NOT_FOUND');
      expectProblem(await get('lake/columns?schema=nope&table=orders'), 404, 'NOT_FOUND');
      expectProblem(await get('lake/columns?catalog=other&schema=sales&table=orders'), 404, 'NOT_FOUND');
      expectProblem(await get('lake/columns?table=orders'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('lake/preview?schema=sales&table=orders'), 422, 'UNSUPPORTED_OPERATION');
      expectProblem(await post('lake/query', { sql: 'SELECT 1' }), 422, 'UNSUPPORTED_OPERATION');
    });

    it("views are tables of type VIEW beside the TABLEs, their columns from the current version's schema", async () => {
      assert.deepEqual(expectOk(await get('lake/tables?schema=accounting.tax')).data, [
        { name: 'returns', schema: 'accounting.tax', type: 'TABLE' },
        { name: 'returns_by_year', schema: 'accounting.tax', type: 'VIEW' },
      ]);
      assert.deepEqual(expectOk(await get('lake/tables?schema=marketing')).data, [
        { name: 'active_customers', schema: 'marketing', type: 'VIEW' },
      ]);
      assert.deepEqual(expectOk(await get('lake/tables?schema=accounting.tax&search=BY_')).data, [
        { name: 'returns_by_year', schema: 'accounting.tax', type: 'VIEW' },
      ]);
      const everywhere = expectOk(await get('lake/tables?perPage=100'));
      assert.equal(everywhere.meta.total, 7);
      assert.deepEqual(
        everywhere.data.filter((table: { type: string }) => table.type === 'VIEW').map((table: { name: string }) => table.name),
        ['returns_by_year', 'active_customers'],
      );
      // Version 1 is current (the view was rolled back from version 2): its schema 0 has two columns.
      assert.deepEqual(expectOk(await get('lake/columns?schema=accounting.tax&table=returns_by_year')).data, [
        { name: 'year', type: 'int', nullable: false, default: null, primaryKey: false, position: 1 },
        { name: 'total', type: 'decimal(20,2)', nullable: true, default: null, primaryKey: false, position: 2 },
      ]);
      assert.equal(expectOk(await get('lake/columns?schema=marketing&table=active_customers')).data.length, 3);
      expectProblem(await get('lake/columns?schema=marketing&table=nope'), 404, 'NOT_FOUND');
      expectProblem(await get('lake/preview?schema=marketing&table=active_customers'), 422, 'UNSUPPORTED_OPERATION');
    });

    for (const support of [{ legacy: 400 }, { legacy: 404 }, { legacy: 501 }, 'unadvertised'] as const) {
      it(`a catalog without views (${JSON.stringify(support)}) still lists its tables, and a missing table stays 404`, async () => {
        const old = await startIcebergRestCatalog({ tls: false });
        try {
          old.setViewSupport(support);
          const name = `old-${typeof support === 'string' ? support : support.legacy}`;
          await create(name, { type: 'iceberg', config: { uri: old.url }, secrets: { token: old.token } });
          assert.deepEqual(expectOk(await get(`${name}/tables?schema=accounting.tax`)).data, [
            { name: 'returns', schema: 'accounting.tax', type: 'TABLE' },
          ]);
          assert.deepEqual(expectOk(await get(`${name}/tables?schema=marketing`)).data, []);
          assert.equal(expectOk(await get(`${name}/tables`)).meta.total, 5);
          expectProblem(await get(`${name}/columns?schema=marketing&table=active_customers`), 404, 'NOT_FOUND');
          expectOk(await get(`${name}/columns?schema=sales&table=orders`));
          const viewRequests = old.requests.filter((request) => request.path.includes('/views')).length;
          // A catalog whose endpoints leave views out is never asked for them; one that says nothing is.
          if (support === 'unadvertised') assert.equal(viewRequests, 0);
          else assert.ok(viewRequests > 0);
        } finally {
          await old.stop();
        }
      });
    }

    it('discover: the warehouse with its namespaces, truncated at the cap, audited; an unknown catalog is 404', async () => {
      const lake = expectOk(await get('lake'));
      const open = expectOk(await get('open'));
      assert.deepEqual(expectOk(await post('lake/discover')), {
        connectionId: lake.id,
        catalogs: [{ name: 'analytics', schemas: ALL_NAMESPACES.slice(0, 3) }],
        truncated: true,
      });
      assert.deepEqual(expectOk(await post('open/discover', { catalog: 'default' })), {
        connectionId: open.id,
        catalogs: [{ name: 'default', schemas: ALL_NAMESPACES.slice(0, 3) }],
        truncated: true,
      });
      expectProblem(await post('lake/discover', { catalog: 'nope' }), 404, 'NOT_FOUND');
      expectProblem(await post('lake/discover', { catalog: '' }), 400, 'VALIDATION_FAILED');

      const events = expectOk(
        await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.discover&perPage=100', { token }),
      );
      const outcomes = events.data.map((event: { target: { name: string }; outcome: string; details: Record<string, unknown> }) => [
        event.target.name,
        event.outcome,
        event.details.catalog,
      ]);
      assert.deepEqual(outcomes.sort(), [
        ['lake', 'failure', 'nope'],
        ['lake', 'success', null],
        ['open', 'success', 'default'],
        // Asked of a type without catalogs: refused, and on the record like any refused discover.
        ['pg', 'failure', null],
      ]);
    });

    it('waits out 503 SlowDown with Retry-After within the deadline; a 403 namespace is PERMISSION_DENIED', async () => {
      catalog.failNextRequests(1, { retryAfterSeconds: 1 });
      assert.equal(expectOk(await get('lake/tables?schema=sales')).meta.total, 3);
      catalog.failNextRequests(1, { retryAfterSeconds: 60 });
      const slow = await get('lake/tables?schema=sales');
      expectProblem(slow, 502, 'TARGET_UNAVAILABLE');

      const denied = await startIcebergRestCatalog({ tls: false });
      try {
        denied.denyNamespace(['sales']);
        await create('denied', { type: 'iceberg', config: { uri: denied.url }, secrets: { token: denied.token } });
        const forbidden = await get('denied/tables?schema=sales');
        expectProblem(forbidden, 502, 'TARGET_UNAVAILABLE');
        assert.equal(forbidden.body.targetCode, 'PERMISSION_DENIED');
        assertNoSecret(denied, forbidden);
      } finally {
        await denied.stop();
      }
    });

    it('429 and 503 answers: waited out per Retry-After, then RATE_LIMITED (429, Retry-After) or TARGET_UNAVAILABLE', async () => {
      const busy = await startIcebergRestCatalog({ tls: false });
      try {
        await create('busy', { type: 'iceberg', config: { uri: busy.url, warehouse: 'analytics' }, secrets: { token: busy.token } });
        const asked = () => busy.requestCount('/v1/');

        busy.failNextRequests(2, { status: 429, retryAfterSeconds: 1 });
        let before = asked();
        const started = Date.now();
        assert.equal(expectOk(await get('busy/tables?schema=sales')).meta.total, 3);
        assert.ok(Date.now() - started >= 1_900, 'each Retry-After was waited out');
        assert.ok(asked() - before >= 4, 'both 429s were asked again');

        // Four in a row: the first and three retries, then the catalog's refusal is the API's.
        busy.failNextRequests(4, { status: 429, retryAfterSeconds: 0 });
        before = asked();
        const limited = await get('busy/tables?schema=sales');
        expectProblem(limited, 429, 'RATE_LIMITED');
        assert.equal(limited.headers.get('retry-after'), '1');
        assert.equal(asked() - before, 4);
        assertNoSecret(busy, limited);

        busy.failNextRequests(1, { status: 429, retryAfterSeconds: 120 });
        const tooLong = await get('busy/schemas');
        expectProblem(tooLong, 429, 'RATE_LIMITED');
        assert.equal(tooLong.headers.get('retry-after'), '120', 'a wait beyond the deadline is passed on, not waited');

        busy.failNextRequests(4, { status: 503, retryAfterSeconds: 0 });
        before = asked();
        const unavailable = await get('busy/catalogs');
        expectProblem(unavailable, 502, 'TARGET_UNAVAILABLE');
        assert.equal(asked() - before, 4);
        assertNoSecret(busy, unavailable);
        assert.deepEqual(expectOk(await get('busy/catalogs')).data, [{ name: 'analytics' }]);
      } finally {
        await busy.stop();
      }
    });

    it('OAuth client credentials: a token fetched once and reused, fetched again when it expires; the secret never shown', async () => {
      const oauth = await startIcebergRestCatalog({ tls: false });
      try {
        const created = await create('oauth', {
          type: 'iceberg',
          config: { uri: oauth.url, warehouse: 'analytics', clientId: oauth.clientId },
          secrets: { clientSecret: oauth.clientSecret },
        });
        assert.ok(!JSON.stringify(created).includes(oauth.clientSecret));
        assert.equal(expectOk(await post('oauth/test')).success, true);
        assert.deepEqual(expectOk(await get('oauth/catalogs')).data, [{ name: 'analytics' }]);
        assert.equal(expectOk(await get('oauth/tables?schema=sales')).meta.total, 3);
        assert.equal(oauth.oauthTokensIssued(), 1);
        assert.ok(oauth.requests.every((request) => request.auth !== 'token'));

        oauth.expireOAuthTokens();
        assert.equal(expectOk(await get('oauth/tables?schema=sales')).meta.total, 3);
        assert.equal(oauth.oauthTokensIssued(), 2);
        assert.equal(expectOk(await get('oauth/schemas')).data.length, ALL_NAMESPACES.length);
        assert.equal(oauth.oauthTokensIssued(), 2);

        const refused = await post('test', {
          type: 'iceberg',
          config: { uri: oauth.url, clientId: oauth.clientId },
          secrets: { clientSecret: 'not-the-secret-5678' },
        });
        const result = expectOk(refused);
        assert.equal(result.error.code, 'AUTH_FAILED');
        assert.ok(!refused.text.includes('not-the-secret-5678'));
      } finally {
        await oauth.stop();
      }
      const missing = await t.call('POST', base, {
        token,
        body: { name: 'oauth-without-secret', type: 'iceberg', config: { uri: 'https://catalog.example.com', clientId: 'me' } },
      });
      expectProblem(missing, 400, 'VALIDATION_FAILED');
    });

    it('a token that expires within its lifetime is replaced before it runs out', async () => {
      const shortLived = await startIcebergRestCatalog({ tls: false, oauthTokenLifetimeSeconds: 2 });
      try {
        await create('short', {
          type: 'iceberg',
          config: { uri: shortLived.url, clientId: shortLived.clientId },
          secrets: { clientSecret: shortLived.clientSecret },
        });
        expectOk(await get('short/catalogs'));
        expectOk(await get('short/catalogs'));
        assert.equal(shortLived.oauthTokensIssued(), 1);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expectOk(await get('short/catalogs'));
        assert.equal(shortLived.oauthTokensIssued(), 2);
        assert.ok(!shortLived.requests.some((request) => request.auth === 'rejected'), 'an expired token was sent');
      } finally {
        await shortLived.stop();
      }
    });

    it('scopes: catalogs and discover need connections:test, like tables', async () => {
      const key = async (scopes: string[]) =>
        expectOk(
          await t.call('POST', '/api/v1/projects/default/api-keys', { token, body: { name: `ice-${scopes.join('-')}`, scopes } }),
          201,
        ).key as string;
      const readOnly = await key(['connections:read']);
      const tester = await key(['connections:read', 'connections:test']);
      expectProblem(await t.call('GET', `${base}/lake/catalogs`, { token: readOnly }), 403, 'FORBIDDEN');
      expectProblem(await t.call('POST', `${base}/lake/discover`, { token: readOnly, body: {} }), 403, 'FORBIDDEN');
      expectOk(await t.call('GET', `${base}/lake/catalogs`, { token: tester }));
      expectOk(await t.call('POST', `${base}/lake/discover`, { token: tester, body: {} }));
    });
  });
}
