import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createProject, putMember } from '../support/factories';
import { PostgresServer, startPostgres } from '../support/postgres';
import { createUser, DRIVERS, expectOk, expectProblem, TestApp, startTestApp } from '../support/test-app';

const API = '/api/v1';
const ROLE = 'doomed_reader';
const PASSWORD = 'CANARY-doomed-pw-5151';
/** The tables that hold rows of a project, each with its project column. */
const PROJECT_TABLES = ['connections', 'credentials', 'connection_usages', 'memberships', 'api_keys', 'audit_events'];

/** Runs a query written with $1, $2... on either driver. */
function sql(t: TestApp, query: string, parameters: unknown[] = []): Promise<any[]> {
  const text = t.driver === 'sqlite' ? query.replace(/\$\d+/g, '?') : query;
  return t.app.get(DataSource).query(text, parameters);
}

/** How many of the target's backends the connections' role holds: the sessions the service keeps open. */
async function backendsOf(target: PostgresServer): Promise<number> {
  const client = new Client({ connectionString: target.url() });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [ROLE]);
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}

for (const driver of DRIVERS) {
  describe(`deleting a project that holds connections, credentials, usages and live sessions (${driver})`, () => {
    let t: TestApp;
    let target: PostgresServer;
    let owner: Awaited<ReturnType<typeof createUser>>;
    const base = (project: string) => `${API}/projects/${project}`;
    const config = () => ({ host: '127.0.0.1', port: target.port, database: 'postgres', username: ROLE, sslMode: 'disable' });

    /** What the project is made of: a shared credential, a connection using it, one with inline secrets, usages of both. */
    async function fill(slug: string): Promise<void> {
      const shared = expectOk(
        await t.call('POST', `${base(slug)}/credentials`, {
          token: owner.token,
          body: { name: 'reader', type: 'basic', fields: { username: ROLE }, secrets: { password: PASSWORD } },
        }),
        201,
      );
      const connections = `${base(slug)}/connections`;
      const bodies = [
        { name: 'inline', type: 'postgres', config: config(), secrets: { password: PASSWORD } },
        { name: 'shared', type: 'postgres', config: config(), credentialId: shared.id },
      ];
      for (const body of bodies) expectOk(await t.call('POST', connections, { token: owner.token, body }), 201);
      for (const name of ['inline', 'shared'])
        expectOk(await t.call('PUT', `${connections}/${name}/usages/nightly-${name}`, { token: owner.token, body: {} }));
    }

    before(async () => {
      target = await startPostgres();
      const client = new Client({ connectionString: target.url() });
      await client.connect();
      await client.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
      await client.end();
      t = await startTestApp(driver);
      const admin = (await t.login()).accessToken;
      owner = await createUser(t, admin, 'doomed-owner');
    });
    after(async () => {
      await t?.close();
      await target?.stop();
    });

    it('leaves no rows or envelopes and frees its names, with sessions open on its connections', async () => {
      const member = await createUser(t, (await t.login()).accessToken, 'doomed-member');
      const project = await createProject(t, owner.token, 'full-house');
      await putMember(t, owner.token, 'full-house', member.id, 'editor');
      await fill('full-house');
      const connections = `${base('full-house')}/connections`;
      // Introspection keeps a session per connection open for the next call.
      for (const name of ['inline', 'shared']) expectOk(await t.call('GET', `${connections}/${name}/schemas`, { token: owner.token }));
      assert.ok((await backendsOf(target)) >= 2, 'both connections hold a live session');
      const envelopes = await sql(t, 'SELECT id FROM credentials WHERE project_id = $1 AND secret_envelope IS NOT NULL', [project.id]);
      assert.equal(envelopes.length, 2, 'one shared and one inline credential, each sealed');
      const connectionIds = (await sql(t, 'SELECT id FROM connections WHERE project_id = $1', [project.id])).map((row) => row.id as string);
      assert.equal(connectionIds.length, 2);

      expectOk(await t.call('DELETE', base(project.id), { token: owner.token }), 204);
      // Its sessions close with it, not at the pools' idle timeout (60 s); closing is asynchronous, hence the wait.
      const deadline = Date.now() + 10_000;
      while ((await backendsOf(target)) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await backendsOf(target), 0, 'sessions of the deleted connections are still open on the target');

      for (const table of PROJECT_TABLES) {
        assert.deepEqual(await sql(t, `SELECT * FROM ${table} WHERE project_id = $1`, [project.id]), [], `${table} still holds rows`);
      }
      for (const { id } of envelopes)
        assert.deepEqual(await sql(t, 'SELECT id FROM credentials WHERE id = $1', [id]), [], 'an envelope outlived it');
      for (const id of connectionIds) {
        assert.deepEqual(await sql(t, 'SELECT connection_id FROM connection_usages WHERE connection_id = $1', [id]), []);
      }
      // The names are free again: the same project, credential, connections and usages, new ids.
      const again = await createProject(t, owner.token, 'full-house');
      assert.notEqual(again.id, project.id);
      await fill('full-house');
      const listed = expectOk(await t.call('GET', connections, { token: owner.token }));
      assert.deepEqual(listed.data.map((connection: { name: string }) => connection.name).sort(), ['inline', 'shared']);
      for (const id of connectionIds) expectProblem(await t.call('GET', `${connections}/${id}`, { token: owner.token }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', `${connections}/inline`, { token: member.token }), 404, 'NOT_FOUND');
    });
  });
}
