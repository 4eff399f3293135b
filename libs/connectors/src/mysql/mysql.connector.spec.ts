import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ConnectionConfig, Secrets } from '../connection-type';
import type { ConnectorContext, TestResult } from '../connector';
import { EgressGuard, type EgressResolver } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { MysqlConnector, mysqlConnectionOptions } from './mysql.connector';

const START = { timeout: 90_000 };
const WRONG_PASSWORD = 'pw-canary-3e91d7c2';

/** The default policy, as the service builds it with no SWITCHBOARD_EGRESS_* set. */
const guard = new EgressGuard(EgressPolicy.parse({}));
/** Names for the TLS name checks: both reach the MariaDB on 127.0.0.1, only `localhost` is in its certificate. */
const resolver: EgressResolver = async (host) => {
  if (host === 'localhost' || host === 'mariadb.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const namedGuard = new EgressGuard(EgressPolicy.parse({}), resolver);

function contextFor(ms = 5_000, egress = guard, signal: AbortSignal = AbortSignal.timeout(ms)): ConnectorContext {
  const deadline = Date.now() + ms;
  return { signal, remainingMs: () => Math.max(0, deadline - Date.now()), egress };
}

const connector = new MysqlConnector();
const runTest = (config: ConnectionConfig, secrets: Secrets = {}, context = contextFor()): Promise<TestResult> =>
  connector.test({ type: 'mysql', config, secrets }, context);

const stageNames = (result: TestResult): string[] => result.stages.map((stage) => stage.name);
const failedStage = (result: TestResult): string | undefined => result.stages.find((stage) => !stage.ok)?.name;

/** The result as the API would send it must not carry any of these. */
function assertNoSecrets(result: TestResult, ...secrets: string[]): void {
  const json = JSON.stringify(result);
  for (const secret of secrets) assert.ok(!json.includes(secret), `a secret leaked into the result: ${json}`);
}

/** A protocol-10 greeting whose capabilities lack CLIENT_SSL (0x800): the server cannot do TLS. */
function handshakeWithoutTls(): Buffer {
  const capabilities = 0x1 | 0x8 | 0x200 | 0x8000 | 0x80000; // long password, with db, 4.1 protocol, secure auth, plugin auth
  const payload = Buffer.concat([
    Buffer.from([10]),
    Buffer.from('5.7.0-no-tls\0'),
    Buffer.from([1, 0, 0, 0]), // connection id
    Buffer.from('abcdefgh\0'), // scramble, part 1
    Buffer.from([capabilities & 0xff, (capabilities >> 8) & 0xff, 33, 2, 0, (capabilities >> 16) & 0xff, (capabilities >> 24) & 0xff, 21]),
    Buffer.alloc(10),
    Buffer.from('ijklmnopqrst\0'), // scramble, part 2
    Buffer.from('mysql_native_password\0'),
  ]);
  return Buffer.concat([Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, 0, 0]), payload]);
}

