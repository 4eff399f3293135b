/**
 * Proves the test Iceberg REST catalog (test/support/iceberg-rest-catalog.ts) answers as the
 * Apache Iceberg REST OpenAPI spec says, beyond the happy path, over HTTPS and plain HTTP, driven
 * with plain undici: the iceberg connector tests of issue 17 rely on every behaviour checked here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { startIcebergRestCatalog, type IcebergRestCatalog } from '../support/iceberg-rest-catalog';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

function client(catalog: IcebergRestCatalog) {
  const dispatcher = new Agent({ connect: catalog.ca ? { ca: catalog.ca } : {} });
  const call = async (path: string, init: { token?: string | null; form?: string; basic?: string } = {}): Promise<Answer> => {
    const headers: Record<string, string> = {};
    const token = init.token === undefined ? catalog.token : init.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.basic) headers.authorization = `Basic ${Buffer.from(init.basic).toString('base64')}`;
    if (init.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${catalog.url}${path}`, {
      method: init.form === undefined ? 'GET' : 'POST',
      headers,
      body: init.form,
      dispatcher,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined };
  };
  return { call, close: () => dispatcher.close() };
}

/** Follows next-page-token from an empty pageToken to null; returns the items and page sizes. */
async function listAll(call: ReturnType<typeof client>['call'], path: string, key: string, pageSize?: number) {
  const items: unknown[] = [];
  const pages: number[] = [];
  let token: string | null = '';
  while (token !== null) {
    const separator = path.includes('?') ? '&' : '?';
    const answer = await call(`${path}${separator}pageToken=${encodeURIComponent(token)}${pageSize ? `&pageSize=${pageSize}` : ''}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    items.push(...answer.body[key]);
    pages.push(answer.body[key].length);
    token = answer.body['next-page-token'];
  }
  return { items, pages };
}

const P = '/v1/analytics-prefix';

function assertIcebergError(answer: Answer, code: number, type: string): void {
  assert.equal(answer.status, code, JSON.stringify(answer.body));
  assert.deepEqual(Object.keys(answer.body), ['error']);
  assert.equal(answer.body.error.code, code);
  assert.equal(answer.body.error.type, type);
  assert.equal(typeof answer.body.error.message, 'string');
}

describe('test Iceberg REST catalog', () => {
  let catalog: IcebergRestCatalog;
  let api: ReturnType<typeof client>;
  before(async () => {
    catalog = await startIcebergRestCatalog();
    api = client(catalog);
  });
  after(async () => {
    await api?.close();
    await catalog?.stop();
  });

  it('serves HTTPS with a self-signed certificate only its CA makes trusted, or plain HTTP when asked', async () => {
    assert.match(catalog.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    await assert.rejects(fetch(`${catalog.url}/v1/config`));
    assert.equal((await api.call('/v1/config')).status, 200);

    const plain = await startIcebergRestCatalog({ tls: false });
    const plainApi = client(plain);
    try {
      assert.match(plain.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(plain.ca, undefined);
      assert.equal((await plainApi.call(`${P}/namespaces`)).status, 200);
    } finally {
      await plainApi.close();
      await plain.stop();
    }
  });

  it('serves under a base path when given one, with the token and OAuth client it is told to accept', async () => {
    const credentials = { token: 'given-token', clientId: 'given-client', clientSecret: 'given-secret' };
    const other = await startIcebergRestCatalog({ tls: false, basePath: '/api/catalog', credentials });
    const otherApi = client(other);
    try {
      assert.match(other.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/catalog$/);
      assert.equal(other.token, 'given-token');
      assert.equal((await otherApi.call(`${P}/namespaces`)).status, 200);
      const granted = await otherApi.call('/v1/oauth/tokens', {
        token: null,
        form: 'grant_type=client_credentials&client_id=given-client&client_secret=given-secret&scope=PRINCIPAL_ROLE%3AALL',
      });
      assert.deepEqual([granted.status, granted.body.scope], [200, 'PRINCIPAL_ROLE:ALL']);
      assert.deepEqual(
        other.requests.map((request) => request.path),
        [`${P}/namespaces`, '/v1/oauth/tokens'],
      );
      const outside = await fetch(`${other.url.replace('/api/catalog', '')}/v1/config`, {
        headers: { authorization: 'Bearer given-token' },
      });
      assert.equal(outside.status, 404);
      assert.equal(other.requests.length, 2, "a request outside the base path is not the catalog's");
    } finally {
      await otherApi.close();
      await other.stop();
    }
  });

  it('answers /v1/config with the warehouse prefix as an override; an unknown warehouse is 404', async () => {
    const byDefault = await api.call('/v1/config');
    assert.deepEqual(byDefault.body.overrides, { warehouse: 'analytics', prefix: 'analytics-prefix' });
    assert.equal(typeof byDefault.body.defaults, 'object');
    assert.ok(byDefault.body.endpoints.includes('GET /v1/{prefix}/namespaces/{namespace}/tables/{table}'));
    assert.equal((await api.call('/v1/config?warehouse=lab')).body.overrides.prefix, 'lab-prefix');
    assertIcebergError(await api.call('/v1/config?warehouse=nope'), 404, 'NoSuchWarehouseException');
  });

  it('needs a bearer token: 401 NotAuthorizedException without one, a wrong one or a revoked one', async () => {
    assertIcebergError(await api.call('/v1/config', { token: null }), 401, 'NotAuthorizedException');
    assertIcebergError(await api.call(`${P}/namespaces`, { token: 'wrong' }), 401, 'NotAuthorizedException');
    const other = await startIcebergRestCatalog({ tls: false });
    const otherApi = client(other);
    try {
      other.revokeToken(other.token);
      assertIcebergError(await otherApi.call('/v1/config'), 401, 'NotAuthorizedException');
    } finally {
      await otherApi.close();
      await other.stop();
    }
  });

  it('issues OAuth2 client-credentials tokens at /v1/oauth/tokens, refuses bad clients, and lets tokens expire', async () => {
    const basic = await api.call('/v1/oauth/tokens', {
      token: null,
      basic: `${catalog.clientId}:${catalog.clientSecret}`,
      form: 'grant_type=client_credentials&scope=catalog',
    });
    assert.equal(basic.status, 200);
    assert.deepEqual(
      [basic.body.token_type, basic.body.expires_in, basic.body.issued_token_type],
      ['bearer', 3600, 'urn:ietf:params:oauth:token-type:access_token'],
    );
    const form = await api.call('/v1/oauth/tokens', {
      token: null,
      form: `grant_type=client_credentials&client_id=${catalog.clientId}&client_secret=${catalog.clientSecret}&scope=catalog`,
    });
    assert.equal(form.status, 200);
    const bad = await api.call('/v1/oauth/tokens', {
      token: null,
      form: `grant_type=client_credentials&client_id=${catalog.clientId}&client_secret=nope`,
    });
    assert.deepEqual([bad.status, bad.body.error], [401, 'invalid_client']);

    assert.equal((await api.call(`${P}/namespaces`, { token: basic.body.access_token })).status, 200);
    catalog.expireOAuthTokens();
    assertIcebergError(await api.call(`${P}/namespaces`, { token: basic.body.access_token }), 401, 'NotAuthorizedException');
    assert.equal(catalog.oauthTokensIssued(), 2);

    const strict = await startIcebergRestCatalog({ tls: false, expiredTokenStatus: 419 });
    const strictApi = client(strict);
    try {
      const issued = await strictApi.call('/v1/oauth/tokens', {
        token: null,
        basic: `${strict.clientId}:${strict.clientSecret}`,
        form: 'grant_type=client_credentials',
      });
      strict.expireOAuthTokens();
      assertIcebergError(await strictApi.call('/v1/config', { token: issued.body.access_token }), 419, 'AuthenticationTimeoutException');
    } finally {
      await strictApi.close();
      await strict.stop();
    }
  });

  it('lists top-level namespaces in one answer without pageToken, and page by page with it', async () => {
    const all = await api.call(`${P}/namespaces`);
    assert.deepEqual(all.body, {
      namespaces: [['accounting'], ['empty'], ['marketing'], ['sales'], ['staging']],
      'next-page-token': null,
    });
    const paged = await listAll(api.call, `${P}/namespaces`, 'namespaces');
    assert.deepEqual(paged, { items: all.body.namespaces, pages: [2, 2, 1] });
    assert.deepEqual((await listAll(api.call, `${P}/namespaces`, 'namespaces', 1)).pages, [1, 1, 1, 1, 1]);
    assertIcebergError(await api.call(`${P}/namespaces?pageToken=garbage`), 400, 'BadRequestException');
    assertIcebergError(await api.call(`${P}/namespaces?pageToken=&pageSize=0`), 400, 'BadRequestException');
  });

  it('serves empty pages that still carry a token when told to', async () => {
    catalog.setPaging({ emptyPages: true });
    try {
      const first = await api.call(`${P}/namespaces?pageToken=`);
      assert.deepEqual(first.body.namespaces, []);
      assert.equal(typeof first.body['next-page-token'], 'string');
      const paged = await listAll(api.call, `${P}/namespaces`, 'namespaces');
      assert.deepEqual(paged.pages, [0, 2, 0, 2, 0, 1]);
      assert.equal(paged.items.length, 5);
    } finally {
      catalog.setPaging({ emptyPages: false });
    }
  });

  it('lists nested namespaces under a parent joined with 0x1F, and 404s an unknown parent', async () => {
    assert.deepEqual((await api.call(`${P}/namespaces?parent=accounting`)).body.namespaces, [['accounting', 'tax']]);
    assert.deepEqual((await api.call(`${P}/namespaces?parent=accounting%1Ftax`)).body.namespaces, [['accounting', 'tax', 'paid']]);
    assert.deepEqual((await api.call(`${P}/namespaces?parent=accounting%1Ftax%1Fpaid`)).body.namespaces, []);
    assertIcebergError(await api.call(`${P}/namespaces?parent=nope`), 404, 'NoSuchNamespaceException');
    assertIcebergError(await api.call(`${P}/namespaces?parent=tax`), 404, 'NoSuchNamespaceException');
  });

  it('loads a namespace by its path form, nested ones included', async () => {
    assert.deepEqual((await api.call(`${P}/namespaces/sales`)).body, {
      namespace: ['sales'],
      properties: { owner: 'sales-team', location: 's3://sb-warehouse/sales' },
    });
    assert.deepEqual((await api.call(`${P}/namespaces/accounting%1Ftax`)).body.namespace, ['accounting', 'tax']);
    assertIcebergError(await api.call(`${P}/namespaces/accounting%1Fnope`), 404, 'NoSuchNamespaceException');
    assertIcebergError(await api.call('/v1/unknown-prefix/namespaces'), 400, 'BadRequestException');
  });

  it('lists table identifiers, paged, and 404s the tables of an unknown namespace', async () => {
    const all = await api.call(`${P}/namespaces/sales/tables`);
    assert.deepEqual(all.body, {
      identifiers: [
        { namespace: ['sales'], name: 'customers' },
        { namespace: ['sales'], name: 'orders' },
        { namespace: ['sales'], name: 'refunds' },
      ],
      'next-page-token': null,
    });
    assert.deepEqual((await listAll(api.call, `${P}/namespaces/sales/tables`, 'identifiers')).pages, [2, 1]);
    assert.deepEqual((await api.call(`${P}/namespaces/accounting%1Ftax/tables`)).body.identifiers, [
      { namespace: ['accounting', 'tax'], name: 'returns' },
    ]);
    assert.deepEqual((await api.call(`${P}/namespaces/empty/tables`)).body.identifiers, []);
    assertIcebergError(await api.call(`${P}/namespaces/nope/tables`), 404, 'NoSuchNamespaceException');
  });

  it('loads a table: format-version 2 metadata whose current schema has nested struct, list and map fields', async () => {
    const loaded = await api.call(`${P}/namespaces/accounting%1Ftax/tables/returns`);
    assert.equal(loaded.status, 200);
    const metadata = loaded.body.metadata;
    assert.equal(metadata['format-version'], 2);
    assert.match(metadata['table-uuid'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(loaded.body['metadata-location'], /\/metadata\/00001-.*\.metadata\.json$/);
    assert.equal(metadata['current-schema-id'], 1);
    assert.equal(metadata['last-column-id'], 15);
    assert.deepEqual(
      metadata.schemas.map((schema: { 'schema-id': number; type: string }) => [schema['schema-id'], schema.type]),
      [
        [0, 'struct'],
        [1, 'struct'],
      ],
    );
    const current = metadata.schemas.find((schema: { 'schema-id': number }) => schema['schema-id'] === metadata['current-schema-id']);
    assert.deepEqual(current.fields[0], { id: 1, name: 'id', required: true, type: 'long', doc: 'Return id' });
    const byName = Object.fromEntries(current.fields.map((field: { name: string; type: unknown }) => [field.name, field.type]));
    assert.equal(byName.amount, 'decimal(10,2)');
    assert.equal((byName.address as { type: string }).type, 'struct');
    assert.deepEqual(byName.lines, {
      type: 'list',
      'element-id': 10,
      'element-required': true,
      element: {
        type: 'struct',
        fields: [
          { id: 11, name: 'sku', required: true, type: 'string' },
          { id: 12, name: 'qty', required: false, type: 'int' },
        ],
      },
    });
    assert.deepEqual(byName.attributes, {
      type: 'map',
      'key-id': 14,
      key: 'string',
      'value-id': 15,
      value: 'string',
      'value-required': false,
    });
    assert.deepEqual((await api.call(`${P}/namespaces/accounting%1Ftax/tables/returns`)).body, loaded.body);
  });

  it('answers an unknown table NoSuchTableException and an unknown namespace NoSuchNamespaceException', async () => {
    assertIcebergError(await api.call(`${P}/namespaces/sales/tables/nope`), 404, 'NoSuchTableException');
    assertIcebergError(await api.call(`${P}/namespaces/nope/tables/orders`), 404, 'NoSuchNamespaceException');
  });

  it('lists views as identifiers, paged, and loads a view: format-version 1 metadata whose current version names its schema', async () => {
    const all = await api.call(`${P}/namespaces/accounting%1Ftax/views`);
    assert.deepEqual(all.body, { identifiers: [{ namespace: ['accounting', 'tax'], name: 'returns_by_year' }], 'next-page-token': null });
    assert.deepEqual((await listAll(api.call, `${P}/namespaces/marketing/views`, 'identifiers')).items, [
      { namespace: ['marketing'], name: 'active_customers' },
    ]);
    assert.deepEqual((await api.call(`${P}/namespaces/sales/views`)).body.identifiers, []);
    assertIcebergError(await api.call(`${P}/namespaces/nope/views`), 404, 'NoSuchNamespaceException');

    const loaded = await api.call(`${P}/namespaces/accounting%1Ftax/views/returns_by_year`);
    assert.equal(loaded.status, 200);
    const metadata = loaded.body.metadata;
    assert.equal(metadata['format-version'], 1);
    assert.match(metadata['view-uuid'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(metadata['current-version-id'], 1);
    assert.deepEqual(
      metadata.versions.map((version: { 'version-id': number; 'schema-id': number }) => [version['version-id'], version['schema-id']]),
      [
        [1, 0],
        [2, 1],
      ],
    );
    assert.deepEqual(metadata.versions[0].representations, [
      { type: 'sql', sql: 'SELECT year, sum(amount) AS total FROM returns GROUP BY year', dialect: 'spark' },
    ]);
    assert.deepEqual(metadata.versions[0]['default-namespace'], ['accounting', 'tax']);
    assert.deepEqual(
      metadata.schemas.map((schema: { 'schema-id': number; type: string; fields: unknown[] }) => [
        schema['schema-id'],
        schema.type,
        schema.fields.length,
      ]),
      [
        [0, 'struct', 2],
        [1, 'struct', 3],
      ],
    );
    assert.match(loaded.body['metadata-location'], /\/metadata\/00001-.*\.metadata\.json$/);
    assertIcebergError(await api.call(`${P}/namespaces/accounting%1Ftax/views/returns`), 404, 'NoSuchViewException');
    assertIcebergError(await api.call(`${P}/namespaces/nope/views/returns_by_year`), 404, 'NoSuchNamespaceException');
  });

  it('advertises the view routes in /v1/config endpoints, or leaves them out, or answers as a server that predates endpoints', async () => {
    const other = await startIcebergRestCatalog({ tls: false });
    const otherApi = client(other);
    const views = `${P}/namespaces/marketing/views`;
    try {
      const advertised = (await otherApi.call('/v1/config')).body.endpoints;
      assert.ok(advertised.includes('GET /v1/{prefix}/namespaces/{namespace}/views'));
      assert.ok(advertised.includes('GET /v1/{prefix}/namespaces/{namespace}/views/{view}'));

      other.setViewSupport('unadvertised');
      const endpoints = (await otherApi.call('/v1/config')).body.endpoints;
      assert.ok(endpoints.includes('GET /v1/{prefix}/namespaces/{namespace}/tables'));
      assert.ok(!endpoints.some((endpoint: string) => endpoint.includes('/views')));
      assertIcebergError(await otherApi.call(views), 400, 'BadRequestException');

      other.setViewSupport({ legacy: 404 });
      assert.equal('endpoints' in (await otherApi.call('/v1/config')).body, false);
      const notFound = await fetch(`${other.url}${views}`, { headers: { authorization: `Bearer ${other.token}` } });
      assert.deepEqual([notFound.status, notFound.headers.get('content-type')], [404, 'text/html']);
      other.setViewSupport({ legacy: 501 });
      assertIcebergError(await otherApi.call(`${views}/active_customers`), 501, 'UnsupportedOperationException');
      other.setViewSupport({ legacy: 400 });
      assertIcebergError(await otherApi.call(views), 400, 'BadRequestException');
      assert.equal((await otherApi.call(`${P}/namespaces/sales/tables`)).status, 200);
    } finally {
      await otherApi.close();
      await other.stop();
    }
  });

  it('misbehaves when told to: endless pages, long page tokens, foreign children, endless nesting; and answers late', async () => {
    const other = await startIcebergRestCatalog({ tls: false });
    const otherApi = client(other);
    try {
      other.misbehave({ endlessPages: true });
      let token = '';
      const tokens = new Set<string>();
      for (let page = 0; page < 5; page += 1) {
        const answer = await otherApi.call(`${P}/namespaces?pageToken=${encodeURIComponent(token)}`);
        assert.deepEqual(answer.body.namespaces, []);
        token = answer.body['next-page-token'];
        assert.equal(typeof token, 'string');
        tokens.add(token);
      }
      assert.equal(tokens.size, 5, 'every page carries a new token');
      assert.equal((await otherApi.call(`${P}/namespaces`)).body['next-page-token'], null, 'without pageToken: one answer');
      other.misbehave({ endlessPages: false, pageTokenPadding: 5_000 });
      const first = await otherApi.call(`${P}/namespaces?pageToken=`);
      assert.ok(first.body['next-page-token'].length > 5_000);
      const paged = await listAll(otherApi.call, `${P}/namespaces`, 'namespaces');
      assert.equal(paged.items.length, 5, 'the padded tokens still page');
      other.misbehave({ pageTokenPadding: 0, foreignChildren: { accounting: [['sales', 'smuggled']] } });
      assert.deepEqual((await otherApi.call(`${P}/namespaces?parent=accounting`)).body.namespaces, [
        ['accounting', 'tax'],
        ['sales', 'smuggled'],
      ]);
      other.misbehave({ foreignChildren: {}, endlessNesting: true });
      assert.deepEqual((await otherApi.call(`${P}/namespaces`)).body.namespaces.at(-1), ['loop']);
      const deep = Array.from({ length: 40 }, () => 'loop').join('%1F');
      assert.deepEqual((await otherApi.call(`${P}/namespaces?parent=${deep}`)).body.namespaces, [Array.from({ length: 41 }, () => 'loop')]);
      assert.deepEqual((await otherApi.call(`${P}/namespaces/${deep}/tables`)).body.identifiers, []);

      other.setLatency(300);
      const started = Date.now();
      assert.equal((await otherApi.call('/v1/config')).status, 200);
      assert.ok(Date.now() - started >= 290);
    } finally {
      await otherApi.close();
      await other.stop();
    }
  });

  it('forbids a denied namespace with 403, and answers injected 503 SlowDownException and 429 with Retry-After', async () => {
    const other = await startIcebergRestCatalog({ tls: false });
    const otherApi = client(other);
    try {
      other.denyNamespace(['accounting']);
      assertIcebergError(await otherApi.call(`${P}/namespaces/accounting%1Ftax/tables/returns`), 403, 'ForbiddenException');
      assertIcebergError(await otherApi.call(`${P}/namespaces?parent=accounting`), 403, 'ForbiddenException');
      assert.equal((await otherApi.call(`${P}/namespaces/sales/tables`)).status, 200);

      other.failNextRequests(2, { retryAfterSeconds: 2 });
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const slowDown = await otherApi.call(`${P}/namespaces`);
        assertIcebergError(slowDown, 503, 'SlowDownException');
        assert.equal(slowDown.headers.get('retry-after'), '2');
      }
      assert.equal((await otherApi.call(`${P}/namespaces`)).status, 200);
      assert.equal(other.requestCount(`${P}/namespaces`), 6);

      other.failNextRequests(1, { status: 429, retryAfterSeconds: 5 });
      const tooMany = await otherApi.call('/v1/config');
      assertIcebergError(tooMany, 429, 'TooManyRequestsException');
      assert.equal(tooMany.headers.get('retry-after'), '5');
      assert.equal((await otherApi.call('/v1/config')).status, 200);
      assert.deepEqual(new Set(other.requests.map((request) => request.auth)), new Set(['token']));
    } finally {
      await otherApi.close();
      await other.stop();
    }
  });
});
