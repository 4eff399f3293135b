import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ServiceProcess, startServiceProcess } from '../support/service-process';
import { ADMIN_EMAIL, ADMIN_PASSWORD, DRIVERS, startTestApp, TestApp } from '../support/test-app';

const SAMPLE = '/api/v1/projects/default/connections/sample';

for (const driver of DRIVERS) {
  describe(`the sample connection made on first start (${driver} metadata)`, () => {
    let t: TestApp;
    let token: string;
    before(async () => {
      t = await startTestApp(driver, { sample: true });
      token = (await t.login()).accessToken;
    });
    after(() => t.close());

    it('is a read-only sqlite connection in project default, to a private file under the SQLite root', async () => {
      const reply = await t.call('GET', SAMPLE, { token });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.body.type, 'sqlite');
      assert.deepEqual(reply.body.config, { path: 'sample.sqlite' });
      const file = path.join(t.config.sqliteRoot, 'sample.sqlite');
      assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    });

    it('was made by the bootstrap, as the audit trail shows', async () => {
      const events = await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.create', { token });
      assert.equal(events.status, 200, events.text);
      const created = events.body.data.find((event: { target: { name: string } }) => event.target.name === 'sample');
      assert.deepEqual(created?.actor, { type: 'system', userId: null, apiKeyId: null, label: 'bootstrap' });
    });

    it('tests, lists its tables and view, previews and answers a join', async () => {
      const test = await t.call('POST', `${SAMPLE}/test`, { token });
      assert.equal(test.status, 200, test.text);
      assert.equal(test.body.success, true, test.text);
      const tables = await t.call('GET', `${SAMPLE}/tables`, { token });
      assert.equal(tables.status, 200, tables.text);
      assert.deepEqual(
        tables.body.data.map((table: { name: string; type: string }) => `${table.name}:${table.type}`),
        ['customers:TABLE', 'order_items:TABLE', 'order_totals:VIEW', 'orders:TABLE', 'products:TABLE'],
      );
      const preview = await t.call('GET', `${SAMPLE}/preview?table=customers&limit=5`, { token });
      assert.equal(preview.status, 200, preview.text);
      assert.equal(preview.body.rows.length, 5);
      assert.equal(preview.body.truncated, true);
      const counts = await t.call('POST', `${SAMPLE}/query`, {
        token,
        body: {
          sql:
            'SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM products), (SELECT count(*) FROM orders), ' +
            '(SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id JOIN products p ON p.id = i.product_id), ' +
            '(SELECT sum(total_cents) FROM order_totals) = (SELECT sum(quantity * unit_price_cents) FROM order_items)',
        },
      });
      assert.equal(counts.status, 200, counts.text);
      const [customers, products, orders, items, viewAgrees] = counts.body.rows[0];
      assert.deepEqual([customers, products, orders, viewAgrees], [200, 40, 1500, 1]);
      // A few thousand rows, every item joined to its order and product.
      assert.ok(items >= 1500 && items <= 6000, `order_items: ${items}`);
    });

    it('refuses a write and changes nothing', async () => {
      const insert = await t.call('POST', `${SAMPLE}/query`, {
        token,
        body: { sql: "INSERT INTO customers (name, email, country, created_at) VALUES ('x', 'x@example.com', 'DE', '2026-01-01')" },
      });
      assert.equal(insert.status, 422, insert.text);
      assert.equal(insert.body.code, 'READ_ONLY_VIOLATION');
      const count = await t.call('POST', `${SAMPLE}/query`, { token, body: { sql: 'SELECT count(*) FROM customers' } });
      assert.deepEqual(count.body.rows, [[200]]);
    });
  });
}

/** The built service, configured by its environment, as an operator starts it. */
describe('the sample on the real service', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-sample-'));
  // Every one started, so a failed test leaves none running.
  const started: ServiceProcess[] = [];
  const start = async (dataDir: string, env?: Record<string, string>) => {
    const running = await startServiceProcess(dataDir, env);
    started.push(running);
    return running;
  };
  let service: ServiceProcess;
  after(async () => {
    await Promise.all(started.map((running) => running.stop()));
    fs.rmSync(parent, { recursive: true, force: true });
  });

  async function signIn(running: ServiceProcess): Promise<string> {
    const reply = await fetch(`${running.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    });
    assert.equal(reply.status, 200);
    return ((await reply.json()) as { accessToken: string }).accessToken;
  }
  const sampleStatus = async (running: ServiceProcess, token: string) =>
    (await fetch(running.baseUrl + SAMPLE, { headers: { authorization: `Bearer ${token}` } })).status;

  it('makes none with SWITCHBOARD_SAMPLE=false', async () => {
    const dataDir = path.join(parent, 'off');
    service = await start(dataDir, { SWITCHBOARD_SAMPLE: 'false' });
    assert.equal(await sampleStatus(service, await signIn(service)), 404);
    assert.equal(fs.existsSync(path.join(dataDir, 'sqlite', 'sample.sqlite')), false);
    await service.stop();
  });

  it('makes it on the first start only: deleted, it stays deleted', async () => {
    const dataDir = path.join(parent, 'once');
    const file = path.join(dataDir, 'sqlite', 'sample.sqlite');
    service = await start(dataDir);
    let token = await signIn(service);
    assert.equal(await sampleStatus(service, token), 200);
    const deleted = await fetch(service.baseUrl + SAMPLE, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(deleted.status, 204);
    fs.rmSync(file);
    await service.stop();

    service = await start(dataDir);
    token = await signIn(service);
    assert.equal(await sampleStatus(service, token), 404);
    assert.equal(fs.existsSync(file), false);
    await service.stop();
  });

  it('never overwrites a sample.sqlite already under the SQLite root, and then makes no connection to it', async () => {
    const dataDir = path.join(parent, 'taken');
    const file = path.join(dataDir, 'sqlite', 'sample.sqlite');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'not a database the service made');
    service = await start(dataDir);
    assert.equal(await sampleStatus(service, await signIn(service)), 404);
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a database the service made');
    assert.ok(service.lines.some((line) => line.includes('sample.sqlite already exists')));
    assert.deepEqual(
      fs.readdirSync(path.dirname(file)).filter((name) => name !== 'sample.sqlite'),
      [],
      'no leftover of the build',
    );
    await service.stop();
  });
});
