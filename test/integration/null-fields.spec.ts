import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { freePort } from '../support/postgres';
import { createUser, DRIVERS, startTestApp, TestApp } from '../support/test-app';
import { expectFieldError } from '../support/problems';

const API = '/api/v1';
const P = `${API}/projects/nulls`;
const C = `${P}/connections`;

/**
 * The optional fields that take null, and what it means: "none" where the resource itself shows
 * null (a description, a shared credential, an expiry), and on PATCH and PUT, clearing it. Every
 * other optional field answers null with 400 naming it. The document must say the same.
 */
const NULLABLE = new Set([
  'POST /projects description',
  'PATCH /projects/{project} description',
  'POST /projects/{project}/api-keys expiresAt',
  'POST /projects/{project}/credentials description',
  'PUT /projects/{project}/credentials/{credential} description',
  'PATCH /projects/{project}/credentials/{credential} description',
  'POST /projects/{project}/connections description',
  'POST /projects/{project}/connections credentialId',
  'PUT /projects/{project}/connections/{connection} description',
  'PUT /projects/{project}/connections/{connection} credentialId',
  'PATCH /projects/{project}/connections/{connection} description',
  'PATCH /projects/{project}/connections/{connection} credentialId',
  'POST /projects/{project}/connections/test description',
  'POST /projects/{project}/connections/test credentialId',
  'PUT /projects/{project}/connections/{connection}/usages/{consumer} description',
]);

interface Case {
  /** The operation as documented, without the /api/v1 prefix. */
  op: string;
  url: string;
  /** A valid body (a function when each call must differ, e.g. a new name). */
  body?: Record<string, unknown> | (() => Record<string, unknown>);
  query?: Record<string, string>;
  /** What the valid request answers: every field left out behaves like this. */
  status: number;
  /** A read of what the request writes: a refused request must leave it exactly as it was. */
  probe?: string;
}

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

/** Whether a property's schema admits null: OpenAPI 3.1 says so with a `null` type, alone or among alternatives. */
const takesNull = (property: any): boolean =>
  property.nullable === true ||
  (Array.isArray(property.type) && property.type.includes('null')) ||
  [...(property.anyOf ?? []), ...(property.oneOf ?? [])].some(takesNull) ||
  property.type === 'null';

/** The optional body fields (name -> documented nullable) and optional query parameters of `op`. */
function optionalInputs(doc: Doc, op: string): { body: Map<string, boolean>; query: string[] } {
  const [method, route] = op.split(' ');
  const operation = doc.paths[API + route]?.[method.toLowerCase()];
  assert.ok(operation, `${op} is not documented`);
  const body = new Map<string, boolean>();
  const ref: string | undefined = operation.requestBody?.content?.['application/json']?.schema?.$ref;
  if (ref) {
    const schema = doc.components.schemas[ref.split('/').pop()!];
    for (const [name, property] of Object.entries<any>(schema.properties ?? {})) {
      if (!(schema.required ?? []).includes(name)) body.set(name, takesNull(property));
    }
  }
  const query = (operation.parameters ?? [])
    .filter((parameter: any) => parameter.in === 'query' && !parameter.required)
    .map((parameter: any) => parameter.name as string);
  return { body, query };
}

