import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './postgres';
import { cleanUpOnExit, isRoot, logTail, makeTempDir, selfSignedCert, START_TIMEOUT_MS, waitUntil } from './servers';

/**
 * A throwaway MariaDB from the machine's binaries (Debian package mariadb-server): own
 * datadir, socket and pid file in a temp dir, TCP on 127.0.0.1 only, grant tables on,
 * TLS offered (self-signed, `ca`) but not required.
 */
export interface MariaDbServer {
  host: string;
  port: number;
  /** The test database, owned by `user`. */
  database: string;
  /** Read-write user `sb_user` (all privileges on `database`), password auth. */
  user: string;
  password: string;
  /** Read-only user `sb_reader` (SELECT on `database`), password auth. */
  readOnlyUser: string;
  readOnlyPassword: string;
  /** `root` over TCP from 127.0.0.1, password auth. */
  rootUser: string;
  rootPassword: string;
  /** mysql://sb_user:…@127.0.0.1:port/switchboard_test */
  url: string;
  /** mysql://root:…@127.0.0.1:port/ */
  rootUrl: string;
  /** PEM of the server's self-signed certificate (CN=localhost, SAN IP:127.0.0.1); pin it as the CA for TLS tests. */
  ca: string;
  /** Runs SQL as root (in `database` unless a statement says otherwise) on a fresh connection and returns the rows. */
  query<T = any>(sql: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

const SBIN_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

function findBinary(names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of SBIN_DIRS) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

export function findMariaDbBinaries(): { installDb: string; server: string } | undefined {
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  const server = findBinary(['mariadbd', 'mysqld']);
  return installDb && server ? { installDb, server } : undefined;
}

const secret = (): string => randomBytes(18).toString('base64url');
const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export async function startMariaDb(): Promise<MariaDbServer> {
  const binaries = findMariaDbBinaries();
  if (!binaries) {
    throw new Error(
      'MariaDB server binaries (mariadb-install-db, mariadbd) not found: install the Debian package mariadb-server (npm test does this when run as root)',
    );
  }
  const dir = makeTempDir('mariadb');
  try {
    return await startIn(dir, binaries);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(dir: string, binaries: { installDb: string; server: string }): Promise<MariaDbServer> {
  const dataDir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const pidFile = path.join(dir, 'mysqld.pid');
  const logFile = path.join(dir, 'mysqld.log');
  // A server deletes the #sql temporary files it finds in its tmpdir when it starts: with /tmp
  // shared, one starting would delete those of another server in the middle of a query.
  const tmpDir = path.join(dir, 'tmp');
  fs.mkdirSync(tmpDir);
  const tls = selfSignedCert(dir);
  // As root, both programs drop to `mysql` themselves (--user); it must own the whole dir.
  const userArgs = isRoot() ? ['--user=mysql'] : [];
  // Small and unsafe-on-crash storage settings, the same for the bootstrap and the server
  // (a different redo log size would make the first start resize it).
  // prettier-ignore
  const storageArgs = [
    '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M', '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0',
    '--innodb-flush-method=nosync', '--skip-sync-frm',
  ];
  if (isRoot()) execFileSync('chown', ['-R', 'mysql:mysql', dir]);

  try {
    // prettier-ignore
    execFileSync(binaries.installDb, [
      '--no-defaults', `--datadir=${dataDir}`, ...userArgs,
      '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...storageArgs,
    ], { stdio: 'pipe', timeout: START_TIMEOUT_MS });
  } catch (error) {
    const output = (error as { stderr?: Buffer; stdout?: Buffer }).stderr?.toString() || (error as { stdout?: Buffer }).stdout?.toString();
    throw new Error(`mariadb-install-db failed: ${(output ?? String(error)).slice(-3000)}`, { cause: error });
  }

  // The port is only reserved until it is bound; if another process takes it first, retry.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // prettier-ignore
    const child: ChildProcess = spawn(binaries.server, [
      '--no-defaults', `--datadir=${dataDir}`, `--socket=${socket}`, `--pid-file=${pidFile}`, `--log-error=${logFile}`, `--tmpdir=${tmpDir}`,
      `--port=${port}`, '--bind-address=127.0.0.1', '--skip-name-resolve', ...userArgs,
      `--ssl-cert=${tls.certFile}`, `--ssl-key=${tls.keyFile}`, `--ssl-ca=${tls.certFile}`, '--require-secure-transport=OFF',
      '--skip-log-bin', ...storageArgs, '--max-connections=300', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let exitedWith: string | undefined;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-3000)));
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        exitedWith = `exited (${signal ?? code})`;
        resolve();
      }),
    );
    const cancelCleanUp = cleanUpOnExit(child, dir);
    const stopServer = async () => {
      await stopProcess(child, exited, () => exitedWith !== undefined);
      cancelCleanUp();
    };
    const failure = (why: string) => `MariaDB did not come up on 127.0.0.1:${port}: ${why}; log ${logFile}:\n${logTail(logFile)}${stderr}`;
    try {
      // Root has no password until provision() sets one; probe (and provision) over the unix socket.
      await waitUntil(
        async () => {
          const connection = await mysql.createConnection({ socketPath: socket, user: 'root' });
          await connection.end();
        },
        { abort: () => exitedWith, describe: failure },
      );
    } catch (error) {
      const portTaken = exitedWith !== undefined && /Address already in use|Can't start server: Bind/i.test(logTail(logFile));
      await stopServer();
      if (portTaken && attempt < 3) {
        fs.rmSync(logFile, { force: true });
        continue;
      }
      throw error;
    }
    try {
      return await provision({ dir, port, socket, ca: tls.cert, stopServer });
    } catch (error) {
      await stopServer();
      throw new Error(`MariaDB started but could not be provisioned: ${error instanceof Error ? error.message : error}`, { cause: error });
    }
  }
}

