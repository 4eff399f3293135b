import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createUser, DRIVERS, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';
import { createApiKey, createProject, putMember } from '../support/factories';
import { expectFieldError } from '../support/problems';

const API = '/api/v1';

// The role bundles exactly as DESIGN §3 lists them (written out, not imported, so the test checks the code).
const VIEWER_SCOPES = ['projects:read', 'connections:read', 'credentials:read'];
const EDITOR_SCOPES = [...VIEWER_SCOPES, 'connections:write', 'credentials:write', 'connections:test', 'data:read'];
const ADMIN_SCOPES = [...EDITOR_SCOPES, 'members:write', 'api-keys:write', 'secrets:reveal', 'audit:read', 'projects:write'];
const OWNER_SCOPES = [...ADMIN_SCOPES, 'projects:delete'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type User = Awaited<ReturnType<typeof createUser>>;

const sorted = (values: string[]): string[] => [...values].sort();

async function membersOf(t: TestApp, token: string, project: string): Promise<Record<string, string>> {
  const reply = await t.call('GET', `${API}/projects/${project}/members?perPage=100`, { token });
  assert.equal(reply.status, 200, reply.text);
  return Object.fromEntries(reply.body.data.map((member: { userId: string; role: string }) => [member.userId, member.role]));
}

async function myProjects(t: TestApp, token: string): Promise<string[]> {
  const reply = await t.call('GET', `${API}/auth/me`, { token });
  assert.equal(reply.status, 200, reply.text);
  return reply.body.memberships.map((membership: { slug: string }) => membership.slug);
}

for (const driver of DRIVERS) {
  describe(`projects: create, read, list, update (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let adminId: string;
    let alice: User;
    let bob: User;

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      adminId = (await t.call('GET', `${API}/auth/me`, { token: admin })).body.user.id;
      alice = await createUser(t, admin, 'alice');
      bob = await createUser(t, admin, 'bob');
    });
    after(() => t.close());

    it('bootstrap created the project "default" owned by the admin', async () => {
      const project = await t.call('GET', `${API}/projects/default`, { token: admin });
      assert.equal(project.status, 200, project.text);
      assert.equal(project.body.slug, 'default');
      assert.equal(project.body.role, 'owner');
      assert.equal(project.body.createdBy, adminId);
      assert.deepEqual(await membersOf(t, admin, 'default'), { [adminId]: 'owner' });
      const me = await t.call('GET', `${API}/auth/me`, { token: admin });
      assert.deepEqual(
        me.body.memberships.map((m: { slug: string; role: string }) => [m.slug, m.role]),
        [['default', 'owner']],
      );
    });

    it('creates a project: 201, slug lowercased, the creator becomes its only owner', async () => {
      const reply = await t.call('POST', `${API}/projects`, {
        token: alice.token,
        body: { slug: '  Alpha-One ', name: 'Alpha One', description: 'First project' },
      });
      assert.equal(reply.status, 201, reply.text);
      assert.match(reply.body.id, UUID);
      assert.equal(reply.body.slug, 'alpha-one');
      assert.equal(reply.body.name, 'Alpha One');
      assert.equal(reply.body.description, 'First project');
      assert.equal(reply.body.role, 'owner');
      assert.equal(reply.body.createdBy, alice.id);
      assert.ok(!Number.isNaN(Date.parse(reply.body.createdAt)));
      assert.deepEqual(await membersOf(t, alice.token, 'alpha-one'), { [alice.id]: 'owner' });
      assert.ok((await myProjects(t, alice.token)).includes('alpha-one'));

      const bare = await createProject(t, alice.token, 'alpha-two', 'Alpha Two');
      assert.equal(bare.description, null);
    });

    it('refuses a duplicate slug with 409, whatever its case and whoever asks', async () => {
      for (const [token, slug] of [
        [alice.token, 'alpha-one'],
        [alice.token, 'ALPHA-ONE'],
        [bob.token, 'alpha-one'],
      ]) {
        const reply = await t.call('POST', `${API}/projects`, { token, body: { slug, name: 'Again' } });
        expectProblem(reply, 409, 'CONFLICT');
      }
      // The original is untouched and bob did not become a member.
      assert.equal((await t.call('GET', `${API}/projects/alpha-one`, { token: alice.token })).body.name, 'Alpha One');
      expectProblem(await t.call('GET', `${API}/projects/alpha-one`, { token: bob.token }), 404, 'NOT_FOUND');
    });

    it('refuses invalid slugs with 400 naming the field "slug"', async () => {
      const invalid = [
        'has space',
        'under_score',
        '1starts-with-digit',
        'abcdef01-2345-7abc-8def-0123456789ab', // UUID-shaped (starts with a letter, so only the UUID rule catches it)
        'a' + 'b'.repeat(63), // 64 characters
        'x', // too short
        'double--hyphen',
        'trailing-',
        '',
        'ünïcode',
      ];
      for (const slug of invalid) {
        expectFieldError(await t.call('POST', `${API}/projects`, { token: alice.token, body: { slug, name: 'Nope' } }), 'slug');
      }
      expectFieldError(await t.call('POST', `${API}/projects`, { token: alice.token, body: { name: 'No slug' } }), 'slug');
      expectFieldError(await t.call('POST', `${API}/projects`, { token: alice.token, body: { slug: 42, name: 'Number' } }), 'slug');
      // Uppercase is not invalid: it is lowercased. The longest slug (63) is accepted.
      assert.equal((await createProject(t, alice.token, 'UPPER-Case')).slug, 'upper-case');
      const longest = 'l' + '0'.repeat(62);
      assert.equal((await createProject(t, alice.token, longest)).slug, longest);
      // Nothing invalid was stored.
      const list = await t.call('GET', `${API}/projects?perPage=100`, { token: alice.token });
      assert.deepEqual(
        sorted(list.body.data.map((p: { slug: string }) => p.slug)),
        sorted(['alpha-one', 'alpha-two', 'upper-case', longest]),
      );
    });

    it('gets a project by slug and by id (any case of the id)', async () => {
      const bySlug = await t.call('GET', `${API}/projects/alpha-one`, { token: alice.token });
      assert.equal(bySlug.status, 200, bySlug.text);
      const byId = await t.call('GET', `${API}/projects/${bySlug.body.id}`, { token: alice.token });
      assert.equal(byId.status, 200, byId.text);
      assert.deepEqual(byId.body, bySlug.body);
      const byUpperId = await t.call('GET', `${API}/projects/${bySlug.body.id.toUpperCase()}`, { token: alice.token });
      assert.deepEqual(byUpperId.body, bySlug.body);
      // A slug is matched exactly as stored (lowercase); an unknown one is 404.
      expectProblem(await t.call('GET', `${API}/projects/alpha-three`, { token: alice.token }), 404, 'NOT_FOUND');
    });

    it("lists only the caller's projects with meta {total, page, perPage}", async () => {
      await createProject(t, bob.token, 'bob-only', 'Bob only');
      const mine = await t.call('GET', `${API}/projects`, { token: alice.token });
      assert.equal(mine.status, 200, mine.text);
      const slugs = mine.body.data.map((p: { slug: string }) => p.slug);
      assert.ok(slugs.includes('alpha-one'));
      assert.ok(!slugs.includes('bob-only'), 'another user’s project leaked into the list');
      assert.ok(!slugs.includes('default'), 'the admin’s project leaked into the list');
      assert.deepEqual(mine.body.meta, { total: slugs.length, page: 1, perPage: 20 });
      for (const project of mine.body.data) assert.equal(project.role, 'owner');

      const bobs = await t.call('GET', `${API}/projects`, { token: bob.token });
      assert.deepEqual(
        bobs.body.data.map((p: { slug: string }) => p.slug),
        ['bob-only'],
      );
      assert.deepEqual(bobs.body.meta, { total: 1, page: 1, perPage: 20 });
    });

    it('paginates the list', async () => {
      for (const slug of ['page-a', 'page-b', 'page-c']) await createProject(t, alice.token, slug);
      const all = await t.call('GET', `${API}/projects?perPage=100`, { token: alice.token });
      const total: number = all.body.meta.total;
      assert.equal(all.body.data.length, total);
      assert.ok(total >= 7, `expected at least 7 projects, got ${total}`);

      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(total / 2); page++) {
        const reply = await t.call('GET', `${API}/projects?page=${page}&perPage=2`, { token: alice.token });
        assert.equal(reply.status, 200, reply.text);
        assert.deepEqual(reply.body.meta, { total, page, perPage: 2 });
        assert.equal(reply.body.data.length, Math.min(2, total - (page - 1) * 2));
        seen.push(...reply.body.data.map((p: { slug: string }) => p.slug));
      }
      assert.equal(new Set(seen).size, total, 'pages overlap or skip projects');
      assert.deepEqual(sorted(seen), sorted(all.body.data.map((p: { slug: string }) => p.slug)));

      const beyond = await t.call('GET', `${API}/projects?page=${total + 1}&perPage=1`, { token: alice.token });
      assert.equal(beyond.status, 200);
      assert.deepEqual(beyond.body.data, []);
      assert.equal(beyond.body.meta.total, total);
    });

    it('refuses perPage over 100 and other bad paging with 400', async () => {
      expectFieldError(await t.call('GET', `${API}/projects?perPage=101`, { token: alice.token }), 'perPage');
      expectFieldError(await t.call('GET', `${API}/projects?perPage=0`, { token: alice.token }), 'perPage');
      expectFieldError(await t.call('GET', `${API}/projects?page=0`, { token: alice.token }), 'page');
      expectFieldError(await t.call('GET', `${API}/projects?page=-1`, { token: alice.token }), 'page');
      expectFieldError(await t.call('GET', `${API}/projects?page=1.5`, { token: alice.token }), 'page');
      expectFieldError(await t.call('GET', `${API}/projects?perPage=abc`, { token: alice.token }), 'perPage');
      const max = await t.call('GET', `${API}/projects?perPage=100`, { token: alice.token });
      assert.equal(max.status, 200, max.text);
      assert.equal(max.body.meta.perPage, 100);
    });

    it('patches name, description (null clears it) and slug', async () => {
      const before = (await t.call('GET', `${API}/projects/alpha-two`, { token: alice.token })).body;
      const renamed = await t.call('PATCH', `${API}/projects/alpha-two`, {
        token: alice.token,
        body: { name: 'Alpha Two (renamed)', description: 'Now described' },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.name, 'Alpha Two (renamed)');
      assert.equal(renamed.body.description, 'Now described');
      assert.equal(renamed.body.role, 'owner');
      assert.equal(renamed.body.id, before.id);
      assert.ok(Date.parse(renamed.body.updatedAt) >= Date.parse(before.updatedAt));

      const cleared = await t.call('PATCH', `${API}/projects/alpha-two`, { token: alice.token, body: { description: null } });
      assert.equal(cleared.status, 200, cleared.text);
      assert.equal(cleared.body.description, null);
      assert.equal(cleared.body.name, 'Alpha Two (renamed)', 'an omitted field must be kept');
      assert.equal((await t.call('GET', `${API}/projects/${before.id}`, { token: alice.token })).body.description, null);

      const moved = await t.call('PATCH', `${API}/projects/alpha-two`, { token: alice.token, body: { slug: 'Alpha-Second' } });
      assert.equal(moved.status, 200, moved.text);
      assert.equal(moved.body.slug, 'alpha-second');
      expectProblem(await t.call('GET', `${API}/projects/alpha-two`, { token: alice.token }), 404, 'NOT_FOUND');
      const byNewSlug = await t.call('GET', `${API}/projects/alpha-second`, { token: alice.token });
      assert.equal(byNewSlug.body.id, before.id);
    });

    it('refuses a slug change onto an existing slug (409) and invalid patches (400)', async () => {
      expectProblem(
        await t.call('PATCH', `${API}/projects/alpha-second`, { token: alice.token, body: { slug: 'alpha-one' } }),
        409,
        'CONFLICT',
      );
      // Another user's slug conflicts too, without revealing more than that.
      expectProblem(
        await t.call('PATCH', `${API}/projects/alpha-second`, { token: alice.token, body: { slug: 'bob-only' } }),
        409,
        'CONFLICT',
      );
      expectFieldError(await t.call('PATCH', `${API}/projects/alpha-second`, { token: alice.token, body: { slug: '9lives' } }), 'slug');
      expectFieldError(await t.call('PATCH', `${API}/projects/alpha-second`, { token: alice.token, body: { slug: null } }), 'slug');
      expectFieldError(await t.call('PATCH', `${API}/projects/alpha-second`, { token: alice.token, body: { name: null } }), 'name');
      expectFieldError(await t.call('PATCH', `${API}/projects/alpha-second`, { token: alice.token, body: { name: '' } }), 'name');
      expectFieldError(await t.call('PATCH', `${API}/projects/alpha-second`, { token: alice.token, body: { owner: 'x' } }), 'owner');
      const unchanged = await t.call('GET', `${API}/projects/alpha-second`, { token: alice.token });
      assert.equal(unchanged.status, 200);
      assert.equal(unchanged.body.name, 'Alpha Two (renamed)');
    });

    it('does not let an API key create a project (403)', async () => {
      const { key } = await createApiKey(t, alice.token, 'alpha-one', ['projects:read']);
      expectProblem(await t.call('POST', `${API}/projects`, { apiKey: key, body: { slug: 'by-key', name: 'By key' } }), 403, 'FORBIDDEN');
      expectProblem(await t.call('GET', `${API}/projects/by-key`, { token: admin }), 404, 'NOT_FOUND');
    });

    it("reports the caller's own rights: a user's role and scopes; for a key no role, its effective scopes", async () => {
      const asUser = await t.call('GET', `${API}/projects/alpha-one`, { token: alice.token });
      assert.equal(asUser.status, 200, asUser.text);
      assert.equal(asUser.body.role, 'owner');
      assert.ok(asUser.body.scopes.includes('projects:delete'), asUser.text);
      const { key } = await createApiKey(t, alice.token, 'alpha-one', ['projects:read', 'connections:read']);
      const asKey = await t.call('GET', `${API}/projects/alpha-one`, { apiKey: key });
      assert.equal(asKey.status, 200, asKey.text);
      assert.equal(asKey.body.role, null, 'a read-only key must not read as its owner');
      assert.deepEqual([...asKey.body.scopes].sort(), ['connections:read', 'projects:read']);
      const listed = await t.call('GET', `${API}/projects`, { apiKey: key });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.body.data.map((project: { slug: string; role: string | null; scopes: string[] }) => [
          project.slug,
          project.role,
          [...project.scopes].sort(),
        ]),
        [['alpha-one', null, ['connections:read', 'projects:read']]],
      );
      const writer = await createApiKey(t, alice.token, 'alpha-one', ['projects:read', 'projects:write']);
      const patched = await t.call('PATCH', `${API}/projects/alpha-one`, { apiKey: writer.key, body: { description: 'by a key' } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.role, null);
      assert.deepEqual([...patched.body.scopes].sort(), ['projects:read', 'projects:write']);
    });
  });

  describe(`projects: roles and scopes (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let owner: User;
    let padmin: User;
    let editor: User;
    let viewer: User;
    let extra: User;
    let project: { id: string };
    let ownerKeyId: string;

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      owner = await createUser(t, admin, 'owner');
      padmin = await createUser(t, admin, 'padmin');
      editor = await createUser(t, admin, 'editor');
      viewer = await createUser(t, admin, 'viewer');
      extra = await createUser(t, admin, 'extra');
      project = await createProject(t, owner.token, 'roles', 'Roles');
      await putMember(t, owner.token, 'roles', padmin.id, 'admin');
      await putMember(t, owner.token, 'roles', editor.id, 'editor');
      await putMember(t, owner.token, 'roles', viewer.id, 'viewer');
      ownerKeyId = (await createApiKey(t, owner.token, 'roles')).id;
    });
    after(() => t.close());

    it('/auth/me shows the scopes of each role exactly as DESIGN §3 lists them', async () => {
      const expected: [User, string, string[]][] = [
        [viewer, 'viewer', VIEWER_SCOPES],
        [editor, 'editor', EDITOR_SCOPES],
        [padmin, 'admin', ADMIN_SCOPES],
        [owner, 'owner', OWNER_SCOPES],
      ];
      for (const [user, role, scopes] of expected) {
        const me = await t.call('GET', `${API}/auth/me`, { token: user.token });
        assert.equal(me.status, 200, me.text);
        const membership = me.body.memberships.find((m: { slug: string }) => m.slug === 'roles');
        assert.ok(membership, `${role} should see the project in /auth/me`);
        assert.equal(membership.role, role);
        assert.equal(membership.projectId, project.id);
        assert.deepEqual(sorted(membership.scopes), sorted(scopes), `scopes of ${role}`);
      }
    });

    /** Every route that needs more than projects:read, with what the caller may not do. */
    const restricted = (who: User) =>
      [
        ['PATCH', `${API}/projects/roles`, { name: `renamed by ${who.email}` }],
        ['PUT', `${API}/projects/roles/members/${extra.id}`, { role: 'viewer' }],
        ['PUT', `${API}/projects/roles/members/${who.id}`, { role: 'owner' }],
        ['DELETE', `${API}/projects/roles/members/${owner.id}`, undefined],
        ['GET', `${API}/projects/roles/api-keys`, undefined],
        ['POST', `${API}/projects/roles/api-keys`, { name: 'sneaky', scopes: ['projects:read'] }],
        ['DELETE', `${API}/projects/roles/api-keys/${ownerKeyId}`, undefined],
        ['DELETE', `${API}/projects/roles`, undefined],
      ] as const;

    for (const role of ['viewer', 'editor'] as const) {
      it(`a ${role} reads the project and its members but gets 403 FORBIDDEN on everything else`, async () => {
        const user = role === 'viewer' ? viewer : editor;
        const project = await t.call('GET', `${API}/projects/roles`, { token: user.token });
        assert.equal(project.status, 200, project.text);
        assert.equal(project.body.role, role);
        const members = await t.call('GET', `${API}/projects/roles/members`, { token: user.token });
        assert.equal(members.status, 200, members.text);
        assert.equal(members.body.meta.total, 4);
        for (const [method, url, body] of restricted(user)) {
          const reply = await t.call(method, url, { token: user.token, body });
          expectProblem(reply, 403, 'FORBIDDEN');
        }
        // Nothing changed.
        const after = await t.call('GET', `${API}/projects/roles`, { token: owner.token });
        assert.equal(after.body.name, 'Roles');
        assert.deepEqual(await membersOf(t, owner.token, 'roles'), {
          [owner.id]: 'owner',
          [padmin.id]: 'admin',
          [editor.id]: 'editor',
          [viewer.id]: 'viewer',
        });
        const keys = await t.call('GET', `${API}/projects/roles/api-keys`, { token: owner.token });
        assert.deepEqual(
          keys.body.data.map((k: { id: string; revokedAt: string | null }) => [k.id, k.revokedAt]),
          [[ownerKeyId, null]],
        );
      });
    }

    it('an admin patches the project and manages members and API keys, but cannot delete the project', async () => {
      const patched = await t.call('PATCH', `${API}/projects/roles`, { token: padmin.token, body: { description: 'Set by the admin' } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.description, 'Set by the admin');
      assert.equal(patched.body.role, 'admin');

      assert.equal((await putMember(t, padmin.token, 'roles', extra.id, 'editor')).role, 'editor');
      assert.equal((await putMember(t, padmin.token, 'roles', extra.id, 'viewer')).role, 'viewer');
      const removed = await t.call('DELETE', `${API}/projects/roles/members/${extra.id}`, { token: padmin.token });
      assert.equal(removed.status, 204, removed.text);
      assert.equal((await membersOf(t, owner.token, 'roles'))[extra.id], undefined);

      const created = await createApiKey(t, padmin.token, 'roles', ['projects:read', 'connections:read']);
      assert.match(created.key, /^sbk_[A-Za-z0-9]{32,}$/);
      const listed = await t.call('GET', `${API}/projects/roles/api-keys`, { token: padmin.token });
      assert.equal(listed.status, 200, listed.text);
      assert.ok(listed.body.data.some((k: { id: string }) => k.id === created.id));
      assert.ok(!listed.text.includes(created.key), 'a listed key must never carry the key itself');
      const revoked = await t.call('DELETE', `${API}/projects/roles/api-keys/${created.id}`, { token: padmin.token });
      assert.equal(revoked.status, 204, revoked.text);
      expectProblem(await t.call('GET', `${API}/auth/me`, { apiKey: created.key }), 401, 'UNAUTHORIZED');

      expectProblem(await t.call('DELETE', `${API}/projects/roles`, { token: padmin.token }), 403, 'FORBIDDEN');
      assert.equal((await t.call('GET', `${API}/projects/roles`, { token: owner.token })).status, 200);
    });

    it('only an owner deletes a project', async () => {
      await createProject(t, owner.token, 'doomed-roles');
      await putMember(t, owner.token, 'doomed-roles', padmin.id, 'admin');
      await putMember(t, owner.token, 'doomed-roles', editor.id, 'editor');
      for (const user of [padmin, editor]) {
        expectProblem(await t.call('DELETE', `${API}/projects/doomed-roles`, { token: user.token }), 403, 'FORBIDDEN');
      }
      const deleted = await t.call('DELETE', `${API}/projects/doomed-roles`, { token: owner.token });
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal(deleted.text, '');
      expectProblem(await t.call('GET', `${API}/projects/doomed-roles`, { token: owner.token }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', `${API}/projects/doomed-roles`, { token: padmin.token }), 404, 'NOT_FOUND');
    });

    it("an API key never holds more than its creator's role allows", async () => {
      const beyond = await t.call('POST', `${API}/projects/roles/api-keys`, {
        token: padmin.token,
        body: { name: 'too-much', scopes: ['projects:delete'] },
      });
      expectProblem(beyond, 403, 'FORBIDDEN');
      const { key } = await createApiKey(t, padmin.token, 'roles', ['projects:read', 'projects:write']);
      const me = await t.call('GET', `${API}/auth/me`, { apiKey: key });
      assert.deepEqual(sorted(me.body.memberships[0].scopes), sorted(['projects:read', 'projects:write']));
      expectProblem(await t.call('GET', `${API}/projects/roles/api-keys`, { apiKey: key }), 403, 'FORBIDDEN');
      // Demoting the creator shrinks the key at once.
      await putMember(t, owner.token, 'roles', padmin.id, 'viewer');
      try {
        expectProblem(await t.call('PATCH', `${API}/projects/roles`, { apiKey: key, body: { name: 'x' } }), 403, 'FORBIDDEN');
        const shrunk = await t.call('GET', `${API}/auth/me`, { apiKey: key });
        assert.deepEqual(shrunk.body.memberships[0].scopes, ['projects:read']);
      } finally {
        await putMember(t, owner.token, 'roles', padmin.id, 'admin');
      }
    });
  });

  describe(`projects: tenancy (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let alice: User;
    let bob: User;
    let projectA: { id: string };
    let projectB: { id: string; name: string; slug: string };
    let bobKeyId: string;
    let aliceKey: string;
    const B_NAME = 'Bravo Confidential Name';

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      alice = await createUser(t, admin, 'alice');
      bob = await createUser(t, admin, 'bob');
      projectA = await createProject(t, alice.token, 'tenant-a', 'Alpha tenant');
      projectB = await createProject(t, bob.token, 'tenant-b', B_NAME, 'Bravo description');
      bobKeyId = (await createApiKey(t, bob.token, 'tenant-b')).id;
      aliceKey = (await createApiKey(t, alice.token, 'tenant-a', ['projects:read', 'projects:write', 'members:write', 'api-keys:write']))
        .key;
    });
    after(() => t.close());

    const routesOf = (ref: string, self: User, other: User) =>
      [
        ['GET', `${API}/projects/${ref}`, undefined],
        ['PATCH', `${API}/projects/${ref}`, { name: 'Taken over' }],
        ['DELETE', `${API}/projects/${ref}`, undefined],
        ['GET', `${API}/projects/${ref}/members`, undefined],
        ['PUT', `${API}/projects/${ref}/members/${self.id}`, { role: 'owner' }],
        ['PUT', `${API}/projects/${ref}/members/${other.id}`, { role: 'viewer' }],
        ['DELETE', `${API}/projects/${ref}/members/${other.id}`, undefined],
        ['GET', `${API}/projects/${ref}/api-keys`, undefined],
        ['POST', `${API}/projects/${ref}/api-keys`, { name: 'stolen', scopes: ['projects:read'] }],
        ['DELETE', `${API}/projects/${ref}/api-keys/${bobKeyId}`, undefined],
      ] as const;

    it("answers 404 NOT_FOUND (never 403) on every route of another user's project, by slug and by id", async () => {
      for (const ref of ['tenant-b', projectB.id, projectB.id.toUpperCase()]) {
        for (const [method, url, body] of routesOf(ref, alice, bob)) {
          const reply = await t.call(method, url, { token: alice.token, body });
          expectProblem(reply, 404, 'NOT_FOUND');
          assert.ok(!reply.text.includes(B_NAME), `${method} ${url} leaked the project name`);
          assert.ok(!reply.text.includes(projectB.id), `${method} ${url} leaked the project id`);
          assert.ok(!reply.text.includes('Bravo'), `${method} ${url} leaked project data`);
        }
      }
      // Nothing happened to B.
      const b = await t.call('GET', `${API}/projects/tenant-b`, { token: bob.token });
      assert.equal(b.body.name, B_NAME);
      assert.deepEqual(await membersOf(t, bob.token, 'tenant-b'), { [bob.id]: 'owner' });
      const keys = await t.call('GET', `${API}/projects/tenant-b/api-keys`, { token: bob.token });
      assert.deepEqual(
        keys.body.data.map((k: { id: string; revokedAt: string | null }) => [k.id, k.revokedAt]),
        [[bobKeyId, null]],
      );
    });

    it("answers 404 to an API key on another project's routes, even when the key's creator is a member there", async () => {
      for (const [method, url, body] of routesOf('tenant-b', alice, bob)) {
        expectProblem(await t.call(method, url, { apiKey: aliceKey, body }), 404, 'NOT_FOUND');
      }
      // Alice joins B, but her key stays confined to A.
      await putMember(t, bob.token, 'tenant-b', alice.id, 'owner');
      try {
        expectProblem(await t.call('GET', `${API}/projects/tenant-b`, { apiKey: aliceKey }), 404, 'NOT_FOUND');
        expectProblem(await t.call('GET', `${API}/projects/${projectB.id}/members`, { apiKey: aliceKey }), 404, 'NOT_FOUND');
        const list = await t.call('GET', `${API}/projects`, { apiKey: aliceKey });
        assert.deepEqual(
          list.body.data.map((p: { id: string }) => p.id),
          [projectA.id],
        );
      } finally {
        const removed = await t.call('DELETE', `${API}/projects/tenant-b/members/${alice.id}`, { token: bob.token });
        assert.equal(removed.status, 204, removed.text);
      }
    });

    it('answers an unknown project exactly like a foreign one', async () => {
      const foreign = await t.call('GET', `${API}/projects/tenant-b`, { token: alice.token });
      const foreignById = await t.call('GET', `${API}/projects/${projectB.id}`, { token: alice.token });
      const unknown = await t.call('GET', `${API}/projects/no-such-project`, { token: alice.token });
      const unknownById = await t.call('GET', `${API}/projects/${randomUUID()}`, { token: alice.token });
      const unknownMembers = await t.call('GET', `${API}/projects/no-such-project/members`, { token: alice.token });
      for (const reply of [foreign, foreignById, unknown, unknownById, unknownMembers]) expectProblem(reply, 404, 'NOT_FOUND');
      const shape = (reply: Reply) => ({ ...reply.body, requestId: undefined });
      for (const reply of [foreignById, unknown, unknownById, unknownMembers]) assert.deepEqual(shape(reply), shape(foreign));
    });

    it("does not list another user's projects", async () => {
      const list = await t.call('GET', `${API}/projects?perPage=100`, { token: alice.token });
      assert.deepEqual(
        list.body.data.map((p: { slug: string }) => p.slug),
        ['tenant-a'],
      );
      assert.ok(!list.text.includes(projectB.id));
      assert.deepEqual(await myProjects(t, alice.token), ['tenant-a']);
    });

    it('lets the instance admin see and act on every project as an owner (documented behaviour)', async () => {
      const list = await t.call('GET', `${API}/projects?perPage=100`, { token: admin });
      assert.equal(list.status, 200, list.text);
      const bySlug = Object.fromEntries(list.body.data.map((p: { slug: string; role: string }) => [p.slug, p.role]));
      assert.deepEqual(bySlug, { default: 'owner', 'tenant-a': 'owner', 'tenant-b': 'owner' });
      assert.equal(list.body.meta.total, 3);

      for (const ref of ['tenant-b', projectB.id]) {
        const b = await t.call('GET', `${API}/projects/${ref}`, { token: admin });
        assert.equal(b.status, 200, b.text);
        assert.equal(b.body.id, projectB.id);
        assert.equal(b.body.role, 'owner');
      }
      const members = await t.call('GET', `${API}/projects/tenant-b/members`, { token: admin });
      assert.equal(members.status, 200, members.text);
      const patched = await t.call('PATCH', `${API}/projects/tenant-b`, { token: admin, body: { description: 'Reviewed by the admin' } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.description, 'Reviewed by the admin');
      // ...without becoming a member.
      assert.deepEqual(await membersOf(t, bob.token, 'tenant-b'), { [bob.id]: 'owner' });
    });
  });

  describe(`projects: members (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let owner: User;
    let padmin: User;
    let member: User;

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      owner = await createUser(t, admin, 'owner');
      padmin = await createUser(t, admin, 'padmin');
      member = await createUser(t, admin, 'member');
      await createProject(t, owner.token, 'crew', 'Crew');
      await putMember(t, owner.token, 'crew', padmin.id, 'admin');
    });
    after(() => t.close());

    it('PUT adds a member and changes their role', async () => {
      const added = await putMember(t, owner.token, 'crew', member.id, 'viewer');
      assert.equal(added.userId, member.id);
      assert.equal(added.email, member.email);
      assert.equal(added.name, 'member');
      assert.equal(added.role, 'viewer');
      assert.ok(!Number.isNaN(Date.parse(added.createdAt)));
      assert.equal((await t.call('GET', `${API}/projects/crew`, { token: member.token })).body.role, 'viewer');

      const changed = await putMember(t, owner.token, 'crew', member.id, 'editor');
      assert.equal(changed.role, 'editor');
      assert.equal(changed.createdAt, added.createdAt, 'changing a role keeps the membership');
      const list = await t.call('GET', `${API}/projects/crew/members`, { token: member.token });
      assert.equal(list.body.meta.total, 3);
      assert.deepEqual(await membersOf(t, owner.token, 'crew'), { [owner.id]: 'owner', [padmin.id]: 'admin', [member.id]: 'editor' });
      assert.equal((await t.call('GET', `${API}/projects/crew`, { token: member.token })).body.role, 'editor');
    });

    it('PUT answers 404 for an unknown or non-UUID user and 400 for an invalid role', async () => {
      for (const userId of [randomUUID(), 'not-a-uuid', "1'; drop table users;--"]) {
        const reply = await t.call('PUT', `${API}/projects/crew/members/${encodeURIComponent(userId)}`, {
          token: owner.token,
          body: { role: 'viewer' },
        });
        expectProblem(reply, 404, 'NOT_FOUND');
      }
      for (const body of [{ role: 'superuser' }, { role: 'OWNER' }, { role: null }, {}, { role: 'viewer', extra: true }]) {
        const reply = await t.call('PUT', `${API}/projects/crew/members/${member.id}`, { token: owner.token, body });
        expectProblem(reply, 400, 'VALIDATION_FAILED');
        assert.ok(reply.body.errors?.length, reply.text);
      }
      expectFieldError(
        await t.call('PUT', `${API}/projects/crew/members/${member.id}`, { token: owner.token, body: { role: 'superuser' } }),
        'role',
      );
      assert.equal((await membersOf(t, owner.token, 'crew'))[member.id], 'editor');
    });

    it('only owners grant or take away ownership', async () => {
      const attempts: [string, string, unknown][] = [
        ['PUT', `${API}/projects/crew/members/${member.id}`, { role: 'owner' }],
        ['PUT', `${API}/projects/crew/members/${padmin.id}`, { role: 'owner' }],
        ['PUT', `${API}/projects/crew/members/${owner.id}`, { role: 'viewer' }],
        ['DELETE', `${API}/projects/crew/members/${owner.id}`, undefined],
      ];
      for (const [method, url, body] of attempts) {
        expectProblem(await t.call(method, url, { token: padmin.token, body }), 403, 'FORBIDDEN');
      }
      assert.deepEqual(await membersOf(t, owner.token, 'crew'), { [owner.id]: 'owner', [padmin.id]: 'admin', [member.id]: 'editor' });

      // An owner may; then the new owner may demote the old one.
      assert.equal((await putMember(t, owner.token, 'crew', member.id, 'owner')).role, 'owner');
      assert.equal((await putMember(t, member.token, 'crew', owner.id, 'admin')).role, 'admin');
      assert.equal((await putMember(t, member.token, 'crew', owner.id, 'owner')).role, 'owner');
      assert.equal((await putMember(t, owner.token, 'crew', member.id, 'editor')).role, 'editor');
    });

    it('keeps the last owner: removing or demoting them is 409', async () => {
      expectProblem(
        await t.call('PUT', `${API}/projects/crew/members/${owner.id}`, { token: owner.token, body: { role: 'admin' } }),
        409,
        'CONFLICT',
      );
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/${owner.id}`, { token: owner.token }), 409, 'CONFLICT');
      // The instance admin acts as an owner, and is held to the same rule.
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/${owner.id}`, { token: admin }), 409, 'CONFLICT');
      expectProblem(
        await t.call('PUT', `${API}/projects/crew/members/${owner.id}`, { token: admin, body: { role: 'viewer' } }),
        409,
        'CONFLICT',
      );
      assert.equal((await membersOf(t, owner.token, 'crew'))[owner.id], 'owner');

      // With two owners, one may leave; then the remaining one is the last again.
      await putMember(t, owner.token, 'crew', member.id, 'owner');
      const left = await t.call('DELETE', `${API}/projects/crew/members/${owner.id}`, { token: owner.token });
      assert.equal(left.status, 204, left.text);
      expectProblem(
        await t.call('PUT', `${API}/projects/crew/members/${member.id}`, { token: member.token, body: { role: 'editor' } }),
        409,
        'CONFLICT',
      );
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/${member.id}`, { token: member.token }), 409, 'CONFLICT');
      // Restore.
      await putMember(t, member.token, 'crew', owner.id, 'owner');
      await putMember(t, owner.token, 'crew', member.id, 'editor');
      assert.deepEqual(await membersOf(t, owner.token, 'crew'), { [owner.id]: 'owner', [padmin.id]: 'admin', [member.id]: 'editor' });
    });

    it('DELETE removes a member, who loses access at once (404), API keys included', async () => {
      await putMember(t, owner.token, 'crew', member.id, 'admin');
      const { key } = await createApiKey(t, member.token, 'crew', ['projects:read']);
      assert.equal((await t.call('GET', `${API}/projects/crew`, { apiKey: key })).status, 200);
      assert.equal((await t.call('GET', `${API}/projects/crew`, { token: member.token })).status, 200);

      const removed = await t.call('DELETE', `${API}/projects/crew/members/${member.id}`, { token: padmin.token });
      assert.equal(removed.status, 204, removed.text);
      assert.equal(removed.text, '');

      expectProblem(await t.call('GET', `${API}/projects/crew`, { token: member.token }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', `${API}/projects/crew/members`, { token: member.token }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', `${API}/projects/crew`, { apiKey: key }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', `${API}/projects/crew`, { token: key }), 404, 'NOT_FOUND');
      assert.ok(!(await myProjects(t, member.token)).includes('crew'));
      assert.equal((await membersOf(t, owner.token, 'crew'))[member.id], undefined);

      // Removing again, or someone who never was a member, is 404.
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/${member.id}`, { token: owner.token }), 404, 'NOT_FOUND');
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/${randomUUID()}`, { token: owner.token }), 404, 'NOT_FOUND');
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/not-a-uuid`, { token: owner.token }), 404, 'NOT_FOUND');
    });

    it("an owner's key scoped projects:read members:write grants and removes no role (issue 13: it made a user owner)", async () => {
      await putMember(t, owner.token, 'crew', member.id, 'editor');
      const before = await membersOf(t, owner.token, 'crew');
      const { key } = await createApiKey(t, owner.token, 'crew', ['projects:read', 'members:write']);
      const attempts: [string, string, unknown][] = [
        ['PUT', `${API}/projects/crew/members/${member.id}`, { role: 'owner' }],
        ['PUT', `${API}/projects/crew/members/${member.id}`, { role: 'admin' }],
        ['PUT', `${API}/projects/crew/members/${member.id}`, { role: 'viewer' }],
        ['PUT', `${API}/projects/crew/members/${padmin.id}`, { role: 'viewer' }],
        ['DELETE', `${API}/projects/crew/members/${member.id}`, undefined],
        ['DELETE', `${API}/projects/crew/members/${padmin.id}`, undefined],
      ];
      for (const [method, url, body] of attempts) {
        const reply = await t.call(method, url, { apiKey: key, body });
        expectProblem(reply, 403, 'FORBIDDEN');
        assert.match(reply.body.detail, /scopes/, reply.text);
      }
      assert.deepEqual(await membersOf(t, owner.token, 'crew'), before);
      expectProblem(await t.call('DELETE', `${API}/projects/crew`, { token: member.token }), 403, 'FORBIDDEN');
      assert.equal((await t.call('GET', `${API}/projects/crew`, { token: owner.token })).status, 200);
    });

    it("a key grants and removes exactly the roles whose scopes it holds; owner needs all of an owner's", async () => {
      const extra = await createUser(t, admin, `crew-extra-${driver}`);
      const adminScoped = await createApiKey(t, owner.token, 'crew', ADMIN_SCOPES);
      const ownerScoped = await createApiKey(t, owner.token, 'crew', OWNER_SCOPES);
      const put = (key: string, userId: string, role: string) =>
        t.call('PUT', `${API}/projects/crew/members/${userId}`, { apiKey: key, body: { role } });

      // Every scope of admin, but not projects:delete: viewer to admin, never owner.
      for (const role of ['viewer', 'editor', 'admin']) assert.equal((await put(adminScoped.key, extra.id, role)).status, 200);
      expectProblem(await put(adminScoped.key, extra.id, 'owner'), 403, 'FORBIDDEN');
      expectProblem(await put(adminScoped.key, owner.id, 'admin'), 403, 'FORBIDDEN');
      assert.equal((await membersOf(t, owner.token, 'crew'))[extra.id], 'admin');

      // All of an owner's scopes: ownership too, in both directions.
      assert.equal((await put(ownerScoped.key, extra.id, 'owner')).status, 200);
      expectProblem(await put(adminScoped.key, extra.id, 'viewer'), 403, 'FORBIDDEN');
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/${extra.id}`, { apiKey: adminScoped.key }), 403, 'FORBIDDEN');
      assert.equal((await put(ownerScoped.key, extra.id, 'viewer')).status, 200);
      const removed = await t.call('DELETE', `${API}/projects/crew/members/${extra.id}`, { apiKey: ownerScoped.key });
      assert.equal(removed.status, 204, removed.text);

      // Never on its own creator, even with a second owner there to keep the project owned.
      await putMember(t, owner.token, 'crew', extra.id, 'owner');
      for (const role of ['admin', 'owner']) {
        const reply = await put(ownerScoped.key, owner.id, role);
        expectProblem(reply, 403, 'FORBIDDEN');
        assert.match(reply.body.detail, /created it/, reply.text);
      }
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/${owner.id}`, { apiKey: ownerScoped.key }), 403, 'FORBIDDEN');
      assert.equal((await membersOf(t, owner.token, 'crew'))[owner.id], 'owner');
      // Signed in, the creator may.
      assert.equal((await putMember(t, owner.token, 'crew', owner.id, 'admin')).role, 'admin');
      assert.equal((await putMember(t, extra.token, 'crew', owner.id, 'owner')).role, 'owner');
      assert.equal((await t.call('DELETE', `${API}/projects/crew/members/${extra.id}`, { token: owner.token })).status, 204);
    });

    it('an admin manages viewers, editors and admins, never an owner, and never above admin', async () => {
      const peer = await createUser(t, admin, `crew-peer-${driver}`);
      await putMember(t, owner.token, 'crew', peer.id, 'viewer');
      // Up to their own role, other admins included.
      assert.equal((await putMember(t, padmin.token, 'crew', peer.id, 'admin')).role, 'admin');
      assert.equal((await putMember(t, padmin.token, 'crew', peer.id, 'editor')).role, 'editor');
      await putMember(t, padmin.token, 'crew', peer.id, 'admin');
      const removed = await t.call('DELETE', `${API}/projects/crew/members/${peer.id}`, { token: padmin.token });
      assert.equal(removed.status, 204, removed.text);
      // Not above it, and not the (last) owner: 403 before any 409.
      expectProblem(
        await t.call('PUT', `${API}/projects/crew/members/${peer.id}`, { token: padmin.token, body: { role: 'owner' } }),
        403,
        'FORBIDDEN',
      );
      expectProblem(
        await t.call('PUT', `${API}/projects/crew/members/${owner.id}`, { token: padmin.token, body: { role: 'admin' } }),
        403,
        'FORBIDDEN',
      );
      expectProblem(await t.call('DELETE', `${API}/projects/crew/members/${owner.id}`, { token: padmin.token }), 403, 'FORBIDDEN');
      // An admin's key holding every admin scope is held to the same line.
      const { key } = await createApiKey(t, padmin.token, 'crew', ADMIN_SCOPES);
      expectProblem(
        await t.call('PUT', `${API}/projects/crew/members/${peer.id}`, { apiKey: key, body: { role: 'owner' } }),
        403,
        'FORBIDDEN',
      );
      assert.equal((await membersOf(t, owner.token, 'crew'))[owner.id], 'owner');
      assert.equal((await membersOf(t, owner.token, 'crew'))[peer.id], undefined);
    });
  });

  describe(`projects: deletion (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let owner: User;
    let member: User;

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      owner = await createUser(t, admin, 'owner');
      member = await createUser(t, admin, 'member');
    });
    after(() => t.close());

    it('removes memberships and API keys with the project; the same slug can be created again, empty', async () => {
      const doomed = await createProject(t, owner.token, 'doomed', 'Doomed', 'About to go');
      await putMember(t, owner.token, 'doomed', member.id, 'admin');
      const ownerKey = await createApiKey(t, owner.token, 'doomed', ['projects:read']);
      const memberKey = await createApiKey(t, member.token, 'doomed', ['projects:read', 'api-keys:write']);
      assert.equal((await t.call('GET', `${API}/projects/doomed`, { apiKey: ownerKey.key })).status, 200);
      assert.equal((await t.call('GET', `${API}/auth/me`, { token: memberKey.key })).status, 200);
      assert.ok((await myProjects(t, member.token)).includes('doomed'));

      const deleted = await t.call('DELETE', `${API}/projects/${doomed.id}`, { token: owner.token });
      assert.equal(deleted.status, 204, deleted.text);

      for (const ref of ['doomed', doomed.id]) {
        expectProblem(await t.call('GET', `${API}/projects/${ref}`, { token: owner.token }), 404, 'NOT_FOUND');
        expectProblem(await t.call('GET', `${API}/projects/${ref}/members`, { token: member.token }), 404, 'NOT_FOUND');
      }
      // Keys of the deleted project are refused outright, in either header.
      for (const key of [ownerKey.key, memberKey.key]) {
        expectProblem(await t.call('GET', `${API}/auth/me`, { apiKey: key }), 401, 'UNAUTHORIZED');
        expectProblem(await t.call('GET', `${API}/projects`, { token: key }), 401, 'UNAUTHORIZED');
      }
      // Memberships went with it: /auth/me answers and no longer lists it.
      assert.deepEqual(await myProjects(t, member.token), []);
      assert.deepEqual(await myProjects(t, owner.token), []);
      const ownersList = await t.call('GET', `${API}/projects`, { token: owner.token });
      assert.deepEqual(ownersList.body, { data: [], meta: { total: 0, page: 1, perPage: 20 } });

      const again = await createProject(t, owner.token, 'doomed', 'Doomed again');
      assert.notEqual(again.id, doomed.id);
      assert.equal(again.description, null);
      assert.deepEqual(await membersOf(t, owner.token, 'doomed'), { [owner.id]: 'owner' });
      const keys = await t.call('GET', `${API}/projects/doomed/api-keys`, { token: owner.token });
      assert.equal(keys.status, 200, keys.text);
      assert.deepEqual(keys.body, { data: [], meta: { total: 0, page: 1, perPage: 20 } });
      expectProblem(await t.call('GET', `${API}/projects/doomed`, { token: member.token }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', `${API}/projects/doomed`, { apiKey: ownerKey.key }), 401, 'UNAUTHORIZED');
      expectProblem(await t.call('GET', `${API}/projects/${doomed.id}`, { token: owner.token }), 404, 'NOT_FOUND');
    });

    it('deleting one project leaves the others alone', async () => {
      const keep = await createProject(t, owner.token, 'keep-me', 'Keep me');
      await putMember(t, owner.token, 'keep-me', member.id, 'viewer');
      const key = await createApiKey(t, owner.token, 'keep-me', ['projects:read']);
      const gone = await createProject(t, owner.token, 'gone-soon');
      await putMember(t, owner.token, 'gone-soon', member.id, 'viewer');
      assert.equal((await t.call('DELETE', `${API}/projects/gone-soon`, { token: owner.token })).status, 204);

      expectProblem(await t.call('GET', `${API}/projects/${gone.id}`, { token: owner.token }), 404, 'NOT_FOUND');
      assert.equal((await t.call('GET', `${API}/projects/${keep.id}`, { apiKey: key.key })).status, 200);
      assert.deepEqual(await membersOf(t, owner.token, 'keep-me'), { [owner.id]: 'owner', [member.id]: 'viewer' });
      assert.deepEqual(await myProjects(t, member.token), ['keep-me']);
      // The bootstrap project is untouched too.
      assert.equal((await t.call('GET', `${API}/projects/default`, { token: admin })).status, 200);
    });
  });
}
