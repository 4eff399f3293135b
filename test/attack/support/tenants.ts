import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createUser, type TestApp } from '../../support/test-app';
import { API, type Json } from './openapi';

type User = Awaited<ReturnType<typeof createUser>>;

export interface Key {
  id: string;
  key: string;
  name: string;
  prefix: string;
}

/**
 * A project with one of everything a project route can address, owned by a user who is not
 * an instance admin (admins act as owners everywhere). Every name carries a random tag, so a
 * name found in a response can only have come from this project.
 */
export interface Tenant {
  tag: string;
  project: { id: string; slug: string; name: string; description: string };
  owner: User;
  /** A viewer of the project: `{userId}` of the member routes, and an actor with the viewer's scopes. */
  member: User;
  /** A key with every scope, an actor. */
  ownerKey: Key;
  /** A key with connections:read: `{id}` of the api-key routes. */
  spareKey: Key;
  /** SQLite under the SQLite root, with a table: the data routes resolve. */
  connection: { id: string; name: string };
  /** HTTP with an inline secret token (the canary). */
  apiConnection: { id: string; name: string };
  /** A shared token credential holding the canary: it fits `apiConnection`. */
  credential: { id: string; name: string };
  /** A registered consumer of `connection`. */
  consumer: string;
  /** The table in the SQLite file, and that file's path under the SQLite root. */
  table: string;
  sqlitePath: string;
  /** The secret values planted in the project. */
  secrets: string[];
}

const API_BASE_URL = 'http://127.0.0.1:9/';

async function ok(reply: Promise<{ status: number; text: string; body: any }>, status: number): Promise<any> {
  const answer = await reply;
  assert.equal(answer.status, status, answer.text);
  return answer.body;
}

/** Creates a key in `tenant`'s project as its owner. */
export async function createKey(
  t: TestApp,
  tenant: Pick<Tenant, 'owner' | 'project'>,
  name: string,
  scopes: readonly string[],
): Promise<Key> {
  const body = await ok(
    t.call('POST', `${API}/projects/${tenant.project.id}/api-keys`, { token: tenant.owner.token, body: { name, scopes } }),
    201,
  );
  return { id: body.id, key: body.key, name: body.name, prefix: body.prefix };
}

