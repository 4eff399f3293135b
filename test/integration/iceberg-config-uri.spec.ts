/**
 * An Iceberg REST catalog may tell its clients, in GET /v1/config's `overrides.uri`, to use
 * another base URI from then on (Apache Iceberg REST catalog OpenAPI spec, CatalogConfig). The
 * service follows it through the egress guard, as it reaches the configured uri, and never from
 * https down to http. Driven against the test catalog on both metadata drivers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetch } from 'undici';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy';
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
  describe(`iceberg follows overrides.uri from /v1/config through the egress guard (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let catalog: IcebergRestCatalog;
    let proxy: CountingProxy;
    const base = '/api/v1/projects/default/connections';
    const get = (url: string) => t.call('GET', `${base}/${url}`, { token });

    before(async () => {
      catalog = await startIcebergRestCatalog({ tls: false });
      proxy = await startCountingProxy(catalog.port);
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
      await proxy?.close();
      await catalog?.stop();
    });

    it('requests after /v1/config go to the uri it names', async () => {
      catalog.setConfigUri(`http://127.0.0.1:${proxy.port}`);
      proxy.reset();
      assert.ok(expectOk(await get('moved/schemas')).data.length > 0);
      assert.ok(proxy.connections >= 1, 'nothing went to the uri /v1/config named');
      assert.ok(proxy.bytesFromServer > 0);
    });

    it('a uri the egress guard refuses is refused, whatever the catalog says', async () => {
      catalog.setConfigUri('http://169.254.169.254/latest');
      const refused = await get('moved/schemas');
      expectProblem(refused, 502, 'TARGET_UNAVAILABLE');
      assert.equal(refused.body.targetCode, 'EGRESS_DENIED');
      catalog.setConfigUri('ftp://127.0.0.1/catalog');
      const notHttp = await get('moved/schemas');
      expectProblem(notHttp, 502, 'TARGET_UNAVAILABLE');
      assert.equal(notHttp.body.targetCode, 'PROTOCOL_ERROR');
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
