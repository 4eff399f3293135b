import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { PostgresServer, startPostgres } from '../support/postgres';
import { ADMIN_EMAIL, expectProblem, startTestApp } from '../support/test-app';

/** This host's interface addresses besides loopback: a server bound to `*` answers on them too. */
const interfaceAddresses = (): string[] =>
  Object.values(os.networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal)
    .map((entry) => entry.address);

/**
 * The service's own PostgreSQL on this host, listening on 127.0.0.1 and ::1 as Debian's
 * `localhost` default does (and on 127.0.0.2): whichever of its addresses DATABASE_URL names,
 * a saved connection to another address of this host at its port is refused like an
 * unreachable target, and never reads the service's tables (users.password_hash).
 */
describe('the metadata database on this host', () => {
  let pg: PostgresServer;
  let password: string;

  before(async () => {
    pg = await startPostgres({ listenAddresses: ['127.0.0.1', '::1', '127.0.0.2'] });
    password = decodeURIComponent(new URL(pg.url()).password);
  });
  after(async () => {
    await pg.stop();
  });

  /** The service's password hashes, read straight from PostgreSQL at `host`: what a connection there would read. */
  const hashesAt = async (host: string, database: string): Promise<string[]> => {
    const client = new Client({ host, port: pg.port, user: 'postgres', password, database });
    await client.connect();
    try {
      return (await client.query<{ password_hash: string }>('SELECT password_hash FROM users')).rows.map((row) => row.password_hash);
    } finally {
      await client.end();
    }
  };

  for (const [index, databaseHost] of ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].entries()) {
    it(`DATABASE_URL naming ${databaseHost}: no address of this host reaches it`, async () => {
      const database = `switchboard_meta_${index}`;
      const url = new URL(await pg.createDatabase(database));
      url.hostname = databaseHost;
      const t = await startTestApp('postgres', { database: { driver: 'postgres', url: url.toString() } });
      try {
        const { accessToken: token } = await t.login();
        const base = '/api/v1/projects/default/connections';
        const hashes = await hashesAt('::1', database);
        assert.ok(hashes.length > 0 && hashes.every((hash) => hash.startsWith('$argon2')), 'the service keeps its users there');
        assert.deepEqual(await hashesAt('127.0.0.2', database), hashes, 'and PostgreSQL answers on 127.0.0.2 too');

        const targets = ['::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '127.0.0.1', '127.0.0.2', 'localhost', ...interfaceAddresses()];
        for (const [n, host] of targets.entries()) {
          const name = `meta-${index}-${n}`;
          const config = { host, port: pg.port, database, username: 'postgres', sslMode: 'disable' };
          const created = await t.call('POST', base, { token, body: { name, type: 'postgres', config, secrets: { password } } });
          assert.equal(created.status, 201, created.text);

          const tested = await t.call('POST', `${base}/${name}/test`, { token, body: {} });
          assert.equal(tested.status, 200, tested.text);
          assert.equal(tested.body.success, false, `${host}: ${tested.text}`);
          assert.deepEqual(tested.body.error, { code: 'EGRESS_DENIED', message: `Could not reach ${host}:${pg.port}.` }, host);
          assert.deepEqual(
            tested.body.stages.map((stage: { name: string; ok: boolean }) => [stage.name, stage.ok]),
            [['dns', false]],
            `${host}: refused before any connection`,
          );

          const preview = await t.call('GET', `${base}/${name}/preview?table=users`, { token });
          expectProblem(preview, 502, 'TARGET_UNAVAILABLE');
          assert.equal(preview.body.targetCode, 'EGRESS_DENIED', host);
          const query = await t.call('POST', `${base}/${name}/query`, { token, body: { sql: 'SELECT email, password_hash FROM users' } });
          expectProblem(query, 502, 'TARGET_UNAVAILABLE');
          for (const reply of [tested, preview, query]) {
            assert.ok(!reply.text.includes('$argon2') && !reply.text.includes(ADMIN_EMAIL), `${host}: ${reply.text}`);
          }
        }
      } finally {
        await t.close();
      }
    });
  }
});
