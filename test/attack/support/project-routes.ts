import type { Json, Operation } from './openapi';
import type { Scope, Tenant } from './tenants';

/** How the attack suites call one project route. */
export interface ProjectRoute {
  /** The one scope the route needs (DESIGN §3): a key holding every other scope is refused with 403. */
  scope: Scope;
  /** A valid body, for the tenant whose project is addressed (so a 404 is never a 400 in disguise). */
  body?: (tenant: Tenant) => Json;
  /** The connection it addresses, when not the SQLite one. */
  connection?: 'apiConnection';
  /** A status besides 2xx that still shows the owner reached the resource (the type cannot do it). */
  reached?: number;
  /**
   * A body naming `credentialId` (a reference into the project): given another project's
   * credential, the route must answer exactly as for one that does not exist.
   */
  withCredential?: (tenant: Tenant, credentialId: string) => Json;
}

const sqlite = (tenant: Tenant) => ({ type: 'sqlite', config: { path: tenant.sqlitePath } });
const http = (credentialId: string) => ({ type: 'http', config: { baseUrl: 'http://127.0.0.1:9/', authType: 'bearer' }, credentialId });

/**
 * Every route under /projects/{project} in the OpenAPI document. The suites fail on a
 * documented route missing here (and on an entry the document no longer has): a new route
 * is attacked from the day it is added.
 */
export const PROJECT_ROUTES: Record<string, ProjectRoute> = {
  'GET /projects/{project}': { scope: 'projects:read' },
  'PATCH /projects/{project}': { scope: 'projects:write', body: (t) => ({ name: `Renamed ${t.tag}`, description: 'patched' }) },
  'DELETE /projects/{project}': { scope: 'projects:delete' },
  'GET /projects/{project}/members': { scope: 'projects:read' },
  'POST /projects/{project}/members': { scope: 'members:write', body: (t) => ({ email: t.member.email, role: 'editor' }) },
  'PUT /projects/{project}/members/{userId}': { scope: 'members:write', body: () => ({ role: 'editor' }) },
  'DELETE /projects/{project}/members/{userId}': { scope: 'members:write' },
  'GET /projects/{project}/api-keys': { scope: 'api-keys:write' },
  'POST /projects/{project}/api-keys': { scope: 'api-keys:write', body: (t) => ({ name: `new-${t.tag}`, scopes: ['connections:read'] }) },
  'DELETE /projects/{project}/api-keys/{id}': { scope: 'api-keys:write' },
  'GET /projects/{project}/audit-events': { scope: 'audit:read' },
  'GET /projects/{project}/connections': { scope: 'connections:read' },
  'POST /projects/{project}/connections': {
    scope: 'connections:write',
    body: (t) => ({ name: `new-${t.tag}`, ...sqlite(t) }),
    withCredential: (t, credentialId) => ({ name: `ref-${t.tag}`, ...http(credentialId) }),
  },
  'GET /projects/{project}/connections/{connection}': { scope: 'connections:read' },
  'PUT /projects/{project}/connections/{connection}': {
    scope: 'connections:write',
    connection: 'apiConnection',
    body: (t) => ({
      name: t.apiConnection.name,
      type: 'http',
      config: { baseUrl: 'http://127.0.0.1:9/', authType: 'bearer' },
      secrets: { token: `replaced-${t.tag}` },
    }),
    withCredential: (t, credentialId) => ({ name: t.apiConnection.name, ...http(credentialId) }),
  },
  'PATCH /projects/{project}/connections/{connection}': {
    scope: 'connections:write',
    connection: 'apiConnection',
    body: () => ({ description: 'patched', labels: { patched: 'yes' } }),
    withCredential: (_t, credentialId) => ({ credentialId }),
  },
  'DELETE /projects/{project}/connections/{connection}': { scope: 'connections:write' },
  'POST /projects/{project}/connections/{connection}/clone': { scope: 'connections:write', body: (t) => ({ name: `clone-${t.tag}` }) },
  'GET /projects/{project}/connections/{connection}/usages': { scope: 'connections:read' },
  'PUT /projects/{project}/connections/{connection}/usages/{consumer}': {
    scope: 'connections:read',
    body: () => ({ description: 'swept' }),
  },
  'DELETE /projects/{project}/connections/{connection}/usages/{consumer}': { scope: 'connections:read' },
  'POST /projects/{project}/connections/test': {
    scope: 'connections:test',
    body: sqlite,
    withCredential: (_t, credentialId) => http(credentialId),
  },
  'POST /projects/{project}/connections/{connection}/test': { scope: 'connections:test', body: () => ({ timeoutMs: 5000 }) },
  'POST /projects/{project}/connections/{connection}/send-test-email': {
    scope: 'connections:test',
    body: () => ({ to: 'ops@example.com' }),
    reached: 422,
  },
  'GET /projects/{project}/connections/{connection}/catalogs': { scope: 'connections:test', reached: 422 },
  'POST /projects/{project}/connections/{connection}/discover': {
    scope: 'connections:test',
    body: () => ({ catalog: 'main' }),
    reached: 422,
  },
  'GET /projects/{project}/connections/{connection}/databases': { scope: 'connections:test', reached: 422 },
  'GET /projects/{project}/connections/{connection}/schemas': { scope: 'connections:test', reached: 422 },
  'POST /projects/{project}/connections/{connection}/schemas': {
    scope: 'connections:write',
    body: () => ({ name: 'swept' }),
    reached: 422,
  },
  'GET /projects/{project}/connections/{connection}/tables': { scope: 'connections:test' },
  'GET /projects/{project}/connections/{connection}/columns': { scope: 'connections:test' },
  'GET /projects/{project}/connections/{connection}/preview': { scope: 'data:read' },
  'POST /projects/{project}/connections/{connection}/query': {
    scope: 'data:read',
    body: (t) => ({ sql: `SELECT * FROM ${t.table}`, limit: 10, timeoutMs: 5000 }),
  },
  'GET /projects/{project}/connections/{connection}/files': { scope: 'connections:test', reached: 422 },
  'GET /projects/{project}/connections/{connection}/file-schema': { scope: 'connections:test', reached: 422 },
  'GET /projects/{project}/credentials': { scope: 'credentials:read' },
  'POST /projects/{project}/credentials': {
    scope: 'credentials:write',
    body: (t) => ({ name: `new-${t.tag}`, type: 'basic', fields: { username: 'reader' }, secrets: { password: 'swept-password' } }),
  },
  'GET /projects/{project}/credentials/{credential}': { scope: 'credentials:read' },
  'PUT /projects/{project}/credentials/{credential}': {
    scope: 'credentials:write',
    body: (t) => ({ name: t.credential.name, type: 'token', description: 'replaced', secrets: { token: '********' } }),
  },
  'PATCH /projects/{project}/credentials/{credential}': { scope: 'credentials:write', body: () => ({ description: 'patched' }) },
  'DELETE /projects/{project}/credentials/{credential}': { scope: 'credentials:write' },
};

