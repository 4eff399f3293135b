import { randomBytes } from 'node:crypto';
import { Api, forEachLimited } from './api';

/** Where a seeded "warehouse" connection points: the introspection target database. */
export interface TargetDatabase {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
}

export interface SeededProject {
  slug: string;
  id: string;
  apiKey: string;
}

export interface SeededService {
  /** The projects of (a)-(c) (and (e)-(g): each holds a "warehouse" connection, and "warehouse-mysql", when those targets are given). */
  projects: SeededProject[];
  connectionsPerProject: number;
  /** (d): one group of fresh projects per phase (warm-up, round 1, ...), so no phase hits the 60-tests-a-minute limit. */
  testProjectGroups: SeededProject[][];
}

export const ADMIN_EMAIL = 'admin@bench.switchboard.local';
export const ADMIN_PASSWORD = 'bench-admin-password-not-secret';
export const WAREHOUSE = 'warehouse';
/** The postgres connection of (f-ssh): the same target as WAREHOUSE, through the SSH bastion. */
export const WAREHOUSE_SSH = 'warehouse-ssh';
/** The mysql connection to the MariaDB target of e-mysql, f-mysql and g-mysql. */
export const MYSQL_WAREHOUSE = 'warehouse-mysql';
const KEY_SCOPES = ['projects:read', 'connections:read', 'connections:write', 'connections:test', 'data:read'];
/** Requests in flight while seeding: enough to keep both cores busy, few enough not to queue in the pools. */
const SEED_CONCURRENCY = 16;

export const connectionName = (index: number): string => `conn-${String(index + 1).padStart(4, '0')}`;

/** A realistic mix: 60% postgres, 25% mysql, 15% http. (a) and (b) read the postgres ones. */
export const connectionType = (index: number): 'postgres' | 'mysql' | 'http' =>
  index % 20 < 12 ? 'postgres' : index % 20 < 17 ? 'mysql' : 'http';

const TEAMS = ['data', 'finance', 'growth', 'platform', 'risk'];
const secret = (): string => randomBytes(18).toString('base64url');

/** The create body of connection `index` of project `slug`, with inline secrets like real ones. */
export function connectionBody(slug: string, index: number): Record<string, unknown> {
  const team = TEAMS[index % TEAMS.length];
  const common = {
    name: connectionName(index),
    description: `${connectionType(index)} source #${index + 1} of the ${team} team in ${slug}`,
    labels: { team, env: index % 3 === 0 ? 'staging' : 'production', owner: `${team}-oncall` },
  };
  switch (connectionType(index)) {
    case 'postgres':
      return {
        ...common,
        type: 'postgres',
        config: { host: `pg-${index % 37}.db.internal.example.com`, database: `orders_${index % 11}`, username: `reader_${team}` },
        secrets: { password: secret() },
      };
    case 'mysql':
      return {
        ...common,
        type: 'mysql',
        config: { host: `mysql-${index % 17}.db.internal.example.com`, database: `shop_${index % 7}`, username: `app_${team}` },
        secrets: { password: secret() },
      };
    case 'http':
      return {
        ...common,
        type: 'http',
        config: { baseUrl: `https://api-${index % 13}.example.com/v2`, healthPath: '/health', authType: 'bearer' },
        secrets: { token: secret() },
      };
  }
}

/** How the service reaches the PostgreSQL target (directly, or as the bastion sees it). */
const warehouseConfig = (target: TargetDatabase) => ({
  host: target.host,
  port: target.port,
  database: target.database,
  username: target.username,
  sslMode: 'disable',
});

export function warehouseBody(target: TargetDatabase): Record<string, unknown> {
  return {
    name: WAREHOUSE,
    type: 'postgres',
    description: 'The introspection target: 10,000 tables and a 1,000,000-row events table',
    config: warehouseConfig(target),
    secrets: { password: target.password },
  };
}

/** Where a tunneled connection's bastion is (`config.sshTunnel`) and the key it signs in with. */
export interface TunnelAccess {
  sshTunnel: { host: string; port: number; username: string; hostKeyFingerprint: string };
  privateKey: string;
}

/** A postgres connection to `target` through the bastion: the target as the bastion reaches it, the key inline. */
export function tunneledWarehouseBody(target: TargetDatabase, access: TunnelAccess, name = WAREHOUSE_SSH): Record<string, unknown> {
  return {
    name,
    type: 'postgres',
    description: 'The introspection target of the warehouse connection, through an SSH bastion',
    config: { ...warehouseConfig(target), sshTunnel: access.sshTunnel },
    secrets: { password: target.password, sshPrivateKey: access.privateKey },
  };
}

