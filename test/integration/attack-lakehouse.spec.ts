/**
 * Attacks on the lakehouse types (issue 17: databricks, iceberg, the shared REST client), driven
 * against the real service with the test Databricks workspace and a small malicious workspace of
 * our own (node:https, self-signed, trusted as tlsCa). Each test but the last reproduces a defect
 * found in review (the report of branch attack-lake) and holds since its fix.
 * SQLite metadata only: none of these depends on the metadata driver.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startDatabricksWorkspace, type DatabricksWorkspace } from '../support/databricks-workspace';
import { startIcebergRestCatalog } from '../support/iceberg-rest-catalog';
import { sendJson, startJsonServer, type JsonRequest, type JsonServer } from '../support/json-server';
import { createUser, expectOk, expectProblem, startTestApp, type TestApp } from '../support/test-app';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type EvilHandler = (request: JsonRequest, response: http.ServerResponse) => void;

describe('attacks on the lakehouse types (sqlite)', () => {
  let t: TestApp;
  let admin: string;
  let workspace: DatabricksWorkspace;
  let evil: JsonServer;
  let evilHandler: EvilHandler = (_request, response) => sendJson(response, 404, { error_code: 'NOT_FOUND', message: 'nothing' });
  const base = '/api/v1/projects/default/connections';

  before(async () => {
    workspace = await startDatabricksWorkspace();
    evil = await startJsonServer('evil-workspace', (request, response) => evilHandler(request, response), { tls: true });
    t = await startTestApp('sqlite');
    admin = (await t.login()).accessToken;
  });
  after(async () => {
    await t?.close();
    await workspace?.stop();
    await evil?.stop();
  });

  const draftTest = (body: Record<string, unknown>) => t.call('POST', `${base}/test`, { token: admin, body });

  it('refuses an OAuth token answer over 64 KiB and an access_token over 8 KiB: nothing blocks the event loop or stays cached', async () => {
    // The workspace is whatever `host` says: an editor's own server. 8 MiB is a quarter of what
    // DATABRICKS_BODY_LIMIT lets through; the cache keeps 256 of them, one per client secret.
    // Flat from the start ('A'.repeat is a rope that the first JSON.stringify would flatten, in this test's memory).
    const hugeToken = Buffer.alloc(8 * 1024 * 1024, 'A').toString('latin1');
    evilHandler = (request, response) => {
      if (request.path === '/oidc/v1/token') sendJson(response, 200, { access_token: hugeToken, token_type: 'Bearer', expires_in: 1e9 });
      else sendJson(response, 401, { error_code: 'UNAUTHENTICATED', message: 'no' });
    };
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    for (let i = 0; i < 2; i++) {
      const body = {
        type: 'databricks',
        config: { host: evil.url, warehouseId: 'wh', authType: 'oauth-m2m', clientId: 'sp' },
        secrets: { clientSecret: `secret-${i}-xxxxxxxx`, tlsCa: evil.ca },
      };
      expectOk(await draftTest(body));
    }
    delay.disable();
    // Our server's own unsent answers are freed once it sees the service close the connections.
    await new Promise((resolve) => setTimeout(resolve, 500));
    gc();
    const retainedMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const blockedMs = delay.max / 1e6;
    assert.ok(
      blockedMs < 1_000 && retainedMiB < 8,
      `one test blocked the event loop (every tenant's requests) for ${Math.round(blockedMs)} ms; ` +
        `two left ${Math.round(retainedMiB)} MiB of access tokens in the connector's cache`,
    );
    // Within the token answer's limit, still longer than any real token.
    const longToken = 'B'.repeat(16 * 1024);
    evilHandler = (request, response) => {
      if (request.path === '/oidc/v1/token') sendJson(response, 200, { access_token: longToken, token_type: 'Bearer', expires_in: 3600 });
      else sendJson(response, 200, { catalogs: [] });
    };
    const long = expectOk(
      await draftTest({
        type: 'databricks',
        config: { host: evil.url, warehouseId: 'wh', authType: 'oauth-m2m', clientId: 'sp' },
        secrets: { clientSecret: 'secret-long-xxxxxxxx', tlsCa: evil.ca },
      }),
    );
    assert.equal(long.success, false);
    assert.match(String(long.message), /access_token over 8192 characters/);
  });

  it('scrubs an OAuth client secret with reserved characters from a token endpoint echoing the Basic header', async () => {
    const clientSecret = 'dose+Secret/With=Reserved+Chars';
    evilHandler = (request, response) => {
      if (request.path === '/oidc/v1/token')
        sendJson(response, 401, { error: 'invalid_client', error_description: `bad header ${request.headers.authorization}` });
      else sendJson(response, 401, { error_code: 'UNAUTHENTICATED', message: 'no' });
    };
    const body = {
      type: 'databricks',
      config: { host: evil.url, warehouseId: 'wh', authType: 'oauth-m2m', clientId: 'sp' },
      secrets: { clientSecret, tlsCa: evil.ca },
    };
    const reply = await draftTest(body);
    const result = expectOk(reply);
    assert.equal(result.success, false);
    const revealed = [...reply.text.matchAll(/[A-Za-z0-9+/=]{16,}/g)].map((match) =>
      decodeURIComponent(
        Buffer.from(match[0], 'base64')
          .toString('latin1')
          .replace(/%(?![0-9A-Fa-f]{2})/g, '%25'),
      ),
    );
    assert.ok(!revealed.some((text) => text.includes(clientSecret)), `the client secret is readable in: ${result.message}`);
    const basic = Buffer.from(`sp:${encodeURIComponent(clientSecret)}`).toString('base64');
    assert.ok(!t.logs.some((line) => line.includes(basic)), 'the Basic header is in a log line');
  });

  it('finds a second statement after a raw string literal or a -- comment ended by \\r', async () => {
    const body = {
      type: 'databricks',
      config: { host: workspace.url, warehouseId: 'wh-running', catalog: 'main', schema: 'default', readOnlyByGrants: true },
      secrets: { token: workspace.pat, tlsCa: workspace.ca },
    };
    expectOk(await t.call('POST', base, { token: admin, body: { name: 'grants', ...body } }), 201);
    for (const sql of [
      // Databricks SQL: in r'…' a backslash is no escape, so the literal is r'\' and DROP is a statement of its own.
      "SELECT r'\\'; DROP TABLE main.default.orders; --'",
      // Spark's lexer ends a -- comment at \r as well as \n.
      'SELECT 1 -- note\r; DROP TABLE main.default.orders',
    ]) {
      const submitted = workspace.submittedStatements.length;
      const reply = await t.call('POST', `${base}/grants/query`, { token: admin, body: { sql } });
      assert.equal(workspace.submittedStatements.length, submitted, `two statements reached the warehouse as one: ${JSON.stringify(sql)}`);
      expectProblem(reply, 422, 'UNPROCESSABLE');
    }
  });

  it('reads a catalog page up to 4 MiB only: a 29 MiB one is refused without taking over 128 MiB of heap', async () => {
    const body = {
      type: 'databricks',
      config: { host: evil.url, warehouseId: 'wh', catalog: 'main' },
      secrets: { token: 'dapi-evil-0000000000', tlsCa: evil.ca },
    };
    expectOk(await t.call('POST', base, { token: admin, body: { name: 'heavy', ...body } }), 201);
    const page = `{"catalogs":[${Array(10_000_000).fill('{}').join(',')}]}`;
    evilHandler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(page);
    };
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
    const reply = await t.call('GET', `${base}/heavy/catalogs`, { token: admin });
    clearInterval(sampler);
    const peakMiB = (peak - before) / 2 ** 20;
    assert.ok(reply.status >= 400, reply.text.slice(0, 300));
    assert.ok(
      peakMiB < 128,
      `one answer of ${Math.round(page.length / 2 ** 20)} MiB took ${Math.round(peakMiB)} MiB of heap: ${reply.text}`,
    );
  });

  it('cancels a statement when polling fails before the deadline', async () => {
    const body = {
      type: 'databricks',
      config: { host: workspace.url, warehouseId: 'wh-running', catalog: 'main', schema: 'default' },
      secrets: { token: workspace.pat, tlsCa: workspace.ca },
    };
    expectOk(await t.call('POST', base, { token: admin, body: { name: 'polled', ...body } }), 201);
    workspace.makeNextStatementSlow();
    // The first poll answers 503 with a Retry-After longer than the deadline: the service gives up at once.
    workspace.failNextRequests(1, { status: 503, retryAfterSeconds: 3600, pathPrefix: '/api/2.0/sql/statements/' });
    const submitted = workspace.submittedStatements.length;
    const reply = await t.call('GET', `${base}/polled/preview?table=orders&limit=5`, { token: admin });
    assert.ok(reply.status >= 500, reply.text);
    assert.equal(workspace.submittedStatements.length, submitted + 1);
    const statementId = workspace.submittedStatements.at(-1)?.statementId ?? '';
    assert.ok(
      workspace.cancelledStatementIds.includes(statementId),
      `the statement runs on, unseen, after the service answered ${reply.status}`,
    );
  });

  it('refuses an editor turning readOnlyByGrants on without re-entering the token: no write reaches the warehouse', async () => {
    const body = {
      type: 'databricks',
      config: { host: workspace.url, warehouseId: 'wh-running', catalog: 'main', schema: 'default' },
      secrets: { token: workspace.pat, tlsCa: workspace.ca },
    };
    expectOk(await t.call('POST', base, { token: admin, body: { name: 'admin-pat', ...body } }), 201);
    const editor = await createUser(t, admin, 'lake-editor');
    expectOk(await t.call('PUT', `/api/v1/projects/default/members/${editor.id}`, { token: admin, body: { role: 'editor' } }));
    const refused = await t.call('POST', `${base}/admin-pat/query`, { token: editor.token, body: { sql: 'DROP TABLE orders' } });
    expectProblem(refused, 422, 'UNSUPPORTED_OPERATION');
    const submitted = workspace.submittedStatements.length;
    // readOnlyByGrants is a claim about what the token may do: like a new location, it should need the token again.
    const patch = await t.call('PATCH', `${base}/admin-pat`, { token: editor.token, body: { config: { readOnlyByGrants: true } } });
    if (patch.status < 300) await t.call('POST', `${base}/admin-pat/query`, { token: editor.token, body: { sql: 'DROP TABLE orders' } });
    assert.equal(workspace.submittedStatements.length, submitted, "the editor's DROP TABLE reached the warehouse with the admin's token");
    expectProblem(patch, 422, 'UNPROCESSABLE');
  });

  it("refuses an Iceberg overrides.uri on another origin: the connection's token and client secret stay at the catalog", async () => {
    const catalog = await startIcebergRestCatalog({ tls: false });
    const received: string[] = [];
    const elsewhere = await startJsonServer(
      'elsewhere',
      (request, response) => {
        received.push(`${request.headers.authorization ?? ''} ${request.body}`);
        sendJson(response, 401, { error: { message: 'no', type: 'NotAuthorizedException', code: 401 } });
      },
      { tls: false },
    );
    try {
      // The catalog, or whoever answers at its uri, names a host nobody in the project chose.
      catalog.setConfigUri(elsewhere.url);
      const oauth = { uri: catalog.url, clientId: catalog.clientId };
      expectOk(
        await t.call('POST', base, {
          token: admin,
          body: { name: 'ice-oauth', type: 'iceberg', config: oauth, secrets: { clientSecret: catalog.clientSecret } },
        }),
        201,
      );
      expectOk(
        await t.call('POST', base, {
          token: admin,
          body: { name: 'ice-token', type: 'iceberg', config: { uri: catalog.url }, secrets: { token: catalog.token } },
        }),
        201,
      );
      await t.call('GET', `${base}/ice-oauth/schemas`, { token: admin });
      await t.call('GET', `${base}/ice-token/schemas`, { token: admin });
      const leaked = received.filter((seen) => seen.includes(catalog.clientSecret) || seen.includes(catalog.token));
      assert.deepEqual(leaked, [], `${elsewhere.url}, named only by the catalog's /v1/config, received the connection's secrets`);
    } finally {
      await elsewhere.stop();
      await catalog.stop();
    }
  });

  it('passes a remote Retry-After on as whole seconds, at most 3600, however long it is', async () => {
    const body = {
      type: 'databricks',
      config: { host: evil.url, warehouseId: 'wh', catalog: 'main' },
      secrets: { token: 'dapi-evil-1111111111', tlsCa: evil.ca },
    };
    expectOk(await t.call('POST', base, { token: admin, body: { name: 'slow-down', ...body } }), 201);
    for (const retryAfter of ['9'.repeat(400), '31536000']) {
      evilHandler = (_request, response) =>
        sendJson(response, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, { 'retry-after': retryAfter });
      const reply = await t.call('GET', `${base}/slow-down/catalogs`, { token: admin });
      expectProblem(reply, 429, 'RATE_LIMITED');
      const seconds = Number(reply.headers.get('retry-after'));
      assert.ok(Number.isInteger(seconds) && seconds <= 3600, `Retry-After: ${reply.headers.get('retry-after')} (${reply.body.detail})`);
    }
  });

  it('holds: no secret of these attacks in any log line', () => {
    const secrets = [
      workspace.pat,
      workspace.clientSecret,
      'dapi-evil-0000000000',
      'dapi-evil-1111111111',
      'dose+Secret/With=Reserved+Chars',
    ];
    const leaking = t.logs.filter((line) => secrets.some((secret) => line.includes(secret)));
    assert.deepEqual(leaking, []);
  });
});
