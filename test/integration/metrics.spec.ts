import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { startSilent } from '../support/black-hole';
import { startMariaDb } from '../support/mariadb';
import { startPostgres } from '../support/postgres';
import { createUser, expectProblem, startTestApp, TestApp } from '../support/test-app';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789abcdef';
const CONNECTION_NAME = 'ledger-metrics-7f3a';

/** The value of one series, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** GET /metrics over HTTP: who may read it, and what it says after real traffic. */
describe('metrics over HTTP (sqlite)', () => {
  let t: TestApp;
  let admin: string;
  let connectionId: string;
  const base = '/api/v1/projects/default/connections';
  const scrape = (headers: Record<string, string> = {}) => t.call('GET', '/metrics', { headers });

  before(async () => {
    t = await startTestApp('sqlite', { metricsToken: METRICS_TOKEN });
    admin = (await t.login()).accessToken;
    fs.mkdirSync(t.config.sqliteRoot, { recursive: true });
    const db = new Database(path.join(t.config.sqliteRoot, 'ledger.db'));
    db.exec('CREATE TABLE entries (id INTEGER PRIMARY KEY, amount REAL)');
    db.close();
    const created = await t.call('POST', base, {
      token: admin,
      body: { name: CONNECTION_NAME, type: 'sqlite', config: { path: 'ledger.db' } },
    });
    assert.equal(created.status, 201, created.text);
    connectionId = created.body.id;
  });
  after(() => t?.close());

  it('is not public: no token, a wrong one, a project API key or a non-admin user are refused', async () => {
    expectProblem(await scrape(), 401, 'UNAUTHORIZED');
    expectProblem(await scrape({ authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}x` }), 401, 'UNAUTHORIZED');
    expectProblem(await scrape({ authorization: `Bearer ${METRICS_TOKEN}${METRICS_TOKEN}` }), 401, 'UNAUTHORIZED');
    expectProblem(await scrape({ authorization: METRICS_TOKEN }), 401, 'UNAUTHORIZED');
    const key = await t.call('POST', '/api/v1/projects/default/api-keys', {
      token: admin,
      body: { name: 'scraper', scopes: ['connections:read'] },
    });
    assert.equal(key.status, 201, key.text);
    expectProblem(await scrape({ authorization: `Bearer ${key.body.key}` }), 401, 'UNAUTHORIZED');
    expectProblem(await scrape({ 'x-api-key': key.body.key }), 401, 'UNAUTHORIZED');
    const user = await createUser(t, admin, 'watcher');
    expectProblem(await scrape({ authorization: `Bearer ${user.token}` }), 403, 'FORBIDDEN');
    // Not under the API prefix, where scrapers do not look.
    assert.equal((await t.call('GET', '/api/v1/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 404);
  });

  it('answers Prometheus text to the metrics token and to an instance admin', async () => {
    for (const authorization of [`Bearer ${METRICS_TOKEN}`, `Bearer ${admin}`]) {
      const reply = await scrape({ authorization });
      assert.equal(reply.status, 200, reply.text);
      assert.match(reply.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(reply.text, /^# HELP http_request_duration_seconds /m);
      // The process defaults, event-loop lag among them.
      assert.match(reply.text, /^process_cpu_user_seconds_total /m);
      assert.match(reply.text, /^nodejs_eventloop_lag_p99_seconds /m);
    }
  });

  it('times requests by route template and status class, never by raw path, name or id', async () => {
    const unmatched = 'http_request_duration_seconds_count{method="GET",route="unmatched",status_class="4xx"}';
    const earlier = sample((await scrape({ authorization: `Bearer ${METRICS_TOKEN}` })).text, unmatched) ?? 0;
    for (const ref of [CONNECTION_NAME, connectionId]) assert.equal((await t.call('GET', `${base}/${ref}`, { token: admin })).status, 200);
    expectProblem(await t.call('GET', `${base}/missing-${connectionId}`, { token: admin }), 404, 'NOT_FOUND');
    assert.equal((await t.call('GET', `/nowhere-${connectionId}`)).status, 404);

    const { text } = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    const route = 'route="/api/v1/projects/:project/connections/:connection"';
    assert.equal(sample(text, `http_request_duration_seconds_count{method="GET",${route},status_class="2xx"}`), 2);
    assert.equal(sample(text, `http_request_duration_seconds_count{method="GET",${route},status_class="4xx"}`), 1);
    assert.equal(sample(text, unmatched), earlier + 1);
    assert.ok(!text.includes(CONNECTION_NAME), 'a connection name is no label');
    assert.ok(!text.includes(connectionId), 'an id is no label');
    assert.ok(!text.includes('nowhere'), 'an unmatched path is no label');
    assert.ok(!text.includes(METRICS_TOKEN));
  });

  it('counts connector operations by type, operation and outcome, and the cached sessions', async () => {
    const before = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(sample(before.text, 'switchboard_session_cache_sessions'), 0);
    const tested = await t.call('POST', `${base}/${CONNECTION_NAME}/test`, { token: admin, body: {} });
    assert.equal(tested.body.success, true, tested.text);
    const missing = await t.call('POST', `${base}/test`, { token: admin, body: { type: 'sqlite', config: { path: 'absent.db' } } });
    assert.equal(missing.body.success, false, missing.text);
    assert.equal((await t.call('GET', `${base}/${CONNECTION_NAME}/tables`, { token: admin })).status, 200);

    const { text } = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    const operations = (operation: string, outcome: string) =>
      sample(text, `switchboard_connector_operations_total{type="sqlite",operation="${operation}",outcome="${outcome}"}`);
    assert.equal(operations('test', 'ok'), 1);
    assert.equal(operations('test', missing.body.error.code.toLowerCase()), 1);
    assert.equal(operations('tables', 'ok'), 1);
    assert.equal(sample(text, 'switchboard_connector_operation_duration_seconds_count{type="sqlite",operation="tables",outcome="ok"}'), 1);
    assert.equal(sample(text, 'switchboard_session_cache_sessions'), 1);
  });

  it('reports the PostgreSQL pools of cached sessions: open, idle and waiting', async () => {
    const pg = await startPostgres();
    try {
      await pg.createDatabase('shop');
      const url = new URL(pg.url('shop'));
      const config = {
        host: '127.0.0.1',
        port: Number(url.port),
        database: 'shop',
        username: decodeURIComponent(url.username),
        sslMode: 'disable',
      };
      const body = { name: 'shop', type: 'postgres', config, secrets: { password: decodeURIComponent(url.password) } };
      assert.equal((await t.call('POST', base, { token: admin, body })).status, 201);
      assert.equal((await t.call('GET', `${base}/shop/tables`, { token: admin })).status, 200);
      const { text } = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
      assert.equal(sample(text, 'switchboard_connector_pool_connections{type="postgres",state="total"}'), 1);
      assert.equal(sample(text, 'switchboard_connector_pool_connections{type="postgres",state="idle"}'), 1);
      assert.equal(sample(text, 'switchboard_connector_pool_connections{type="postgres",state="waiting"}'), 0);
      assert.equal((await t.call('DELETE', `${base}/shop`, { token: admin })).status, 204);
    } finally {
      await pg.stop();
    }
  });

  it('reports the MySQL pools of cached sessions: a connection busy with a query is not idle', async () => {
    const mariadb = await startMariaDb();
    const pools = async () => {
      const { text } = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
      const state = (name: string) => sample(text, `switchboard_connector_pool_connections{type="mysql",state="${name}"}`);
      return { total: state('total'), idle: state('idle'), waiting: state('waiting') };
    };
    try {
      const config = { host: mariadb.host, port: mariadb.port, database: mariadb.database, username: mariadb.readOnlyUser, ssl: false };
      const body = { name: 'orders', type: 'mysql', config, secrets: { password: mariadb.readOnlyPassword } };
      assert.equal((await t.call('POST', base, { token: admin, body })).status, 201);
      assert.equal((await t.call('GET', `${base}/orders/tables`, { token: admin })).status, 200);
      assert.deepEqual(await pools(), { total: 1, idle: 1, waiting: 0 });
      // While a statement holds the pool's one connection, it is open and not idle.
      const running = t.call('POST', `${base}/orders/query`, { token: admin, body: { sql: 'SELECT SLEEP(2) AS slept' } });
      let finished = false;
      void running.finally(() => (finished = true));
      let busy = await pools();
      while (busy.idle !== 0 && !finished) busy = await pools();
      assert.deepEqual(busy, { total: 1, idle: 0, waiting: 0 });
      assert.equal((await running).status, 200);
      assert.equal((await t.call('DELETE', `${base}/orders`, { token: admin })).status, 204);
      assert.deepEqual(await pools(), { total: undefined, idle: undefined, waiting: undefined });
    } finally {
      await mariadb.stop();
    }
  });

  it("counts refusals by a project's concurrency cap", async () => {
    const before = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(sample(before.text, 'switchboard_outbound_refusals_total{reason="concurrency"}'), 0);
    const silent = await startSilent();
    try {
      // An HTTP target that never answers holds each test's slot until its deadline.
      const draft = { type: 'http', config: { baseUrl: `http://127.0.0.1:${silent.port}` } };
      const replies = await Promise.all(
        Array.from({ length: 5 }, () => t.call('POST', `${base}/test`, { token: admin, body: { ...draft, timeoutMs: 1500 } })),
      );
      const refused = replies.filter((reply) => reply.status === 429);
      assert.equal(refused.length, 1, replies.map((reply) => reply.status).join());
      expectProblem(refused[0], 429, 'RATE_LIMITED');
    } finally {
      await silent.close();
    }
    const { text } = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(sample(text, 'switchboard_outbound_refusals_total{reason="concurrency"}'), 1);
    assert.equal(sample(text, 'switchboard_outbound_refusals_total{reason="rate"}'), 0);
    assert.equal(sample(text, 'switchboard_connector_operations_total{type="http",operation="test",outcome="rate_limited"}'), 1);
  });
});
