import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { RateLimits } from '@switchboard/common';
import { PostgresRateLimits } from '@switchboard/database';
import { DataSource } from 'typeorm';
import { Instance, startSecondInstance } from '../support/second-instance';
import { expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';

/** A TCP listener that accepts and never answers: an outbound operation against it runs until its deadline. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const statuses = (replies: Reply[]): string => replies.map((reply) => reply.status).join(',');

describe('rate limits across instances (postgres)', () => {
  let t: TestApp;
  let second: Instance;
  let admin: string;
  let silent: { port: number; close: () => Promise<void> };

  /** The same call on the first instance (even `i`) or the second (odd `i`). */
  const onEither = async (i: number, method: string, path: string, body: unknown, token?: string): Promise<Reply> => {
    if (i % 2 === 0) return t.call(method, path, { token, body });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(second.baseUrl + path, { method, headers, body: JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
  };
  const newProject = async (slug: string) => {
    const reply = await t.call('POST', '/api/v1/projects', { token: admin, body: { slug, name: slug } });
    assert.equal(reply.status, 201, reply.text);
    return `/api/v1/projects/${slug}/connections/test`;
  };

  before(async () => {
    t = await startTestApp('postgres');
    admin = (await t.login()).accessToken;
    second = await startSecondInstance(t);
    silent = await silentServer();
  });
  after(async () => {
    await second?.stop();
    await silent?.close();
    await t?.close();
  });

  it('10 wrong passwords a minute per account hold for both instances together, and no email is stored in clear', async () => {
    const email = 'spread-guesses@switchboard.test';
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) => onEither(i, 'POST', '/api/v1/auth/login', { email, password: `wrong-password-${i}` })),
    );
    const checked = replies.filter((reply) => reply.status === 401);
    assert.ok(checked.length <= 10, `${checked.length} wrong passwords were checked: ${statuses(replies)}`);
    for (const reply of replies.filter((reply) => reply.status !== 401)) expectProblem(reply, 429, 'RATE_LIMITED');
    const keys: { key: string }[] = await t.app.get(DataSource).query('SELECT key FROM rate_limit_windows');
    assert.ok(keys.length >= 2);
    assert.ok(!keys.some(({ key }) => key.includes('spread') || key.includes('127.0.0.1')), JSON.stringify(keys));
  });

  it('60 connection tests a minute per project hold for both instances together', async () => {
    const path = await newProject('spread-rate');
    const body = { type: 'generic', config: { host: '127.0.0.1', port: silent.port } };
    const replies: Reply[] = [];
    for (let i = 0; i < 70; i++) replies.push(await onEither(i, 'POST', path, body, admin));
    assert.equal(replies.filter((reply) => reply.status === 200).length, 60, statuses(replies));
    const limited = replies.filter((reply) => reply.status !== 200);
    assert.equal(limited.length, 10, statuses(replies));
    for (const reply of limited) {
      expectProblem(reply, 429, 'RATE_LIMITED');
      assert.ok(Number(reply.headers.get('retry-after')) >= 1, `Retry-After: ${reply.headers.get('retry-after')}`);
    }
  });

  it('at most 4 outbound operations at once per project, for both instances together; the slots come back', async () => {
    const path = await newProject('spread-cap');
    const slow = {
      type: 'postgres',
      config: { host: '127.0.0.1', port: silent.port, database: 'postgres', username: 'nobody', sslMode: 'disable' },
      secrets: { password: 'x-y-z' },
      timeoutMs: 1500,
    };
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => onEither(i, 'POST', path, slow, admin)));
    const ran = replies.filter((reply) => reply.status !== 429);
    assert.ok(ran.length <= 4, `${ran.length} ran at once: ${statuses(replies)}`);
    for (const reply of ran) assert.equal(reply.status, 200, reply.text);
    for (const reply of replies.filter((reply) => reply.status === 429)) {
      expectProblem(reply, 429, 'RATE_LIMITED');
      assert.equal(reply.headers.get('retry-after'), '1');
    }
    // Every slot was given back: four run at once again, on either instance.
    const again = await Promise.all(Array.from({ length: 4 }, (_, i) => onEither(i, 'POST', path, { ...slow, timeoutMs: 300 }, admin)));
    assert.deepEqual(
      again.map((reply) => reply.status),
      [200, 200, 200, 200],
    );
  });

  it('a slot never released (its instance died) comes back when its lease ends; expired rows are swept', async () => {
    const limits = t.app.get(RateLimits);
    assert.ok(limits instanceof PostgresRateLimits);
    const slots = limits.slots('lease-test', 2);
    assert.ok(await slots.acquire('k', 300));
    assert.ok(await slots.acquire('k', 300));
    assert.equal(await slots.acquire('k', 300), undefined);
    await sleep(400);
    const release = await slots.acquire('k', 60_000);
    assert.ok(release, 'the expired leases still hold the slots');
    await release();

    const window = limits.windows('sweep-test', 1, 200);
    assert.ok((await window.hit('k')).allowed);
    assert.ok(!(await window.hit('k')).allowed);
    await sleep(300);
    assert.ok((await window.hit('k')).allowed, 'a new window starts after the last one');
    await sleep(300);
    await limits.sweep();
    const rows: { key: string }[] = await t.app
      .get(DataSource)
      .query(
        "SELECT key FROM rate_limit_windows WHERE key LIKE 'sweep-test:%' UNION ALL SELECT key FROM rate_limit_slots WHERE key LIKE 'lease-test:%'",
      );
    assert.deepEqual(rows, []);
  });
});
