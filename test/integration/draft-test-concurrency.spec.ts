import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SilentListener, startSilent } from '../support/black-hole';
import { startTestApp, TestApp } from '../support/test-app';

const ROUNDS = 20;
const CONCURRENT = 5;
/** Far beyond the test's own deadline: a request still unanswered then never will be. */
const CLIENT_TIMEOUT_MS = 10_000;

/**
 * Concurrent PostgreSQL connection tests against a listener that accepts and never answers:
 * every request is answered (a TIMEOUT result, or 429 past the concurrency cap) near its
 * deadline. The abort at the deadline used to race pg's own connect timeout, and when it won
 * the connect promise never settled: the request hung for good.
 */
describe('concurrent PostgreSQL draft tests against a silent target (sqlite)', () => {
  let t: TestApp;
  let admin: string;
  let silent: SilentListener;

  before(async () => {
    t = await startTestApp('sqlite');
    admin = (await t.login()).accessToken;
    silent = await startSilent();
  });
  after(async () => {
    await silent?.close();
    await t?.close();
  });

  const draftTest = async (project: string, timeoutMs: number): Promise<{ status: number; body: any }> => {
    const body = {
      type: 'postgres',
      config: { host: '127.0.0.1', port: silent.port, database: 'x', username: 'x', sslMode: 'disable' },
      timeoutMs,
    };
    const response = await fetch(`${t.baseUrl}/api/v1/projects/${project}/connections/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw new Error(`a ${timeoutMs} ms test got no answer in ${CLIENT_TIMEOUT_MS} ms: ${String(error)}`);
    });
    return { status: response.status, body: await response.json() };
  };

  it('answers every request by its deadline, round after round', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // A project per round: the tests-per-minute limit is not what this is about.
      const slug = `silent-${round}`;
      assert.equal((await t.call('POST', '/api/v1/projects', { token: admin, body: { slug, name: slug } })).status, 201);
      const timeoutMs = 1000 + (round % 3) * 250;
      const replies = await Promise.all(Array.from({ length: CONCURRENT }, () => draftTest(slug, timeoutMs)));
      const tested = replies.filter((reply) => reply.status === 200);
      assert.equal(tested.length, 4, JSON.stringify(replies));
      for (const reply of tested) assert.equal(reply.body.error?.code, 'TIMEOUT', JSON.stringify(reply.body));
      assert.equal(replies.filter((reply) => reply.status === 429).length, CONCURRENT - 4);
    }
    // Every abandoned connection was closed, not left to the silent target.
    for (let wait = 0; wait < 20 && silent.open() > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(silent.open(), 0);
  });
});
