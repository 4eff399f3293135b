import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHttpTarget, type HttpTarget } from '../support/http-target';
import { createUser, DRIVERS, expectOk, expectProblem, type Reply, startTestApp, type TestApp } from '../support/test-app';

const API = '/api/v1';
const P = 'shared-creds';
const base = `${API}/projects/${P}/connections`;

type User = Awaited<ReturnType<typeof createUser>>;
type Json = Record<string, any>;

/**
 * A shared credential goes only where the project already sends it, unless the caller may
 * reveal it (DESIGN §3): an editor who could point it at a listener of their own would read
 * its secrets off the wire.
 */
for (const driver of DRIVERS) {
  describe(`shared credentials go only where they are used (${driver})`, () => {
    let t: TestApp;
    let owner: User;
    let editor: User;
    let projectAdmin: User;
    /** Where the project really uses the credential. */
    let api: HttpTarget;
    /** A listener the editor controls: it must never hear from the service. */
    let trap: HttpTarget;
    let credentialId: string;
    const call = (method: string, path: string, token: string, body?: unknown) => t.call(method, path, { token, body });
    const httpConfig = (baseUrl: string, extra: Json = {}) => ({ baseUrl, healthPath: '/basic', authType: 'basic', ...extra });

    function expectRefused(reply: Reply): void {
      expectProblem(reply, 403, 'FORBIDDEN');
      assert.match(reply.body.detail, /secrets:reveal/);
      assert.match(reply.body.detail, /"api-cred"/);
      assert.ok(!reply.text.includes(api.basicPassword), reply.text);
    }

    before(async () => {
      [api, trap] = await Promise.all([startHttpTarget(), startHttpTarget()]);
      t = await startTestApp(driver);
      const admin = (await t.login()).accessToken;
      owner = await createUser(t, admin, 'sc-owner');
      editor = await createUser(t, admin, 'sc-editor');
      projectAdmin = await createUser(t, admin, 'sc-padmin');
      expectOk(await call('POST', `${API}/projects`, owner.token, { slug: P, name: P }), 201);
      expectOk(await call('PUT', `${API}/projects/${P}/members/${editor.id}`, owner.token, { role: 'editor' }));
      expectOk(await call('PUT', `${API}/projects/${P}/members/${projectAdmin.id}`, owner.token, { role: 'admin' }));
      credentialId = expectOk(
        await call('POST', `${API}/projects/${P}/credentials`, owner.token, {
          name: 'api-cred',
          type: 'basic',
          fields: { username: api.basicUser },
          secrets: { password: api.basicPassword },
        }),
        201,
      ).id;
      expectOk(await call('POST', base, owner.token, { name: 'api', type: 'http', config: httpConfig(api.url), credentialId }), 201);
    });
    beforeEach(() => {
      trap.requests.length = 0;
    });
    after(async () => {
      await t?.close();
      await Promise.all([api?.stop(), trap?.stop()]);
    });

    it('refuses an editor a new connection that sends the credential to a host of their choosing, and audits it', async () => {
      const grab = { name: 'grab', type: 'http', config: httpConfig(trap.url), credentialId };
      expectRefused(await call('POST', base, editor.token, grab));
      expectProblem(await call('POST', `${base}/grab/test`, editor.token, {}), 404, 'NOT_FOUND');
      // By scope, not role: the owner's own API key without secrets:reveal is refused too.
      const key = expectOk(
        await call('POST', `${API}/projects/${P}/api-keys`, owner.token, {
          name: 'deployer',
          scopes: ['connections:read', 'connections:write', 'connections:test'],
        }),
        201,
      ).key as string;
      expectRefused(await call('POST', base, key, grab));
      assert.deepEqual(trap.requests, [], 'the listener heard nothing');

      // Every type's location counts: the credential serves no postgres connection yet.
      expectRefused(
        await call('POST', base, editor.token, {
          name: 'grab-pg',
          type: 'postgres',
          config: { host: '127.0.0.1', port: trap.port, database: 'other' },
          credentialId,
        }),
      );

      const events = expectOk(await call('GET', `${API}/projects/${P}/audit-events?action=credential.use&perPage=100`, owner.token));
      const denied = events.data.filter((event: Json) => event.outcome === 'denied' && event.target.name === 'api-cred');
      assert.equal(denied.length, 3, JSON.stringify(events.data));
      assert.deepEqual(denied.map((event: Json) => event.details.via).sort(), [
        'connection.create',
        'connection.create',
        'connection.create',
      ]);
      assert.equal(denied.find((event: Json) => event.actor.userId === editor.id)?.target.id, credentialId);
    });

    it('refuses an editor a PATCH or PUT that moves a connection using the credential; an admin may move it', async () => {
      expectRefused(await call('PATCH', `${base}/api`, editor.token, { config: { baseUrl: trap.url } }));
      expectRefused(
        await call('PUT', `${base}/api`, editor.token, { name: 'api', type: 'http', config: httpConfig(trap.url), credentialId }),
      );
      assert.equal(expectOk(await call('GET', `${base}/api`, editor.token)).config.baseUrl, api.url);
      const tested = expectOk(await call('POST', `${base}/api/test`, editor.token, {}));
      assert.equal(tested.success, true, JSON.stringify(tested));

      // Switching a connection that points at the listener over to the credential is the same move.
      expectOk(
        await call('POST', base, editor.token, {
          name: 'own-secret',
          type: 'http',
          config: httpConfig(trap.url, { username: 'editor' }),
          secrets: { password: 'the-editors-own' },
        }),
        201,
      );
      expectRefused(await call('PATCH', `${base}/own-secret`, editor.token, { credentialId }));
      assert.deepEqual(trap.requests, [], 'the listener heard nothing');

      // Changes that keep the location are the editor's to make.
      expectOk(await call('PATCH', `${base}/api`, editor.token, { description: 'same place', config: { healthPath: '/basic?v=2' } }));

      const moved = expectOk(await call('PATCH', `${base}/api`, projectAdmin.token, { config: { baseUrl: `${api.url}/` } }));
      assert.equal(moved.config.baseUrl, `${api.url}/`);
      expectOk(await call('PATCH', `${base}/api`, projectAdmin.token, { config: { baseUrl: api.url, healthPath: '/basic' } }));
    });

    it('refuses an editor a draft test that sends the credential to a new host', async () => {
      const draft = (baseUrl: string) =>
        call('POST', `${base}/test`, editor.token, { type: 'http', config: httpConfig(baseUrl), credentialId });
      expectRefused(await draft(trap.url));
      assert.deepEqual(trap.requests, [], 'the listener heard nothing');
      const events = expectOk(await call('GET', `${API}/projects/${P}/audit-events?action=credential.use&perPage=100`, owner.token));
      assert.ok(events.data.some((event: Json) => event.details.via === 'connection.test' && event.outcome === 'denied'));

      const same = expectOk(await draft(api.url));
      assert.equal(same.success, true, JSON.stringify(same));
    });

    it('clones at the source location only: a clone cannot take a new host', async () => {
      const moved = await call('POST', `${base}/api/clone`, editor.token, { name: 'api-moved', config: { baseUrl: trap.url } });
      expectProblem(moved, 400, 'VALIDATION_FAILED');
      const copy = expectOk(await call('POST', `${base}/api/clone`, editor.token, { name: 'api-copy' }), 201);
      assert.equal(copy.credentialId, credentialId);
      assert.equal(copy.config.baseUrl, api.url);
      assert.equal(expectOk(await call('POST', `${base}/api-copy/test`, editor.token, {})).success, true);
      assert.deepEqual(trap.requests, [], 'the listener heard nothing');
    });

    it('lets an editor reuse the credential where the project already uses it, and where an admin has put it', async () => {
      const reuse = expectOk(
        await call('POST', base, editor.token, {
          name: 'api-reuse',
          type: 'http',
          config: httpConfig(api.url, { healthPath: '/basic?from=editor' }),
          credentialId,
        }),
        201,
      );
      assert.equal(reuse.credentialId, credentialId);
      assert.equal(expectOk(await call('POST', `${base}/api-reuse/test`, editor.token, {})).success, true);

      const v2 = `${api.url}/v2`;
      const elsewhere = { type: 'http', config: httpConfig(v2), credentialId };
      expectRefused(await call('POST', base, editor.token, { name: 'api-v2', ...elsewhere }));
      expectOk(await call('POST', base, projectAdmin.token, { name: 'api-v2', ...elsewhere }), 201);
      expectOk(await call('POST', base, editor.token, { name: 'api-v2-editor', ...elsewhere }), 201);
      assert.deepEqual(trap.requests, [], 'the listener heard nothing');
    });
  });
}
