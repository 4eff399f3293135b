/**
 * The console's explorer for files (S3 through s3rver, SFTP through the test sshd), SMTP's test
 * email (the real smtp-server) and catalogs (the Iceberg REST and Databricks protocol servers),
 * in Debian's Chromium against the real service: what shows comes from each type's capabilities.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { buildConsole } from '../support/console-build';
import { clearScreenshots, SCREENSHOTS, seriousViolations } from '../support/console-e2e';
import { startDatabricksWorkspace, type DatabricksWorkspace } from '../support/databricks-workspace';
import { startIcebergRestCatalog, type IcebergRestCatalog } from '../support/iceberg-rest-catalog';
import { startServers, stopServers, type Servers } from '../support/servers';
import { smtpConfig } from '../support/smtp';
import { sftpConnectionBody } from '../support/sshd';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createUser, expectOk, startTestApp, type TestApp } from '../support/test-app';

const SCREENSHOT_PREFIX = 'explore-';

describe('web console: files, test email and catalogs in Chromium (sqlite service; s3rver, sshd, smtp-server, Iceberg, Databricks)', () => {
  let t: TestApp;
  let servers: Pick<Servers, 's3' | 'sshd' | 'smtp'>;
  let iceberg: IcebergRestCatalog;
  let databricks: DatabricksWorkspace;
  let browser: Browser;
  let page: Page;
  let viewer: { email: string; password: string };
  /** Problems the browser reported: CSP violations, failed scripts, uncaught errors. */
  const browserErrors: string[] = [];
  const screens: string[] = [];

  /** Every new screen: a screenshot, and no serious or critical accessibility violation. */
  async function screen(name: string): Promise<void> {
    await page.waitForLoadState('networkidle');
    const file = `${SCREENSHOT_PREFIX}${String(screens.length + 1).padStart(2, '0')}-${name}.png`;
    await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: true });
    screens.push(name);
    assert.deepEqual(await seriousViolations(page), [], `accessibility of the ${name} screen`);
  }

  const open = async (route: string) => page.goto(`${t.baseUrl}/console/projects/default/${route}`);
  const signIn = async (email: string, password: string) => {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  before(async () => {
    clearScreenshots(new RegExp(`^${SCREENSHOT_PREFIX}`));
    [servers, iceberg, databricks] = await Promise.all([
      startServers(['s3', 'sshd', 'smtp']),
      startIcebergRestCatalog(),
      startDatabricksWorkspace(),
    ]);
    const { s3, sshd, smtp } = servers;
    await s3.put('exports/2026/orders.csv', 'id,status,total\n1,shipped,19.90\n2,open,5.00\n');
    await s3.put('exports/2026/events.jsonl', '{"id":1,"kind":"click"}\n{"id":2,"kind":null}\n');
    await s3.put('exports/blob.bin', Buffer.from(Array.from({ length: 512 }, (_, index) => (index * 37) % 256)));
    await s3.put('readme.txt', 'Nightly exports.\n');
    // One more than a page of the listing (100).
    for (let index = 1; index <= 101; index += 1) await s3.put(`many/part-${String(index).padStart(3, '0')}.csv`, 'n\n1\n');

    // Its own build: console.spec builds into .build/console at the same time.
    const consoleDir = await buildConsole();
    t = await startTestApp('sqlite', { consoleDir });
    const admin = await t.login();
    const create = async (body: Record<string, unknown>) =>
      expectOk(await t.call('POST', '/api/v1/projects/default/connections', { token: admin.accessToken, body }), 201);
    await create({
      name: 'bucket',
      type: 's3',
      config: { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true },
      secrets: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await create({ name: 'drop', ...sftpConnectionBody(sshd) });
    const mail = smtpConfig(smtp);
    await create({ name: 'mailer', type: 'smtp', config: mail, secrets: { password: smtp.password, tlsCa: smtp.ca } });
    await create({ name: 'mailer-wrong', type: 'smtp', config: mail, secrets: { password: 'not-the-password', tlsCa: smtp.ca } });
    await create({
      name: 'lake',
      type: 'iceberg',
      config: { uri: iceberg.url, warehouse: 'analytics' },
      secrets: { token: iceberg.token, tlsCa: iceberg.ca },
    });
    await create({
      name: 'unity',
      type: 'databricks',
      config: { host: databricks.url, warehouseId: 'wh-running', catalog: 'main' },
      secrets: { token: databricks.pat, tlsCa: databricks.ca },
    });
    const user = await createUser(t, admin.accessToken, 'explore-viewer');
    const member = await t.call('PUT', `/api/v1/projects/default/members/${user.id}`, {
      token: admin.accessToken,
      body: { role: 'viewer' },
    });
    assert.ok(member.status < 300, member.text);
    viewer = user;

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await Promise.allSettled([stopServers(servers), iceberg?.stop(), databricks?.stop()]);
  });

  it('S3: folders opened by their names, each in the URL (back button, deep link), a file’s inferred columns', async () => {
    await open('connections/bucket');
    await page.waitForURL(/\/console\/sign-in\?next=/);
    await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.getByRole('heading', { name: 'bucket', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Explore' }).click();
    await page.getByRole('heading', { name: 'Explore bucket' }).waitFor();
    const contents = page.getByRole('region', { name: 'Files' });
    await contents.getByRole('link', { name: 'readme.txt' }).waitFor();
    // No database, schema or query parts for a type that has none.
    assert.equal(await page.getByRole('heading', { name: 'Schemas' }).count(), 0);
    assert.equal(await page.getByLabel('SQL').count(), 0);

    await contents.getByRole('link', { name: 'exports/', exact: true }).click();
    await page.waitForURL(/prefix=exports%2F$/);
    await contents.getByRole('link', { name: '2026/', exact: true }).click();
    await page.waitForURL(/prefix=exports%2F2026%2F$/);
    await contents.getByRole('link', { name: 'orders.csv' }).click();
    await page.waitForURL(/prefix=exports%2F2026%2F&file=exports%2F2026%2Forders.csv$/);
    const schema = page.getByRole('region', { name: 'exports/2026/orders.csv' });
    await schema.getByRole('table', { name: 'Columns of exports/2026/orders.csv' }).waitFor();
    assert.deepEqual(await schema.locator('tbody tr').allInnerTexts(), ['id\tinteger\tno', 'status\tstring\tno', 'total\tnumber\tno']);
    assert.match(await schema.locator('.details').innerText(), /Format\s+csv/);
    assert.match(await schema.locator('.details').innerText(), /delimiter\s+,/);
    // Where the listing stands: Root / exports / 2026, the last one the current folder.
    const crumbs = page.getByRole('navigation', { name: 'Folder path' });
    assert.deepEqual(await crumbs.getByRole('listitem').allInnerTexts(), ['Root', 'exports', '2026']);
    await screen('s3-file-schema');

    // Back: the file closes, then the folder above opens again.
    await page.goBack();
    await page.waitForURL(/prefix=exports%2F2026%2F$/);
    assert.equal(await page.getByRole('region', { name: 'exports/2026/orders.csv' }).count(), 0);
    await page.goBack();
    await page.waitForURL(/prefix=exports%2F$/);
    await contents.getByRole('link', { name: '2026/', exact: true }).waitFor();
    await crumbs.getByRole('link', { name: 'Root' }).click();
    await contents.getByRole('link', { name: 'readme.txt' }).waitFor();

    // A deep link opens the folder and the file as they were.
    await open('connections/bucket/explore?prefix=exports%2F2026%2F&file=exports%2F2026%2Fevents.jsonl');
    const events = page.getByRole('region', { name: 'exports/2026/events.jsonl' });
    await events.getByRole('cell', { name: 'kind', exact: true }).waitFor();
    assert.match(await events.locator('.details').innerText(), /Format\s+jsonl/);
    assert.deepEqual(await events.locator('tbody tr').allInnerTexts(), ['id\tinteger\tno', 'kind\tstring\tyes']);
  });

  it('S3: a file of no format it reads, and a file that is gone, are explained in words', async () => {
    await open('connections/bucket/explore?prefix=exports%2F');
    await page.getByRole('link', { name: 'blob.bin' }).click();
    const refusal = page.getByRole('alert');
    await refusal.getByText("Switchboard cannot read this file's columns").waitFor();
    assert.match(
      await refusal.innerText(),
      /Cannot tell the format of exports\/blob\.bin; supported: CSV, JSON lines, JSON arrays, Parquet/,
    );
    assert.match(await refusal.innerText(), /UNPROCESSABLE · HTTP 422/);
    await screen('s3-unsupported-file');

    await open('connections/bucket/explore?prefix=exports%2F&file=exports%2Fgone.csv');
    const missing = page.getByRole('alert');
    await missing.getByText('There is no such file: it may have been moved or deleted').waitFor();
    assert.match(await missing.innerText(), /NOT_FOUND · HTTP 404/);

    // A folder longer than a page: the next page is a link too, and back returns to the first.
    await open('connections/bucket/explore?prefix=many%2F');
    const contents = page.getByRole('region', { name: 'Files' });
    await contents.getByRole('link', { name: 'part-100.csv' }).waitFor();
    assert.equal(await contents.getByRole('link', { name: 'part-101.csv' }).count(), 0);
    await contents.getByRole('link', { name: 'Next files' }).click();
    await page.waitForURL(/prefix=many%2F&cursor=/);
    await contents.getByRole('link', { name: 'part-101.csv' }).waitFor();
    assert.equal(await contents.getByRole('link', { name: 'Next files' }).count(), 0);
    await page.goBack();
    await contents.getByRole('link', { name: 'part-001.csv' }).waitFor();
  });

  it('SFTP: the same browser over the test sshd, into data/ and a CSV file’s columns', async () => {
    await open('connections/drop');
    await page.getByRole('link', { name: 'Explore' }).click();
    const contents = page.getByRole('region', { name: 'Files' });
    await contents.getByRole('link', { name: 'data/', exact: true }).click();
    await page.waitForURL(/prefix=data%2F$/);
    await contents.getByRole('link', { name: 'customers.csv' }).click();
    const schema = page.getByRole('region', { name: 'data/customers.csv' });
    await schema.locator('tbody tr').first().waitFor();
    assert.match(await schema.locator('.details').innerText(), /Format\s+csv/);
    await contents.getByRole('link', { name: 'Root' }).click();
    await contents.getByRole('link', { name: 'empty/', exact: true }).click();
    await contents.getByText('This folder is empty.').waitFor();
    await page.goBack();
    await contents.getByRole('link', { name: 'data/', exact: true }).waitFor();
    await contents.getByRole('link', { name: 'data/', exact: true }).click();
    await contents.getByRole('link', { name: 'customers.csv' }).click();
    await schema.locator('tbody tr').first().waitFor();
    await screen('sftp-file-schema');
  });

  it('SMTP: sends a test email that arrives at the real server; a refused login and a bad address read clearly', async () => {
    const { smtp } = servers;
    await open('connections/mailer');
    await page.getByRole('heading', { name: 'mailer', level: 1 }).waitFor();
    // Nothing to explore on a mail server.
    assert.equal(await page.getByRole('link', { name: 'Explore' }).count(), 0);
    const before = smtp.messages.length;
    await page.getByLabel('To', { exact: true }).fill('console@example.com');
    await page.getByRole('button', { name: 'Send test email' }).click();
    const sent = page.getByRole('status').filter({ hasText: 'Test email sent' });
    await sent.waitFor();
    assert.equal(smtp.messages.length, before + 1);
    const message = smtp.messages[smtp.messages.length - 1];
    assert.deepEqual(message.to, ['console@example.com']);
    assert.equal(message.from, 'switchboard@example.com');
    const shown = await sent.innerText();
    assert.match(shown, /Accepted\s+console@example\.com/);
    assert.match(shown, /Rejected\s+none/);
    assert.match(shown, /Server said\s+\S+/);
    assert.match(shown, /Round trip\s+\d+ ms/);
    await screen('smtp-test-email-sent');

    // Empty: the connection's addressToTest.
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Send test email' }).click();
    await page.getByRole('status').getByText('ops@example.com', { exact: true }).waitFor();
    assert.deepEqual(smtp.messages[smtp.messages.length - 1].to, ['ops@example.com']);

    // What the API refuses shows at the field.
    await page.getByLabel('To', { exact: true }).fill('not-an-address');
    await page.getByRole('button', { name: 'Send test email' }).click();
    await page.getByLabel('To', { exact: true }).and(page.locator('[aria-invalid="true"]')).waitFor();
    assert.match(await page.locator('#test-email-to-error').innerText(), /email/i);
    await page.getByRole('alert').getByText('The message was not sent').waitFor();

    const count = smtp.messages.length;
    await open('connections/mailer-wrong');
    await page.getByRole('button', { name: 'Send test email' }).click();
    const failed = page.getByRole('status').filter({ hasText: 'Test email not sent' });
    await failed.waitFor();
    assert.match(await failed.innerText(), /AUTH_FAILED/);
    assert.match(await failed.innerText(), /Accepted\s+none/);
    assert.match(await failed.innerText(), /Rejected\s+ops@example\.com/);
    assert.equal(smtp.messages.length, count, 'nothing was delivered');
    await screen('smtp-test-email-failed');
  });

  it('Iceberg: catalogs -> namespaces -> tables -> columns, each chosen by its name and kept in the URL', async () => {
    await open('connections/lake');
    await page.getByRole('link', { name: 'Explore' }).click();
    await page.getByRole('heading', { name: 'Explore lake' }).waitFor();
    await page.getByRole('button', { name: 'analytics', exact: true }).click();
    await page.waitForURL(/catalog=analytics$/);
    await page.getByRole('heading', { name: 'Schemas in analytics' }).waitFor();
    await page.getByRole('button', { name: 'accounting.tax', exact: true }).waitFor();
    await page.getByRole('button', { name: 'sales', exact: true }).click();
    await page.waitForURL(/catalog=analytics&schema=sales$/);
    await page.getByRole('button', { name: 'orders', exact: true }).click();
    await page.waitForURL(/catalog=analytics&schema=sales&table=orders$/);
    const columns = page.getByRole('table', { name: 'Columns of orders' });
    await columns.getByRole('cell', { name: 'customer_id', exact: true }).waitFor();
    assert.deepEqual(
      (await columns.locator('tbody tr').allInnerTexts()).map((row) => row.split('\t').slice(0, 2).join(' ')),
      ['id long', 'customer_id int', 'placed_on date'],
    );
    // Iceberg has no preview or query here: neither is offered.
    assert.equal(await page.getByRole('button', { name: 'Preview' }).count(), 0);
    assert.equal(await page.getByLabel('SQL').count(), 0);
    await screen('iceberg-columns');

    await page.goBack();
    await page.waitForURL(/catalog=analytics&schema=sales$/);
    assert.equal(await page.getByRole('table', { name: 'Columns of orders' }).count(), 0);
    await page.reload();
    await page.getByRole('button', { name: 'orders', exact: true }).waitFor();
  });

  it('Databricks: catalog, schema, table, a preview, and a query refused in words without readOnlyByGrants', async () => {
    await open('connections/unity/explore');
    await page.getByRole('button', { name: 'main', exact: true }).click();
    await page.getByRole('button', { name: 'default', exact: true }).click();
    await page.getByRole('button', { name: 'orders', exact: true }).click();
    await page.waitForURL(/catalog=main&schema=default&table=orders$/);
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: 'Preview of orders' });
    await preview.locator('tbody tr').first().waitFor();
    assert.ok((await preview.locator('tbody tr').count()) > 0);

    await page.getByLabel('SQL').fill('SELECT * FROM main.default.orders');
    await page.getByRole('button', { name: 'Run' }).click();
    const refusal = page.getByRole('alert');
    await refusal.getByText('Refused: this connection does not run queries as it is set up').waitFor();
    assert.match(await refusal.innerText(), /readOnlyByGrants/);
    assert.match(await refusal.innerText(), /UNSUPPORTED_OPERATION · HTTP 422/);
    await screen('databricks-preview-query-refused');
  });

  it('offers a viewer no test email and no explorer: nothing that could only answer 403', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in$/);
    await open('connections/mailer');
    await signIn(viewer.email, viewer.password);
    await page.getByRole('heading', { name: 'mailer', level: 1 }).waitFor();
    await page.getByText('Secrets set').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send test email' }).count(), 0);
    assert.equal(await page.getByLabel('To', { exact: true }).count(), 0);
    await screen('smtp-as-viewer');
    for (const name of ['bucket', 'lake', 'unity']) {
      await open(`connections/${name}`);
      await page.getByRole('heading', { name, level: 1 }).waitFor();
      await page.getByText('Secrets set').waitFor();
      assert.equal(await page.getByRole('link', { name: 'Explore' }).count(), 0, name);
    }
  });

  it('the browser reported no CSP violation or error', () => {
    // What the run provoked on purpose (a bad address, unreadable and missing files, a refused query) Chromium logs as failed loads.
    const unexpected = browserErrors.filter(
      (error) => !/Failed to load resource: the server responded with a status of (400|404|422)/.test(error),
    );
    assert.deepEqual(unexpected, []);
    assert.equal(screens.length, 8, screens.join(', '));
  });
});
