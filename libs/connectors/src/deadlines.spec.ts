import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { type BlackHole, type SilentListener, startSilent, startUnaccepting } from '../../../test/support/black-hole';
import { startDatabricksWorkspace } from '../../../test/support/databricks-workspace';
import type { Connector, ConnectorContext, ResolvedConnection } from './connector';
import { DatabricksConnector } from './databricks/databricks.connector';
import { EgressGuard } from './egress/egress-guard';
import { EgressPolicy } from './egress/egress-policy';
import { GenericConnector } from './generic/generic.connector';
import { HttpConnector } from './http/http.connector';
import type { IntrospectionContext } from './introspection/types';
import { MysqlConnector } from './mysql/mysql.connector';
import { PostgresConnector } from './postgres/postgres.connector';
import { StageFailure } from './probes/test-run';
import { S3Connector } from './s3/s3.connector';
import { SessionCache } from './sessions/session-cache';
import { SftpConnector } from './sftp/sftp.connector';
import { SmtpConnector } from './smtp/smtp.connector';

/**
 * Every outbound operation ends by its own deadline, connecting included (issue 13, item 11):
 * the connect timeout of 5 s is a cap, never a floor. Each network type is pointed at a loopback
 * target that never answers, with a deadline well under 5 s.
 */
const DEADLINE_MS = 1_000;
/** Correctness bounds, not a benchmark: the old code took the full 5 s connect timeout; the slack is for a busy machine. */
const EARLIEST_MS = DEADLINE_MS - 100;
const LATEST_MS = DEADLINE_MS + 3_000;

const guard = new EgressGuard(EgressPolicy.parse({}));
const cache = new SessionCache();
let connectionIds = 0;

function contextFor(ms = DEADLINE_MS): ConnectorContext {
  const deadline = Date.now() + ms;
  return { signal: AbortSignal.timeout(ms), remainingMs: () => Math.max(0, deadline - Date.now()), egress: guard };
}

