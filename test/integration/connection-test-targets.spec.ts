import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Servers, startServers, stopServers } from '../support/servers';
import { DRIVERS, startTestApp, TestApp } from '../support/test-app';

type Targets = Pick<Servers, 'mariadb'>;

/** "Test connection" through the HTTP API against the real servers of test/support. */
for (const driver of DRIVERS) {
  describe(`connection tests against real servers (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let servers: Targets;
    const base = '/api/v1/projects/default/connections';
    const test = async (name: string, body: Record<string, unknown>) => {
      const created = await t.call('POST', base, { token, body: { name, ...body } });
      assert.equal(created.status, 201, created.text);
      const reply = await t.call('POST', `${base}/${name}/test`, { token, body: {} });
      assert.equal(reply.status, 200, reply.text);
      return reply.body;
    };

    before(async () => {
      servers = await startServers(['mariadb']);
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
    });
    after(async () => {
      await t.close();
      await stopServers(servers);
    });

    it('MariaDB: connects with the password, reports AUTH_FAILED without it', async () => {
      const { mariadb } = servers;
      const config = { host: mariadb.host, port: mariadb.port, database: mariadb.database, username: mariadb.user };
      const ok = await test('maria-ok', { type: 'mysql', config, secrets: { password: mariadb.password } });
      assert.equal(ok.success, true, JSON.stringify(ok));
      assert.match(ok.serverVersion, /MariaDB/);
      const wrong = await test('maria-wrong', { type: 'mysql', config, secrets: { password: 'CANARY-maria-wrong' } });
      assert.equal(wrong.error.code, 'AUTH_FAILED');
      assert.ok(!JSON.stringify(wrong).includes('CANARY'));
    });
  });
}
