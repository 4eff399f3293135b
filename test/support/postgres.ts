import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/** A throwaway PostgreSQL on a free loopback port in a temp dir, from the machine's binaries. */
export interface PostgresServer {
  port: number;
  /** With `{ tls: true }`: the PEM of the server's self-signed certificate (CN=localhost, IP 127.0.0.1). */
  ca?: string;
  /** URL of `database` (default: postgres) as the superuser. */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  /** kill -9 of the postmaster and every backend: a crash, as clients see it. */
  kill(): Promise<void>;
  /** A clean (fast) shutdown that keeps the data, as an operator stopping the server would. */
  shutDown(): Promise<void>;
  /** SIGSTOP of the postmaster and every backend: the server holds its connections and answers nothing. */
  freeze(): void;
  /** SIGCONT after `freeze` (nothing when the server is not running). */
  thaw(): void;
  /** Starts the server again on the same port and data (after kill or shutDown), once it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const PG_ROOT = '/usr/lib/postgresql';

export function findPostgresBinaries(): string | undefined {
  if (!fs.existsSync(PG_ROOT)) return undefined;
  const versions = fs
    .readdirSync(PG_ROOT)
    .filter(
      (version) =>
        fs.existsSync(path.join(PG_ROOT, version, 'bin', 'initdb')) && fs.existsSync(path.join(PG_ROOT, version, 'bin', 'postgres')),
    )
    .sort((a, b) => Number(b) - Number(a));
  // PostgreSQL 15 is the version the project targets; any other installed one is a fallback.
  const version = versions.includes('15') ? '15' : versions[0];
  return version ? path.join(PG_ROOT, version, 'bin') : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** initdb refuses to run as root, so as root every server command runs as `postgres`. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** A certificate for localhost / 127.0.0.1 whose key only the server user can read (PostgreSQL insists). */
function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  fs.chmodSync(key, 0o600);
  if (isRoot()) execFileSync('chown', ['postgres:postgres', cert, key]);
  return { cert, key };
}

export interface PostgresOptions {
  tls?: boolean;
  /** Loopback addresses to listen on; 127.0.0.1 alone by default. Debian's own default, `localhost`, is 127.0.0.1 and ::1. */
  listenAddresses?: string[];
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBinaries();
  if (!bin) {
    throw new Error(
      `PostgreSQL server binaries not found under ${PG_ROOT}: install the Debian package postgresql (npm test does this when run as root)`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-pg-'));
  const dataDir = path.join(dir, 'data');
  // Passwords are checked (scram), so connection tests can see a wrong one fail.
  const password = randomBytes(12).toString('hex');
  const passwordFile = path.join(dir, 'pwfile');
  fs.writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const [initCommand, initArgs] = asPostgres(path.join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-A',
    'scram-sha-256',
    '--pwfile',
    passwordFile,
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  execFileSync(initCommand, initArgs, { stdio: 'pipe' });

  const port = await freePort();
  const logFile = path.join(dir, 'postgres.log');
  const tls = options.tls ? selfSignedCertificate(dir) : undefined;
  const tlsSettings = tls ? ['-c', 'ssl=on', '-c', `ssl_cert_file=${tls.cert}`, '-c', `ssl_key_file=${tls.key}`] : [];
  const [command, args] = asPostgres(path.join(bin, 'postgres'), [
    ...tlsSettings,
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    `listen_addresses=${(options.listenAddresses ?? ['127.0.0.1']).join(',')}`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
    '-c',
    'log_min_messages=warning',
  ]);
  const log = fs.openSync(logFile, 'a');
  const url = (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  let child: ChildProcess;
  let exited = false;
  const launch = async (): Promise<void> => {
    const started = spawn(command, args, { stdio: ['ignore', log, log] });
    child = started;
    exited = false;
    started.on('exit', () => {
      if (child === started) exited = true;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`PostgreSQL exited during start-up; see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
      const client = new Client({ connectionString: url() });
      try {
        await client.connect();
        await client.end();
        break;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 30 s; see ${logFile}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  await launch();
  const postmasterPid = (): number => Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const shutDown = async (): Promise<void> => {
    if (exited) return;
    const stopped = new Promise((resolve) => child.once('exit', resolve));
    // runuser does not forward signals: stop the postmaster itself (fast shutdown).
    process.kill(postmasterPid(), 'SIGINT');
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  };

  return {
    port,
    ca: tls ? fs.readFileSync(tls.cert, 'utf8') : undefined,
    url,
    async createDatabase(name: string) {
      const client = new Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async kill() {
      if (exited) return;
      // With synchronous_commit off, the last commits may still sit in shared memory and die with
      // it: write them out first, so the crash loses only what a production server would.
      const client = new Client({ connectionString: url() });
      await client.connect();
      await client.query('CHECKPOINT').finally(() => client.end());
      const stopped = new Promise((resolve) => child.once('exit', resolve));
      const postmaster = postmasterPid();
      // The backends first (children of the postmaster), so none lingers holding the shared memory;
      // one may have ended since it was listed.
      for (const pid of childrenOf(postmaster)) signalIfAlive(pid, 'SIGKILL');
      process.kill(postmaster, 'SIGKILL');
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    },
    shutDown,
    freeze() {
      if (exited) throw new Error('PostgreSQL is not running');
      const postmaster = postmasterPid();
      process.kill(postmaster, 'SIGSTOP');
      for (const pid of childrenOf(postmaster)) signalIfAlive(pid, 'SIGSTOP');
    },
    thaw() {
      if (exited) return;
      const postmaster = postmasterPid();
      for (const pid of childrenOf(postmaster)) signalIfAlive(pid, 'SIGCONT');
      process.kill(postmaster, 'SIGCONT');
      // runuser stops itself when its child stops (job control) and stays stopped: it could reap nothing, nor exit.
      if (child.pid) signalIfAlive(child.pid, 'SIGCONT');
    },
    async restart() {
      if (!exited) throw new Error('PostgreSQL is still running');
      await launch();
    },
    async stop() {
      await shutDown();
      fs.closeSync(log);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signals `pid` unless it has ended since it was listed. */
function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The process ids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** A postgres connection's config for database `database` on the server at `serverUrl` (its superuser, no TLS), with `extra` on top. */
export function postgresConfigOf(serverUrl: URL, database: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    host: '127.0.0.1',
    port: Number(serverUrl.port),
    database,
    username: decodeURIComponent(serverUrl.username),
    sslMode: 'disable',
    ...extra,
  };
}

/** Creates database `name` on the server at `serverUrl` (e.g. SWITCHBOARD_TEST_PG_URL) and runs `seedSql` in it. */
export async function createSeededDatabase(serverUrl: string, name: string, seedSql: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  const db = new Client({ connectionString: Object.assign(new URL(serverUrl), { pathname: `/${name}` }).href });
  await db.connect();
  await db.query(seedSql).finally(() => db.end());
}