for (const driver of DRIVERS) {
  describe(`null in every optional field and an empty value in every optional query parameter (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let doc: Doc;
    let cases: Case[];
    let serial = 0;
    const unique = (prefix: string) => `${prefix}-${++serial}`;

    before(async () => {
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
      doc = (await t.call('GET', '/docs/openapi.json')).body;
      const user = await createUser(t, token, `nulls-user-${driver}`);
      const setup = async (method: string, url: string, body: unknown) => {
        const reply = await t.call(method, url, { token, body });
        assert.ok(reply.status < 300, `${method} ${url}: ${reply.status} ${reply.text}`);
      };
      await setup('POST', `${API}/projects`, { slug: 'nulls', name: 'Nulls' });
      fs.mkdirSync(t.config.sqliteRoot, { recursive: true });
      const target = new Database(path.join(t.config.sqliteRoot, 'nulls.db'));
      target.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
      target.close();
      const closed = await freePort(); // nothing listens: file listings and mail fail at the target
      await setup('POST', C, { name: 'local', type: 'sqlite', config: { path: 'nulls.db' } });
      await setup('POST', C, { name: 'files', type: 'sftp', config: { host: '127.0.0.1', port: closed, username: 'u' } });
      await setup('POST', C, {
        name: 'mail',
        type: 'smtp',
        config: { host: '127.0.0.1', port: closed, security: 'none', from: 'sb@example.com' },
      });
      await setup('POST', `${P}/credentials`, { name: 'login', type: 'basic', fields: { username: 'u' }, secrets: { password: 'p' } });

      const sqlite = { type: 'sqlite', config: { path: 'nulls.db' } };
      cases = [
        { op: 'GET /users', url: `${API}/users`, status: 200 },
        {
          op: 'POST /users',
          url: `${API}/users`,
          body: () => ({ email: `${unique('nulls')}@switchboard.test`, password: 'long-enough-password', name: 'N' }),
          status: 201,
          probe: `${API}/users?perPage=1`,
        },
        {
          op: 'PATCH /users/{id}',
          url: `${API}/users/${user.id}`,
          body: { name: 'Nulls User' },
          status: 200,
          probe: `${API}/users/${user.id}`,
        },
        { op: 'GET /projects', url: `${API}/projects`, status: 200 },
        {
          op: 'POST /projects',
          url: `${API}/projects`,
          body: () => ({ slug: unique('nulls'), name: 'N' }),
          status: 201,
          probe: `${API}/projects?perPage=1`,
        },
        { op: 'PATCH /projects/{project}', url: P, body: { name: 'Nulls' }, status: 200, probe: P },
        { op: 'GET /projects/{project}/members', url: `${P}/members`, status: 200 },
        {
          op: 'POST /projects/{project}/api-keys',
          url: `${P}/api-keys`,
          body: () => ({ name: unique('key'), scopes: ['projects:read'] }),
          status: 201,
          probe: `${P}/api-keys?perPage=1`,
        },
        { op: 'GET /projects/{project}/api-keys', url: `${P}/api-keys`, status: 200 },
        { op: 'GET /projects/{project}/audit-events', url: `${P}/audit-events`, status: 200 },
        { op: 'GET /projects/{project}/credentials', url: `${P}/credentials`, status: 200 },
        {
          op: 'POST /projects/{project}/credentials',
          url: `${P}/credentials`,
          body: () => ({ name: unique('cred'), type: 'basic', secrets: { password: 'p' } }),
          status: 201,
          probe: `${P}/credentials?perPage=1`,
        },
        { op: 'GET /projects/{project}/credentials/{credential}', url: `${P}/credentials/login`, status: 200 },
        {
          op: 'PUT /projects/{project}/credentials/{credential}',
          url: `${P}/credentials/login`,
          body: { name: 'login', fields: { username: 'u' } },
          status: 200,
          probe: `${P}/credentials/login`,
        },
        {
          op: 'PATCH /projects/{project}/credentials/{credential}',
          url: `${P}/credentials/login`,
          body: { fields: { username: 'u' } },
          status: 200,
          probe: `${P}/credentials/login`,
        },
        { op: 'GET /projects/{project}/connections', url: C, status: 200 },
        {
          op: 'POST /projects/{project}/connections',
          url: C,
          body: () => ({ name: unique('conn'), ...sqlite }),
          status: 201,
          probe: `${C}?perPage=1`,
        },
        { op: 'GET /projects/{project}/connections/{connection}', url: `${C}/local`, status: 200 },
        {
          op: 'PUT /projects/{project}/connections/{connection}',
          url: `${C}/local`,
          body: { name: 'local', ...sqlite },
          status: 200,
          probe: `${C}/local`,
        },
        {
          op: 'PATCH /projects/{project}/connections/{connection}',
          url: `${C}/local`,
          body: { enabled: true },
          status: 200,
          probe: `${C}/local`,
        },
        // Nothing by that name: every valid request answers 404 and deletes nothing.
        { op: 'DELETE /projects/{project}/connections/{connection}', url: `${C}/absent`, status: 404, probe: `${C}?perPage=1` },
        {
          op: 'PUT /projects/{project}/connections/{connection}/usages/{consumer}',
          url: `${C}/local/usages/airflow:nulls`,
          body: { description: 'nightly' },
          status: 200,
          probe: `${C}/local/usages`,
        },
        { op: 'POST /projects/{project}/connections/test', url: `${C}/test`, body: sqlite, status: 200 },
        { op: 'POST /projects/{project}/connections/{connection}/test', url: `${C}/local/test`, body: {}, status: 200 },
        {
          op: 'POST /projects/{project}/connections/{connection}/send-test-email',
          url: `${C}/mail/send-test-email`,
          body: { to: 'ops@example.com' },
          status: 200,
        },
        { op: 'GET /projects/{project}/connections/{connection}/catalogs', url: `${C}/local/catalogs`, status: 422 },
        {
          op: 'POST /projects/{project}/connections/{connection}/discover',
          url: `${C}/local/discover`,
          body: { catalog: 'main' },
          status: 422,
        },
        { op: 'GET /projects/{project}/connections/{connection}/schemas', url: `${C}/local/schemas`, status: 422 },
        {
          op: 'POST /projects/{project}/connections/{connection}/schemas',
          url: `${C}/local/schemas`,
          body: { name: 'staging' },
          status: 422,
        },
        { op: 'GET /projects/{project}/connections/{connection}/tables', url: `${C}/local/tables`, status: 200 },
        {
          op: 'GET /projects/{project}/connections/{connection}/columns',
          url: `${C}/local/columns`,
          query: { table: 'items' },
          status: 200,
        },
        {
          op: 'GET /projects/{project}/connections/{connection}/preview',
          url: `${C}/local/preview`,
          query: { table: 'items' },
          status: 200,
        },
        { op: 'POST /projects/{project}/connections/{connection}/query', url: `${C}/local/query`, body: { sql: 'SELECT 1' }, status: 200 },
        { op: 'GET /projects/{project}/connections/{connection}/files', url: `${C}/files/files`, status: 502 },
      ];
    });
    after(() => t.close());

    it('covers every documented operation with an optional field or query parameter', () => {
      const covered = new Set(cases.map((c) => c.op));
      const missing: string[] = [];
      for (const [route, item] of Object.entries(doc.paths)) {
        if (!route.startsWith(`${API}/`)) continue; // /metrics: no input
        for (const method of Object.keys(item)) {
          const op = `${method.toUpperCase()} ${route.slice(API.length)}`;
          const { body, query } = optionalInputs(doc, op);
          if ((body.size || query.length) && !covered.has(op)) missing.push(op);
        }
      }
      assert.deepEqual(missing, [], 'add a case for each');
    });

    it('documents as nullable exactly the fields that take null', () => {
      const documented = cases.flatMap((c) =>
        [...optionalInputs(doc, c.op).body].filter(([, nullable]) => nullable).map(([field]) => `${c.op} ${field}`),
      );
      assert.deepEqual(documented.sort(), [...NULLABLE].sort());
    });

    it('answers null with 400 naming the field, or as documented where null means none; never 500, never a partial write', async () => {
      const send = (c: Case, body?: Record<string, unknown>, query: Record<string, string> = {}) => {
        const search = new URLSearchParams({ ...c.query, ...query }).toString();
        return t.call(c.op.split(' ')[0], c.url + (search ? `?${search}` : ''), { token, body });
      };
      const state = async (c: Case) => (c.probe ? (await t.call('GET', c.probe, { token })).body : undefined);
      const baseBody = (c: Case) => (typeof c.body === 'function' ? c.body() : c.body);
      const failures: string[] = [];
      const check = async (label: string, work: () => Promise<void>) => {
        try {
          await work();
        } catch (error) {
          failures.push(`${label}: ${(error as Error).message}`);
        }
      };
      let checked = 0;
      for (const c of cases) {
        const base = await send(c, baseBody(c));
        assert.equal(base.status, c.status, `${c.op} (valid): ${base.text}`);
        const { body, query } = optionalInputs(doc, c.op);
        for (const field of body.keys()) {
          checked++;
          await check(`${c.op} {${field}: null}`, async () => {
            const before = await state(c);
            const reply = await send(c, { ...baseBody(c), [field]: null });
            assert.ok(reply.status < 500, `${reply.status} ${reply.text}`);
            if (NULLABLE.has(`${c.op} ${field}`)) {
              assert.equal(reply.status, c.status, reply.text);
            } else {
              expectFieldError(reply, field);
              assert.deepEqual(await state(c), before, 'refused, but it changed something');
            }
          });
        }
        for (const name of query) {
          checked++;
          await check(`${c.op} ?${name}=`, async () => {
            const reply = await send(c, baseBody(c), { [name]: '' });
            if (reply.status === 400) expectFieldError(reply, name);
            else assert.equal(reply.status, c.status, `${reply.status} ${reply.text}`);
          });
        }
      }
      assert.deepEqual(failures, []);
      assert.ok(checked > 80, `only ${checked} inputs checked`);
    });
  });
}
