import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { buildConsole } from '../support/console-build';
import { SCREENSHOTS, seriousViolations, takeLongTasks, watchLongTasks } from '../support/console-e2e';
import { createSeededDatabase } from '../support/postgres';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createUser, expectOk, startTestApp, type TestApp } from '../support/test-app';

const API = '/api/v1';
const TABLE_COUNT = 10_000;
/** Generous bounds for a busy 2-core machine; the figures themselves are reported. */
const FIRST_PAGE_BUDGET_MS = 2_000;
const SEARCH_BUDGET_MS = 2_000;
const LONG_TASK_BUDGET_MS = 200;

/**
 * 10,000 tables in schema "bulk", committed in batches: one transaction creating them all would
 * need more lock slots than PostgreSQL has by default. One statement, so COMMIT is allowed in it.
 */
const TEN_THOUSAND_TABLES = `DO $$
BEGIN
  CREATE SCHEMA bulk;
  FOR i IN 1..${TABLE_COUNT} LOOP
    EXECUTE format('CREATE TABLE bulk.%I (id int)', 't' || lpad(i::text, 5, '0'));
    IF i % 1000 = 0 THEN COMMIT; END IF;
  END LOOP;
END $$`;

/**
 * A page of another origin that uses the API the way a console served from elsewhere would:
 * sign in, list, create (Location, ETag), PATCH with If-Match, a stale If-Match (problem+json).
 * What each call showed the script is returned, so the test sees what the browser let through.
 */
const OTHER_ORIGIN_SCRIPT = `
window.useApi = async (api, email, password) => {
  const seen = {};
  const json = { 'Content-Type': 'application/json' };
  const login = await fetch(api + '/api/v1/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
  seen.login = login.status;
  const auth = { Authorization: 'Bearer ' + (await login.json()).accessToken };
  const list = await fetch(api + '/api/v1/projects/default/connections?perPage=5', { headers: auth });
  seen.list = { status: list.status, requestId: list.headers.get('X-Request-Id'), total: (await list.json()).meta.total };
  const created = await fetch(api + '/api/v1/projects/default/connections', {
    method: 'POST',
    headers: { ...auth, ...json },
    body: JSON.stringify({ name: 'from-elsewhere', type: 'generic', config: { host: 'elsewhere.internal', port: 5 } }),
  });
  seen.create = { status: created.status, location: created.headers.get('Location'), etag: created.headers.get('ETag') };
  const patch = (etag) =>
    fetch(api + seen.create.location, {
      method: 'PATCH',
      headers: { ...auth, ...json, 'If-Match': etag },
      body: JSON.stringify({ description: 'changed from another origin' }),
    });
  const patched = await patch(seen.create.etag);
  seen.patch = { status: patched.status, etag: patched.headers.get('ETag'), description: (await patched.json()).description };
  const stale = await patch(seen.create.etag);
  seen.stale = { status: stale.status, type: stale.headers.get('Content-Type'), problem: await stale.json() };
  return seen;
};
window.refused = async (api) => {
  const outcome = async (request) => request.then((reply) => 'answered ' + reply.status, (error) => error.name);
  return {
    login: await outcome(fetch(api + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })),
    health: await outcome(fetch(api + '/api/v1/health')),
  };
};`;