/** Builds a tenant through the API, as its owner would. `letter` only makes failures readable. */
export async function createTenant(t: TestApp, adminToken: string, letter: string): Promise<Tenant> {
  const tag = `${letter}${randomBytes(4).toString('hex')}`;
  const canary = `canary-${tag}-${randomBytes(6).toString('hex')}`;
  const owner = await createUser(t, adminToken, `owner-${tag}`);
  const member = await createUser(t, adminToken, `member-${tag}`);
  const as = { token: owner.token };

  const description = `description of ${tag}`;
  const created = await ok(
    t.call('POST', `${API}/projects`, { ...as, body: { slug: `proj-${tag}`, name: `Project ${tag}`, description } }),
    201,
  );
  const project = { id: created.id, slug: created.slug, name: created.name, description };
  const base = `${API}/projects/${project.id}`;
  await ok(t.call('PUT', `${base}/members/${member.id}`, { ...as, body: { role: 'viewer' } }), 200);

  const table = `rows_${tag}`;
  const sqlitePath = `${tag}.db`;
  fs.mkdirSync(t.config.sqliteRoot, { recursive: true });
  const db = new Database(path.join(t.config.sqliteRoot, sqlitePath));
  db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO ${table} (note) VALUES ('row of ${tag}');`);
  db.close();

  const connection = await ok(
    t.call('POST', `${base}/connections`, { ...as, body: { name: `data-${tag}`, type: 'sqlite', config: { path: sqlitePath } } }),
    201,
  );
  const apiConnection = await ok(
    t.call('POST', `${base}/connections`, {
      ...as,
      body: {
        name: `api-${tag}`,
        type: 'http',
        config: { baseUrl: API_BASE_URL, authType: 'bearer' },
        secrets: { token: canary },
        description: `api of ${tag}`,
        labels: { tenant: tag },
      },
    }),
    201,
  );
  const credential = await ok(
    t.call('POST', `${base}/credentials`, {
      ...as,
      body: { name: `cred-${tag}`, type: 'token', description: `credential of ${tag}`, secrets: { token: `${canary}-shared` } },
    }),
    201,
  );
  const consumer = `job-${tag}`;
  await ok(
    t.call('PUT', `${base}/connections/${connection.id}/usages/${consumer}`, { ...as, body: { description: `usage of ${tag}` } }),
    200,
  );

  const tenant = { owner, project };
  return {
    tag,
    project,
    owner,
    member,
    ownerKey: await createKey(t, tenant, `all-${tag}`, ALL_SCOPES),
    spareKey: await createKey(t, tenant, `spare-${tag}`, ['connections:read']),
    connection: { id: connection.id, name: connection.name },
    apiConnection: { id: apiConnection.id, name: apiConnection.name },
    credential: { id: credential.id, name: credential.name },
    consumer,
    table,
    sqlitePath,
    secrets: [canary, `${canary}-shared`],
  };
}

/** Every scope (DESIGN §3), written out so the suite checks the code rather than importing it. */
export const ALL_SCOPES = [
  'projects:read',
  'projects:write',
  'projects:delete',
  'members:write',
  'api-keys:write',
  'credentials:read',
  'credentials:write',
  'connections:read',
  'connections:write',
  'connections:test',
  'data:read',
  'secrets:reveal',
  'audit:read',
] as const;

export type Scope = (typeof ALL_SCOPES)[number];

export const VIEWER_SCOPES: readonly Scope[] = ['projects:read', 'connections:read', 'credentials:read'];

/** What identifies `tenant`: none of it may reach another project's caller. */
export function identifiersOf(tenant: Tenant): string[] {
  return [
    tenant.tag,
    tenant.project.id,
    tenant.owner.id,
    tenant.owner.email,
    tenant.member.id,
    tenant.member.email,
    ...[tenant.ownerKey, tenant.spareKey].flatMap((key) => [key.id, key.key, key.prefix]),
    tenant.connection.id,
    tenant.apiConnection.id,
    tenant.credential.id,
    tenant.owner.token.split('.')[2],
    ...tenant.secrets,
  ];
}

/** What the project holds, read as its owner: equal before and after an attack means the attack changed nothing. */
export async function snapshotOf(t: TestApp, tenant: Tenant): Promise<Json> {
  const as = { token: tenant.owner.token };
  const base = `${API}/projects/${tenant.project.id}`;
  const read = (url: string) => ok(t.call('GET', url, as), 200);
  const connections = await read(`${base}/connections?perPage=100`);
  const credentials = await read(`${base}/credentials?perPage=100`);
  const keys = await read(`${base}/api-keys?perPage=100`);
  return {
    project: await read(base),
    members: await read(`${base}/members?perPage=100`),
    // Using a key stamps lastUsedAt; that is not a change to the project.
    keys: keys.data.map(({ lastUsedAt: _used, ...key }: Json) => key),
    connections,
    credentials,
    single: {
      connections: await Promise.all(connections.data.map((c: Json) => read(`${base}/connections/${c.id}?reveal=true`))),
      credentials: await Promise.all(credentials.data.map((c: Json) => read(`${base}/credentials/${c.id}?reveal=true`))),
      usages: await Promise.all(connections.data.map((c: Json) => read(`${base}/connections/${c.id}/usages`))),
    },
  };
}

/** Every audit event of the project, all pages. */
export async function auditEventsOf(t: TestApp, tenant: Tenant): Promise<Json[]> {
  const events: Json[] = [];
  for (let page = 1; page <= 100; page++) {
    const body = await ok(
      t.call('GET', `${API}/projects/${tenant.project.id}/audit-events?perPage=100&page=${page}`, { token: tenant.owner.token }),
      200,
    );
    events.push(...body.data);
    if (events.length >= body.meta.total || !body.data.length) return events;
  }
  throw new Error('more than 10,000 audit events');
}
