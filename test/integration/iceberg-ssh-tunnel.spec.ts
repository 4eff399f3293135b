/**
 * The iceberg type through an SSH bastion over HTTP: the tests' OpenSSH sshd, behind a counting
 * proxy so every byte of the tunnel is seen, in front of the test Iceberg REST catalog over HTTPS
 * (its self-signed certificate names localhost, the host the bastion dials).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy';
import { startIcebergRestCatalog, type IcebergRestCatalog } from '../support/iceberg-rest-catalog';
import { startServers, stopServers, type Servers } from '../support/servers';
import { DRIVERS, expectOk, expectProblem, startTestApp, type TestApp } from '../support/test-app';

for (const driver of DRIVERS) {
  describe(`iceberg REST catalogs through an SSH tunnel (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let servers: Pick<Servers, 'sshd'>;
    let proxy: CountingProxy;
    let catalog: IcebergRestCatalog;
    const base = '/api/v1/projects/default/connections';
    const get = (url: string) => t.call('GET', `${base}/${url}`, { token });
    const post = (url: string) => t.call('POST', `${base}/${url}`, { token, body: {} });
    const lake = (name: string, sshPassword: string) => ({
      name,
      type: 'iceberg',
      config: {
        uri: `https://localhost:${catalog.port}`,
        warehouse: 'analytics',
        sshTunnel: { host: '127.0.0.1', port: proxy.port, username: servers.sshd.username },
      },
      secrets: { token: catalog.token, tlsCa: catalog.ca, sshPassword },
    });

    before(async () => {
      servers = await startServers(['sshd']);
      proxy = await startCountingProxy(servers.sshd.port);
      catalog = await startIcebergRestCatalog();
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
      expectOk(await t.call('POST', base, { token, body: lake('tunneled-lake', servers.sshd.password) }), 201);
    });
    after(async () => {
      await t?.close();
      await catalog?.stop();
      await proxy?.close();
      if (servers) await stopServers(servers);
    });

    it('tests in stages dns, tcp, ssh, tunnel, tls, auth, and pins the bastion key', async () => {
      proxy.reset();
      const result = expectOk(await post('tunneled-lake/test'));
      assert.equal(result.success, true, JSON.stringify(result));
      assert.deepEqual(
        result.stages.map((stage: { name: string }) => stage.name),
        ['dns', 'tcp', 'ssh', 'tunnel', 'tls', 'auth'],
      );
      assert.match(result.message, /through the SSH tunnel via 127\.0\.0\.1:\d+/);
      assert.equal(result.details.sshTunnelHostKeyFingerprint, servers.sshd.hostKeyFingerprint);
      assert.ok(proxy.bytesFromServer > 0, 'nothing came through the bastion');
      assert.equal(expectOk(await get('tunneled-lake')).config.sshTunnel.hostKeyFingerprint, servers.sshd.hostKeyFingerprint);
    });

    it('lists catalogs, namespaces, tables and columns through the bastion', async () => {
      proxy.reset();
      const before = catalog.requestCount('/v1/');
      assert.deepEqual(expectOk(await get('tunneled-lake/catalogs')).data, [{ name: 'analytics' }]);
      assert.equal(expectOk(await get('tunneled-lake/schemas')).data.length, 7);
      assert.deepEqual(expectOk(await get('tunneled-lake/tables?schema=accounting.tax')).data, [
        { name: 'returns', schema: 'accounting.tax', type: 'TABLE' },
        { name: 'returns_by_year', schema: 'accounting.tax', type: 'VIEW' },
      ]);
      assert.equal(expectOk(await get('tunneled-lake/columns?schema=sales&table=orders')).data.length, 3);
      assert.ok(catalog.requestCount('/v1/') - before >= 8, 'the catalog answered the listings');
      assert.ok(proxy.bytesFromServer > 0 && proxy.connections >= 1, 'the listings did not come through the bastion');
    });

    it('a wrong bastion password fails in the ssh stage, and a listing is TARGET_UNAVAILABLE naming the tunnel', async () => {
      expectOk(await t.call('POST', base, { token, body: lake('wrong-bastion', 'not-the-ssh-password') }), 201);
      const result = expectOk(await post('wrong-bastion/test'));
      assert.equal(result.success, false);
      assert.deepEqual(
        result.stages.map((stage: { name: string; ok: boolean }) => [stage.name, stage.ok]),
        [
          ['dns', true],
          ['tcp', true],
          ['ssh', false],
        ],
      );
      assert.equal(result.error.code, 'AUTH_FAILED');
      const listed = await get('wrong-bastion/schemas');
      expectProblem(listed, 502, 'TARGET_UNAVAILABLE');
      assert.match(listed.body.detail, /^SSH tunnel: /);
      for (const secret of [catalog.token, servers.sshd.password, 'not-the-ssh-password']) {
        assert.ok(!listed.text.includes(secret) && !JSON.stringify(result).includes(secret), 'a secret leaked');
      }
    });
  });
}
