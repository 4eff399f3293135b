/**
 * The baseline: a minimal Fastify server doing, per request, the same work as the service for
 * the routes the bench measures, written by hand the fastest plain way (prepared statements,
 * one query where one is enough, no framework layers). Same paths, same JSON, same rows.
 *
 *   BASELINE_DRIVER=pg DATABASE_URL=postgres://... | BASELINE_DRIVER=sqlite SQLITE_FILE=...
 *   SWITCHBOARD_ENCRYPTION_KEYS=k1:... PORT=... [BASELINE_AUTH_CACHE_MS=0] node server.js
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Client, type ClientConfig, Pool, type PoolClient } from 'pg';
import { Authenticator, type Caller, HttpError } from './access';
import { Envelopes, uuidv7 } from './crypto';
import { connectionJson } from './dto';
import { listTables, preview, readOnlyQuery, SERVICE_CELLS, targetClientConfig } from './introspection';
import type { MysqlSession } from './introspection-mysql';
import { MysqlSessionPool, rowsJson } from './mysql-pool';
import { type ConnectionRow, PgStore, SqliteStore, type Store } from './store';

interface Deps {
  store: Store;
  auth: Authenticator;
  envelopes: Envelopes;
}

type Params = { project: string; connection: string };
const API = '/api/v1/projects/:project/connections';

function problem(reply: FastifyReply, error: unknown): FastifyReply {
  const status = error instanceof HttpError ? error.status : 500;
  const code = error instanceof HttpError ? error.code : 'INTERNAL';
  if (status === 500) console.error(error);
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ status, code, detail: error instanceof Error ? error.message : '' });
}

/** Wraps a handler: problem+json for failures, a request id header like the service's. */
function handler<R extends FastifyRequest>(work: (request: R, reply: FastifyReply) => Promise<unknown>) {
  return async (request: R, reply: FastifyReply) => {
    void reply.header('x-request-id', uuidv7());
    try {
      return await work(request, reply);
    } catch (error) {
      return problem(reply, error);
    }
  };
}

async function requireConnection(store: Store, projectId: string, name: string): Promise<ConnectionRow> {
  const connection = await store.findConnection(projectId, name);
  if (!connection) throw new HttpError(404, 'NOT_FOUND');
  return connection;
}

function audit(deps: Deps, caller: Caller, action: string, target: ConnectionRow | { id: string; name: string }, details: object) {
  return deps.store.insertAudit({
    id: uuidv7(),
    projectId: caller.projectId,
    userId: caller.userId,
    apiKeyId: caller.apiKeyId,
    action,
    targetType: 'connection',
    targetId: target.id,
    targetName: target.name,
    outcome: 'success',
    requestId: uuidv7(),
    ip: '127.0.0.1',
    details: JSON.stringify(details),
    at: new Date().toISOString(),
  });
}

/** The postgres config of a create body; Fastify's ajv fills the defaults as the service's schema does. */
const CREATE_SCHEMA = {
  body: {
    type: 'object',
    required: ['name', 'type', 'config'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: '^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,62}$' },
      type: { const: 'postgres' },
      description: { type: 'string', maxLength: 2000 },
      config: {
        type: 'object',
        required: ['host'],
        additionalProperties: false,
        properties: {
          host: { type: 'string', minLength: 1, maxLength: 253 },
          port: { type: 'integer', minimum: 1, maximum: 65535, default: 5432 },
          database: { type: 'string', maxLength: 63 },
          schema: { type: 'string', maxLength: 63 },
          username: { type: 'string', maxLength: 128 },
          sslMode: { enum: ['disable', 'require', 'verify-ca', 'verify-full'], default: 'require' },
        },
      },
      secrets: { type: 'object', additionalProperties: false, properties: { password: { type: 'string', maxLength: 4096 } } },
      labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 200 } },
      enabled: { type: 'boolean' },
    },
  },
};

interface CreateBody {
  name: string;
  type: string;
  description?: string;
  config: Record<string, unknown>;
  secrets?: Record<string, string>;
  labels?: Record<string, string>;
  enabled?: boolean;
}

function registerConnectionRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, auth, envelopes } = deps;

  // (a) one connection by name, secrets masked
  app.get(
    `${API}/:connection`,
    handler(async (request: FastifyRequest<{ Params: Params }>, reply) => {
      const caller = await auth.authorize(request.headers, request.params.project, 'connections:read');
      const connection = await requireConnection(store, caller.projectId, request.params.connection);
      void reply.header('etag', `"${connection.version}"`);
      return connectionJson(connection, true);
    }),
  );

  // (b) a page of connections of one type, with the total
  app.get(
    API,
    handler(async (request: FastifyRequest<{ Params: Params; Querystring: { type?: string; page?: string; perPage?: string } }>) => {
      const caller = await auth.authorize(request.headers, request.params.project, 'connections:read');
      const page = Math.max(1, Number(request.query.page ?? 1));
      const perPage = Math.min(100, Math.max(1, Number(request.query.perPage ?? 20)));
      const { rows, total } = await store.listConnections(
        caller.projectId,
        request.query.type ?? 'postgres',
        perPage,
        (page - 1) * perPage,
      );
      return { data: rows.map((row) => connectionJson(row, false)), meta: { total, page, perPage } };
    }),
  );

  // (c) create with inline secrets: encrypted into a credential the connection owns, audited
  app.post(
    API,
    { schema: CREATE_SCHEMA },
    handler(async (request: FastifyRequest<{ Params: Params; Body: CreateBody }>, reply) => {
      const caller = await auth.authorize(request.headers, request.params.project, 'connections:write');
      const body = request.body;
      const now = new Date().toISOString();
      const id = uuidv7();
      const credentialId = uuidv7();
      const sealed = envelopes.seal(caller.projectId, credentialId, body.secrets ?? {});
      const row: ConnectionRow = {
        id,
        projectId: caller.projectId,
        name: body.name,
        type: body.type,
        description: body.description ?? null,
        config: JSON.stringify(body.config),
        credentialId,
        ownsCredential: true,
        enabled: body.enabled ?? true,
        labels: JSON.stringify(body.labels ?? {}),
        version: 1,
        createdAt: now,
        updatedAt: now,
        createdBy: caller.userId,
        secretFields: JSON.stringify(sealed.secretFields),
      };
      await store.insertConnection(row, {
        id: credentialId,
        projectId: caller.projectId,
        ...sealed,
        ownerConnectionId: id,
        createdBy: caller.userId,
        at: now,
      });
      await audit(deps, caller, 'connection.create', row, { type: row.type, storage: 'inline' });
      void reply
        .code(201)
        .header('etag', '"1"')
        .header('location', `${request.url.split('?')[0]}/${id}`);
      return connectionJson(row, true);
    }),
  );

  // (c) delete: refused while in use, its owned credential goes with it, audited
  app.delete(
    `${API}/:connection`,
    handler(async (request: FastifyRequest<{ Params: Params }>, reply) => {
      const caller = await auth.authorize(request.headers, request.params.project, 'connections:write');
      const connection = await requireConnection(store, caller.projectId, request.params.connection);
      const consumers = await store.consumersOf(caller.projectId, connection.id);
      if (consumers.length) throw new HttpError(409, 'CONFLICT');
      await store.deleteConnection(caller.projectId, connection.id, connection.ownsCredential ? connection.credentialId : null);
      await audit(deps, caller, 'connection.delete', connection, { force: false, consumers });
      return reply.code(204).send();
    }),
  );
}

/** A stored postgres or mysql connection as a client needs it: its row and decrypted password. */
async function resolveTarget(deps: Deps, caller: Caller, name: string) {
  const connection = await requireConnection(deps.store, caller.projectId, name);
  const envelope = connection.credentialId ? await deps.store.readEnvelope(caller.projectId, connection.credentialId) : null;
  const secrets = envelope ? deps.envelopes.open(caller.projectId, connection.credentialId!, envelope) : {};
  const config = JSON.parse(connection.config) as Record<string, unknown>;
  const mysql = connection.type === 'mysql';
  const target = {
    host: String(config.host),
    port: Number(config.port ?? (mysql ? 3306 : 5432)),
    database: String(config.database ?? (mysql ? '' : 'postgres')),
    username: String(config.username ?? ''),
    password: secrets.password ?? '',
  };
  return { connection, mysqlTarget: mysql ? target : undefined, clientConfig: targetClientConfig(target) };
}