export function mysqlWarehouseBody(target: TargetDatabase): Record<string, unknown> {
  return {
    name: MYSQL_WAREHOUSE,
    type: 'mysql',
    description: 'The MariaDB introspection target: 10,000 tables and a 1,000,000-row events table',
    config: { host: target.host, port: target.port, database: target.database, username: target.username },
    secrets: { password: target.password },
  };
}

async function signInAsAdmin(baseUrl: string): Promise<Api> {
  const login = await new Api(baseUrl).call<{ accessToken: string }>('POST', '/api/v1/auth/login', 200, {
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
  });
  return new Api(baseUrl).withToken(login.accessToken);
}

async function createProject(admin: Api, slug: string): Promise<SeededProject> {
  const project = await admin.call<{ id: string }>('POST', '/api/v1/projects', 201, { slug, name: `Bench ${slug}` });
  const key = await admin.call<{ key: string }>('POST', `/api/v1/projects/${slug}/api-keys`, 201, { name: 'bench', scopes: KEY_SCOPES });
  return { slug, id: project.id, apiKey: key.key };
}

/**
 * Seeds through the public API, as real clients would: the rows, encrypted secrets, audit
 * events and indexes are exactly the service's own (a SQL shortcut would have to re-implement
 * the envelopes and could drift from them). 10,000 creates take well under a minute.
 */
export async function seedService(
  baseUrl: string,
  sizes: { projects: number; connectionsPerProject: number; testGroups: number; testProjectsPerGroup: number },
  target?: TargetDatabase,
  mysqlTarget?: TargetDatabase,
  /** (f-ssh): one tunneled warehouse per project, each with its own key (so its own SSH connection). */
  tunnels?: readonly TunnelAccess[],
): Promise<SeededService> {
  const admin = await signInAsAdmin(baseUrl);
  const slugs = Array.from({ length: sizes.projects }, (_, index) => `bench-${String(index + 1).padStart(2, '0')}`);
  const testSlugs = target
    ? Array.from({ length: sizes.testGroups }, (_, group) =>
        Array.from({ length: sizes.testProjectsPerGroup }, (_, index) => `bench-test-${group + 1}-${index + 1}`),
      )
    : [];
  const created = new Map<string, SeededProject>();
  await forEachLimited([...slugs, ...testSlugs.flat()], SEED_CONCURRENCY, async (slug) => {
    created.set(slug, await createProject(admin, slug));
  });
  // Every create of every project in one queue, so the service is kept busy evenly.
  const creates: { slug: string; body: Record<string, unknown> }[] = slugs.flatMap((slug) =>
    Array.from({ length: sizes.connectionsPerProject }, (_, index) => ({ slug, body: connectionBody(slug, index) })),
  );
  if (target) creates.push(...[...slugs, ...testSlugs.flat()].map((slug) => ({ slug, body: warehouseBody(target) })));
  if (target && tunnels) creates.push(...slugs.map((slug, index) => ({ slug, body: tunneledWarehouseBody(target, tunnels[index]) })));
  if (mysqlTarget) creates.push(...slugs.map((slug) => ({ slug, body: mysqlWarehouseBody(mysqlTarget) })));
  await forEachLimited(creates, SEED_CONCURRENCY, async ({ slug, body }) => {
    await admin.call('POST', `/api/v1/projects/${slug}/connections`, 201, body);
  });
  return {
    projects: slugs.map((slug) => created.get(slug)!),
    connectionsPerProject: sizes.connectionsPerProject,
    testProjectGroups: testSlugs.map((group) => group.map((slug) => created.get(slug)!)),
  };
}

/**
 * A "warehouse" connection to `target` in each of `projects`, for a service seeded without it:
 * the SQLite suite seeds its connections while the shared target is still being seeded, and
 * adds these once it is ready.
 */
export async function seedWarehouses(baseUrl: string, projects: readonly SeededProject[], target: TargetDatabase): Promise<void> {
  const admin = await signInAsAdmin(baseUrl);
  await forEachLimited(projects, SEED_CONCURRENCY, async (project) => {
    await admin.call('POST', `/api/v1/projects/${project.slug}/connections`, 201, warehouseBody(target));
  });
}
