/**
 * Throwaway servers for connector tests, each on a free loopback port in its own temp dir
 * (DESIGN §5): MariaDB, OpenSSH sshd, S3 (s3rver), SMTP (smtp-server) and a node:http target.
 * A spec starts only what it needs:
 *
 *   const servers = await startServers(['mariadb', 'smtp']);
 *   after(() => stopServers(servers));
 *
 * The server modules are loaded on demand, so a spec that needs no S3 never loads s3rver.
 * This module also holds the small helpers those modules share.
 */
import { ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HttpTarget } from './http-target';
import type { MariaDbServer } from './mariadb';
import type { S3Server } from './s3';
import type { SmtpServer } from './smtp';
import type { SshServer } from './sshd';

export interface Servers {
  mariadb: MariaDbServer;
  sshd: SshServer;
  s3: S3Server;
  smtp: SmtpServer;
  http: HttpTarget;
}
export type ServerKind = keyof Servers;
export const SERVER_KINDS: readonly ServerKind[] = ['mariadb', 'sshd', 's3', 'smtp', 'http'];

/** How long a server may take to come up before its start fails (with its log tail). */
export const START_TIMEOUT_MS = 30_000;

/** What `listenOnLoopback` needs of a server: node's net/http/https servers and smtp-server's. */
interface Listenable {
  listen(port: number, host: string, callback: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Listens on 127.0.0.1 on a port the kernel picks at bind time (port 0: no race with other
 * tests), or fails naming `what` within START_TIMEOUT_MS.
 */
export function listenOnLoopback(server: Listenable, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not listen within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    timer.unref();
    server.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${what} failed to start: ${error.message}`, { cause: error }));
    });
    server.listen(0, '127.0.0.1', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand (and no import cycle: they use the helpers below) */
const starters: { [K in ServerKind]: () => Promise<Servers[K]> } = {
  mariadb: () => (require('./mariadb') as typeof import('./mariadb')).startMariaDb(),
  sshd: () => (require('./sshd') as typeof import('./sshd')).startSshd(),
  s3: () => (require('./s3') as typeof import('./s3')).startS3(),
  smtp: () => (require('./smtp') as typeof import('./smtp')).startSmtp(),
  http: () => (require('./http-target') as typeof import('./http-target')).startHttpTarget(),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Starts the given kinds concurrently. If one fails, the ones that did start are stopped
 * again and the first error is thrown, so a failed `before` leaves nothing running.
 */
export async function startServers<K extends ServerKind>(kinds: readonly K[]): Promise<Pick<Servers, K>> {
  const unique = [...new Set(kinds)];
  const results = await Promise.allSettled(unique.map((kind) => starters[kind]()));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await Promise.allSettled(started.map((server) => server.stop()));
    throw failed.reason;
  }
  const servers = {} as Pick<Servers, K>;
  unique.forEach((kind, index) => {
    (servers as Record<K, unknown>)[kind] = (results[index] as PromiseFulfilledResult<unknown>).value;
  });
  return servers;
}

/** Stops every server in `servers` (those still undefined, after a failed start, are skipped). */
export async function stopServers(servers: Partial<Servers> | undefined): Promise<void> {
  if (!servers) return;
  const running = Object.values(servers).filter((server): server is Servers[ServerKind] => !!server);
  const results = await Promise.allSettled(running.map((server) => server.stop()));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

// ---- helpers shared by the server modules ----

export const isRoot = (): boolean => process.getuid?.() === 0;

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `switchboard-${prefix}-`));
}

/** The last `chars` characters of a log file, for start-up errors. */
export function logTail(file: string, chars = 3000): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '(no log written)';
  }
}

/**
 * Safety net for a test process that ends without calling stop() (a crash, process.exit):
 * kills the server process and removes its dir on exit. Returns the function that cancels it.
 */
export function cleanUpOnExit(child: ChildProcess, dir: string): () => void {
  const cleanUp = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  return () => process.removeListener('exit', cleanUp);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Calls `probe` until it resolves, or throws the message `describe` gives once `timeoutMs`
 * has passed or `abort` returns a reason (e.g. the process exited).
 */
export async function waitUntil(
  probe: () => Promise<void>,
  options: { timeoutMs?: number; intervalMs?: number; abort?: () => string | undefined; describe: (why: string) => string },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? START_TIMEOUT_MS);
  let lastError: string | undefined;
  for (;;) {
    const aborted = options.abort?.();
    if (aborted) throw new Error(options.describe(aborted));
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        options.describe(`not ready within ${(options.timeoutMs ?? START_TIMEOUT_MS) / 1000} s (last error: ${lastError ?? 'none'})`),
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

export interface SelfSignedCert {
  /** PEM certificate; it is its own CA, so pin it as `ca`. */
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/** A self-signed certificate for CN=localhost, valid for DNS:localhost and IP:127.0.0.1, made by openssl. */
export function selfSignedCert(dir: string): SelfSignedCert {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' });
  return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8'), certFile, keyFile };
}
