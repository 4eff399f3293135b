import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { Instance, startSecondInstance } from '../support/second-instance';
import { createUser, expectProblem, startTestApp, TestApp } from '../support/test-app';

/**
 * How soon another instance must refuse a revoked key or a disabled user: far below the caches'
 * 60 s TTL, so only the event can have dropped the entry. How fast it is in practice (issue 6
 * asks for 2 s) is for bench/ to measure, not a machine shared with the rest of the suite.
 */
const CROSS_INSTANCE_MS = 10_000;

/** Polls `probe` until it answers `status`; returns how long that took. */
async function msUntilStatus(probe: () => Promise<number>, status: number, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await probe()) === status) return Date.now() - started;
    if (Date.now() - started > limitMs) assert.fail(`still not ${status} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('auth caching across instances (postgres)', () => {
  let t: TestApp;
  let second: Instance;
  let admin: string;
  const connections = '/api/v1/projects/default/connections';
  const onSecond = (token: string) =>
    fetch(`${second.baseUrl}${connections}`, { headers: { authorization: `Bearer ${token}` } }).then((reply) => reply.status);
  const onFirst = async (token: string) => (await t.call('GET', connections, { token })).status;
  const newKey = async (name: string) => {
    const reply = await t.call('POST', '/api/v1/projects/default/api-keys', { token: admin, body: { name, scopes: ['connections:read'] } });
    assert.equal(reply.status, 201, reply.text);
    return reply.body as { id: string; key: string };
  };

  before(async () => {
    t = await startTestApp('postgres');
    admin = (await t.login()).accessToken;
    second = await startSecondInstance(t);
  });
  after(async () => {
    await second?.stop();
    await t?.close();
  });

  it('a revoked API key is refused at once here and, by the event, on the other instance', async () => {
    const key = await newKey('revoke-me');
    // Warm both instances' caches.
    assert.equal(await onSecond(key.key), 200);
    assert.equal(await onSecond(key.key), 200);
    assert.equal(await onFirst(key.key), 200);
    const revoked = await t.call('DELETE', `/api/v1/projects/default/api-keys/${key.id}`, { token: admin });
    assert.equal(revoked.status, 204, revoked.text);
    expectProblem(await t.call('GET', connections, { token: key.key }), 401, 'UNAUTHORIZED');
    const ms = await msUntilStatus(() => onSecond(key.key), 401, CROSS_INSTANCE_MS);
    assert.ok(ms < CROSS_INSTANCE_MS, `took ${ms} ms`);
  });

  it('a disabled user is refused on the other instance, by the event, by access token and by key alike', async () => {
    const user = await createUser(t, admin, 'disable-me');
    const member = await t.call('PUT', `/api/v1/projects/default/members/${user.id}`, { token: admin, body: { role: 'admin' } });
    assert.equal(member.status, 200, member.text);
    const login = await fetch(`${second.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const userKey = await t.call('POST', '/api/v1/projects/default/api-keys', {
      token: (await t.login(user.email, user.password)).accessToken,
      body: { name: 'user-key', scopes: ['connections:read'] },
    });
    assert.equal(userKey.status, 201, userKey.text);
    assert.equal(await onSecond(accessToken), 200);
    assert.equal(await onSecond(userKey.body.key), 200);

    const disabled = await t.call('PATCH', `/api/v1/users/${user.id}`, { token: admin, body: { disabled: true } });
    assert.equal(disabled.status, 200, disabled.text);
    const tokenMs = await msUntilStatus(() => onSecond(accessToken), 401, CROSS_INSTANCE_MS);
    const keyMs = await msUntilStatus(() => onSecond(userKey.body.key), 401, CROSS_INSTANCE_MS);
    assert.ok(tokenMs < CROSS_INSTANCE_MS && keyMs < CROSS_INSTANCE_MS, `took ${tokenMs} / ${keyMs} ms`);
  });

  it('a removed member loses the project on the other instance, by the event', async () => {
    const user = await createUser(t, admin, 'remove-me');
    await t.call('PUT', `/api/v1/projects/default/members/${user.id}`, { token: admin, body: { role: 'viewer' } });
    const { accessToken } = await t.login(user.email, user.password);
    assert.equal(await onSecond(accessToken), 200);
    const removed = await t.call('DELETE', `/api/v1/projects/default/members/${user.id}`, { token: admin });
    assert.equal(removed.status, 204, removed.text);
    const ms = await msUntilStatus(() => onSecond(accessToken), 404, CROSS_INSTANCE_MS);
    assert.ok(ms < CROSS_INSTANCE_MS, `took ${ms} ms`);
  });

  it('while an instance cannot listen it serves nothing from memory, so a revocation it did not hear still counts', async () => {
    const key = await newKey('missed-event');
    assert.equal(await onSecond(key.key), 200);
    assert.equal(await onSecond(key.key), 200); // cached on the second instance now
    if (t.config.database.driver !== 'postgres') throw new Error('needs PostgreSQL');
    const pg = new Client({ connectionString: t.config.database.url });
    await pg.connect();
    try {
      // Cut every LISTEN connection, then revoke before they are back: the second instance cannot hear it.
      const cut = await pg.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database() AND pid <> pg_backend_pid()`,
      );
      assert.ok(cut.rowCount! >= 2, `expected both instances' listeners, cut ${cut.rowCount}`);
      const revoked = await t.call('DELETE', `/api/v1/projects/default/api-keys/${key.id}`, { token: admin });
      assert.equal(revoked.status, 204);
      assert.equal(await onSecond(key.key), 401);
    } finally {
      await pg.end();
    }
    // Once listening again, a fresh key is served (and cached) as usual.
    const fresh = await newKey('after-reconnect');
    await msUntilStatus(() => onSecond(fresh.key), 200, 5_000);
  });

  it('once it listens again, an instance drops what it cached before: a key revoked while it could not hear is refused', async () => {
    if (t.config.database.driver !== 'postgres') throw new Error('needs PostgreSQL');
    const pg = new Client({ connectionString: t.config.database.url });
    await pg.connect();
    const listeners = `FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database() AND pid <> pg_backend_pid()`;
    /** Until both instances listen (one LISTEN connection each), and a moment for the reply to reach them. */
    const untilBothListen = async () => {
      const deadline = Date.now() + 10_000;
      while ((await pg.query(`SELECT count(*)::int AS n ${listeners}`)).rows[0].n < 2) {
        assert.ok(Date.now() < deadline, 'the instances did not listen within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    };
    const key = await newKey('revoked-unheard');
    try {
      await untilBothListen(); // an instance that does not listen caches nothing
      assert.equal(await onSecond(key.key), 200);
      assert.equal(await onSecond(key.key), 200); // cached on the second instance now
      // Paused, the second instance cannot listen again before the revocation is over: it never hears of it.
      second.process.kill('SIGSTOP');
      try {
        const cut = await pg.query(`SELECT pg_terminate_backend(pid) ${listeners}`);
        assert.ok(cut.rowCount! >= 2, `expected both instances' listeners, cut ${cut.rowCount}`);
        const revoked = await t.call('DELETE', `/api/v1/projects/default/api-keys/${key.id}`, { token: admin });
        assert.equal(revoked.status, 204, revoked.text);
      } finally {
        second.process.kill('SIGCONT');
      }
      // Only the reset on reconnect can drop the cached key now.
      await untilBothListen();
    } finally {
      await pg.end();
    }
    assert.equal(await onSecond(key.key), 401, 'the second instance served a key revoked while it could not listen');
  });
});
