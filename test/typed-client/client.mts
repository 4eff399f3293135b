// A client of Switchboard as a new user writes one: types generated from /docs/openapi.json by
// openapi-typescript (into ./openapi.d.ts), calls made with openapi-fetch. typed-client.spec.ts
// generates the types, compiles this with tsc --strict, refuses any cast, and runs it.
import createClient from 'openapi-fetch';
import type { paths } from './openapi.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

const baseUrl = env('SWITCHBOARD_URL');
const project = 'default';

const login = await createClient<paths>({ baseUrl }).POST('/api/v1/auth/login', {
  body: { email: env('SWITCHBOARD_EMAIL'), password: env('SWITCHBOARD_PASSWORD') },
});
if (!login.data) throw new Error(`login answered ${login.response.status}`);
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${login.data.accessToken}` } });

const created = await client.POST('/api/v1/projects/{project}/connections', {
  params: { path: { project } },
  body: {
    name: 'typed-client',
    type: 'postgres',
    config: {
      host: env('PG_HOST'),
      port: Number(env('PG_PORT')),
      database: env('PG_DATABASE'),
      username: env('PG_USER'),
      sslMode: 'disable',
    },
    secrets: { password: env('PG_PASSWORD') },
    labels: { client: 'openapi-fetch' },
  },
});
if (!created.data) throw new Error(`create answered ${created.response.status}: ${JSON.stringify(created.error)}`);
const connection = created.data;

const list = await client.GET('/api/v1/projects/{project}/connections', {
  params: { path: { project }, query: { type: 'postgres', enabled: true } },
});
if (!list.data?.data.some((item) => item.id === connection.id)) throw new Error('the new connection is not listed');

const etag = created.response.headers.get('ETag');
if (!etag) throw new Error('no ETag on the created connection');
const patched = await client.PATCH('/api/v1/projects/{project}/connections/{connection}', {
  params: { path: { project, connection: connection.id }, header: { 'If-Match': etag } },
  body: { description: 'Changed by a typed client', labels: { client: null } },
});
if (!patched.data) throw new Error(`patch answered ${patched.response.status}: ${JSON.stringify(patched.error)}`);

const tested = await client.POST('/api/v1/projects/{project}/connections/{connection}/test', {
  params: { path: { project, connection: connection.id } },
  body: {},
});
if (!tested.data?.success) throw new Error(`test answered ${tested.response.status}: ${JSON.stringify(tested.error ?? tested.data)}`);

console.log(
  JSON.stringify({
    name: connection.name,
    listed: list.data.data.length,
    description: patched.data.description,
    tested: tested.data.success,
  }),
);