describe('MysqlConnector against a real MariaDB', () => {
  let servers: Pick<Servers, 'mariadb'> | undefined;
  let silent: net.Server | undefined;
  const silentSockets = new Set<net.Socket>();
  let silentPort = 0;
  let closedPort = 0;

  before(async () => {
    servers = await startServers(['mariadb']);
    // Accepts TCP and never says a word: the MySQL greeting never comes.
    silent = net.createServer((socket) => {
      silentSockets.add(socket);
      socket.on('close', () => silentSockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
    // A port that was just free and is closed again: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }, START);

  after(async () => {
    for (const socket of silentSockets) socket.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    await stopServers(servers);
  });

  const db = () => servers!.mariadb;
  const base = (): ConnectionConfig => ({ host: db().host, port: db().port, database: db().database, username: db().user });

  it('connects, authenticates and reports the MariaDB version', async () => {
    const result = await runTest(base(), { password: db().password });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.driver, 'mysql2');
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'auth', 'query']);
    assert.ok(result.stages.every((stage) => stage.ok && stage.latencyMs >= 0));
    assert.match(result.serverVersion ?? '', /^\d+\.\d+\.\d+-MariaDB/);
    assert.match(result.message, /^Connected to MariaDB \d+\.\d+\.\d+/);
    assert.equal(result.error, undefined);
    assertNoSecrets(result, db().password);
  });

  it('answers AUTH_FAILED for a wrong password, without the password', async () => {
    const result = await runTest(base(), { password: WRONG_PASSWORD });
    assert.equal(result.success, false);
    assert.equal(result.error?.code, 'AUTH_FAILED', JSON.stringify(result));
    assert.equal(failedStage(result), 'auth');
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'auth']);
    assert.match(result.message, /Access denied/);
    assertNoSecrets(result, WRONG_PASSWORD, db().password);
  });

  it('answers AUTH_FAILED for an unknown user', async () => {
    const result = await runTest({ ...base(), username: 'nobody' }, { password: WRONG_PASSWORD });
    assert.equal(result.error?.code, 'AUTH_FAILED', JSON.stringify(result));
    assertNoSecrets(result, WRONG_PASSWORD);
  });

  it('answers NOT_FOUND for an unknown database, to a user who may see every database', async () => {
    const result = await runTest({ ...base(), username: db().rootUser, database: 'no_such_db' }, { password: db().rootPassword });
    assert.equal(result.error?.code, 'NOT_FOUND', JSON.stringify(result));
    assert.equal(failedStage(result), 'auth');
    assert.match(result.message, /no_such_db/);
    assertNoSecrets(result, db().rootPassword);
  });

  it('answers PERMISSION_DENIED for an unknown database to a user without global rights (MariaDB does not tell them apart)', async () => {
    const result = await runTest({ ...base(), database: 'no_such_db' }, { password: db().password });
    assert.equal(result.error?.code, 'PERMISSION_DENIED', JSON.stringify(result));
    assert.equal(failedStage(result), 'auth');
  });

  it('answers PERMISSION_DENIED when the read-only user asks for a database it may not use', async () => {
    const result = await runTest({ ...base(), username: db().readOnlyUser, database: 'mysql' }, { password: db().readOnlyPassword });
    assert.equal(result.error?.code, 'PERMISSION_DENIED', JSON.stringify(result));
    assert.equal(failedStage(result), 'auth');
    assert.match(result.message, /Access denied for user 'sb_reader'.*to database 'mysql'/);
    assertNoSecrets(result, db().readOnlyPassword);
    // Its own database works.
    const own = await runTest({ ...base(), username: db().readOnlyUser }, { password: db().readOnlyPassword });
    assert.equal(own.success, true, JSON.stringify(own));
  });

  it('connects without a default database when none is configured', async () => {
    const { database: _database, ...config } = base();
    const result = await runTest(config, { password: db().password });
    assert.equal(result.success, true, JSON.stringify(result));
  });

  it('answers CONNECTION_REFUSED for a closed port, at the tcp stage', async () => {
    const result = await runTest({ ...base(), port: closedPort }, { password: db().password });
    assert.equal(result.error?.code, 'CONNECTION_REFUSED', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp']);
    assert.equal(failedStage(result), 'tcp');
  });

  it('answers DNS_NOT_FOUND for a host that does not resolve', async () => {
    const result = await runTest({ ...base(), host: 'nowhere.test' }, { password: db().password }, contextFor(5_000, namedGuard));
    assert.equal(result.error?.code, 'DNS_NOT_FOUND', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns']);
  });

  it('connects over TLS when the server certificate chains to the given CA', async () => {
    const result = await runTest({ ...base(), ssl: true }, { password: db().password, tlsCa: db().ca });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'auth', 'query']);
    assert.match(result.serverVersion ?? '', /MariaDB/);
  });

  it('really encrypts with ssl: true (the server sees a cipher)', async () => {
    const target = await guard.resolve(db().host, db().port);
    const options = mysqlConnectionOptions({ ...base(), ssl: true }, { password: db().password, tlsCa: db().ca }, target, 5_000);
    const connection = await mysql.createConnection(options);
    try {
      const [[row]] = await connection.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
      assert.ok(String(row.Value).length > 0, 'no TLS cipher on the session');
    } finally {
      await connection.end();
    }
  });

  it('answers TLS_ERROR with ssl: true and no CA, since the self-signed server certificate is not trusted', async () => {
    const result = await runTest({ ...base(), ssl: true }, { password: db().password });
    assert.equal(result.error?.code, 'TLS_ERROR', JSON.stringify(result));
    assert.equal(failedStage(result), 'auth');
    assertNoSecrets(result, db().password);
  });

  it('verifies the configured host name while connecting to the checked address', async () => {
    const secrets = { password: db().password, tlsCa: db().ca };
    // `localhost` is in the certificate: accepted, though the socket goes to 127.0.0.1.
    const named = await runTest({ ...base(), host: 'localhost', ssl: true }, secrets, contextFor(5_000, namedGuard));
    assert.equal(named.success, true, JSON.stringify(named));
    // Same server, same CA, but a name the certificate does not carry: refused before the password is sent.
    const other = await runTest({ ...base(), host: 'mariadb.test', ssl: true }, secrets, contextFor(5_000, namedGuard));
    assert.equal(other.error?.code, 'TLS_ERROR', JSON.stringify(other));
    assert.match(other.message, /mariadb\.test/);
    assertNoSecrets(other, db().password);
  });

  it('says what to change when ssl is true and the server does not offer TLS', async () => {
    // A server that greets without the CLIENT_SSL capability, as a MySQL built or started without TLS does.
    const server = net.createServer((socket) => socket.end(handshakeWithoutTls()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const result = await runTest({ ...base(), port, ssl: true }, { password: db().password });
      assert.equal(result.error?.code, 'TLS_ERROR', JSON.stringify(result));
      assert.match(result.message, new RegExp(`^127\\.0\\.0\\.1:${port} does not support TLS`));
      assert.match(result.message, /set ssl to false .*or enable TLS on the server/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('answers TIMEOUT from a listener that never answers, within the deadline', async () => {
    const started = Date.now();
    const result = await runTest({ ...base(), port: silentPort }, { password: db().password }, contextFor(1_000));
    const took = Date.now() - started;
    assert.equal(result.error?.code, 'TIMEOUT', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'auth']);
    assert.equal(failedStage(result), 'auth');
    // Not before the deadline, and far below the driver's own 10 s connect timeout.
    assert.ok(took >= 900 && took < 8_000, `took ${took} ms for a 1000 ms deadline`);
  });

  it('stops at once when the context signal aborts, before its own deadline', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300).unref();
    const started = Date.now();
    const result = await runTest(
      { ...base(), port: silentPort },
      { password: db().password },
      contextFor(10_000, guard, controller.signal),
    );
    const took = Date.now() - started;
    assert.equal(result.error?.code, 'TIMEOUT', JSON.stringify(result));
    assert.ok(took < 8_000, `took ${took} ms after an abort at 300 ms (the deadline is 10 s)`);
  });

  it('answers EGRESS_DENIED for the cloud metadata address, without connecting', async () => {
    const result = await runTest({ host: '169.254.169.254', port: 3306, username: 'root' }, { password: WRONG_PASSWORD });
    assert.equal(result.success, false);
    assert.equal(result.error?.code, 'EGRESS_DENIED', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns']);
    assert.match(result.message, /Could not reach/);
    assertNoSecrets(result, WRONG_PASSWORD);
  });

  describe('connection options', () => {
    const open = async () => {
      const target = await guard.resolve(db().host, db().port);
      return mysql.createConnection(mysqlConnectionOptions(base(), { password: db().password }, target, 5_000));
    };

    it('are fixed: one statement per query, no LOCAL INFILE, UTC, no cleartext password', async () => {
      const target = await guard.resolve(db().host, db().port);
      const options = mysqlConnectionOptions(base(), { password: db().password }, target, 5_000);
      assert.equal(options.multipleStatements, false);
      assert.equal(options.infileStreamFactory, undefined);
      assert.ok(options.flags?.includes('-LOCAL_FILES'));
      assert.equal(options.timezone, 'Z');
      assert.equal(options.enableCleartextPlugin, false);
      assert.equal(options.host, db().host);
      assert.equal(options.ssl, undefined);
    });

    it('refuse multiple statements in one query', async () => {
      const connection = await open();
      try {
        const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
        assert.equal(rows[0].one, 1);
        await assert.rejects(connection.query('SELECT 1; SELECT 2'), { code: 'ER_PARSE_ERROR' });
      } finally {
        await connection.end();
      }
    });

    it('refuse LOAD DATA LOCAL INFILE', async () => {
      await db().query('CREATE TABLE IF NOT EXISTS infile_target (line TEXT)');
      const connection = await open();
      try {
        // The server refuses it (ER_LOCAL_INFILE_DISABLED): the client never offered the capability.
        await assert.rejects(connection.query("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE infile_target"), {
          errno: 4166,
          message: /local infile/i,
        });
      } finally {
        await connection.end();
      }
      const rows = await db().query<{ n: number }[]>('SELECT COUNT(*) AS n FROM infile_target');
      assert.equal(Number(rows[0].n), 0);
    });
  });
});