export const isProjectRoute = (op: Operation): boolean => op.path.startsWith('/projects/{project}');

/** Whether a path segment names a resource of the project (an id or name only it can resolve). */
export type Ref = 'id' | 'name';

/**
 * The path of `op` for `tenant`, its project and resources named by id or by name, with
 * `overrides` for single parameters. Throws on a parameter it cannot fill: the route table
 * above then needs to learn it.
 */
export function pathFor(op: Operation, tenant: Tenant, ref: Ref, overrides: Record<string, string> = {}): string {
  const route = PROJECT_ROUTES[op.key];
  const connection = tenant[route?.connection ?? 'connection'];
  const values: Record<string, string> = {
    project: ref === 'id' ? tenant.project.id : tenant.project.slug,
    connection: ref === 'id' ? connection.id : connection.name,
    credential: ref === 'id' ? tenant.credential.id : tenant.credential.name,
    userId: tenant.member.id,
    consumer: tenant.consumer,
    // `{id}` is the key under /api-keys/ (the only route naming its parameter `id`).
    id: op.path.includes('/api-keys/{id}') ? tenant.spareKey.id : '',
    ...overrides,
  };
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (!values[name])
      throw new Error(`${op.key}: the sweep does not know how to fill {${name}}; teach test/attack/support/project-routes.ts`);
    return encodeURIComponent(values[name]);
  });
  return `${path}${queryFor(op, tenant)}`;
}

/** Required query parameters filled from the tenant; and the riskier optional ones (reveal, force) always on. */
function queryFor(op: Operation, tenant: Tenant): string {
  const known: Record<string, string> = { table: tenant.table, path: 'data/rows.csv', reveal: 'true', force: 'true' };
  const query = new URLSearchParams();
  for (const [name, required] of op.query) {
    if (known[name]) query.set(name, known[name]);
    else if (required) throw new Error(`${op.key}: the sweep does not know how to fill the query parameter "${name}"`);
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}