/** Sessions from one SessionCache, as the service's Outbound gives them, under a connection id of its own. */
function introspectionFor(connectionId: string, ms = DEADLINE_MS): IntrospectionContext {
  const context = contextFor(ms);
  return { ...context, session: (variant, open, work) => cache.use(connectionId, '1', open, work, variant, context.signal) };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = Date.now();
  try {
    const value = await work();
    return { value, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

function assertWithinDeadline(what: string, ms: number): void {
  assert.ok(ms >= EARLIEST_MS && ms < LATEST_MS, `${what}: took ${ms} ms for a ${DEADLINE_MS} ms deadline`);
}

/** A connection abandoned at the deadline is closed soon after, not left to a connect timeout of its own. */
const CLOSED_WITHIN_MS = 3_000;

async function assertClosedSoon(what: string, silent: SilentListener): Promise<void> {
  const started = Date.now();
  while (silent.open() > 0 && Date.now() - started < CLOSED_WITHIN_MS) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(silent.open(), 0, `${what}: ${silent.open()} connection(s) still open ${CLOSED_WITHIN_MS} ms after the deadline`);
}

type Target = { kind: 'silent' | 'unaccepting'; hole: () => BlackHole };

interface NetworkType {
  connector: Connector;
  connection(port: number): ResolvedConnection;
  /** Introspection operations the type offers, each on a fresh connection id (no cached session). */
  operations: Record<string, (connection: ResolvedConnection, context: IntrospectionContext) => Promise<unknown>>;
  /** A silent listener is a success for a plain TCP check. */
  onlyUnaccepting?: boolean;
}

const sqlOperations = (connector: PostgresConnector | MysqlConnector): NetworkType['operations'] => ({
  databases: (connection, context) => connector.listDatabases(connection, context),
  schemas: (connection, context) => connector.listSchemas(connection, context),
  tables: (connection, context) => connector.listTables(connection, context, { offset: 0, limit: 10 }),
  columns: (connection, context) => connector.listColumns(connection, context, { table: 'orders' }),
  preview: (connection, context) => connector.preview(connection, context, { table: 'orders', limit: 10 }),
  query: (connection, context) => connector.query(connection, context, { sql: 'SELECT 1', limit: 10, timeoutMs: DEADLINE_MS }),
});

const fileOperations = (connector: S3Connector | SftpConnector): NetworkType['operations'] => ({
  files: (connection, context) => connector.listFiles(connection, context, { prefix: '', limit: 10 }),
  fileSchema: (connection, context) => connector.inferFileSchema(connection, context, 'data.csv'),
});

const postgres = new PostgresConnector();
const databricks = new DatabricksConnector();
const mysql = new MysqlConnector();
const sftp = new SftpConnector();
const s3 = new S3Connector();
const smtp = new SmtpConnector();

const TYPES: Record<string, NetworkType> = {
  postgres: {
    connector: postgres,
    connection: (port) => ({
      type: 'postgres',
      config: { host: '127.0.0.1', port, database: 'shop', username: 'reader', sslMode: 'disable' },
      secrets: { password: 'pw-deadline' },
    }),
    operations: sqlOperations(postgres),
  },
  'postgres (TLS)': {
    connector: postgres,
    connection: (port) => ({
      type: 'postgres',
      config: { host: '127.0.0.1', port, database: 'shop', username: 'reader', sslMode: 'require' },
      secrets: { password: 'pw-deadline' },
    }),
    // The TLS request is one more place to hang; the operations share their connect path.
    operations: { query: sqlOperations(postgres).query },
  },
  mysql: {
    connector: mysql,
    connection: (port) => ({
      type: 'mysql',
      config: { host: '127.0.0.1', port, database: 'shop', username: 'reader' },
      secrets: { password: 'pw-deadline' },
    }),
    operations: sqlOperations(mysql),
  },
  sftp: {
    connector: sftp,
    connection: (port) => ({
      type: 'sftp',
      config: { host: '127.0.0.1', port, username: 'reader', rootPath: '/' },
      secrets: { password: 'pw-deadline' },
    }),
    operations: fileOperations(sftp),
  },
  s3: {
    connector: s3,
    connection: (port) => ({
      type: 's3',
      config: { bucket: 'bucket', region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true },
      secrets: { accessKeyId: 'AKIDEADLINE', secretAccessKey: 'secret-deadline' },
    }),
    operations: fileOperations(s3),
  },
  smtp: {
    connector: smtp,
    connection: (port) => ({
      type: 'smtp',
      config: { host: '127.0.0.1', port, security: 'none', auth: false, from: 'sender@example.com' },
      secrets: {},
    }),
    operations: {
      sendTestEmail: (connection, context) => smtp.sendTestEmail(connection, context, 'ops@example.com'),
    },
  },
  http: {
    connector: new HttpConnector(),
    connection: (port) => ({ type: 'http', config: { baseUrl: `http://127.0.0.1:${port}/`, method: 'GET' }, secrets: {} }),
    operations: {},
  },
  databricks: {
    connector: databricks,
    connection: (port) => ({
      type: 'databricks',
      config: {
        host: `https://127.0.0.1:${port}`,
        warehouseId: 'wh',
        catalog: 'main',
        schema: 'default',
        authType: 'pat',
        readOnlyByGrants: true,
      },
      secrets: { token: 'dapi-deadline' },
    }),
    operations: {
      catalogs: (connection, context) => databricks.listCatalogs(connection, context),
      tables: (connection, context) => databricks.listTables(connection, context, { offset: 0, limit: 10 }),
      preview: (connection, context) => databricks.preview(connection, context, { table: 'orders', limit: 10 }),
      query: (connection, context) => databricks.query(connection, context, { sql: 'SELECT 1', limit: 10, timeoutMs: DEADLINE_MS }),
    },
  },
  generic: {
    connector: new GenericConnector(),
    connection: (port) => ({ type: 'generic', config: { host: '127.0.0.1', port }, secrets: {} }),
    operations: {},
    onlyUnaccepting: true,
  },
};

/** What a deadline that passed must look like: TARGET_TIMEOUT for introspection, TIMEOUT for a test email. */
function assertTimedOut(what: string, error: unknown): void {
  if (error instanceof StageFailure) {
    assert.equal(error.testError.code, 'TIMEOUT', `${what}: ${error.message}`);
    return;
  }
  assert.ok(error instanceof AppError, `${what}: expected an AppError, got ${String(error)}`);
  assert.equal(error.code, ErrorCode.TARGET_TIMEOUT, `${what}: ${error.code} ${error.detail}`);
}

describe('outbound deadlines against targets that never answer', () => {
  let silent: SilentListener;
  let unaccepting: BlackHole;
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown) => unhandled.push(error);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    [silent, unaccepting] = await Promise.all([startSilent(), startUnaccepting()]);
  });
  after(async () => {
    await cache.onApplicationShutdown();
    await Promise.all([silent?.close(), unaccepting?.close()]);
    process.removeListener('unhandledRejection', onUnhandled);
    process.removeListener('uncaughtException', onUnhandled);
  });

  const targets: Target[] = [
    { kind: 'silent', hole: () => silent },
    { kind: 'unaccepting', hole: () => unaccepting },
  ];

  for (const [name, type] of Object.entries(TYPES)) {
    for (const target of targets) {
      if (type.onlyUnaccepting && target.kind === 'silent') continue;
      it(`${name}: a test against a ${target.kind} target ends at its deadline with TIMEOUT`, async () => {
        const { value: result, error, ms } = await timed(() => type.connector.test(type.connection(target.hole().port), contextFor()));
        assert.equal(error, undefined, String(error));
        assert.equal(result?.success, false, JSON.stringify(result));
        assert.equal(result?.error?.code, 'TIMEOUT', JSON.stringify(result));
        // A test may give its connect stage part of the deadline (http against a dropped SYN
        // reported TIMEOUT at 505 ms in one CI run): what must hold is that it ends by the deadline.
        assert.ok(ms < LATEST_MS, `${name} test: took ${ms} ms for a ${DEADLINE_MS} ms deadline`);
        if (target.kind === 'silent') await assertClosedSoon(`${name} test`, silent);
      });

      for (const [operation, run] of Object.entries(type.operations)) {
        it(`${name}: ${operation} against a ${target.kind} target ends at its deadline with TARGET_TIMEOUT`, async () => {
          const connection = type.connection(target.hole().port);
          const { error, ms } = await timed(() => run(connection, introspectionFor(`deadline-${++connectionIds}`)));
          assertTimedOut(`${name} ${operation}`, error);
          assertWithinDeadline(`${name} ${operation}`, ms);
          if (target.kind === 'silent') await assertClosedSoon(`${name} ${operation}`, silent);
        });
      }
    }
  }

  for (const name of ['postgres', 'mysql', 'sftp', 's3']) {
    it(`${name}: a call with a short deadline does not wait out another call's longer connect to the same connection`, async () => {
      const type = TYPES[name];
      const connection = type.connection(unaccepting.port);
      const [operation, run] = Object.entries(type.operations)[0];
      const connectionId = `deadline-shared-${++connectionIds}`;
      // The first caller opens the session with a 4 s deadline; the second, 200 ms later, has 1 s.
      const first = timed(() => run(connection, introspectionFor(connectionId, 4_000)));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const second = await timed(() => run(connection, introspectionFor(connectionId)));
      assertTimedOut(`${name} ${operation} (second caller)`, second.error);
      assertWithinDeadline(`${name} ${operation} (second caller)`, second.ms);
      assertTimedOut(`${name} ${operation} (first caller)`, (await first).error);
    });
  }

  it('databricks: a preview whose statement outlives its deadline ends by it, and the statement is cancelled', async () => {
    const workspace = await startDatabricksWorkspace();
    try {
      workspace.makeNextStatementSlow();
      const connection: ResolvedConnection = {
        type: 'databricks',
        config: {
          host: workspace.url,
          warehouseId: 'wh-running',
          catalog: 'main',
          schema: 'default',
          authType: 'pat',
          readOnlyByGrants: false,
        },
        secrets: { token: workspace.pat, tlsCa: workspace.ca },
      };
      const { error, ms } = await timed(() =>
        databricks.preview(connection, introspectionFor(`deadline-${++connectionIds}`), { table: 'orders', limit: 10 }),
      );
      assertTimedOut('databricks slow preview', error);
      assertWithinDeadline('databricks slow preview', ms);
      const [statement] = workspace.submittedStatements;
      assert.equal(statement.waitTimeout, '0s');
      assert.deepEqual(workspace.cancelledStatementIds, [statement.statementId]);
    } finally {
      await workspace.stop();
    }
  });

  it('left no unhandled error behind', async () => {
    // Whatever was abandoned at a deadline (a connect still in flight) settles within the 5 s connect cap.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    assert.deepEqual(unhandled.map(String), []);
  });
});
