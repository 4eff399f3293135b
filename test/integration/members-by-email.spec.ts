import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser, DRIVERS, expectOk, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';
import { createApiKey, createProject, putMember } from '../support/factories';
import { expectFieldError } from '../support/problems';

const API = '/api/v1';

type User = Awaited<ReturnType<typeof createUser>>;

/** The parts of a problem that must not tell one refusal from another (the request id always differs). */
const sameness = (reply: Reply) => ({ status: reply.status, ...reply.body, requestId: undefined });

for (const driver of DRIVERS) {
  describe(`members: add by email (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let carol: User; // owns "carols", no instance admin
    let bob: User;
    let dave: User;
    let loner: User; // in no project at all

    const add = (token: string, project: string, email: string, role: string) =>
      t.call('POST', `${API}/projects/${project}/members`, { token, body: { email, role } });

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      carol = await createUser(t, admin, 'carol');
      bob = await createUser(t, admin, 'bob');
      dave = await createUser(t, admin, 'dave');
      loner = await createUser(t, admin, 'loner');
      await createProject(t, carol.token, 'carols');
    });
    after(() => t.close());

    it('an instance admin adds anyone by email (any case), and the member lists them', async () => {
      await createProject(t, admin, 'admins');
      const member = expectOk(await add(admin, 'admins', 'LONER@Switchboard.test', 'viewer'));
      assert.equal(member.userId, loner.id);
      assert.equal(member.email, loner.email);
      assert.equal(member.role, 'viewer');
      const list = expectOk(await t.call('GET', `${API}/projects/admins/members`, { token: admin }));
      assert.ok(list.data.some((row: { userId: string; role: string }) => row.userId === loner.id && row.role === 'viewer'));
      // The same route changes the role of a member.
      assert.equal(expectOk(await add(admin, 'admins', loner.email, 'editor')).role, 'editor');
    });

    it('anyone else finds only fellow members; any other email answers exactly like an unknown one', async () => {
      const stranger = await add(carol.token, 'carols', bob.email, 'viewer');
      expectProblem(stranger, 404, 'NOT_FOUND');
      assert.deepEqual(stranger.body.errors, [{ field: 'email', message: 'no user you can see has this email' }]);
      const unknown = await add(carol.token, 'carols', 'nobody-at-all@switchboard.test', 'viewer');
      assert.deepEqual(sameness(unknown), sameness(stranger));

      // Once carol and bob share a project, carol can see bob and add him.
      await putMember(t, admin, 'default', carol.id, 'viewer');
      await putMember(t, admin, 'default', bob.id, 'viewer');
      const added = expectOk(await add(carol.token, 'carols', bob.email, 'editor'));
      assert.equal(added.userId, bob.id);
      assert.equal(added.role, 'editor');
    });

    it('keeps the rules of PUT: role ceilings, the last owner, validation, audited', async () => {
      await createProject(t, admin, 'ceiling');
      await putMember(t, admin, 'ceiling', carol.id, 'admin');
      expectProblem(await add(carol.token, 'ceiling', bob.email, 'owner'), 403, 'FORBIDDEN');
      assert.equal(expectOk(await add(carol.token, 'ceiling', bob.email, 'admin')).role, 'admin');

      expectProblem(await add(carol.token, 'carols', carol.email, 'viewer'), 409, 'CONFLICT');
      expectFieldError(await add(carol.token, 'carols', 'not-an-email', 'viewer'), 'email');
      expectFieldError(await add(carol.token, 'carols', bob.email, 'boss'), 'role');
      // A viewer of the project may not add anyone.
      expectProblem(await add(bob.token, 'default', dave.email, 'viewer'), 403, 'FORBIDDEN');

      const events = expectOk(await t.call('GET', `${API}/projects/ceiling/audit-events?action=member.put`, { token: admin }));
      const [latest] = events.data;
      assert.equal(latest.target.id, bob.id);
      assert.equal(latest.target.name, bob.email);
      assert.deepEqual(latest.details, { role: 'admin', previousRole: null });
      assert.equal(latest.actor.userId, carol.id);
    });

    it("an API key finds only its own project's members, and never changes its creator", async () => {
      await putMember(t, admin, 'default', dave.id, 'viewer'); // dave shares "default" with carol, not "carols"
      const viewerScopes = ['projects:read', 'connections:read', 'credentials:read'];
      const key = (await createApiKey(t, carol.token, 'carols', [...viewerScopes, 'members:write'])).key;
      expectProblem(await add(key, 'carols', dave.email, 'viewer'), 404, 'NOT_FOUND');
      // The key's own scopes are its ceiling: bob is an editor, a role beyond it.
      expectProblem(await add(key, 'carols', bob.email, 'viewer'), 403, 'FORBIDDEN');
      expectOk(await add(carol.token, 'carols', bob.email, 'viewer'));
      assert.equal(expectOk(await add(key, 'carols', bob.email, 'viewer')).role, 'viewer');
      expectProblem(await add(key, 'carols', carol.email, 'admin'), 403, 'FORBIDDEN');
      // Signed in, carol sees dave through "default".
      assert.equal(expectOk(await add(carol.token, 'carols', dave.email, 'viewer')).userId, dave.id);
    });
  });
}