async function stopProcess(child: ChildProcess, exited: Promise<void>, isExited: () => boolean): Promise<void> {
  if (isExited()) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  timer.unref();
  await exited;
  clearTimeout(timer);
}

async function provision(options: {
  dir: string;
  port: number;
  socket: string;
  ca: string;
  stopServer: () => Promise<void>;
}): Promise<MariaDbServer> {
  const { dir, port, socket, ca, stopServer } = options;
  const host = '127.0.0.1';
  const database = 'switchboard_test';
  const user = 'sb_user';
  const password = secret();
  const readOnlyUser = 'sb_reader';
  const readOnlyPassword = secret();
  const rootPassword = secret();

  const admin = await mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
  try {
    // install-db also makes root@<hostname> and root@::1 without a password: keep only the two we secure.
    const [roots] = await admin.query<mysql.RowDataPacket[]>(
      "SELECT Host AS host FROM mysql.user WHERE User = 'root' AND host NOT IN ('localhost', '127.0.0.1')",
    );
    for (const row of roots) await admin.query(`DROP USER 'root'@${quote(String(row.host))}`);
    await admin.query(
      [
        `CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ${quote(rootPassword)}`,
        `ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY ${quote(rootPassword)}`,
        "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
        `CREATE DATABASE ${database} CHARACTER SET utf8mb4`,
        ...['%', '127.0.0.1'].flatMap((userHost) => [
          `CREATE USER '${user}'@'${userHost}' IDENTIFIED BY ${quote(password)}`,
          `GRANT ALL PRIVILEGES ON ${database}.* TO '${user}'@'${userHost}'`,
          `CREATE USER '${readOnlyUser}'@'${userHost}' IDENTIFIED BY ${quote(readOnlyPassword)}`,
          `GRANT SELECT, SHOW VIEW ON ${database}.* TO '${readOnlyUser}'@'${userHost}'`,
        ]),
        `ALTER USER 'root'@'localhost' IDENTIFIED BY ${quote(rootPassword)}`,
        'FLUSH PRIVILEGES',
      ].join(';\n'),
    );
  } finally {
    await admin.end();
  }

  const rootConfig = { host, port, user: 'root', password: rootPassword, database };
  return {
    host,
    port,
    database,
    user,
    password,
    readOnlyUser,
    readOnlyPassword,
    rootUser: 'root',
    rootPassword,
    url: `mysql://${user}:${encodeURIComponent(password)}@${host}:${port}/${database}`,
    rootUrl: `mysql://root:${encodeURIComponent(rootPassword)}@${host}:${port}/`,
    ca,
    async query<T = any>(sql: string, params?: unknown[]): Promise<T> {
      const connection = await mysql.createConnection(rootConfig);
      try {
        const [rows] = await connection.query(sql, params);
        return rows as T;
      } finally {
        await connection.end();
      }
    },
    async stop() {
      await stopServer();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
