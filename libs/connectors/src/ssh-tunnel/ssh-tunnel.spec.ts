import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { startSilent, type SilentListener } from '../../../../test/support/black-hole';
import { startCountingProxy, type CountingProxy } from '../../../../test/support/counting-proxy';
import { startHttpTarget, type HttpTarget } from '../../../../test/support/http-target';
import { createSeededDatabase, startPostgres, type PostgresServer } from '../../../../test/support/postgres';
import { makeTempDir, selfSignedCert, startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ConnectionConfig, Secrets, ConnectionType } from '../connection-type';
import type { Connector, ConnectorContext, ResolvedConnection, TestResult, UnpinnedHostKey } from '../connector';
import { EgressGuard, type EgressResolver } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { GenericConnector } from '../generic/generic.connector';
import { HttpConnector } from '../http/http.connector';
import { httpTunnelTarget } from '../http/http.definition';
import { SftpConnector } from '../sftp/sftp.connector';
import type { IntrospectionContext } from '../introspection/types';
import { MysqlConnector } from '../mysql/mysql.connector';
import { PostgresConnector } from '../postgres/postgres.connector';
import { SessionCache } from '../sessions/session-cache';
import { SmtpConnector } from '../smtp/smtp.connector';
import { ConnectionTypeRegistry } from '../connection-type-registry';
import { tunneledConnector } from './tunneled';
import { refusedTarget } from './ssh-tunnel';

const SETUP = { timeout: 120_000 };
// eslint-disable-next-line no-restricted-properties -- test/run.ts starts PostgreSQL and passes its superuser URL here
const serverUrl = process.env.SWITCHBOARD_TEST_PG_URL;
if (!serverUrl) throw new Error('SWITCHBOARD_TEST_PG_URL is not set: run the specs through test/run.js, which starts PostgreSQL');
const pgServer = new URL(serverUrl);
const DB = `sb_tunnel_${randomBytes(4).toString('hex')}`;

/**
 * The service resolves the bastion's name only; the targets' name (`localhost`) does not
 * resolve here, so a target that answers was reached by the bastion, not by the service.
 */
const resolver: EgressResolver = async (host) => {
  if (host === 'bastion.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const egress = new EgressGuard(EgressPolicy.parse({}), resolver);
const registry = new ConnectionTypeRegistry();

function contextFor(ms = 10_000): ConnectorContext {
  const deadline = Date.now() + ms;
  return { signal: AbortSignal.timeout(ms), remainingMs: () => Math.max(0, deadline - Date.now()), egress };
}

function introspectionContext(cache: SessionCache, connectionId: string, generation: string, ms = 15_000): IntrospectionContext {
  const context = contextFor(ms);
  return { ...context, session: (variant, open, work) => cache.use(connectionId, generation, open, work, variant, context.signal) };
}

const postgres = tunneledConnector(new PostgresConnector(), (config) => ({ host: String(config.host), port: Number(config.port) }));
const mysql = tunneledConnector(new MysqlConnector(), (config) => ({ host: String(config.host), port: Number(config.port) }));
const sftp = tunneledConnector(new SftpConnector(), (config) => ({ host: String(config.host), port: Number(config.port) }));
const http = tunneledConnector(new HttpConnector(), httpTunnelTarget);
const generic = tunneledConnector(new GenericConnector(), (config) => ({ host: String(config.host), port: Number(config.port) }));
const smtp = tunneledConnector(new SmtpConnector(), (config) => ({ host: String(config.host), port: Number(config.port) }));

/**
 * TCP ports this process listens on: the kernel's listening sockets (IPv4 and IPv6) whose inode
 * is one of this process's descriptors.
 */
function listeningPorts(): Set<number> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      // sl local_address rem_address st ... inode; st 0A is LISTEN.
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && inodes.has(fields[9])) ports.add(parseInt(fields[1].split(':').at(-1)!, 16));
    }
  }
  return ports;
}

/** Where every socket opened while `work` runs was dialed (each net.Socket#connect, TLS ones included), as host:port. */
async function dialedDuring<T>(work: () => Promise<T>): Promise<{ value: T; dialed: string[] }> {
  const dialed: string[] = [];
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect hands over its normalised arguments as an array; pg calls connect(port, host).
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const { host, port } = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as {
      host?: unknown;
      port?: unknown;
    };
    dialed.push(`${String(host ?? 'localhost')}:${String(port)}`);
    return (connect as (...rest: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  try {
    return { value: await work(), dialed };
  } finally {
    net.Socket.prototype.connect = connect;
  }
}

/** An SSH wire string: length, then the bytes. */
const wire = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, (bytes.length >> 8) & 0xff, bytes.length & 0xff]), bytes]);