/** A node:http server for the page of another origin, on its own loopback port. */
async function otherOrigin(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    if (request.url === '/app.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(OTHER_ORIGIN_SCRIPT);
    } else {
      const html =
        '<!doctype html><html lang="en"><head><title>Elsewhere</title><script src="/app.js"></script></head><body></body></html>';
      response.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('web console, admin screens: members by email, delete conflicts, audit time filter, 10,000 tables, shared credentials, other origins (Chromium)', () => {
  let t: TestApp;
  let admin: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let listed: Awaited<ReturnType<typeof otherOrigin>>;
  let unlisted: Awaited<ReturnType<typeof otherOrigin>>;
  const database = `console_admin_${randomBytes(4).toString('hex')}`;
  const target = new URL(process.env.SWITCHBOARD_TEST_PG_URL!);
  const browserErrors: string[] = [];
  const screens: string[] = [];

  /** A screen worth looking at: a screenshot, and no serious or critical accessibility violation. */
  async function screen(name: string): Promise<void> {
    await page.waitForLoadState('networkidle');
    await page.screenshot({
      path: path.join(SCREENSHOTS, `admin-${String(screens.length + 1).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
    screens.push(name);
    assert.deepEqual(await seriousViolations(page), [], `accessibility of the ${name} screen`);
  }

  const connections = `${API}/projects/default/connections`;

  before(async () => {
    const seeded = Date.now();
    await createSeededDatabase(target.href, database, TEN_THOUSAND_TABLES);
    console.log(`# ${TABLE_COUNT} tables created in ${Date.now() - seeded} ms`);
    listed = await otherOrigin();
    unlisted = await otherOrigin();
    const consoleDir = await buildConsole();
    t = await startTestApp('sqlite', { consoleDir, corsOrigins: [listed.origin] });
    admin = (await t.login()).accessToken;
    const config = {
      host: target.hostname,
      port: Number(target.port),
      database,
      username: decodeURIComponent(target.username),
      sslMode: 'disable',
    };
    const secrets = { password: decodeURIComponent(target.password) };
    expectOk(await t.call('POST', connections, { token: admin, body: { name: 'bulk', type: 'postgres', config, secrets } }), 201);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await listed?.close();
    await unlisted?.close();
  });

  it('signs in', async () => {
    await page.goto(`${t.baseUrl}/console/projects/default/members`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
  });

  it('members: a project admin adds a fellow member by email; anyone else is "not found" at the field', async () => {
    // Erin owns a project of her own; Finn shares "default" with her, Gus shares nothing.
    const erin = await createUser(t, admin, 'erin');
    const finn = await createUser(t, admin, 'finn');
    await createUser(t, admin, 'gus');
    expectOk(await t.call('POST', `${API}/projects`, { token: erin.token, body: { slug: 'erins', name: 'Erin’s' } }), 201);
    for (const user of [erin, finn]) {
      expectOk(await t.call('PUT', `${API}/projects/default/members/${user.id}`, { token: admin, body: { role: 'viewer' } }));
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${t.baseUrl}/console/projects/erins/members`);
    await page.getByLabel('Email').fill(erin.email);
    await page.getByLabel('Password').fill(erin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();

    await page.getByLabel('Email').fill('gus@switchboard.test');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByLabel('Email').and(page.locator('[aria-invalid="true"]')).waitFor();
    assert.equal(await page.locator('#member-email-error').innerText(), 'no user you can see has this email');
    await screen('members-not-found');

    await page.getByLabel('Email').fill('Finn@Switchboard.test');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('finn@switchboard.test was added as editor.').waitFor();
    assert.equal(await page.getByLabel('Role of finn@switchboard.test').inputValue(), 'editor');
    await screen('members-added-by-email');
    const events = expectOk(await t.call('GET', `${API}/projects/erins/audit-events?action=member.put`, { token: erin.token }));
    assert.equal(events.data[0].target.id, finn.id);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor(); // where sign-in goes without a deep link
  });

  it('delete: the 409 lists the consumers, a change by someone else meanwhile reads as 412 with a reload, then forced', async () => {
    const body = { name: 'doomed', type: 'generic', config: { host: 'doomed.internal', port: 5 } };
    expectOk(await t.call('POST', connections, { token: admin, body }), 201);
    const usage = (consumer: string, description?: string) =>
      t.call('PUT', `${connections}/doomed/usages/${consumer}`, { token: admin, body: description ? { description } : {} });
    expectOk(await usage('airflow:nightly_load', 'Nightly load into the warehouse'));
    expectOk(await usage('dbt:marts'));

    await page.goto(`${t.baseUrl}/console/projects/default/connections/doomed`);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete doomed' }).click();
    await page.getByRole('alert').getByText('doomed is in use').waitFor();
    const consumers = page.getByRole('list', { name: 'Deleting it anyway breaks these consumers:' });
    assert.deepEqual(await consumers.getByRole('listitem').allInnerTexts(), [
      'airflow:nightly_load — Nightly load into the warehouse',
      'dbt:marts',
    ]);
    await screen('delete-consumers');

    // Someone else changes it while the dialog is open: the forced delete of the version shown is refused.
    expectOk(await t.call('PATCH', `${connections}/doomed`, { token: admin, body: { description: 'changed meanwhile' } }));
    await page.getByRole('button', { name: 'Delete anyway' }).click();
    await page.getByRole('alert').getByText('doomed has changed').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /Someone else changed it since you opened it; nothing was deleted/);
    assert.match(await page.getByRole('alert').innerText(), /PRECONDITION_FAILED · HTTP 412/);
    await screen('delete-changed-meanwhile');
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.getByText('changed meanwhile').waitFor();
    await page.getByRole('button', { name: 'Delete doomed' }).click();
    await page.getByRole('button', { name: 'Delete anyway' }).click();
    await page.waitForURL(/\/console\/projects\/default\/connections$/);
    expectOk(await t.call('GET', `${connections}/bulk`, { token: admin }));
    assert.equal((await t.call('GET', `${connections}/doomed`, { token: admin })).status, 404);
  });

  it('audit events: filtered by time (from inclusive, to exclusive), the range kept in the URL', async () => {
    await page.goto(`${t.baseUrl}/console/projects/default/audit`);
    await page.getByRole('cell', { name: 'connection.delete', exact: true }).first().waitFor();
    const local = (date: Date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    const inAnHour = new Date(Date.now() + 3_600_000);
    await page.getByLabel('From').fill(local(inAnHour));
    await page.waitForURL(/from=/);
    await page.getByText('No event matches.').waitFor();
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await page.getByLabel('From').fill(local(anHourAgo));
    await page.getByLabel('To').fill(local(inAnHour));
    await page.waitForURL(/from=.*&to=|to=.*&from=/);
    await page.getByRole('cell', { name: 'connection.delete', exact: true }).first().waitFor();
    const url = new URL(page.url());
    assert.equal(new Date(url.searchParams.get('from')!).getTime(), new Date(local(anHourAgo)).getTime());
    await screen('audit-time-range');
    // A deep link keeps the range; a range the API refuses shows its problem.
    await page.goto(`${t.baseUrl}/console/projects/default/audit?from=yesterday`);
    await page.getByRole('alert').getByText('VALIDATION_FAILED').waitFor();
  });

  it(`explore: ${TABLE_COUNT.toLocaleString('en')} tables paged and searched on the server, first page and a search well within budget (figures reported)`, async (test) => {
    await page.goto(`${t.baseUrl}/console/projects/default/connections/bulk/explore`);
    const bulk = page.getByRole('button', { name: 'bulk', exact: true });
    await bulk.waitFor();
    await watchLongTasks(page);

    let started = Date.now();
    await bulk.click();
    await page.getByRole('button', { name: 't00001', exact: true }).waitFor();
    const firstPage = Date.now() - started;
    const pager = page.getByRole('navigation', { name: 'Table pages' });
    assert.match(await pager.innerText(), new RegExp(`1/200 · ${TABLE_COUNT} tables`));
    // Counted once the page's 50th row is there: under a loaded machine (CI) the list was read
    // empty right after t00001 showed (a re-render between the two reads).
    const rows = page.locator('section[aria-labelledby="tables-title"] li');
    await rows.nth(49).waitFor();
    assert.equal(await rows.count(), 50);

    started = Date.now();
    await page.getByRole('button', { name: 'Next tables' }).click();
    await page.getByRole('button', { name: 't00051', exact: true }).waitFor();
    const nextPage = Date.now() - started;
    assert.equal(await page.getByRole('button', { name: 't00001', exact: true }).count(), 0);

    started = Date.now();
    await page.getByLabel('Search tables').fill('t0999');
    await page.getByRole('button', { name: 't09999', exact: true }).waitFor();
    const search = Date.now() - started; // with the 250 ms pause the field waits for typing to stop
    assert.match(await pager.innerText(), /1\/1 · 10 tables/);
    assert.equal(await page.locator('section[aria-labelledby="tables-title"] li').count(), 10);
    assert.match(page.url(), /search=t0999/);
    const tasks = await takeLongTasks(page); // before axe, whose own work is one long task
    await screen('explore-10k-search');
    await page.goto(`${t.baseUrl}/console/projects/default/connections/bulk/explore?schema=bulk`);
    await page.getByRole('button', { name: 't00050', exact: true }).waitFor();
    await screen('explore-10k-tables');

    const longest = Math.round(Math.max(0, ...tasks));
    test.diagnostic(
      `${TABLE_COUNT} tables: first page ${firstPage} ms, next page ${nextPage} ms, search ${search} ms (250 ms of it typing pause); ` +
        `long tasks: ${tasks.length}, longest ${longest} ms`,
    );
    assert.ok(firstPage <= FIRST_PAGE_BUDGET_MS, `first page in ${firstPage} ms`);
    assert.ok(nextPage <= FIRST_PAGE_BUDGET_MS, `next page in ${nextPage} ms`);
    assert.ok(search <= SEARCH_BUDGET_MS, `search in ${search} ms`);
    assert.ok(longest <= LONG_TASK_BUDGET_MS, `longest task ${longest} ms`);
  });

  it('the connection form takes its secrets from a shared credential of a usable type, tested and saved', async () => {
    const body = {
      name: 'warehouse-login',
      type: 'basic',
      fields: { username: decodeURIComponent(target.username) },
      secrets: { password: decodeURIComponent(target.password) },
    };
    const credential = expectOk(await t.call('POST', `${API}/projects/default/credentials`, { token: admin, body }), 201);
    await page.goto(`${t.baseUrl}/console/projects/default/connections/new`);
    await page.getByLabel('Type').selectOption({ label: 'PostgreSQL' });
    await page.getByLabel('Name', { exact: true }).fill('via-credential');
    await page.getByLabel('Host', { exact: true }).first().fill(target.hostname);
    await page.getByLabel('Port', { exact: true }).first().fill(target.port);
    await page.getByLabel('Database', { exact: true }).fill(database);
    await page.getByLabel('User name', { exact: true }).first().fill(decodeURIComponent(target.username));
    await page.getByLabel('SSL mode').selectOption('disable');
    assert.equal(await page.getByLabel('Password', { exact: true }).count(), 1);
    await page.getByLabel('Secrets from').selectOption({ label: 'warehouse-login (basic credential)' });
    // The credential brings the secrets: none is entered beside it.
    assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.locator('.test-result').getByRole('heading', { name: 'Connection works' }).waitFor();
    await screen('connection-form-shared-credential');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/connections\/via-credential$/);
    const saved = expectOk(await t.call('GET', `${connections}/via-credential`, { token: admin }));
    assert.equal(saved.credentialId, credential.id);
    await page.getByRole('link', { name: 'Edit' }).click();
    assert.equal(await page.getByLabel('Secrets from').inputValue(), credential.id);
  });

  it('a page of a listed origin signs in, lists, creates, PATCHes with If-Match and reads ETag, Location and problem+json', async () => {
    const other = await context.newPage();
    try {
      await other.goto(`${listed.origin}/`);
      const seen = await other.evaluate<Record<string, any>>(
        `useApi(${JSON.stringify(t.baseUrl)}, ${JSON.stringify(ADMIN_EMAIL)}, ${JSON.stringify(ADMIN_PASSWORD)})`,
      );
      assert.equal(seen.login, 200);
      assert.equal(seen.list.status, 200);
      assert.ok(seen.list.total >= 1);
      assert.match(seen.list.requestId, /\S/, 'X-Request-Id is exposed');
      assert.equal(seen.create.status, 201);
      assert.match(seen.create.location, /^\/api\/v1\/projects\/[^/]+\/connections\/[0-9a-f-]{36}$/);
      assert.equal(seen.create.etag, '"1"');
      assert.deepEqual(seen.patch, { status: 200, etag: '"2"', description: 'changed from another origin' });
      assert.equal(seen.stale.status, 412);
      assert.match(seen.stale.type, /^application\/problem\+json/);
      assert.equal(seen.stale.problem.code, 'PRECONDITION_FAILED');
      assert.equal((await t.call('GET', `${connections}/from-elsewhere`, { token: admin })).body.version, 2);
    } finally {
      await other.close();
    }
  });

  it('a page of an origin not listed is refused by the browser: no preflight passes, no answer is readable', async () => {
    const other = await context.newPage();
    const refusals: string[] = [];
    other.on('console', (message) => refusals.push(message.text()));
    try {
      await other.goto(`${unlisted.origin}/`);
      const outcome = await other.evaluate<Record<string, string>>(`refused(${JSON.stringify(t.baseUrl)})`);
      assert.deepEqual(outcome, { login: 'TypeError', health: 'TypeError' });
      assert.ok(
        refusals.some((text) => /blocked by CORS policy/.test(text)),
        refusals.join('\n'),
      );
    } finally {
      await other.close();
    }
  });

  it('the console reported no CSP violation or unexpected error', () => {
    const unexpected = browserErrors.filter(
      (error) => !/Failed to load resource: the server responded with a status of (400|401|404|409|412)/.test(error),
    );
    assert.deepEqual(unexpected, []);
    assert.equal(screens.length, 8, screens.join(', '));
  });
});
