import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiContract, type Exchange } from '../support/api-contract';
import { startTestApp, type TestApp } from '../support/test-app';

const API = '/api/v1';

/**
 * The checker every `TestApp.call` runs (test/support/api-contract.ts) must be able to fail:
 * exchanges the published document does not describe are named, ones it does are not.
 */
describe('api contract: the checker of every test reply against the published document', () => {
  let t: TestApp;
  let contract: ApiContract;
  let token: string;

  before(async () => {
    t = await startTestApp('sqlite');
    const reply = await t.call('GET', '/docs/openapi.json');
    contract = new ApiContract(reply.body);
    token = (await t.login()).accessToken;
  });
  after(() => t.close());

  /** A real exchange with the service, turned into what the checker reads, then altered by `change`. */
  async function exchange(method: string, url: string, body?: unknown, change: Partial<Exchange> = {}): Promise<Exchange> {
    const reply = await t.call(method, url, { token, body });
    return {
      method,
      url,
      requestBody: body,
      requestContentType: body === undefined ? undefined : 'application/json',
      status: reply.status,
      headers: reply.headers,
      contentType: reply.headers.get('content-type') ?? '',
      body: reply.body,
      text: reply.text,
      ...change,
    };
  }

  it('finds nothing to say about real exchanges, successful or not', async () => {
    assert.deepEqual(contract.violations(await exchange('POST', `${API}/projects`, { slug: 'checked', name: 'Checked' })), []);
    assert.deepEqual(contract.violations(await exchange('GET', `${API}/projects/checked`)), []);
    assert.deepEqual(contract.violations(await exchange('GET', `${API}/projects/no-such-project`)), []);
    assert.deepEqual(contract.violations(await exchange('GET', `${API}/no-such-route`)), []);
  });

  it('names a status the operation does not document', async () => {
    const found = contract.violations(await exchange('GET', `${API}/projects/checked`, undefined, { status: 418 }));
    assert.match(found.join('\n'), /GET \/api\/v1\/projects\/\{project\} → 418: status not documented/);
  });

  it('names a body that does not match the documented schema', async () => {
    const real = await exchange('GET', `${API}/projects/checked`);
    const { slug: _slug, ...withoutSlug } = real.body as Record<string, unknown>;
    assert.match(contract.violations({ ...real, body: withoutSlug }).join('\n'), /body must have required property 'slug'/);
    assert.match(contract.violations({ ...real, body: { ...withoutSlug, slug: 42 } }).join('\n'), /body\/slug must be string/);
  });

  it('names an undocumented content type, a body where none is documented, and a documented header that is missing', async () => {
    const real = await exchange('GET', `${API}/projects/checked`);
    assert.match(contract.violations({ ...real, contentType: 'text/html' }).join('\n'), /content-type text\/html not documented/);
    assert.match(contract.violations({ ...real, headers: new Headers() }).join('\n'), /documented header X-Request-Id missing/);
    const deleted = await exchange('DELETE', `${API}/projects/checked`);
    assert.equal(deleted.status, 204);
    assert.match(contract.violations({ ...deleted, text: 'surprise' }).join('\n'), /promises no body/);
  });

  it('names a request body the service accepted that the document refuses, and a missing required body', async () => {
    const created = await exchange('POST', `${API}/projects`, { slug: 'accepted', name: 'Accepted' });
    assert.equal(created.status, 201);
    assert.match(
      contract.violations({ ...created, requestBody: { slug: 'accepted' } }).join('\n'),
      /accepted a request body the document refuses: body must have required property 'name'/,
    );
    assert.match(contract.violations({ ...created, requestBody: undefined }).join('\n'), /accepted without the required body/);
  });

  it('answers a path outside the document only as a 404 or 405 problem', async () => {
    const missing = await exchange('GET', `${API}/no-such-route`);
    assert.match(contract.violations({ ...missing, status: 200 }).join('\n'), /is not in the document, yet answered 200/);
    assert.match(contract.violations({ ...missing, contentType: 'application/json' }).join('\n'), /not application\/problem\+json/);
  });

  it('prefers a static segment over a parameter, as the router does', () => {
    assert.equal(contract.route('POST', `${API}/projects/p/connections/test`)?.template, `${API}/projects/{project}/connections/test`);
    assert.equal(
      contract.route('POST', `${API}/projects/p/connections/warehouse/test?x=1`)?.template,
      `${API}/projects/{project}/connections/{connection}/test`,
    );
  });
});
