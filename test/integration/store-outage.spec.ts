import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { PostgresServer, startPostgres } from '../support/postgres';
import { ADMIN_EMAIL, ADMIN_PASSWORD, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';

const API = '/api/v1';

/** 503 SERVICE_UNAVAILABLE problem+json with a Retry-After a client can act on. */
function expectUnavailable(reply: Reply, what: string): void {
  assert.equal(reply.status, 503, `${what}: ${reply.status} ${reply.text}`);
  expectProblem(reply, 503, 'SERVICE_UNAVAILABLE');
  const retryAfter = Number(reply.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `${what}: Retry-After is ${reply.headers.get('retry-after')}`);
  assert.ok(!/ECONNREFUSED|terminated|127\.0\.0\.1|postgres:\/\//i.test(reply.text), `${what}: internals in ${reply.text}`);
}

/**
 * The metadata database (PostgreSQL) dies under a running service (issue 13, item 8). Good
 * tokens must not be told they are bad (401) and nothing may be a 500: a request the store
 * cannot serve is a 503 with Retry-After; a token that is bad on its face is still a 401. When
 * the database is back, every good token works again, the refresh token included (not consumed).
 */
describe('metadata database outage (postgres, kill -9)', () => {
  let pg: PostgresServer;
  let t: TestApp;
  let tokens: { accessToken: string; refreshToken: string };
  let apiKey: string;
  const statuses: number[] = [];
  const call = async (method: string, url: string, options: Parameters<TestApp['call']>[2] = {}): Promise<Reply> => {
    const reply = await t.call(method, url, options);
    statuses.push(reply.status);
    return reply;
  };
  const projects = (options: Parameters<TestApp['call']>[2]) => call('GET', `${API}/projects`, options);
  const login = () => call('POST', `${API}/auth/login`, { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  const refresh = (refreshToken: string) => call('POST', `${API}/auth/refresh`, { body: { refreshToken } });

  before(async () => {
    pg = await startPostgres();
    t = await startTestApp('postgres', { database: { driver: 'postgres', url: await pg.createDatabase('switchboard') } });
    tokens = await t.login();
    const key = await t.call('POST', `${API}/projects/default/api-keys`, {
      token: tokens.accessToken,
      body: { name: 'outage', scopes: ['projects:read'] },
    });
    assert.equal(key.status, 201, key.text);
    // Not used before the outage: no cached principal can answer for it.
    apiKey = key.body.key;
    assert.equal((await projects({ token: tokens.accessToken })).status, 200);
  });
  after(async () => {
    await t?.close();
    await pg?.stop();
  });

  it('while the database is down: 503 with Retry-After for whatever needs it, 401 only for tokens bad on their face, never a 500', async () => {
    await pg.kill();
    // The JWT's session may be served from memory until the instance notices it lost the
    // database (its LISTEN connection drops with it): a 200 then is right. Wait for the first answer that is not.
    const deadline = Date.now() + 10_000;
    let reply = await projects({ token: tokens.accessToken });
    while (reply.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      reply = await projects({ token: tokens.accessToken });
    }
    expectUnavailable(reply, 'a valid JWT');
    expectUnavailable(await call('GET', `${API}/auth/me`, { token: tokens.accessToken }), 'a valid JWT on /auth/me');
    expectUnavailable(await projects({ token: apiKey }), 'a valid API key as Bearer');
    expectUnavailable(await projects({ apiKey }), 'a valid API key as X-API-Key');
    expectUnavailable(await login(), 'login');
    expectUnavailable(await refresh(tokens.refreshToken), 'refresh');
    expectUnavailable(await call('GET', `${API}/health/ready`), 'readiness');
    // Only the store could tell whether an unknown key exists.
    expectUnavailable(await projects({ apiKey: `sbk_${'x'.repeat(40)}` }), 'an API key the store would have to look up');

    // Bad without asking the store: garbage, a JWT signed with another secret, an expired one, a malformed refresh token.
    expectProblem(await projects({ token: 'not-a-token' }), 401, 'UNAUTHORIZED');
    const claims = jwt.decode(tokens.accessToken) as { sub: string; sid: string };
    const options = { algorithm: 'HS256' as const, issuer: 'switchboard', audience: 'switchboard-api', subject: claims.sub };
    const forged = jwt.sign({ sid: claims.sid }, 'another-secret-of-at-least-32-characters', { ...options, expiresIn: 900 });
    expectProblem(await projects({ token: forged }), 401, 'UNAUTHORIZED');
    const expired = jwt.sign({ sid: claims.sid, exp: Math.floor(Date.now() / 1000) - 60 }, t.config.jwtSecret, options);
    expectProblem(await projects({ token: expired }), 401, 'UNAUTHORIZED');
    expectProblem(await refresh('sbr_not-a-refresh-token'), 401, 'INVALID_REFRESH_TOKEN');
    expectProblem(await projects({}), 401, 'UNAUTHORIZED');
    assert.equal((await call('GET', `${API}/health`)).status, 200, 'liveness does not need the database');

    assert.ok(!statuses.some((status) => status >= 500 && status !== 503), `statuses seen: ${statuses.join(',')}`);
    // Operators still see why, with the driver's own words and without the database password.
    const warned = t.logs.filter((line) => /"level":"warn"/.test(line) && line.includes('metadata database is not answering'));
    assert.ok(warned.length > 0, 'the 503s were not logged');
    assert.ok(
      warned.some((line) => /ECONNREFUSED|terminated/.test(line)),
      warned[0],
    );
    if (t.config.database.driver !== 'postgres') throw new Error('needs PostgreSQL');
    const password = new URL(t.config.database.url).password;
    assert.ok(!t.logs.some((line) => line.includes(password)), 'the database password reached the logs');
  });

  it('once the database is back, every good token works again and the refresh token was not consumed', async () => {
    await pg.restart();
    const deadline = Date.now() + 30_000;
    while ((await call('GET', `${API}/health/ready`)).status !== 200) {
      assert.ok(Date.now() < deadline, 'not ready 30 s after the database came back');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The pool may still hold a connection that died with the server: the first query on it fails (503), the next works.
    const until200 = async (probe: () => Promise<Reply>, what: string): Promise<Reply> => {
      for (let attempt = 0; ; attempt++) {
        const reply = await probe();
        if (reply.status === 200 || attempt >= 10) {
          assert.equal(reply.status, 200, `${what}: ${reply.text}`);
          return reply;
        }
        expectUnavailable(reply, `${what} while reconnecting`);
      }
    };
    await until200(() => projects({ token: tokens.accessToken }), 'the JWT');
    await until200(() => projects({ token: apiKey }), 'the API key');
    const refreshed = await until200(() => refresh(tokens.refreshToken), 'the refresh token from before the outage');
    assert.match(refreshed.body.refreshToken, /^sbr_/);
    await until200(() => login(), 'login');
    assert.ok(!statuses.some((status) => status >= 500 && status !== 503), `statuses seen: ${statuses.join(',')}`);
  });
});

describe('metadata database outage (sqlite, file locked past the busy timeout)', () => {
  let t: TestApp;
  let token: string;

  before(async () => {
    t = await startTestApp('sqlite');
    token = (await t.login()).accessToken;
  });
  after(() => t?.close());

  it('the API document says so: every operation may answer 503 problem+json with Retry-After', async () => {
    const doc = (await t.call('GET', '/docs/openapi.json')).body;
    let operations = 0;
    for (const [route, item] of Object.entries<Record<string, { responses: Record<string, any> }>>(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        operations++;
        const unavailable = operation.responses['503'];
        assert.ok(unavailable?.content?.['application/problem+json'], `${method.toUpperCase()} ${route} does not document 503`);
        assert.ok(unavailable.headers?.['Retry-After'], `${method.toUpperCase()} ${route}: 503 without Retry-After`);
      }
    }
    assert.ok(operations > 20, `only ${operations} operations`);
  });

  it('a write while another process holds the write lock answers 503 with Retry-After, then works once the lock is gone', async () => {
    if (t.config.database.driver !== 'sqlite') throw new Error('needs SQLite');
    const holder = new Database(t.config.database.path);
    try {
      holder.exec('BEGIN EXCLUSIVE');
      const body = { slug: 'locked-out', name: 'Locked out' };
      expectUnavailable(await t.call('POST', `${API}/projects`, { token, body }), 'a write on a locked file');
      holder.exec('COMMIT');
      const created = await t.call('POST', `${API}/projects`, { token, body });
      assert.equal(created.status, 201, created.text);
    } finally {
      holder.close();
    }
  });
});
