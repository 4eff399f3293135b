import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, ApiKeysService } from '@switchboard/auth';
import { ApiKeyAuthenticationRepository } from '../../libs/auth/src/api-keys/api-key-authentication.repository';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createUser, DRIVERS, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';
import { fieldsOf } from '../support/problems';

const VIEWER_SCOPES = ['projects:read', 'connections:read', 'credentials:read'];
const EDITOR_SCOPES = [...VIEWER_SCOPES, 'connections:write', 'credentials:write', 'connections:test', 'data:read'];
const ADMIN_SCOPES = [...EDITOR_SCOPES, 'members:write', 'api-keys:write', 'secrets:reveal', 'audit:read', 'projects:write'];
const OWNER_SCOPES = [...ADMIN_SCOPES, 'projects:delete'];

const sorted = (values: readonly string[]): string[] => [...values].sort();
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodeJwt = (token: string): Record<string, any> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
const decodeJwtHeader = (token: string): Record<string, any> => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Asserts a 401 from the authentication guard, which always challenges with WWW-Authenticate. */
function expectUnauthorized(reply: Reply): void {
  expectProblem(reply, 401, 'UNAUTHORIZED');
  assert.match(reply.headers.get('www-authenticate') ?? '', /^Bearer/);
}

for (const driver of DRIVERS) {
  describe(`auth: login, tokens, sessions and /auth/me (${driver})`, () => {
    let t: TestApp;
    let admin: { accessToken: string; refreshToken: string };
    let claims: { sub: string; sid: string };

    const me = (token: string) => t.call('GET', '/api/v1/auth/me', { token });
    const login = (email: string, password: string) => t.call('POST', '/api/v1/auth/login', { body: { email, password } });
    const refresh = (refreshToken: string) => t.call('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
    const logout = (refreshToken: string) => t.call('POST', '/api/v1/auth/logout', { body: { refreshToken } });
    /** An access token with the real session's subject and id, varied by `options`. */
    const forge = (options: { secret?: string; algorithm?: jwt.Algorithm; issuer?: string; audience?: string; exp?: number } = {}) =>
      jwt.sign({ sid: claims.sid, sub: claims.sub, exp: options.exp ?? nowSeconds() + 600 }, options.secret ?? t.config.jwtSecret, {
        algorithm: options.algorithm ?? 'HS256',
        issuer: options.issuer ?? 'switchboard',
        audience: options.audience ?? 'switchboard-api',
      });

    before(async () => {
      t = await startTestApp(driver);
      admin = await t.login();
      const payload = decodeJwt(admin.accessToken);
      claims = { sub: payload.sub, sid: payload.sid };
    });
    after(() => t.close());

    describe('login', () => {
      it('returns a Bearer pair: a 15-minute HS256 JWT for this issuer and audience, and an opaque refresh token', async () => {
        const reply = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
        assert.equal(reply.status, 200);
        assert.deepEqual(Object.keys(reply.body).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
        assert.equal(reply.body.tokenType, 'Bearer');
        assert.equal(reply.body.expiresIn, 900);
        assert.equal(decodeJwtHeader(reply.body.accessToken).alg, 'HS256');
        const payload = decodeJwt(reply.body.accessToken);
        assert.equal(payload.iss, 'switchboard');
        assert.equal(payload.aud, 'switchboard-api');
        assert.equal(payload.exp - payload.iat, 900);
        assert.equal(payload.sub, claims.sub);
        assert.notEqual(payload.sid, claims.sid, 'each login is its own session');
        assert.match(reply.body.refreshToken, /^sbr_/);
        assert.equal(reply.body.refreshToken.split('.').length, 1, 'the refresh token is opaque, not a JWT');
        assert.equal((await me(reply.body.accessToken)).status, 200);
      });

      it('treats the email case-insensitively', async () => {
        const reply = await login(`  ${ADMIN_EMAIL.toUpperCase()} `, ADMIN_PASSWORD);
        assert.equal(reply.status, 200);
        assert.equal(decodeJwt(reply.body.accessToken).sub, claims.sub);
      });

      it('answers a wrong password and an unknown email alike: 401 INVALID_CREDENTIALS', async () => {
        const wrongPassword = await login(ADMIN_EMAIL, 'not-the-admin-password');
        const unknownEmail = await login('nobody@switchboard.test', ADMIN_PASSWORD);
        expectProblem(wrongPassword, 401, 'INVALID_CREDENTIALS');
        expectProblem(unknownEmail, 401, 'INVALID_CREDENTIALS');
        assert.equal(wrongPassword.body.detail, unknownEmail.body.detail);
        assert.equal(wrongPassword.body.title, unknownEmail.body.title);
        assert.equal(wrongPassword.body.accessToken, undefined);
      });

      it('rejects invalid bodies with 400 VALIDATION_FAILED naming the field', async () => {
        const badEmail = await t.call('POST', '/api/v1/auth/login', { body: { email: 'not-an-email', password: ADMIN_PASSWORD } });
        expectProblem(badEmail, 400, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(badEmail), ['email']);

        const noPassword = await t.call('POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL } });
        expectProblem(noPassword, 400, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(noPassword), ['password']);

        const numberPassword = await t.call('POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: 12345 } });
        expectProblem(numberPassword, 400, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(numberPassword), ['password']);

        const extra = await t.call('POST', '/api/v1/auth/login', {
          body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, remember: true },
        });
        expectProblem(extra, 400, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(extra), ['remember']);
        for (const reply of [badEmail, noPassword, numberPassword, extra]) {
          assert.ok(reply.body.errors.every((error: { message: unknown }) => typeof error.message === 'string' && error.message));
        }
      });

      it('rate-limits password guessing per account: the 11th rapid failure is 429 with Retry-After', async () => {
        const email = `throttled-${driver}@switchboard.test`;
        for (let attempt = 1; attempt <= 10; attempt++) {
          expectProblem(await login(email, `wrong-password-${attempt}`), 401, 'INVALID_CREDENTIALS');
        }
        const limited = await login(email, 'wrong-password-11');
        expectProblem(limited, 429, 'RATE_LIMITED');
        const retryAfter = Number(limited.headers.get('retry-after'));
        assert.ok(
          Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
          `Retry-After: ${limited.headers.get('retry-after')}`,
        );
        // Per account: another email from the same address is still answered normally.
        expectProblem(await login(`other-${email}`, 'wrong-password'), 401, 'INVALID_CREDENTIALS');
      });

      it('counts each attempt before its password is checked: of 40 concurrent wrong passwords at most 10 are checked', async () => {
        const user = await createUser(t, admin.accessToken, `guessed-${driver}`);
        const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => login(user.email, `wrong-password-${i}`)));
        const checked = replies.filter((reply) => reply.status === 401);
        const limited = replies.filter((reply) => reply.status === 429);
        assert.ok(checked.length <= 10, `${checked.length} wrong passwords were checked`);
        assert.equal(checked.length + limited.length, 40, replies.map((reply) => reply.status).join(','));
        for (const reply of limited) expectProblem(reply, 429, 'RATE_LIMITED');
      });

      it('does not count successes: one address signs in more often than its failure budget (60 a minute)', async () => {
        for (let attempt = 1; attempt <= 61; attempt++) {
          const reply = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
          assert.equal(reply.status, 200, `sign-in ${attempt}: ${reply.text}`);
        }
      });
    });

    describe('access tokens', () => {
      it('accepts a token with the right secret, algorithm, issuer, audience and expiry (control)', async () => {
        const reply = await me(forge());
        assert.equal(reply.status, 200);
        assert.equal(reply.body.user.id, claims.sub);
      });

      it('refuses alg none, even with the right claims', async () => {
        const payload = { sid: claims.sid, sub: claims.sub, iss: 'switchboard', aud: 'switchboard-api', exp: nowSeconds() + 600 };
        const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
        expectUnauthorized(await me(unsigned));
        // The right HS256 signature under a header that claims none.
        const signature = forge().split('.')[2];
        expectUnauthorized(await me(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.${signature}`));
      });

      it('refuses another algorithm than HS256, even with the right secret', async () => {
        expectUnauthorized(await me(forge({ algorithm: 'HS512' })));
        expectUnauthorized(await me(forge({ algorithm: 'HS384' })));
      });

      it('refuses a wrong audience, a wrong issuer or another secret', async () => {
        expectUnauthorized(await me(forge({ audience: 'another-api' })));
        expectUnauthorized(await me(forge({ issuer: 'someone-else' })));
        expectUnauthorized(await me(forge({ secret: `${t.config.jwtSecret}x` })));
      });

      it('refuses an expired token and says so', async () => {
        const reply = await me(forge({ exp: nowSeconds() - 30 }));
        expectUnauthorized(reply);
        assert.match(reply.body.detail, /expire/i);
      });

      it('refuses a token without an expiry, even with the right secret', async () => {
        const token = jwt.sign({ sid: claims.sid, sub: claims.sub }, t.config.jwtSecret, {
          algorithm: 'HS256',
          issuer: 'switchboard',
          audience: 'switchboard-api',
        });
        assert.equal(decodeJwt(token).exp, undefined);
        expectUnauthorized(await me(token));
      });

      it("refuses a token whose subject is not the session's user", async () => {
        const token = jwt.sign({ sid: claims.sid, sub: randomUUID() }, t.config.jwtSecret, {
          algorithm: 'HS256',
          issuer: 'switchboard',
          audience: 'switchboard-api',
          expiresIn: 600,
        });
        expectUnauthorized(await me(token));
      });

      it('refuses a well-signed token for a session that does not exist', async () => {
        const token = jwt.sign({ sid: randomUUID(), sub: claims.sub }, t.config.jwtSecret, {
          algorithm: 'HS256',
          issuer: 'switchboard',
          audience: 'switchboard-api',
          expiresIn: 600,
        });
        expectUnauthorized(await me(token));
      });

      it('refuses garbage and missing credentials with 401 and WWW-Authenticate', async () => {
        const garbage = await me('this.is-not.a-jwt');
        expectUnauthorized(garbage);
        assert.doesNotMatch(garbage.body.detail, /expire/i);
        expectUnauthorized(await t.call('GET', '/api/v1/auth/me', { headers: { authorization: 'Basic YWRtaW46cGFzcw==' } }));
        expectUnauthorized(await t.call('GET', '/api/v1/auth/me'));
      });
    });

    describe('refresh and logout', () => {
      it('rotates: a new pair, the old refresh token is refused, and its reuse ends the whole session', async () => {
        const first = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
        const rotated = await refresh(first.refreshToken);
        assert.equal(rotated.status, 200);
        assert.deepEqual(Object.keys(rotated.body).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
        assert.equal(rotated.body.tokenType, 'Bearer');
        assert.equal(rotated.body.expiresIn, 900);
        const second = rotated.body;
        assert.notEqual(second.refreshToken, first.refreshToken);
        assert.equal(decodeJwt(second.accessToken).sid, decodeJwt(first.accessToken).sid, 'rotation keeps the session');
        assert.equal((await me(second.accessToken)).status, 200);

        // The superseded token: refused, and treated as a leak.
        expectProblem(await refresh(first.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        expectProblem(await refresh(second.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        expectUnauthorized(await me(second.accessToken));
        expectUnauthorized(await me(first.accessToken));
        // Only that session ends: the admin's other session still works.
        assert.equal((await me(admin.accessToken)).status, 200);
      });

      it('treats two concurrent uses of one refresh token as reuse: one wins, then the session ends', async () => {
        const pair = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
        const replies = await Promise.all([refresh(pair.refreshToken), refresh(pair.refreshToken)]);
        const statuses = replies.map((reply) => reply.status).sort();
        assert.deepEqual(statuses, [200, 401], replies.map((reply) => reply.text).join('\n'));
        const winner = replies.find((reply) => reply.status === 200)!;
        expectProblem(
          replies.find((reply) => reply.status === 401)!,
          401,
          'INVALID_REFRESH_TOKEN',
        );
        expectProblem(await refresh(winner.body.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        expectUnauthorized(await me(winner.body.accessToken));
      });

      it('refuses a guessed secret for a known session without ending that session', async () => {
        const pair = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
        const sessionId = decodeJwt(pair.accessToken).sid as string;
        expectProblem(await refresh(`sbr_${sessionId}_${'A'.repeat(43)}`), 401, 'INVALID_REFRESH_TOKEN');
        assert.equal((await me(pair.accessToken)).status, 200);
        assert.equal((await refresh(pair.refreshToken)).status, 200);
      });

      it('refuses an expired session and removes it at the next sign-in', async () => {
        const pair = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
        const sessionId = decodeJwt(pair.accessToken).sid as string;
        const dataSource = t.app.get(DataSource);
        const param = t.driver === 'postgres' ? '$1' : '?';
        await dataSource.query(`UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ${param}`, [sessionId]);
        expectProblem(await refresh(pair.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        expectUnauthorized(await me(pair.accessToken));
        assert.equal((await login(ADMIN_EMAIL, ADMIN_PASSWORD)).status, 200);
        const left = await dataSource.query(`SELECT id FROM sessions WHERE id = ${param}`, [sessionId]);
        assert.equal(left.length, 0);
      });

      it('rotates repeatedly, each token usable exactly once', async () => {
        let pair = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
        for (let i = 0; i < 3; i++) {
          const next = await refresh(pair.refreshToken);
          assert.equal(next.status, 200, next.text);
          pair = next.body;
        }
        assert.equal((await me(pair.accessToken)).status, 200);
        assert.equal((await logout(pair.refreshToken)).status, 204);
      });

      it('logout ends the session: the refresh token fails and its access token is refused at once', async () => {
        const pair = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
        assert.equal((await me(pair.accessToken)).status, 200);
        const reply = await logout(pair.refreshToken);
        assert.equal(reply.status, 204);
        assert.equal(reply.text, '');
        expectUnauthorized(await me(pair.accessToken));
        expectProblem(await refresh(pair.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        // Signing out again signs nothing out: the client is told so.
        expectProblem(await logout(pair.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        assert.equal((await me(admin.accessToken)).status, 200);
      });

      it('logout with a token a refresh already replaced ends the session, as refresh does, and answers 401 (issue 13)', async () => {
        const first = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
        const second = (await refresh(first.refreshToken)).body;
        assert.equal((await me(second.accessToken)).status, 200);
        expectProblem(await logout(first.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        expectUnauthorized(await me(second.accessToken));
        expectProblem(await refresh(second.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        expectProblem(await logout(second.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
        assert.equal((await me(admin.accessToken)).status, 200);
      });

      it('logout answers 401 for a token that is not live, and a guessed one ends nothing', async () => {
        const pair = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
        const sessionId = decodeJwt(pair.accessToken).sid as string;
        for (const token of ['sbr_not-a-token', `sbr_${randomUUID()}_${'A'.repeat(43)}`, `sbr_${sessionId}_${'A'.repeat(43)}`]) {
          expectProblem(await logout(token), 401, 'INVALID_REFRESH_TOKEN');
        }
        assert.equal((await me(pair.accessToken)).status, 200);
        const dataSource = t.app.get(DataSource);
        const param = t.driver === 'postgres' ? '$1' : '?';
        await dataSource.query(`UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ${param}`, [sessionId]);
        expectProblem(await logout(pair.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
      });

      it('a logout racing a refresh with the same token ends the session whichever wins', async () => {
        for (let round = 0; round < 5; round++) {
          const pair = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).body;
          const [refreshed, loggedOut] = await Promise.all([refresh(pair.refreshToken), logout(pair.refreshToken)]);
          assert.equal([refreshed.status, loggedOut.status].filter((status) => status === 401).length, 1, refreshed.text + loggedOut.text);
          expectUnauthorized(await me(pair.accessToken));
          if (refreshed.status === 200) {
            expectProblem(loggedOut, 401, 'INVALID_REFRESH_TOKEN');
            expectUnauthorized(await me(refreshed.body.accessToken));
            expectProblem(await refresh(refreshed.body.refreshToken), 401, 'INVALID_REFRESH_TOKEN');
          } else {
            assert.equal(loggedOut.status, 204, loggedOut.text);
          }
        }
      });

      it('refuses malformed and unknown refresh tokens (401) and missing ones (400)', async () => {
        expectProblem(await refresh('not-a-refresh-token'), 401, 'INVALID_REFRESH_TOKEN');
        expectProblem(await refresh(`sbr_${claims.sid}_tooShort`), 401, 'INVALID_REFRESH_TOKEN');
        expectProblem(await refresh(`sbr_${randomUUID()}_${'A'.repeat(43)}`), 401, 'INVALID_REFRESH_TOKEN');

        const missing = await t.call('POST', '/api/v1/auth/refresh', { body: {} });
        expectProblem(missing, 400, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(missing), ['refreshToken']);
        const empty = await t.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: '' } });
        expectProblem(empty, 400, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(empty), ['refreshToken']);
        const missingOnLogout = await t.call('POST', '/api/v1/auth/logout', { body: {} });
        expectProblem(missingOnLogout, 400, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(missingOnLogout), ['refreshToken']);
        // None of this touched the admin's live session.
        assert.equal((await refresh(admin.refreshToken)).status, 200);
      });
    });

    describe('GET /auth/me', () => {
      it('describes a signed-in user: the user, no API key, memberships with their scopes', async () => {
        const adminMe = await me(admin.accessToken);
        assert.equal(adminMe.status, 200);
        assert.equal(adminMe.body.user.email, ADMIN_EMAIL);
        assert.equal(adminMe.body.user.isAdmin, true);
        assert.equal(adminMe.body.user.disabled, false);
        assert.equal(adminMe.body.apiKey, null);
        assert.ok(!('passwordHash' in adminMe.body.user));
        assert.equal(adminMe.body.memberships.length, 1);
        const [membership] = adminMe.body.memberships;
        assert.equal(membership.slug, 'default');
        assert.equal(membership.role, 'owner');
        assert.deepEqual(sorted(membership.scopes), sorted(OWNER_SCOPES));

        const editor = await createUser(t, admin.accessToken, `me-editor-${driver}`);
        const none = await me(editor.token);
        assert.equal(none.status, 200);
        assert.equal(none.body.user.id, editor.id);
        assert.equal(none.body.user.isAdmin, false);
        assert.deepEqual(none.body.memberships, []);

        const put = await t.call('PUT', `/api/v1/projects/default/members/${editor.id}`, {
          token: admin.accessToken,
          body: { role: 'editor' },
        });
        assert.equal(put.status, 200, put.text);
        const editorMe = await me(editor.token);
        assert.equal(editorMe.body.memberships.length, 1);
        assert.equal(editorMe.body.memberships[0].projectId, membership.projectId);
        assert.equal(editorMe.body.memberships[0].role, 'editor');
        assert.deepEqual(sorted(editorMe.body.memberships[0].scopes), sorted(EDITOR_SCOPES));
      });

      it('describes an API key: the key, only its project, its effective scopes', async () => {
        const other = await t.call('POST', '/api/v1/projects', { token: admin.accessToken, body: { slug: 'me-other', name: 'Other' } });
        assert.equal(other.status, 201, other.text);
        assert.equal((await me(admin.accessToken)).body.memberships.length, 2);

        const scopes = ['projects:read', 'connections:read'];
        const created = await t.call('POST', '/api/v1/projects/default/api-keys', {
          token: admin.accessToken,
          body: { name: 'me', scopes },
        });
        assert.equal(created.status, 201, created.text);
        for (const reply of [await me(created.body.key), await t.call('GET', '/api/v1/auth/me', { apiKey: created.body.key })]) {
          assert.equal(reply.status, 200, reply.text);
          assert.equal(reply.body.user.id, claims.sub);
          assert.deepEqual(reply.body.apiKey.id, created.body.id);
          assert.equal(reply.body.apiKey.projectId, created.body.projectId);
          assert.deepEqual(sorted(reply.body.apiKey.scopes), sorted(scopes));
          assert.equal(reply.body.memberships.length, 1);
          assert.equal(reply.body.memberships[0].slug, 'default');
          assert.equal(reply.body.memberships[0].projectId, created.body.projectId);
          assert.deepEqual(sorted(reply.body.memberships[0].scopes), sorted(scopes));
          assert.ok(!JSON.stringify(reply.body).includes(created.body.key), 'the key is never echoed');
        }
      });
    });
  });

  describe(`auth: API keys (${driver})`, () => {
    let t: TestApp;
    let adminToken: string;
    let adminId: string;
    let defaultId: string;
    let editor: Awaited<ReturnType<typeof createUser>>;

    const keysUrl = (project: string) => `/api/v1/projects/${project}/api-keys`;
    const createKey = (token: string, project: string, body: Record<string, unknown>) =>
      t.call('POST', keysUrl(project), { token, body: { name: 'key', ...body } });
    const listKeys = async (project = 'default') => {
      const reply = await t.call('GET', `${keysUrl(project)}?perPage=100`, { token: adminToken });
      assert.equal(reply.status, 200, reply.text);
      return reply;
    };
    const putMember = async (userId: string, role: string) => {
      const reply = await t.call('PUT', `/api/v1/projects/default/members/${userId}`, { token: adminToken, body: { role } });
      assert.equal(reply.status, 200, reply.text);
    };
    /** A project admin (not an instance admin) of `default`, signed in. */
    const projectAdmin = async (name: string) => {
      const user = await createUser(t, adminToken, `${name}-${driver}`);
      await putMember(user.id, 'admin');
      return user;
    };
    const getDefault = (key: string) => t.call('GET', '/api/v1/projects/default', { token: key });

    before(async () => {
      t = await startTestApp(driver);
      adminToken = (await t.login()).accessToken;
      const me = await t.call('GET', '/api/v1/auth/me', { token: adminToken });
      adminId = me.body.user.id;
      defaultId = me.body.memberships[0].projectId;
      editor = await createUser(t, adminToken, `keys-editor-${driver}`);
      await putMember(editor.id, 'editor');
    });
    after(() => t.close());

    it('creates a key shown only once: sbk_ + 40 base62 characters', async () => {
      const scopes = ['projects:read', 'connections:read'];
      const reply = await createKey(adminToken, 'default', { name: 'nightly', scopes });
      assert.equal(reply.status, 201, reply.text);
      const key: string = reply.body.key;
      assert.match(key, /^sbk_[A-Za-z0-9]{40}$/);
      assert.equal(reply.body.name, 'nightly');
      assert.equal(reply.body.projectId, defaultId);
      assert.equal(reply.body.createdBy, adminId);
      assert.equal(reply.body.prefix, key.slice(0, reply.body.prefix.length));
      assert.ok(reply.body.prefix.length >= 4 && reply.body.prefix.length < 20, `prefix ${reply.body.prefix}`);
      assert.deepEqual(sorted(reply.body.scopes), sorted(scopes));
      assert.equal(reply.body.expiresAt, null);
      assert.equal(reply.body.revokedAt, null);
      assert.equal(reply.body.lastUsedAt, null);
      assert.ok(!('keyHash' in reply.body));

      const another = await createKey(adminToken, 'default', { scopes });
      assert.notEqual(another.body.key, key);

      const list = await listKeys();
      const listed = list.body.data.find((item: { id: string }) => item.id === reply.body.id);
      assert.ok(listed, 'the new key is listed');
      assert.equal(listed.prefix, reply.body.prefix);
      assert.equal(listed.lastUsedAt, null);
      for (const item of list.body.data) {
        assert.ok(!('key' in item) && !('keyHash' in item) && !('hash' in item), `no secret in ${JSON.stringify(item)}`);
      }
      for (const secret of [key, another.body.key]) {
        assert.ok(!list.text.includes(secret), 'the list never carries a key');
        assert.ok(!list.text.includes(secret.slice(16)), 'nor its secret part');
        assert.ok(!list.text.includes(createHash('sha256').update(secret).digest('hex')), 'nor its hash');
      }
      assert.equal(list.body.meta.total, list.body.data.length);
    });

    it('authenticates as Bearer and as X-API-Key, and records when it was last used', async () => {
      const created = await createKey(adminToken, 'default', { scopes: ['projects:read'] });
      const key: string = created.body.key;
      const asBearer = await getDefault(key);
      assert.equal(asBearer.status, 200, asBearer.text);
      assert.equal(asBearer.body.id, defaultId);
      const asHeader = await t.call('GET', '/api/v1/projects/default', { apiKey: key });
      assert.equal(asHeader.status, 200, asHeader.text);

      // Recording the use is not on the request's path; give it a moment to land.
      let lastUsedAt: string | null = null;
      for (let i = 0; i < 20 && !lastUsedAt; i++) {
        if (i) await sleep(50);
        lastUsedAt = (await listKeys()).body.data.find((item: { id: string }) => item.id === created.body.id).lastUsedAt;
      }
      assert.ok(lastUsedAt, 'lastUsedAt is set after use');
      assert.ok(Date.parse(lastUsedAt) >= Date.parse(created.body.createdAt));

      const unknown = `sbk_${'x'.repeat(40)}`;
      expectUnauthorized(await getDefault(unknown));
      expectUnauthorized(await t.call('GET', '/api/v1/projects/default', { apiKey: unknown }));
    });

    it('looks a presented key up once per request, whether it is valid, unknown, revoked or expired', async () => {
      // Counting spies on the service's lookup (through the cache) and on the store query behind it.
      const service = t.app.get(ApiKeysService);
      const repository = t.app.get(ApiKeyAuthenticationRepository);
      const counts = { lookups: 0, queries: 0 };
      const { authenticate } = service;
      const { findByHash } = repository;
      service.authenticate = (...args) => (counts.lookups++, authenticate.apply(service, args));
      repository.findByHash = (...args) => (counts.queries++, findByHash.apply(repository, args));
      try {
        const fresh = async () =>
          (await createKey(adminToken, 'default', { scopes: ['projects:read'] })).body as { id: string; key: string };
        const valid = await fresh();
        const revoked = await fresh();
        assert.equal((await t.call('DELETE', `${keysUrl('default')}/${revoked.id}`, { token: adminToken })).status, 204);
        const expired = await fresh();
        await t.app
          .get(DataSource)
          .getRepository(ApiKeyEntity)
          .update({ id: expired.id }, { expiresAt: new Date(Date.now() - 1000) });
        const cases = [
          { name: 'valid', key: valid.key, status: 200 },
          { name: 'unknown', key: `sbk_${'u'.repeat(40)}`, status: 401 },
          { name: 'revoked', key: revoked.key, status: 401 },
          { name: 'expired', key: expired.key, status: 401 },
        ];
        for (const { name, key, status } of cases) {
          for (const [how, options] of [
            ['as Bearer', { token: key }],
            ['as X-API-Key', { apiKey: key }],
          ] as const) {
            counts.lookups = counts.queries = 0;
            const reply = await t.call('GET', '/api/v1/projects/default', options);
            if (status === 401) expectUnauthorized(reply);
            else assert.equal(reply.status, status, reply.text);
            assert.equal(counts.lookups, 1, `${name} key ${how}: looked up ${counts.lookups} times`);
            // Unknown keys are never cached; the others may be served from memory after their first use.
            assert.ok(counts.queries <= 1, `${name} key ${how}: ${counts.queries} store queries`);
            if (name === 'unknown' || how === 'as Bearer') assert.equal(counts.queries, 1, `${name} key ${how}: not read from the store`);
          }
        }
      } finally {
        service.authenticate = authenticate;
        repository.findByHash = findByHash;
      }
    });

    it('never grants more than the creator holds', async () => {
      // An editor cannot manage keys at all (no api-keys:write), let alone ask for members:write.
      expectProblem(await createKey(editor.token, 'default', { scopes: ['members:write'] }), 403, 'FORBIDDEN');
      expectProblem(await createKey(editor.token, 'default', { scopes: ['projects:read'] }), 403, 'FORBIDDEN');

      // A project admin holds api-keys:write but not the owner's projects:delete.
      const padmin = await projectAdmin('keys-grant');
      const beyond = await createKey(padmin.token, 'default', { scopes: ['projects:read', 'projects:delete'] });
      expectProblem(beyond, 403, 'FORBIDDEN');
      assert.match(beyond.body.detail, /projects:delete/);
      assert.equal((await createKey(padmin.token, 'default', { scopes: ADMIN_SCOPES })).status, 201);

      // A key cannot mint a broader key either.
      const narrow = await createKey(adminToken, 'default', { scopes: ['projects:read', 'api-keys:write'] });
      expectProblem(await createKey(narrow.body.key, 'default', { scopes: ['connections:read'] }), 403, 'FORBIDDEN');
      const minted = await createKey(narrow.body.key, 'default', { scopes: ['projects:read'] });
      assert.equal(minted.status, 201, minted.text);
    });

    it('validates the create body', async () => {
      const unknownScope = await createKey(adminToken, 'default', { scopes: ['everything'] });
      expectProblem(unknownScope, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(unknownScope), ['scopes']);
      const noScopes = await createKey(adminToken, 'default', { scopes: [] });
      expectProblem(noScopes, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(noScopes), ['scopes']);
      const noName = await t.call('POST', keysUrl('default'), { token: adminToken, body: { scopes: ['projects:read'] } });
      expectProblem(noName, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(noName), ['name']);
      const badDate = await createKey(adminToken, 'default', { scopes: ['projects:read'], expiresAt: 'tomorrow' });
      expectProblem(badDate, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(badDate), ['expiresAt']);
      const past = await createKey(adminToken, 'default', {
        scopes: ['projects:read'],
        expiresAt: new Date(Date.now() - 60_000).toISOString(),
      });
      expectProblem(past, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(past), ['expiresAt']);
    });

    it('enforces scopes: a projects:read key gets 403 on api-keys:write routes', async () => {
      const key = (await createKey(adminToken, 'default', { scopes: ['projects:read'] })).body.key;
      assert.equal((await getDefault(key)).status, 200);
      expectProblem(await t.call('GET', keysUrl('default'), { token: key }), 403, 'FORBIDDEN');
      expectProblem(await createKey(key, 'default', { scopes: ['projects:read'] }), 403, 'FORBIDDEN');
      expectProblem(await t.call('DELETE', `${keysUrl('default')}/${randomUUID()}`, { apiKey: key }), 403, 'FORBIDDEN');
      const patch = await t.call('PATCH', '/api/v1/projects/default', { token: key, body: { name: 'Renamed' } });
      expectProblem(patch, 403, 'FORBIDDEN');
    });

    it('confines a key to its project: no other project (404), no project creation, no /users (403)', async () => {
      const other = await t.call('POST', '/api/v1/projects', { token: adminToken, body: { slug: 'keys-other', name: 'Other' } });
      assert.equal(other.status, 201, other.text);
      // Created by an instance admin, who may see every project: the key still may not.
      const key = (await createKey(adminToken, 'default', { scopes: OWNER_SCOPES })).body.key;
      expectProblem(await t.call('GET', '/api/v1/projects/keys-other', { token: key }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', `/api/v1/projects/${other.body.id}`, { apiKey: key }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', keysUrl('keys-other'), { token: key }), 404, 'NOT_FOUND');
      expectProblem(await createKey(key, 'keys-other', { scopes: ['projects:read'] }), 404, 'NOT_FOUND');

      const list = await t.call('GET', '/api/v1/projects', { token: key });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.data.map((project: { slug: string }) => project.slug),
        ['default'],
      );
      assert.equal(list.body.meta.total, 1);

      expectProblem(await t.call('POST', '/api/v1/projects', { token: key, body: { slug: 'by-a-key', name: 'No' } }), 403, 'FORBIDDEN');
      expectProblem(await t.call('GET', '/api/v1/users', { token: key }), 403, 'FORBIDDEN');
      expectProblem(await t.call('GET', `/api/v1/users/${adminId}`, { apiKey: key }), 403, 'FORBIDDEN');
      const createUserWithKey = await t.call('POST', '/api/v1/users', {
        token: key,
        body: { email: 'via-key@switchboard.test', password: 'a-long-enough-password', name: 'No' },
      });
      expectProblem(createUserWithKey, 403, 'FORBIDDEN');
    });

    it('revokes a key at once, only within its own project', async () => {
      const created = await createKey(adminToken, 'default', { scopes: ['projects:read'] });
      const key: string = created.body.key;
      assert.equal((await getDefault(key)).status, 200);

      // Another project's key cannot be revoked through this one.
      const otherKey = await createKey(adminToken, 'keys-other', { scopes: ['projects:read'] });
      assert.equal(otherKey.status, 201, otherKey.text);
      expectProblem(await t.call('DELETE', `${keysUrl('default')}/${otherKey.body.id}`, { token: adminToken }), 404, 'NOT_FOUND');
      assert.equal((await t.call('GET', '/api/v1/projects/keys-other', { token: otherKey.body.key })).status, 200);

      const revoked = await t.call('DELETE', `${keysUrl('default')}/${created.body.id}`, { token: adminToken });
      assert.equal(revoked.status, 204);
      expectUnauthorized(await getDefault(key));
      expectUnauthorized(await t.call('GET', '/api/v1/projects/default', { apiKey: key }));
      const listed = (await listKeys()).body.data.find((item: { id: string }) => item.id === created.body.id);
      assert.ok(listed.revokedAt, 'the list shows when it was revoked');

      assert.equal((await t.call('DELETE', `${keysUrl('default')}/${created.body.id}`, { token: adminToken })).status, 204);
      expectProblem(await t.call('DELETE', `${keysUrl('default')}/${randomUUID()}`, { token: adminToken }), 404, 'NOT_FOUND');
      expectProblem(await t.call('DELETE', `${keysUrl('default')}/not-a-uuid`, { token: adminToken }), 404, 'NOT_FOUND');
    });

    it('honours expiresAt: the key works until then and is refused after', async () => {
      const expiresAt = new Date(Date.now() + 1500);
      const created = await createKey(adminToken, 'default', { scopes: ['projects:read'], expiresAt: expiresAt.toISOString() });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.expiresAt, expiresAt.toISOString());
      assert.equal((await getDefault(created.body.key)).status, 200);
      await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 500);
      expectUnauthorized(await getDefault(created.body.key));
    });

    it('stops working in the project when its creator is removed from it (404)', async () => {
      const padmin = await projectAdmin('keys-removed');
      const created = await createKey(padmin.token, 'default', { scopes: ['projects:read'] });
      assert.equal(created.status, 201, created.text);
      assert.equal((await getDefault(created.body.key)).status, 200);
      const removed = await t.call('DELETE', `/api/v1/projects/default/members/${padmin.id}`, { token: adminToken });
      assert.equal(removed.status, 204);
      expectProblem(await getDefault(created.body.key), 404, 'NOT_FOUND');
    });

    it('is refused when its creator is disabled (401)', async () => {
      const padmin = await projectAdmin('keys-disabled');
      const created = await createKey(padmin.token, 'default', { scopes: ['projects:read'] });
      assert.equal((await getDefault(created.body.key)).status, 200);
      const patched = await t.call('PATCH', `/api/v1/users/${padmin.id}`, { token: adminToken, body: { disabled: true } });
      assert.equal(patched.status, 200, patched.text);
      expectUnauthorized(await getDefault(created.body.key));
      expectUnauthorized(await t.call('GET', '/api/v1/auth/me', { apiKey: created.body.key }));
    });

    it("shrinks a key's effective scopes when its creator is demoted", async () => {
      const padmin = await projectAdmin('keys-demoted');
      // Granting editor takes every scope of editor, and members:write.
      const created = await createKey(padmin.token, 'default', { scopes: [...EDITOR_SCOPES, 'members:write'] });
      assert.equal(created.status, 201, created.text);
      const key: string = created.body.key;
      const putEditor = () => t.call('PUT', `/api/v1/projects/default/members/${editor.id}`, { token: key, body: { role: 'editor' } });
      assert.equal((await putEditor()).status, 200);

      await putMember(padmin.id, 'editor');
      expectProblem(await putEditor(), 403, 'FORBIDDEN');
      expectProblem(await t.call('DELETE', `/api/v1/projects/default/members/${editor.id}`, { token: key }), 403, 'FORBIDDEN');
      assert.equal((await getDefault(key)).status, 200, 'what the creator still holds keeps working');
      const me = await t.call('GET', '/api/v1/auth/me', { token: key });
      assert.deepEqual(sorted(me.body.apiKey.scopes), sorted(EDITOR_SCOPES));
      assert.equal(me.body.memberships[0].role, 'editor');
    });
  });

  describe(`auth: users admin (${driver})`, () => {
    let t: TestApp;
    let adminToken: string;
    let adminId: string;
    let regular: Awaited<ReturnType<typeof createUser>>;

    const userBody = (name: string) => ({ email: `${name}@switchboard.test`, password: `${name}-password-long-enough`, name });
    const patchUser = (id: string, body: unknown, token = adminToken) => t.call('PATCH', `/api/v1/users/${id}`, { token, body });
    const me = (token: string) => t.call('GET', '/api/v1/auth/me', { token });

    before(async () => {
      t = await startTestApp(driver);
      adminToken = (await t.login()).accessToken;
      adminId = (await me(adminToken)).body.user.id;
      regular = await createUser(t, adminToken, `users-regular-${driver}`);
    });
    after(() => t.close());

    it('creates a user (201) without exposing the password, and refuses a duplicate email (409)', async () => {
      const body = { ...userBody('created'), email: '  Created.User@Switchboard.TEST ' };
      const reply = await t.call('POST', '/api/v1/users', { token: adminToken, body });
      assert.equal(reply.status, 201, reply.text);
      assert.deepEqual(Object.keys(reply.body).sort(), [
        'createdAt',
        'disabled',
        'email',
        'id',
        'isAdmin',
        'lastLoginAt',
        'name',
        'updatedAt',
      ]);
      assert.equal(reply.body.email, 'created.user@switchboard.test');
      assert.equal(reply.body.name, 'created');
      assert.equal(reply.body.isAdmin, false);
      assert.equal(reply.body.disabled, false);
      assert.equal(reply.body.lastLoginAt, null);
      assert.ok(!reply.text.includes(body.password));
      assert.ok(!reply.text.includes('$argon2'));

      const duplicate = await t.call('POST', '/api/v1/users', {
        token: adminToken,
        body: { ...body, email: 'CREATED.user@switchboard.test' },
      });
      expectProblem(duplicate, 409, 'CONFLICT');

      const shortPassword = await t.call('POST', '/api/v1/users', { token: adminToken, body: { ...userBody('short'), password: 'short' } });
      expectProblem(shortPassword, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(shortPassword), ['password']);
      const badEmail = await t.call('POST', '/api/v1/users', { token: adminToken, body: { ...userBody('bad'), email: 'bad' } });
      expectProblem(badEmail, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(badEmail), ['email']);

      const admin2 = await t.call('POST', '/api/v1/users', { token: adminToken, body: { ...userBody('second-admin'), isAdmin: true } });
      assert.equal(admin2.status, 201);
      assert.equal(admin2.body.isAdmin, true);
    });

    it('lists users paginated, without password hashes', async () => {
      const all = await t.call('GET', '/api/v1/users', { token: adminToken });
      assert.equal(all.status, 200);
      assert.deepEqual(all.body.meta, { total: all.body.data.length, page: 1, perPage: 20 });
      assert.ok(all.body.meta.total >= 3);
      assert.ok(all.body.data.some((user: { id: string }) => user.id === regular.id));
      assert.ok(!all.text.includes('$argon2') && !all.text.includes('passwordHash'));

      const second = await t.call('GET', '/api/v1/users?page=2&perPage=1', { token: adminToken });
      assert.equal(second.status, 200);
      assert.deepEqual(second.body.meta, { total: all.body.meta.total, page: 2, perPage: 1 });
      assert.equal(second.body.data.length, 1);
      assert.deepEqual(second.body.data[0], all.body.data[1]);

      const beyond = await t.call('GET', `/api/v1/users?page=${all.body.meta.total + 1}&perPage=1`, { token: adminToken });
      assert.deepEqual(beyond.body.data, []);
      assert.equal(beyond.body.meta.total, all.body.meta.total);

      expectProblem(await t.call('GET', '/api/v1/users?perPage=101', { token: adminToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.call('GET', '/api/v1/users?page=0', { token: adminToken }), 400, 'VALIDATION_FAILED');
    });

    it('gets a user by id; an unknown or non-UUID id is 404', async () => {
      const reply = await t.call('GET', `/api/v1/users/${regular.id}`, { token: adminToken });
      assert.equal(reply.status, 200);
      assert.equal(reply.body.id, regular.id);
      assert.equal(reply.body.email, regular.email);
      assert.ok(reply.body.lastLoginAt, 'signing in records the time');
      assert.ok(!('passwordHash' in reply.body));

      expectProblem(await t.call('GET', `/api/v1/users/${randomUUID()}`, { token: adminToken }), 404, 'NOT_FOUND');
      expectProblem(await t.call('GET', '/api/v1/users/not-a-uuid', { token: adminToken }), 404, 'NOT_FOUND');
      expectProblem(await patchUser('not-a-uuid', { name: 'x' }), 404, 'NOT_FOUND');
      expectProblem(await t.call('DELETE', '/api/v1/users/12345', { token: adminToken }), 404, 'NOT_FOUND');
      expectProblem(await patchUser(randomUUID(), { name: 'x' }), 404, 'NOT_FOUND');
    });

    it('refuses non-admins (403) on every /users route', async () => {
      const token = regular.token;
      expectProblem(await t.call('GET', '/api/v1/users', { token }), 403, 'FORBIDDEN');
      expectProblem(await t.call('POST', '/api/v1/users', { token, body: userBody('by-regular') }), 403, 'FORBIDDEN');
      expectProblem(await t.call('GET', `/api/v1/users/${regular.id}`, { token }), 403, 'FORBIDDEN');
      expectProblem(await patchUser(regular.id, { isAdmin: true }, token), 403, 'FORBIDDEN');
      expectProblem(await t.call('DELETE', `/api/v1/users/${adminId}`, { token }), 403, 'FORBIDDEN');
      assert.equal((await me(token)).body.user.isAdmin, false, 'nothing changed');
      expectUnauthorized(await t.call('GET', '/api/v1/users'));
    });

    it('rejects unknown properties (400)', async () => {
      const patch = await patchUser(regular.id, { email: 'renamed@switchboard.test' });
      expectProblem(patch, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(patch), ['email']);
      const create = await t.call('POST', '/api/v1/users', { token: adminToken, body: { ...userBody('extra'), role: 'owner' } });
      expectProblem(create, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(create), ['role']);
      const badType = await patchUser(regular.id, { disabled: 'yes' });
      expectProblem(badType, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(badType), ['disabled']);
      for (const field of ['name', 'password', 'isAdmin', 'disabled']) {
        const nulled = await patchUser(regular.id, { [field]: null });
        expectProblem(nulled, 400, 'VALIDATION_FAILED');
        assert.deepEqual(fieldsOf(nulled), [field]);
      }
      assert.equal((await t.call('GET', `/api/v1/users/${regular.id}`, { token: adminToken })).body.email, regular.email);
    });

    it('changes name and admin rights, effective at once on existing tokens', async () => {
      const renamed = await patchUser(regular.id, { name: 'Regular Renamed' });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.name, 'Regular Renamed');
      assert.equal((await me(regular.token)).body.user.name, 'Regular Renamed');

      const promoted = await patchUser(regular.id, { isAdmin: true });
      assert.equal(promoted.body.isAdmin, true);
      assert.equal((await t.call('GET', '/api/v1/users', { token: regular.token })).status, 200);

      const demoted = await patchUser(regular.id, { isAdmin: false });
      assert.equal(demoted.body.isAdmin, false);
      expectProblem(await t.call('GET', '/api/v1/users', { token: regular.token }), 403, 'FORBIDDEN');
      assert.equal((await me(regular.token)).status, 200, 'the session itself goes on');
    });

    it('refuses a disabled user at once, and lets them back in when enabled again', async () => {
      const user = await createUser(t, adminToken, `users-disabled-${driver}`);
      assert.equal((await me(user.token)).status, 200);
      const disabled = await patchUser(user.id, { disabled: true });
      assert.equal(disabled.status, 200, disabled.text);
      assert.equal(disabled.body.disabled, true);

      expectUnauthorized(await me(user.token));
      expectProblem(
        await t.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: user.refreshToken } }),
        401,
        'INVALID_REFRESH_TOKEN',
      );
      const login = await t.call('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expectProblem(login, 401, 'INVALID_CREDENTIALS');

      assert.equal((await patchUser(user.id, { disabled: false })).body.disabled, false);
      expectUnauthorized(await me(user.token));
      const again = await t.login(user.email, user.password);
      assert.equal((await me(again.accessToken)).status, 200);
    });

    it('ends every session of a user whose password changes', async () => {
      const user = await createUser(t, adminToken, `users-password-${driver}`);
      const newPassword = 'a-brand-new-long-password';
      const patched = await patchUser(user.id, { password: newPassword });
      assert.equal(patched.status, 200, patched.text);
      assert.ok(!patched.text.includes(newPassword));

      expectProblem(
        await t.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: user.refreshToken } }),
        401,
        'INVALID_REFRESH_TOKEN',
      );
      expectUnauthorized(await me(user.token));
      const oldLogin = await t.call('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expectProblem(oldLogin, 401, 'INVALID_CREDENTIALS');
      const newLogin = await t.call('POST', '/api/v1/auth/login', { body: { email: user.email, password: newPassword } });
      assert.equal(newLogin.status, 200);

      const tooShort = await patchUser(user.id, { password: 'short' });
      expectProblem(tooShort, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(tooShort), ['password']);
    });

    it('does not let an admin disable, demote or delete themselves (409)', async () => {
      expectProblem(await patchUser(adminId, { disabled: true }), 409, 'CONFLICT');
      expectProblem(await patchUser(adminId, { isAdmin: false }), 409, 'CONFLICT');
      expectProblem(await t.call('DELETE', `/api/v1/users/${adminId}`, { token: adminToken }), 409, 'CONFLICT');
      expectProblem(await t.call('DELETE', `/api/v1/users/${adminId.toUpperCase()}`, { token: adminToken }), 409, 'CONFLICT');
      expectProblem(await patchUser(adminId.toUpperCase(), { disabled: true }), 409, 'CONFLICT');
      const self = await t.call('GET', `/api/v1/users/${adminId}`, { token: adminToken });
      assert.equal(self.body.isAdmin, true);
      assert.equal(self.body.disabled, false);
      assert.equal((await patchUser(adminId, { name: 'Still Admin' })).status, 200, 'other changes to oneself are fine');
    });

    it('deletes a user: gone, and their token refused at once', async () => {
      const user = await createUser(t, adminToken, `users-deleted-${driver}`);
      const deleted = await t.call('DELETE', `/api/v1/users/${user.id}`, { token: adminToken });
      assert.equal(deleted.status, 204);
      assert.equal(deleted.text, '');
      expectProblem(await t.call('GET', `/api/v1/users/${user.id}`, { token: adminToken }), 404, 'NOT_FOUND');
      expectUnauthorized(await me(user.token));
      expectProblem(await t.call('DELETE', `/api/v1/users/${user.id}`, { token: adminToken }), 404, 'NOT_FOUND');
      const login = await t.call('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expectProblem(login, 401, 'INVALID_CREDENTIALS');
    });

    it("refuses to delete a project's last owner (409 naming the projects) but lets them be disabled", async () => {
      const owner = await createUser(t, adminToken, `users-last-owner-${driver}`);
      const coOwner = await createUser(t, adminToken, `users-co-owner-${driver}`);
      const members = (slug: string) => t.call('GET', `/api/v1/projects/${slug}/members`, { token: adminToken });
      const setRole = async (slug: string, userId: string, role: string) => {
        const reply = await t.call('PUT', `/api/v1/projects/${slug}/members/${userId}`, { token: adminToken, body: { role } });
        assert.equal(reply.status, 200, reply.text);
      };
      for (const slug of ['owned-alone', 'owned-alone-too', 'owned-together']) {
        const created = await t.call('POST', '/api/v1/projects', { token: owner.token, body: { slug, name: slug } });
        assert.equal(created.status, 201, created.text);
      }
      await setRole('owned-together', coOwner.id, 'owner');

      const refused = await t.call('DELETE', `/api/v1/users/${owner.id}`, { token: adminToken });
      expectProblem(refused, 409, 'CONFLICT');
      assert.match(refused.body.detail, /last owner/);
      assert.match(refused.body.detail, /"owned-alone", "owned-alone-too"/);
      assert.ok(!refused.body.detail.includes('owned-together'), refused.body.detail);
      assert.equal((await t.call('GET', `/api/v1/users/${owner.id}`, { token: adminToken })).status, 200);
      for (const slug of ['owned-alone', 'owned-alone-too', 'owned-together']) {
        const roles = (await members(slug)).body.data.map((member: { userId: string; role: string }) => [member.userId, member.role]);
        assert.deepEqual(Object.fromEntries(roles)[owner.id], 'owner', `${slug} keeps its owner`);
      }

      // Disabling is allowed: the owner stops working at once, and an instance admin can enable them again.
      const disabled = await patchUser(owner.id, { disabled: true });
      assert.equal(disabled.status, 200, disabled.text);
      expectUnauthorized(await me(owner.token));

      await setRole('owned-alone', coOwner.id, 'owner');
      const stillRefused = await t.call('DELETE', `/api/v1/users/${owner.id}`, { token: adminToken });
      expectProblem(stillRefused, 409, 'CONFLICT');
      assert.match(stillRefused.body.detail, /"owned-alone-too"/);
      assert.ok(!stillRefused.body.detail.includes('"owned-alone"'), stillRefused.body.detail);

      await setRole('owned-alone-too', coOwner.id, 'owner');
      assert.equal((await t.call('DELETE', `/api/v1/users/${owner.id}`, { token: adminToken })).status, 204);
      for (const slug of ['owned-alone', 'owned-alone-too', 'owned-together']) {
        const left = (await members(slug)).body.data.map((member: { userId: string; role: string }) => [member.userId, member.role]);
        assert.deepEqual(left, [[coOwner.id, 'owner']], slug);
      }
    });
  });
}