const stageNames = (result: TestResult): string[] => result.stages.map((stage) => stage.name);
const failedStage = (result: TestResult): string | undefined => result.stages.find((stage) => !stage.ok)?.name;

/** The public key line `ssh-keygen -y` derives from a private key file. */
const publicKeyOf = (file: string, passphrase: string): string =>
  execFileSync('ssh-keygen', ['-y', '-P', passphrase, '-f', file], { stdio: 'pipe' }).toString().trim();

describe('SSH tunnels against a real OpenSSH sshd, to real PostgreSQL and MariaDB', () => {
  let servers: Pick<Servers, 'sshd' | 'mariadb' | 'smtp'> | undefined;
  /** A PostgreSQL with TLS (its certificate names localhost), for TLS through the tunnel. */
  let tlsPostgres: PostgresServer | undefined;
  /** A node https server with a self-signed certificate for localhost; it records the SNI name it was asked for. */
  let httpsTarget: { port: number; servernames: (string | false | null)[]; close(): Promise<void> };
  let sshd: Servers['sshd'];
  /** In front of the bastion: every byte of the tunnel passes here. */
  let proxy: CountingProxy;
  let silent: SilentListener;
  let httpTarget: HttpTarget;
  let keysDir: string;
  const results: TestResult[] = [];
  let canaries: string[] = [];

  const tunnel = (extra: Record<string, unknown> = {}) => ({ host: 'bastion.test', port: proxy.port, username: sshd.username, ...extra });
  /**
   * The only place the service itself may dial: the bastion, through the counting proxy (which
   * runs in this process too, and dials sshd once for each connection it takes).
   */
  const onlyTheBastion = (dialed: string[]) => {
    const bastion = `127.0.0.1:${proxy.port}`;
    const count = (where: string) => dialed.filter((entry) => entry === where).length;
    assert.ok(count(bastion) > 0, `dialed ${dialed.join(', ')}`);
    assert.equal(count(`127.0.0.1:${sshd.port}`), count(bastion), `dialed ${dialed.join(', ')}`);
    assert.equal(count(bastion) * 2, dialed.length, `dialed ${dialed.join(', ')}`);
  };
  const pgConfig = (sshTunnel: Record<string, unknown>): ConnectionConfig => ({
    host: 'localhost',
    port: Number(pgServer.port),
    database: DB,
    username: decodeURIComponent(pgServer.username),
    sslMode: 'disable',
    sshTunnel,
  });
  const pgConnection = (sshTunnel: Record<string, unknown>, ssh: Secrets, generation = 'g1'): ResolvedConnection => ({
    type: 'postgres',
    generation,
    config: pgConfig(sshTunnel),
    secrets: { password: decodeURIComponent(pgServer.password), ...ssh },
  });
  const run = async (connector: Connector, connection: ResolvedConnection, context = contextFor()): Promise<TestResult> => {
    const result = await connector.test(connection, context);
    results.push(result);
    return result;
  };
  const genericThrough = (sshTunnel: Record<string, unknown>, secrets: Secrets, type: ConnectionType = 'generic') =>
    ({ type, config: { host: 'localhost', port: Number(pgServer.port), sshTunnel }, secrets }) as ResolvedConnection;

  before(async () => {
    [servers, tlsPostgres] = await Promise.all([startServers(['sshd', 'mariadb', 'smtp']), startPostgres({ tls: true })]);
    sshd = servers.sshd;
    proxy = await startCountingProxy(sshd.port);
    silent = await startSilent();
    httpTarget = await startHttpTarget();
    keysDir = makeTempDir('tunnel-keys');
    httpsTarget = await startHttpsTarget(selfSignedCert(keysDir));
    await createSeededDatabase(
      pgServer.href,
      DB,
      `CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers SELECT i, 'customer ' || i FROM generate_series(1, 50) i`,
    );
    await servers.mariadb.query('CREATE TABLE IF NOT EXISTS tunnel_items (id INT PRIMARY KEY, label VARCHAR(40))');
    await servers.mariadb.query("REPLACE INTO tunnel_items VALUES (1, 'one'), (2, 'two')");
    const keyLines = (key: string) => key.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
    canaries = [sshd.password, sshd.passphrase, ...keyLines(sshd.privateKey), ...keyLines(sshd.encryptedPrivateKey)];
  }, SETUP);

  after(async () => {
    for (const result of results) {
      const json = JSON.stringify(result);
      for (const secret of canaries) assert.ok(!json.includes(secret), `a secret leaked into ${json}`);
    }
    await proxy?.close();
    await silent?.close();
    await httpTarget?.stop();
    await httpsTarget?.close();
    await tlsPostgres?.stop();
    await stopServers(servers);
    if (keysDir) fs.rmSync(keysDir, { recursive: true, force: true });
  });

  describe('connection tests', () => {
    it('goes dns -> tcp -> ssh -> tunnel -> PostgreSQL, the bytes through the bastion, and reports the host key', async () => {
      proxy.reset();
      const { value: result, dialed } = await dialedDuring(() => run(postgres, pgConnection(tunnel(), { sshPassword: sshd.password })));
      onlyTheBastion(dialed);
      assert.equal(result.success, true, JSON.stringify(result));
      assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'tunnel', 'auth', 'query']);
      assert.equal(result.details?.sshTunnelHostKeyFingerprint, sshd.hostKeyFingerprint);
      assert.match(result.message, /through the SSH tunnel via bastion\.test/);
      assert.ok(proxy.connections >= 1 && proxy.bytesFromServer > 1000, `bastion traffic: ${proxy.bytesFromServer} bytes`);
    });

    it('the same target without the tunnel does not resolve for the service (control)', async () => {
      const direct = await run(new PostgresConnector(), { ...pgConnection({}, {}), config: { ...pgConfig({}), sshTunnel: undefined } });
      assert.equal(direct.error?.code, 'DNS_NOT_FOUND');
    });

    it('goes through the tunnel to MariaDB', async () => {
      const db = servers!.mariadb;
      const connection: ResolvedConnection = {
        type: 'mysql',
        config: { host: 'localhost', port: db.port, database: db.database, username: db.user, ssl: false, sshTunnel: tunnel() },
        secrets: { password: db.password, sshPrivateKey: sshd.privateKey },
      };
      const { value: result, dialed } = await dialedDuring(() => run(mysql, connection));
      assert.equal(result.success, true, JSON.stringify(result));
      assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'tunnel', 'auth', 'query']);
      onlyTheBastion(dialed);
    });

    it('upgrades to TLS with MariaDB on the channel, verifying the certificate for the configured name', async () => {
      const db = servers!.mariadb;
      const connection = (tlsCa?: string): ResolvedConnection => ({
        type: 'mysql',
        config: { host: 'localhost', port: db.port, database: db.database, username: db.user, ssl: true, sshTunnel: tunnel() },
        secrets: { password: db.password, sshPassword: sshd.password, ...(tlsCa ? { tlsCa } : {}) },
      });
      const { value: result, dialed } = await dialedDuring(() => run(mysql, connection(db.ca)));
      assert.equal(result.success, true, JSON.stringify(result));
      onlyTheBastion(dialed);
      // Without the CA the self-signed certificate is refused: the TLS really ran on the channel.
      const unknownCa = await run(mysql, connection());
      assert.equal(unknownCa.error?.code, 'TLS_ERROR', JSON.stringify(unknownCa));
    });

    it('speaks TLS with PostgreSQL on the channel (sslMode verify-full, the certificate checked for localhost)', async () => {
      const password = decodeURIComponent(new URL(tlsPostgres!.url()).password);
      const connection = (sslMode: string, tlsCa?: string): ResolvedConnection => ({
        type: 'postgres',
        generation: 'tls',
        config: { host: 'localhost', port: tlsPostgres!.port, database: 'postgres', username: 'postgres', sslMode, sshTunnel: tunnel() },
        secrets: { password, sshPassword: sshd.password, ...(tlsCa ? { tlsCa } : {}) },
      });
      const { value: result, dialed } = await dialedDuring(() => run(postgres, connection('verify-full', tlsPostgres!.ca)));
      assert.equal(result.success, true, JSON.stringify(result));
      onlyTheBastion(dialed);
      const cache = new SessionCache();
      try {
        const query = await postgres.query!(connection('require'), introspectionContext(cache, 'tls', 'tls'), {
          sql: 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
          limit: 1,
          timeoutMs: 5_000,
        });
        assert.deepEqual(query.rows, [[true]]);
      } finally {
        await cache.onApplicationShutdown();
      }
      const unknownCa = await run(postgres, connection('verify-full'));
      assert.equal(unknownCa.error?.code, 'TLS_ERROR', JSON.stringify(unknownCa));
    });

    it('goes through the tunnel to an HTTP API, the Host header still the configured one', async () => {
      proxy.reset();
      const connection: ResolvedConnection = {
        type: 'http',
        config: {
          baseUrl: `http://localhost:${httpTarget.port}`,
          healthPath: '/health',
          method: 'GET',
          authType: 'none',
          sshTunnel: tunnel(),
        },
        secrets: { sshPassword: sshd.password },
      };
      const { value: result, dialed } = await dialedDuring(() => run(http, connection));
      assert.equal(result.success, true, JSON.stringify(result));
      assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'tunnel', 'http']);
      assert.equal(httpTarget.requests.at(-1)?.headers.host, `localhost:${httpTarget.port}`);
      assert.ok(proxy.bytesFromServer > 0);
      onlyTheBastion(dialed);
    });

    it('goes through the tunnel to an HTTPS API, TLS on the channel with the configured name as SNI', async () => {
      const connection: ResolvedConnection = {
        type: 'http',
        config: {
          baseUrl: `https://localhost:${httpsTarget.port}`,
          healthPath: '/health',
          authType: 'none',
          tlsVerify: false,
          sshTunnel: tunnel(),
        },
        secrets: { sshPassword: sshd.password },
      };
      const { value: result, dialed } = await dialedDuring(() => run(http, connection));
      assert.equal(result.success, true, JSON.stringify(result));
      assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'tunnel', 'tls', 'http']);
      assert.deepEqual(httpsTarget.servernames, ['localhost']);
      onlyTheBastion(dialed);
    });

    it('goes through the tunnel to an SMTP server, with STARTTLS and with TLS from the start', async () => {
      const mail = servers!.smtp;
      const connection = (security: 'starttls' | 'tls'): ResolvedConnection => ({
        type: 'smtp',
        config: {
          host: 'localhost',
          port: security === 'tls' ? mail.tlsPort : mail.port,
          security,
          auth: true,
          username: mail.username,
          from: 'tunnel@example.test',
          sshTunnel: tunnel(),
        },
        secrets: { password: mail.password, tlsCa: mail.ca, sshPassword: sshd.password },
      });
      for (const security of ['starttls', 'tls'] as const) {
        const { value: result, dialed } = await dialedDuring(() => run(smtp, connection(security)));
        assert.equal(result.success, true, `${security}: ${JSON.stringify(result)}`);
        assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'tunnel', 'handshake', 'auth']);
        assert.equal(result.details?.encrypted, true);
        onlyTheBastion(dialed);
      }
      const sent = mail.messages.length;
      const { dialed } = await dialedDuring(() =>
        smtp.sendTestEmail!(connection('starttls'), introspectionContext(new SessionCache(), 'mail', 'g1'), 'someone@example.test'),
      );
      onlyTheBastion(dialed);
      assert.equal(mail.messages.length, sent + 1);
      assert.deepEqual(mail.messages.at(-1)?.to, ['someone@example.test']);
      assert.equal(mail.messages.at(-1)?.secure, true);
    });

    it('a wrong ssh password fails in the ssh stage, not as the target sign-in', async () => {
      const result = await run(postgres, pgConnection(tunnel(), { sshPassword: 'not-the-password' }));
      assert.equal(result.success, false);
      assert.equal(result.error?.code, 'AUTH_FAILED');
      assert.equal(failedStage(result), 'ssh');
      assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh']);
      assert.match(result.message, /rejected the password of user "sbtest"/);
    });

    it('a pinned fingerprint that does not match is HOST_KEY_MISMATCH before authentication, saying how to re-pin', async () => {
      const mark = fs.statSync(sshd.logFile).size;
      const pinned = 'SHA256:' + Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '');
      const result = await run(postgres, pgConnection(tunnel({ hostKeyFingerprint: pinned }), { sshPassword: sshd.password }));
      assert.equal(result.error?.code, 'HOST_KEY_MISMATCH', JSON.stringify(result));
      assert.equal(failedStage(result), 'ssh');
      assert.match(result.message, new RegExp(`is ${sshd.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}, not the pinned`));
      assert.match(result.message, /set config\.sshTunnel\.hostKeyFingerprint/);
      assert.equal(result.details?.sshTunnelHostKeyFingerprint, sshd.hostKeyFingerprint);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.doesNotMatch(fs.readFileSync(sshd.logFile, 'utf8').slice(mark), /Accepted|Failed password/);
    });

    it('a matching pin passes', async () => {
      const result = await run(
        postgres,
        pgConnection(tunnel({ hostKeyFingerprint: sshd.hostKeyFingerprint }), { sshPassword: sshd.password }),
      );
      assert.equal(result.success, true, JSON.stringify(result));
    });

    it('a bastion that accepts TCP and never answers is a TIMEOUT in the ssh stage, by the deadline', async () => {
      const started = Date.now();
      const result = await run(
        generic,
        genericThrough({ host: '127.0.0.1', port: silent.port, username: 'x' }, { sshPassword: 'x' }),
        contextFor(1_500),
      );
      assert.equal(result.error?.code, 'TIMEOUT', JSON.stringify(result));
      assert.equal(failedStage(result), 'ssh');
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    });

    it('the bastion goes through the egress guard: a metadata address is refused in the dns stage', async () => {
      const result = await run(generic, genericThrough({ host: '169.254.169.254', username: 'x' }, { sshPassword: 'x' }));
      assert.equal(result.error?.code, 'EGRESS_DENIED');
      assert.equal(failedStage(result), 'dns');
    });

    it('refuses metadata and link-local targets however the bastion would read them, and nothing else', () => {
      const metadata = ['169.254.169.254', '2852039166', '0251.0376.0251.0376', '0xa9fea9fe', '169.254.43518', '[fe80::1]', 'fe80::1%lo'];
      for (const host of metadata) assert.equal(refusedTarget({ host, port: 80 }), true, host);
      for (const host of ['10.0.12.7', 'db.internal', 'cafe.bad', '0x7f.1', 'deadbeef'])
        assert.equal(refusedTarget({ host, port: 80 }), false, host);
    });

    it('a link-local or metadata literal behind the bastion is refused in the tunnel stage', async () => {
      const connection = genericThrough(tunnel(), { sshPassword: sshd.password });
      const result = await run(generic, { ...connection, config: { ...connection.config, host: '169.254.169.254', port: 80 } });
      assert.equal(result.error?.code, 'EGRESS_DENIED', JSON.stringify(result));
      assert.equal(failedStage(result), 'tunnel');
    });

    it('a target the bastion cannot reach fails in the tunnel stage', async () => {
      const closed = (await startSilent()) as SilentListener;
      const port = closed.port;
      await closed.close();
      const connection = genericThrough(tunnel(), { sshPassword: sshd.password });
      const result = await run(generic, { ...connection, config: { ...connection.config, port } });
      assert.equal(result.error?.code, 'CONNECTION_REFUSED', JSON.stringify(result));
      assert.equal(failedStage(result), 'tunnel');
    });
  });

  describe('private keys, each signed in with against the real sshd', () => {
    const PASSPHRASE = 'tunnel-key-passphrase';
    /** [label, ssh-keygen arguments or a PKCS#8 ed25519 from node, passphrase] */
    const cases: [string, string[] | 'node-ed25519-pkcs8', string][] = [
      ['ed25519, OpenSSH', ['-t', 'ed25519'], ''],
      ['ed25519, OpenSSH, encrypted', ['-t', 'ed25519'], PASSPHRASE],
      ['ed25519, PKCS#8', 'node-ed25519-pkcs8', ''],
      ['ed25519, PKCS#8, encrypted', 'node-ed25519-pkcs8', PASSPHRASE],
      ['ECDSA, OpenSSH, encrypted', ['-t', 'ecdsa', '-b', '256'], PASSPHRASE],
      ['ECDSA, PEM (SEC1)', ['-t', 'ecdsa', '-b', '384', '-m', 'PEM'], ''],
      ['ECDSA, PEM (SEC1), encrypted', ['-t', 'ecdsa', '-b', '256', '-m', 'PEM'], PASSPHRASE],
      ['ECDSA, PKCS#8, encrypted', ['-t', 'ecdsa', '-b', '256', '-m', 'PKCS8'], PASSPHRASE],
      ['RSA, OpenSSH', ['-t', 'rsa', '-b', '2048'], ''],
      ['RSA, PEM (PKCS#1)', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], ''],
      ['RSA, PEM (PKCS#1), encrypted', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], PASSPHRASE],
      ['RSA, PKCS#8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], ''],
      ['RSA, PKCS#8, encrypted', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], PASSPHRASE],
    ];
    const keys = new Map<string, string>();

    before(() => {
      for (const [label, how, passphrase] of cases) {
        const file = path.join(keysDir, label.replace(/[^a-z0-9]+/gi, '_'));
        if (how === 'node-ed25519-pkcs8') {
          const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
            privateKeyEncoding: { type: 'pkcs8', format: 'pem', ...(passphrase ? { cipher: 'aes-256-cbc', passphrase } : {}) },
            publicKeyEncoding: { type: 'spki', format: 'pem' },
          });
          fs.writeFileSync(file, privateKey, { mode: 0o600 });
          const raw = Buffer.from(String(createPublicKey(publicKey).export({ format: 'jwk' }).x), 'base64url');
          sshd.authorize(`ssh-ed25519 ${Buffer.concat([wire(Buffer.from('ssh-ed25519')), wire(raw)]).toString('base64')} ${label}`);
        } else {
          execFileSync('ssh-keygen', ['-q', ...how, '-N', passphrase, '-C', label, '-f', file], { stdio: 'pipe' });
          sshd.authorize(publicKeyOf(file, passphrase));
        }
        keys.set(label, fs.readFileSync(file, 'utf8'));
      }
    });

    for (const [label, , passphrase] of cases) {
      it(`${label}: signs in and forwards`, async () => {
        const key = keys.get(label)!;
        canaries.push(...key.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')));
        const secrets: Secrets = { sshPrivateKey: key, ...(passphrase ? { sshPassphrase: passphrase } : {}) };
        assert.deepEqual(registry.validateSecrets('generic', secrets, { allowMask: false }), secrets);
        const { value: result, dialed } = await dialedDuring(() => run(generic, genericThrough(tunnel(), secrets)));
        assert.equal(result.success, true, JSON.stringify(result));
        assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'tunnel']);
        onlyTheBastion(dialed);
      });
    }

    it('a wrong passphrase is a clear AUTH_FAILED in the ssh stage, quickly', async () => {
      for (const label of ['ed25519, OpenSSH, encrypted', 'RSA, PEM (PKCS#1), encrypted', 'RSA, PKCS#8, encrypted']) {
        const started = Date.now();
        const result = await run(generic, genericThrough(tunnel(), { sshPrivateKey: keys.get(label)!, sshPassphrase: 'wrong-passphrase' }));
        assert.equal(result.error?.code, 'AUTH_FAILED', `${label}: ${JSON.stringify(result)}`);
        assert.equal(failedStage(result), 'ssh');
        assert.match(result.message, /passphrase is wrong/);
        assert.ok(Date.now() - started < 5_000, `${label} took ${Date.now() - started} ms`);
      }
    });

    it('saving refuses what is not a key, and an encrypted key without a passphrase, naming the field', () => {
      const problem = (secrets: Record<string, string | null>, allowMask = false): unknown => {
        try {
          registry.validateSecrets('postgres', secrets, { allowMask });
          return undefined;
        } catch (error) {
          assert.ok(error instanceof AppError && error.code === ErrorCode.VALIDATION_FAILED);
          return error.options.errors;
        }
      };
      assert.deepEqual(problem({ sshPrivateKey: 'not a key at all' }), [
        { field: 'secrets.sshPrivateKey', message: 'cannot be used: it is not a private key in OpenSSH, PEM, PKCS#8 or PuTTY format' },
      ]);
      assert.deepEqual(problem({ sshPrivateKey: sshd.publicKey }), [
        { field: 'secrets.sshPrivateKey', message: 'cannot be used: it is a public key, not a private key' },
      ]);
      for (const label of ['ed25519, OpenSSH, encrypted', 'RSA, PEM (PKCS#1), encrypted', 'ed25519, PKCS#8, encrypted']) {
        assert.deepEqual(problem({ sshPrivateKey: keys.get(label)! }), [
          { field: 'secrets.sshPrivateKey', message: 'is encrypted and no sshPassphrase is set' },
        ]);
        // On an update that keeps the stored passphrase, it is not known here: accepted.
        assert.equal(problem({ sshPrivateKey: keys.get(label)!, sshPassphrase: '********' }, true), undefined);
      }
      assert.deepEqual(problem({ sshPrivateKey: keys.get('RSA, PEM (PKCS#1), encrypted')!, sshPassphrase: 'wrong' }), [
        { field: 'secrets.sshPassphrase', message: 'does not decrypt sshPrivateKey' },
      ]);
    });
  });

  describe('live tunnels', () => {
    it('introspects through the tunnel on one SSH connection that the session cache keeps', async () => {
      const cache = new SessionCache();
      const connection = pgConnection(tunnel(), { sshPassword: sshd.password });
      proxy.reset();
      try {
        const tables = await postgres.listTables!(connection, introspectionContext(cache, 'c1', 'g1'), { offset: 0, limit: 10 });
        assert.deepEqual(
          tables.tables.map((table) => table.name),
          ['customers'],
        );
        const before = proxy.bytesFromServer;
        const preview = await postgres.preview!(connection, introspectionContext(cache, 'c1', 'g1'), { table: 'customers', limit: 20 });
        assert.equal(preview.rows.length, 20);
        assert.ok(proxy.bytesFromServer > before, 'the preview came through the bastion');
        const query = await postgres.query!(connection, introspectionContext(cache, 'c1', 'g1'), {
          sql: 'SELECT count(*) AS n FROM customers',
          limit: 10,
          timeoutMs: 5_000,
        });
        assert.deepEqual(query.rows, [['50']]);
        assert.equal(proxy.connections, 1, 'one SSH connection carried every call');
        assert.equal(proxy.open, 1);
      } finally {
        await cache.onApplicationShutdown();
      }
      await waitFor(() => proxy.open === 0, 'closing the session closes the tunnel');
    });

    it('opens no listening socket: the pools get forwarded channels, not a local port anyone could use', async () => {
      const cache = new SessionCache();
      const db = servers!.mariadb;
      const before = listeningPorts();
      assert.ok(before.has(proxy.port), 'the listening sockets of this process are seen (the proxy is one)');
      try {
        const { dialed } = await dialedDuring(async () => {
          await postgres.preview!(pgConnection(tunnel(), { sshPassword: sshd.password }), introspectionContext(cache, 'l1', 'g1'), {
            table: 'customers',
            limit: 5,
          });
          await mysql.preview!(
            {
              type: 'mysql',
              generation: 'g1',
              config: { host: 'localhost', port: db.port, database: db.database, username: db.user, ssl: false, sshTunnel: tunnel() },
              secrets: { password: db.password, sshPassword: sshd.password },
            },
            introspectionContext(cache, 'l2', 'g1'),
            { table: 'tunnel_items', limit: 10 },
          );
        });
        onlyTheBastion(dialed);
        // Both pools are live and idle now, their tunnels up.
        assert.deepEqual(
          [...listeningPorts()].filter((port) => !before.has(port)),
          [],
        );
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('keepalives find a bastion that went silent, and the next call reconnects', async () => {
      const quick = tunneledConnector(new PostgresConnector(), (config) => ({ host: String(config.host), port: Number(config.port) }), {
        keepaliveMs: 200,
      });
      const cache = new SessionCache();
      const connection = pgConnection(tunnel(), { sshPassword: sshd.password });
      proxy.reset();
      try {
        await quick.preview!(connection, introspectionContext(cache, 'k1', 'g1'), { table: 'customers', limit: 5 });
        assert.equal(proxy.open, 1);
        // The network goes silent: the SSH connection stays open, nothing comes back.
        proxy.stallAll();
        await waitFor(() => proxy.open === 0, 'keepalives gave the silent SSH connection up');
        const preview = await quick.preview!(connection, introspectionContext(cache, 'k1', 'g1', 5_000), { table: 'customers', limit: 5 });
        assert.equal(preview.rows.length, 5);
        assert.equal(proxy.connections, 2, 'a new SSH connection');
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('after the bastion restarts, the next call reconnects by itself', async () => {
      const cache = new SessionCache();
      const connection = pgConnection(tunnel(), { sshPassword: sshd.password });
      try {
        await postgres.preview!(connection, introspectionContext(cache, 'c2', 'g1'), { table: 'customers', limit: 5 });
        await sshd.restart();
        await waitFor(() => proxy.open === 0, 'the old SSH connection is gone');
        const started = Date.now();
        const preview = await postgres.preview!(connection, introspectionContext(cache, 'c2', 'g1', 10_000), {
          table: 'customers',
          limit: 5,
        });
        assert.equal(preview.rows.length, 5);
        assert.ok(Date.now() - started < 10_000);
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('SFTP files go through the tunnel, one bastion connection for the session', async () => {
      const cache = new SessionCache();
      proxy.reset();
      const connection: ResolvedConnection = {
        type: 'sftp',
        generation: 'g1',
        config: { host: 'localhost', port: sshd.port, username: sshd.username, rootPath: sshd.rootDir, sshTunnel: tunnel() },
        secrets: { password: sshd.password, sshPrivateKey: sshd.privateKey },
      };
      try {
        const { value: listing, dialed } = await dialedDuring(() =>
          sftp.listFiles!(connection, introspectionContext(cache, 's1', 'g1'), { prefix: 'data/', delimiter: '/', limit: 10 }),
        );
        onlyTheBastion(dialed);
        assert.deepEqual(
          listing.objects.map((object) => object.key),
          ['data/customers.csv', 'data/events.jsonl'],
        );
        const schema = await sftp.inferFileSchema!(connection, introspectionContext(cache, 's1', 'g1'), 'data/customers.csv');
        assert.deepEqual(
          schema.columns.map((column) => column.name),
          ['id', 'name', 'email', 'created_at'],
        );
        assert.equal(proxy.connections, 1);
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('MariaDB previews go through the tunnel too', async () => {
      const cache = new SessionCache();
      const db = servers!.mariadb;
      const connection: ResolvedConnection = {
        type: 'mysql',
        generation: 'g1',
        config: { host: 'localhost', port: db.port, database: db.database, username: db.user, ssl: false, sshTunnel: tunnel() },
        secrets: { password: db.password, sshPassword: sshd.password },
      };
      try {
        const preview = await mysql.preview!(connection, introspectionContext(cache, 'm1', 'g1'), { table: 'tunnel_items', limit: 10 });
        assert.deepEqual(preview.rows, [
          [1, 'one'],
          [2, 'two'],
        ]);
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('tells trustOnFirstUse the unpinned bastion key once signed in, on each call, and the sftp key behind it', async () => {
      const cache = new SessionCache();
      const seen: UnpinnedHostKey[] = [];
      const trusting = (id: string, generation: string): IntrospectionContext => ({
        ...introspectionContext(cache, id, generation),
        trustOnFirstUse: (key) => seen.push(key),
      });
      const bastionKey = { field: 'sshTunnel.hostKeyFingerprint', fingerprint: sshd.hostKeyFingerprint };
      try {
        const refused = pgConnection(tunnel(), { sshPassword: 'wrong' }, 'g1');
        await assert.rejects(postgres.listTables!(refused, trusting('c6', 'g1'), { offset: 0, limit: 1 }));
        assert.deepEqual(seen, [], 'a sign-in that failed reports nothing');

        const unpinned = pgConnection(tunnel(), { sshPassword: sshd.password }, 'g2');
        await postgres.listTables!(unpinned, trusting('c6', 'g2'), { offset: 0, limit: 1 });
        await postgres.preview!(unpinned, trusting('c6', 'g2'), { table: 'customers', limit: 1 });
        assert.deepEqual(seen, [bastionKey, bastionKey]);

        seen.length = 0;
        const pinned = pgConnection(tunnel({ hostKeyFingerprint: sshd.hostKeyFingerprint }), { sshPassword: sshd.password }, 'g3');
        await postgres.preview!(pinned, trusting('c6', 'g3'), { table: 'customers', limit: 1 });
        assert.deepEqual(seen, []);

        const files: ResolvedConnection = {
          type: 'sftp',
          generation: 'g1',
          config: { host: 'localhost', port: sshd.port, username: sshd.username, rootPath: sshd.rootDir, sshTunnel: tunnel() },
          secrets: { password: sshd.password, sshPrivateKey: sshd.privateKey },
        };
        await sftp.listFiles!(files, trusting('s2', 'g1'), { prefix: '', limit: 1 });
        assert.deepEqual(seen, [bastionKey, { field: 'hostKeyFingerprint', fingerprint: sshd.hostKeyFingerprint }]);
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('a change of tunnel settings or secrets closes the old tunnel', async () => {
      const cache = new SessionCache();
      proxy.reset();
      try {
        await postgres.preview!(pgConnection(tunnel(), { sshPassword: sshd.password }, 'g1'), introspectionContext(cache, 'c3', 'g1'), {
          table: 'customers',
          limit: 1,
        });
        assert.equal(proxy.open, 1);
        await postgres.preview!(pgConnection(tunnel(), { sshPrivateKey: sshd.privateKey }, 'g2'), introspectionContext(cache, 'c3', 'g2'), {
          table: 'customers',
          limit: 1,
        });
        assert.equal(proxy.connections, 2);
        await waitFor(() => proxy.open === 1, 'only the new tunnel stays open');
      } finally {
        await cache.onApplicationShutdown();
      }
    });

    it('a wrong ssh password on introspection is a TARGET_UNAVAILABLE naming the tunnel', async () => {
      const cache = new SessionCache();
      try {
        await assert.rejects(
          postgres.preview!(pgConnection(tunnel(), { sshPassword: 'wrong' }), introspectionContext(cache, 'c4', 'g1'), {
            table: 'customers',
            limit: 1,
          }),
          (error: unknown) =>
            error instanceof AppError &&
            error.code === ErrorCode.TARGET_UNAVAILABLE &&
            /^SSH tunnel: .*rejected the password/.test(error.message),
        );
      } finally {
        await cache.onApplicationShutdown();
      }
    });
  });
});

async function startHttpsTarget({ cert, key }: { cert: string; key: string }) {
  const servernames: (string | false | null)[] = [];
  const server = https.createServer({ cert, key }, (request, response) => {
    servernames.push((request.socket as TLSSocket).servername);
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    servernames,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function waitFor(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
