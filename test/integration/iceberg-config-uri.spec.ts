/**
 * An Iceberg REST catalog may tell its clients, in GET /v1/config's `overrides.uri`, to use
 * another base URI from then on (Apache Iceberg REST catalog OpenAPI spec, CatalogConfig). The
 * service follows it only on the configured uri's origin (another path there), never to another
 * origin (which would receive the connection's token or client secret) nor from https down to
 * http. Driven against the test catalog on both metadata drivers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetch } from 'undici';
import { startIcebergRestCatalog, type IcebergRestCatalog } from '../support/iceberg-rest-catalog';
import { DRIVERS, expectOk, expectProblem, startTestApp, type TestApp } from '../support/test-app';

describe('the test Iceberg catalog says overrides.uri in /v1/config', () => {
  it('answers the uri it is given, and stops when told', async () => {
    const catalog = await startIcebergRestCatalog({ tls: false });
    try {
      const config = async () =>
        (await (await fetch(`${catalog.url}/v1/config`, { headers: { authorization: `Bearer ${catalog.token}` } })).json()) as {
          overrides: Record<string, string>;
        };
      assert.equal((await config()).overrides.uri, undefined);
      catalog.setConfigUri('http://elsewhere.example.com/api');
      assert.equal((await config()).overrides.uri, 'http://elsewhere.example.com/api');
      catalog.setConfigUri(undefined);
      assert.equal((await config()).overrides.uri, undefined);
    } finally {
      await catalog.stop();
    }
  });
});

for (const driver of DRIVERS) {
  describe(`iceberg follows overrides.uri from /v1/config on the configured origin only (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let catalog: IcebergRestCatalog;
    const base = '/api/v1/projects/default/connections';
    const get = (url: string) => t.call('GET', `${base}/${url}`, { token });

    before(async () => {
      catalog = await startIcebergRestCatalog({ tls: false });
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
      const body = {
        name: 'moved',
        type: 'iceberg',
        config: { uri: catalog.url, warehouse: 'analytics' },
        secrets: { token: catalog.token },
      };
      expectOk(await t.call('POST', base, { token, body }), 201);
    });
    after(async () => {
      catalog?.setConfigUri(undefined);
      await t?.close();
      await catalog?.stop();
    });

    it('requests after /v1/config go to the uri it names on the same origin', async () => {
      catalog.setConfigUri(`${catalog.url}/moved-here`);
      const before = catalog.requests.length;
      // The test catalog answers under / only: the moved path is asked, and has no such route.
      expectProblem(await get('moved/schemas'), 502, 'TARGET_UNAVAILABLE');
      const asked = catalog.requests.slice(before).map((request) => request.path);
      assert.ok(asked.includes('/v1/config'), asked.join(' '));
      assert.ok(
        asked.some((path) => path.startsWith('/moved-here/v1/')),
        `nothing went to the uri /v1/config named: ${asked.join(' ')}`,
      );
      catalog.setConfigUri(`${catalog.url}/`);
      assert.ok(expectOk(await get('moved/schemas')).data.length > 0);
    });

    it('a uri on another origin is refused, whatever the catalog says', async () => {
      const port = new URL(catalog.url).port;
      for (const elsewhere of ['http://169.254.169.254/latest', `http://localhost:${port}`, `http://127.0.0.1:${Number(port) + 1}`]) {
        catalog.setConfigUri(elsewhere);
        const refused = await get('moved/schemas');
        expectProblem(refused, 502, 'TARGET_UNAVAILABLE');
        assert.equal(refused.body.targetCode, 'PROTOCOL_ERROR');
        assert.match(refused.body.detail, /overrides\.uri .*another origin/);
      }
      catalog.setConfigUri('ftp://127.0.0.1/catalog');
      const notHttp = await get('moved/schemas');
      expectProblem(notHttp, 502, 'TARGET_UNAVAILABLE');
      assert.equal(notHttp.body.targetCode, 'PROTOCOL_ERROR');
    });

    it("a prefix with a '.' or '..' segment is refused: the path stays the catalog's", async () => {
      const climbing = await startIcebergRestCatalog({ tls: false, warehouses: [{ name: 'up', prefix: 'up/../..', namespaces: [] }] });
      try {
        const body = { name: 'climbing', type: 'iceberg', config: { uri: climbing.url }, secrets: { token: climbing.token } };
        expectOk(await t.call('POST', base, { token, body }), 201);
        const refused = await get('climbing/schemas');
        expectProblem(refused, 502, 'TARGET_UNAVAILABLE');
        assert.equal(refused.body.targetCode, 'PROTOCOL_ERROR');
        assert.match(refused.body.detail, /prefix with a '\.' or '\.\.' segment/);
        assert.deepEqual(
          climbing.requests.map((request) => request.path),
          ['/v1/config'],
        );
      } finally {
        await climbing.stop();
      }
    });

    it('an https catalog may not move to http', async () => {
      const secure = await startIcebergRestCatalog();
      try {
        secure.setConfigUri(`http://127.0.0.1:${secure.port}`);
        const body = { name: 'secure', type: 'iceberg', config: { uri: secure.url }, secrets: { token: secure.token, tlsCa: secure.ca } };
        expectOk(await t.call('POST', base, { token, body }), 201);
        const downgraded = await get('secure/schemas');
        expectProblem(downgraded, 502, 'TARGET_UNAVAILABLE');
        assert.equal(downgraded.body.targetCode, 'PROTOCOL_ERROR');
        assert.match(downgraded.body.detail, /http:\/\/ uri in \/v1\/config for an https:\/\/ catalog/);
      } finally {
        await secure.stop();
      }
    });
  });
}