/** Header of the "http floor" contender of (e)-(g). */
const FLOOR_HEADER = 'x-baseline-floor';
type Target = Awaited<ReturnType<typeof resolveTarget>> & { caller: Caller | null };
const floorTargets = new Map<string, Promise<Target>>();

/**
 * The caller and the connection of an introspection request. With `x-baseline-floor`, resolved
 * on the first request and then reused, and `caller` null so nothing is audited: the driver's
 * work behind HTTP and nothing else, the least any HTTP service can add to it (bench/README.md).
 */
function targetOf(deps: Deps, request: FastifyRequest<{ Params: Params }>, scope: string): Promise<Target> {
  const resolve = async () => {
    const caller = await deps.auth.authorize(request.headers, request.params.project, scope);
    return { caller, ...(await resolveTarget(deps, caller, request.params.connection)) };
  };
  if (request.headers[FLOOR_HEADER] === undefined) return resolve();
  const key = `${request.params.project}/${request.params.connection}`;
  let found = floorTargets.get(key);
  if (!found) {
    found = resolve().then((target) => ({ ...target, caller: null }));
    floorTargets.set(key, found);
    found.catch(() => floorTargets.delete(key));
  }
  return found;
}

/** Pools per connection id and version: the cached sessions of (d)-(g). */
class Pools<P> {
  private readonly pools = new Map<string, P>();

  constructor(private readonly end: (pool: P) => Promise<void>) {}

