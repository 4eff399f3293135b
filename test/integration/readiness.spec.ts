import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PostgresServer, startPostgres } from '../support/postgres';
import { expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';

const API = '/api/v1';
/** Far above the readiness check's own 2 s deadline: a reply later than this means the check waited on the database. */
const READY_DEADLINE_MS = 10_000;

/**
 * /health/ready tells a load balancer whether this instance can serve: it follows the metadata
 * database (PostgreSQL) down and back up, and answers in time even when the database hangs.
 */
describe('readiness follows the metadata database (postgres)', () => {
  let pg: PostgresServer;
  let t: TestApp;

  /** GET /health/ready, failing the test instead of hanging when no answer comes. */
  async function ready(): Promise<Reply> {
    const response = await fetch(`${t.baseUrl}${API}/health/ready`, { signal: AbortSignal.timeout(READY_DEADLINE_MS) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text };
  }

  function expectNotReady(reply: Reply): void {
    expectProblem(reply, 503, 'SERVICE_UNAVAILABLE');
    assert.ok(Number(reply.headers.get('retry-after')) >= 1, `Retry-After is ${reply.headers.get('retry-after')}`);
  }

  async function untilReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while ((await ready()).status !== 200) {
      assert.ok(Date.now() < deadline, 'not ready 30 s after the database came back');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    pg = await startPostgres();
    t = await startTestApp('postgres', { database: { driver: 'postgres', url: await pg.createDatabase('switchboard') } });
  });
  after(async () => {
    await t?.close();
    pg?.thaw();
    await pg?.stop();
  });

  it('answers 200 with the database check while the database answers', async () => {
    const reply = await ready();
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body, { status: 'ok', checks: { database: { status: 'ok', driver: 'postgres' } } });
  });

  it('answers 503 with Retry-After once the database is shut down, and 200 again once it is back', async () => {
    await pg.shutDown();
    expectNotReady(await ready());
    expectNotReady(await ready());
    assert.equal((await t.call('GET', `${API}/health`)).status, 200, 'liveness does not need the database');
    await pg.restart();
    await untilReady();
  });

  it('answers 503 by its deadline when the database holds the connection and never answers', async () => {
    pg.freeze();
    try {
      expectNotReady(await ready());
    } finally {
      pg.thaw();
    }
    await untilReady();
  });
});