  get(connection: ConnectionRow, open: () => P): P {
    const key = `${connection.id}:${connection.version}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = open();
      this.pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map(this.end));
  }
}

/** A pg pool of `max` clients, as the service keeps per target connection. */
function pgPool(config: ClientConfig, max: number): Pool {
  const pool = new Pool({ ...config, max, idleTimeoutMillis: 60_000 });
  pool.on('error', () => undefined);
  return pool;
}

/** The pools of (e)-(g), one kind per driver: 2 sessions per connection, as the service pools them. */
class IntrospectionPools {
  private readonly pg = new Pools<Pool>((pool) => pool.end());
  private readonly mysql = new Pools<MysqlSessionPool>((pool) => pool.close());

  /** Runs `work` on a pooled pg client of the target. */
  async withPg<T>(target: Target, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pg.get(target.connection, () => pgPool(target.clientConfig, 2)).connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  withMysql<T>(target: Target, work: (session: MysqlSession) => Promise<T>): Promise<T> {
    return this.mysql.get(target.connection, () => new MysqlSessionPool(target.mysqlTarget!, 2)).use(work);
  }

  async close(): Promise<void> {
    await Promise.all([this.pg.close(), this.mysql.close()]);
  }
}

function registerTargetRoutes(app: FastifyInstance, deps: Deps, testPools: Pools<Pool>, introspectionPools: IntrospectionPools): void {
  // (d) test: `x-baseline-test: fresh` connects anew each time (what the service does today); otherwise a pooled session
  app.post(
    `${API}/:connection/test`,
    handler(async (request: FastifyRequest<{ Params: Params }>) => {
      const caller = await deps.auth.authorize(request.headers, request.params.project, 'connections:test');
      const { connection, clientConfig } = await resolveTarget(deps, caller, request.params.connection);
      const started = performance.now();
      let version: string;
      if (request.headers['x-baseline-test'] === 'fresh') {
        const client = new Client(clientConfig);
        await client.connect();
        version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
        await client.end();
      } else {
        version = (await testPools.get(connection, () => pgPool(clientConfig, 4)).query<{ server_version: string }>('SHOW server_version'))
          .rows[0].server_version;
      }
      const latencyMs = performance.now() - started;
      await audit(deps, caller, 'connection.test', connection, { latencyMs, errorCode: null, driver: 'pg' });
      const where = `${clientConfig.host}:${clientConfig.port}`;
      return {
        success: true,
        message: `Connected to PostgreSQL ${version} at ${where}.`,
        driver: 'pg',
        latencyMs,
        serverVersion: version,
        stages: [{ name: 'query', ok: true, latencyMs }],
      };
    }),
  );

  // (e) a page of tables from the catalog
  app.get(
    `${API}/:connection/tables`,
    handler(async (request: FastifyRequest<{ Params: Params; Querystring: { schema: string; page?: string; perPage?: string } }>) => {
      const target = await targetOf(deps, request, 'connections:test');
      const { schema } = request.query;
      const page = Number(request.query.page ?? 1);
      const perPage = Number(request.query.perPage ?? 20);
      if (!target.mysqlTarget) return introspectionPools.withPg(target, (client) => listTables(client, schema, page, perPage));
      const { data, total } = await introspectionPools.withMysql(target, (session) => session.listTables(schema, page, perPage));
      return { data, meta: { total, page, perPage } };
    }),
  );

  // (f) the first rows of a table, checked against the catalog; audited
  app.get(
    `${API}/:connection/preview`,
    handler(async (request: FastifyRequest<{ Params: Params; Querystring: { schema: string; table: string; limit?: string } }>) => {
      const target = await targetOf(deps, request, 'data:read');
      const { schema, table } = request.query;
      const limit = Number(request.query.limit ?? 100);
      const result = target.mysqlTarget
        ? await introspectionPools.withMysql(target, async (session) => rowsJson(await session.preview(schema, table, limit)))
        : await introspectionPools.withPg(target, (client) => preview(client, schema, table, limit, SERVICE_CELLS));
      if (!result) throw new HttpError(404, 'NOT_FOUND');
      if (target.caller) await audit(deps, target.caller, 'connection.preview', target.connection, { schema, table });
      return { ...result, limit };
    }),
  );

  // (g) one read-only statement through a cursor; audited with its text
  app.post(
    `${API}/:connection/query`,
    handler(async (request: FastifyRequest<{ Params: Params; Body: { sql: string; limit?: number; timeoutMs?: number } }>) => {
      const target = await targetOf(deps, request, 'data:read');
      const { sql, limit = 100, timeoutMs = 5_000 } = request.body;
      const started = performance.now();
      const result = target.mysqlTarget
        ? await introspectionPools.withMysql(target, async (session) => rowsJson(await session.query(sql, limit, timeoutMs)))
        : await introspectionPools.withPg(target, (client) => readOnlyQuery(client, sql, limit, timeoutMs, SERVICE_CELLS));
      const executionMs = performance.now() - started;
      if (target.caller) await audit(deps, target.caller, 'connection.query', target.connection, { sql });
      return { ...result, stats: { rowCount: result.rows.length, executionMs } };
    }),
  );
}

function storeFromEnvironment(): Store {
  if (process.env.BASELINE_DRIVER === 'sqlite') return new SqliteStore(process.env.SQLITE_FILE!);
  return new PgStore(process.env.DATABASE_URL!);
}

async function main(): Promise<void> {
  const store = storeFromEnvironment();
  const deps: Deps = {
    store,
    auth: new Authenticator(store, Number(process.env.BASELINE_AUTH_CACHE_MS ?? 0)),
    envelopes: new Envelopes(process.env.SWITCHBOARD_ENCRYPTION_KEYS!),
  };
  // The service keeps 2 clients per target connection; a test pool of 4 covers the per-project cap.
  const testPools = new Pools<Pool>((pool) => pool.end());
  const introspectionPools = new IntrospectionPools();
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ status: 'ok' }));
  registerConnectionRoutes(app, deps);
  registerTargetRoutes(app, deps, testPools, introspectionPools);
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  const stop = async () => {
    await app.close();
    await Promise.all([testPools.close(), introspectionPools.close(), store.close()]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
