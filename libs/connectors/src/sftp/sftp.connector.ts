import { createDecipheriv, createHash, type CipherGCMTypes, type Decipher } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import {
  Client,
  utils,
  type AnyAuthMethod,
  type AuthHandlerMiddleware,
  type ConnectConfig,
  type ParsedKey,
  type SFTPWrapper,
  type Stats,
} from 'ssh2';
import type { Connector, ConnectorContext, ResolvedConnection, TestError, TestResult } from '../connector';
import { classifyNetworkError } from '../testing/network-errors';
import { reachTarget } from '../testing/reach';
import { messageOf, secretScrubber, StageFailure, TestRun } from '../testing/test-run';

/** SFTP status codes (draft-ietf-secsh-filexfer) that map to a precise test error. */
const SFTP_EOF = 1;
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
/** SSH disconnect reason: the server will not try any more authentication methods. */
const DISCONNECT_NO_MORE_AUTH_METHODS = 14;
/** Directory entries counted at most; a huge root should not cost the whole deadline. */
export const MAX_COUNTED_ENTRIES = 10_000;
/** After a graceful end, how long the server may take to close before the socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** "SHA256:" + unpadded base64 of the SHA-256 of the host key blob, as `ssh-keygen -l` prints it. */
export function sshFingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** Pinned fingerprints may carry base64 padding; the comparison ignores it. */
const samePrint = (observed: string, pinned: string): boolean => observed === pinned.trim().replace(/=+$/, '');

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise settled from outside; never an unhandled rejection when nobody waits on it. */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** The server closed the connection without an SSH error. */
class ConnectionClosed extends Error {
  override name = 'ConnectionClosed';
}

// ---- private keys ----------------------------------------------------------------------------

/** Why a private key cannot be used; the message never quotes the key or the passphrase. */
class KeyError extends Error {
  override name = 'KeyError';
}

/** Ciphers OpenSSH encrypts private keys with, as node's OpenSSL names them. */
const KEY_CIPHERS: Record<string, { ssl: string; keyLen: number; ivLen: number; blockLen: number; authLen: number }> = {
  'aes128-ctr': { ssl: 'aes-128-ctr', keyLen: 16, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes192-ctr': { ssl: 'aes-192-ctr', keyLen: 24, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes256-ctr': { ssl: 'aes-256-ctr', keyLen: 32, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes128-cbc': { ssl: 'aes-128-cbc', keyLen: 16, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes192-cbc': { ssl: 'aes-192-cbc', keyLen: 24, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes256-cbc': { ssl: 'aes-256-cbc', keyLen: 32, ivLen: 16, blockLen: 16, authLen: 0 },
  'aes128-gcm@openssh.com': { ssl: 'aes-128-gcm', keyLen: 16, ivLen: 12, blockLen: 16, authLen: 16 },
  'aes256-gcm@openssh.com': { ssl: 'aes-256-gcm', keyLen: 32, ivLen: 12, blockLen: 16, authLen: 16 },
};

const OPENSSH_PEM = /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([\s\S]+?)\r?\n-----END OPENSSH PRIVATE KEY-----$/;
const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

/** Reads SSH wire strings and integers; a read past the end throws KeyError. */
class WireReader {
  private offset: number;

  constructor(
    private readonly data: Buffer,
    offset = 0,
  ) {
    this.offset = offset;
  }

  uint32(): number {
    if (this.offset + 4 > this.data.length) throw new KeyError('malformed OpenSSH private key');
    const value = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(): Buffer {
    const length = this.uint32();
    if (this.offset + length > this.data.length) throw new KeyError('malformed OpenSSH private key');
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  rest(): Buffer {
    return this.data.subarray(this.offset);
  }
}

const wireString = (value: Buffer | string): Buffer => {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** An OpenSSH-format key encrypted with bcrypt-pbkdf and a cipher node can decrypt. */
interface EncryptedOpenSshKey {
  cipher: (typeof KEY_CIPHERS)[string];
  salt: Buffer;
  rounds: number;
  publicKeys: Buffer[];
  encrypted: Buffer;
  authTag: Buffer;
}

/** The encryption of an OpenSSH-format key, or undefined when ssh2 should read the key itself. */
function encryptedOpenSshKey(text: string): EncryptedOpenSshKey | undefined {
  const pem = OPENSSH_PEM.exec(text.trim());
  if (!pem) return undefined;
  const data = Buffer.from(pem[1], 'base64');
  if (!data.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) return undefined;
  try {
    const reader = new WireReader(data, OPENSSH_MAGIC.length);
    const cipher = KEY_CIPHERS[reader.string().toString('latin1')];
    const kdf = reader.string().toString('latin1');
    const kdfOptions = new WireReader(reader.string());
    if (!cipher || kdf !== 'bcrypt') return undefined;
    const salt = kdfOptions.string();
    const rounds = kdfOptions.uint32();
    const count = reader.uint32();
    if (count < 1 || count > 16) return undefined;
    const publicKeys = Array.from({ length: count }, () => reader.string());
    const encrypted = reader.string();
    const authTag = reader.rest();
    if (encrypted.length % cipher.blockLen !== 0 || authTag.length !== cipher.authLen) return undefined;
    return { cipher, salt, rounds, publicKeys, encrypted, authTag };
  } catch {
    return undefined; // malformed: ssh2 reports it in its own words
  }
}

/** bcrypt-pbkdf is pure JavaScript: ~40 ms per round here, 16 rounds by default, many more on request. */
const KDF_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { pbkdf } = require(workerData.module);
const out = new Uint8Array(workerData.length);
const status = pbkdf(workerData.passphrase, workerData.passphrase.length, workerData.salt, workerData.salt.length, out, out.length, workerData.rounds);
parentPort.postMessage({ status, out });
`;

let bcryptModule: string | undefined;
/** ssh2's own bcrypt-pbkdf, resolved from ssh2 so the versions match. */
function bcryptPbkdfModule(): string {
  bcryptModule ??= require.resolve('bcrypt-pbkdf', { paths: [require.resolve('ssh2')] });
  return bcryptModule;
}

/**
 * Derives the key-encryption key on a worker thread, so a slow KDF (many rounds) never blocks
 * the event loop and stops when `signal` aborts.
 */
function bcryptPbkdf(passphrase: Buffer, salt: Buffer, length: number, rounds: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException('The operation was aborted', { name: 'AbortError' }));
    const worker = new Worker(KDF_WORKER, {
      eval: true,
      workerData: { module: bcryptPbkdfModule(), passphrase: new Uint8Array(passphrase), salt: new Uint8Array(salt), length, rounds },
    });
    const onAbort = (): void => {
      void worker.terminate();
      reject(new DOMException('The operation was aborted', { name: 'AbortError' }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: { status: number; out: Uint8Array }) => {
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (message.status !== 0) reject(new KeyError('its key derivation parameters are invalid'));
      else resolve(Buffer.from(message.out));
    });
    // Internal failures (a missing module, a crashed thread) are not the user's to read.
    const failed = (): void => {
      signal.removeEventListener('abort', onAbort);
      reject(new KeyError('it could not be decrypted'));
    };
    worker.once('error', failed);
    worker.once('exit', failed); // after a message or an abort, this rejection is a no-op
  });
}

/** Decrypts an OpenSSH key off the event loop and rewrites it unencrypted, for ssh2 to parse at once. */
async function decryptOpenSshKey(key: EncryptedOpenSshKey, passphrase: string, signal: AbortSignal): Promise<string> {
  const { cipher } = key;
  const derived = await bcryptPbkdf(Buffer.from(passphrase, 'utf8'), key.salt, cipher.keyLen + cipher.ivLen, key.rounds, signal);
  const secret = derived.subarray(0, cipher.keyLen);
  const iv = derived.subarray(cipher.keyLen);
  let plain: Buffer;
  try {
    let decipher: Decipher;
    if (cipher.authLen) {
      const gcm = createDecipheriv(cipher.ssl as CipherGCMTypes, secret, iv, { authTagLength: cipher.authLen });
      gcm.setAuthTag(key.authTag);
      decipher = gcm;
    } else {
      decipher = createDecipheriv(cipher.ssl, secret, iv);
    }
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(key.encrypted), decipher.final()]);
  } catch {
    throw new KeyError('the passphrase is wrong'); // GCM: the tag did not verify
  }
  // Two equal random check integers open the private section; a wrong passphrase garbles them.
  if (plain.length < 8 || plain.readUInt32BE(0) !== plain.readUInt32BE(4)) throw new KeyError('the passphrase is wrong');
  const unencrypted = Buffer.concat([
    OPENSSH_MAGIC,
    wireString('none'),
    wireString('none'),
    wireString(Buffer.alloc(0)),
    Buffer.from([0, 0, 0, key.publicKeys.length]),
    ...key.publicKeys.map(wireString),
    wireString(plain),
  ]);
  const body = unencrypted.toString('base64').replace(/.{1,70}/g, '$&\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}-----END OPENSSH PRIVATE KEY-----\n`;
}

/**
 * Parses a private key (OpenSSH, PEM or PuTTY) with its optional passphrase. OpenSSH keys are
 * decrypted on a worker thread; other formats use cheap KDFs and are parsed by ssh2 directly.
 * Throws KeyError with a message that names the problem, never the key.
 */
export async function loadPrivateKey(privateKey: string, passphrase: string | undefined, signal: AbortSignal): Promise<ParsedKey> {
  let text = privateKey;
  const encrypted = encryptedOpenSshKey(privateKey);
  if (encrypted) {
    if (!passphrase) throw new KeyError('it is encrypted and no passphrase is set');
    text = await decryptOpenSshKey(encrypted, passphrase, signal);
  }
  const parsed = utils.parseKey(text, encrypted ? undefined : passphrase || undefined);
  const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | Error | undefined) : parsed;
  if (!key) throw new KeyError('it holds no key');
  if (key instanceof Error) {
    if (/no passphrase given/i.test(key.message)) throw new KeyError('it is encrypted and no passphrase is set');
    if (/passphrase|decrypt|integrity check/i.test(key.message)) throw new KeyError('the passphrase is wrong');
    throw new KeyError(`ssh2 says: ${key.message.replace(/\.$/, '')}`);
  }
  if (!key.isPrivateKey()) throw new KeyError('it is a public key, not a private key');
  return key;
}

// ---- the SSH session -------------------------------------------------------------------------

/** One ssh2 client and the moments of its life, as promises the stages wait on. */
class SshSession {
  readonly client = new Client();
  readonly handshake = deferred<void>();
  readonly ready = deferred<void>();
  /** Rejects as soon as the connection fails, closes or is aborted. */
  readonly lost = deferred<never>();
  /** Of the host key the server presented, once it did. */
  fingerprint?: string;
  /** The host key did not match the pinned fingerprint. */
  mismatch = false;
  private closed = false;

  constructor() {
    this.client.on('handshake', () => this.handshake.resolve());
    this.client.on('ready', () => this.ready.resolve());
    this.client.on('error', (error) => this.fail(error));
    this.client.on('close', () => {
      this.closed = true;
      this.fail(new ConnectionClosed('The server closed the connection.'));
    });
  }

  /** The server's software from its identification line, e.g. OpenSSH_9.2p1. */
  get serverVersion(): string | undefined {
    const version = (this.client as unknown as { _remoteVer?: unknown })._remoteVer;
    return typeof version === 'string' && version ? version.slice(0, 200) : undefined;
  }

  fail(error: unknown): void {
    this.handshake.reject(error);
    this.ready.reject(error);
    this.lost.reject(error);
  }

  /** Settles with `work` unless the connection is lost first. */
  whileConnected<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.lost.promise]);
  }

  abort(): void {
    this.fail(Object.assign(new Error('The deadline passed.'), { name: 'AbortError' }));
    this.destroy();
  }

  /** Ends the session politely; a server that does not close its side in time is cut off. */
  close(): void {
    if (this.closed) return;
    this.client.end();
    const timer = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    this.client.once('close', () => clearTimeout(timer));
  }

  /**
   * Destroys the socket itself: Client.destroy() skips a socket that is no longer writable,
   * which would leave one we ended open for as long as the server keeps its side open.
   */
  private destroy(): void {
    const socket = (this.client as unknown as { _sock?: { destroy(): void } })._sock;
    if (socket) socket.destroy();
    else this.client.destroy();
  }
}

const callback =
  <T>(resolve: (value: T) => void, reject: (error: unknown) => void) =>
  (error: Error | undefined | null, value: T): void =>
    error ? reject(error) : resolve(value);

/** Opens the SFTP subsystem, checks that `rootPath` is a directory and counts its entries. */
async function countRootEntries(session: SshSession, rootPath: string, where: string): Promise<{ entries: number; truncated: boolean }> {
  const sftp = await session.whileConnected(new Promise<SFTPWrapper>((resolve, reject) => session.client.sftp(callback(resolve, reject))));
  try {
    const stats = await session.whileConnected(new Promise<Stats>((resolve, reject) => sftp.stat(rootPath, callback(resolve, reject))));
    if (!stats.isDirectory()) throw new StageFailure({ code: 'NOT_FOUND', message: `${rootPath} on ${where} is not a directory.` });
    const handle = await session.whileConnected(
      new Promise<Buffer>((resolve, reject) => sftp.opendir(rootPath, callback(resolve, reject))),
    );
    let entries = 0;
    try {
      while (entries < MAX_COUNTED_ENTRIES) {
        const batch = await session.whileConnected(
          new Promise<unknown[] | undefined>((resolve, reject) =>
            sftp.readdir(handle, (error, list) => {
              if ((error as { code?: unknown } | undefined)?.code === SFTP_EOF) resolve(undefined);
              else callback(resolve, reject)(error, list);
            }),
          ),
        );
        if (!batch) return { entries, truncated: false };
        entries += batch.length;
      }
      return { entries: MAX_COUNTED_ENTRIES, truncated: true };
    } finally {
      sftp.close(handle, () => undefined);
    }
  } finally {
    sftp.end();
  }
}

// ---- the connector ---------------------------------------------------------------------------

export class SftpConnector implements Connector {
  readonly type = 'sftp' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const { config, secrets } = connection;
    const host = String(config.host);
    const port = Number(config.port ?? 22);
    const username = typeof config.username === 'string' ? config.username : '';
    const rootPath = typeof config.rootPath === 'string' && config.rootPath ? config.rootPath : '/';
    const pinned = typeof config.hostKeyFingerprint === 'string' && config.hostKeyFingerprint ? config.hostKeyFingerprint : undefined;
    const password = secrets.password || undefined;
    const privateKey = secrets.privateKey || undefined;
    const where = `${host}:${port}`;
    const run = new TestRun('ssh2', secretScrubber(secrets));
    const details: Record<string, string | number | boolean> = {};
    let session: SshSession | undefined;
    /** Stops decrypting the key when the test ends early (e.g. on a host key mismatch). */
    const keyWork = new AbortController();
    const stop = (): void => session?.abort();
    context.signal.addEventListener('abort', stop, { once: true });

    /** Maps what ssh2 reports during the handshake or authentication to a stable code. */
    const classifySsh = (error: unknown, during: 'handshake' | 'authentication'): TestError => {
      if (session?.mismatch && session.fingerprint) {
        return {
          code: 'HOST_KEY_MISMATCH',
          message: `The host key of ${where} is ${session.fingerprint}, not the pinned ${pinned}; the connection was refused before authentication.`,
        };
      }
      const level = (error as { level?: unknown } | null)?.level;
      if (context.signal.aborted || level === 'client-timeout')
        return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
      if (error instanceof KeyError) return { code: 'AUTH_FAILED', message: `The private key cannot be used: ${error.message}.` };
      if (
        level === 'client-authentication' ||
        (during === 'authentication' && (error as { code?: unknown } | null)?.code === DISCONNECT_NO_MORE_AUTH_METHODS)
      ) {
        const tried = [privateKey && 'private key', password && 'password'].filter(Boolean).join(' and ');
        return { code: 'AUTH_FAILED', message: `${where} rejected the ${tried} of user "${username}".` };
      }
      if (level === 'client-socket') return classifyNetworkError(error, where);
      if (error instanceof ConnectionClosed)
        return { code: 'PROTOCOL_ERROR', message: `${where} closed the connection during the SSH ${during}.` };
      return { code: 'PROTOCOL_ERROR', message: `SSH ${during} with ${where} failed: ${messageOf(error)}` };
    };

    try {
      const target = await reachTarget(run, context, host, port);

      const ssh = (session = new SshSession());
      const keySignal = AbortSignal.any([context.signal, keyWork.signal]);
      // Started now, so an encrypted key is decrypted while the handshake runs.
      const methods: Promise<AnyAuthMethod[]> = (async () => {
        const list: AnyAuthMethod[] = [];
        if (privateKey) {
          const key = await loadPrivateKey(privateKey, secrets.passphrase || undefined, keySignal);
          list.push({ type: 'publickey', username, key });
        }
        if (password) list.push({ type: 'password', username, password });
        return list;
      })();
      methods.catch(() => undefined);
      let attempt = 0;
      const connectConfig: ConnectConfig = {
        host: target.address,
        port,
        username,
        readyTimeout: Math.max(1, context.remainingMs()),
        hostVerifier: (keyBlob: Buffer): boolean => {
          ssh.fingerprint = sshFingerprintOf(keyBlob);
          details.hostKeyFingerprint = ssh.fingerprint;
          ssh.mismatch = pinned !== undefined && !samePrint(ssh.fingerprint, pinned);
          return !ssh.mismatch;
        },
        // Only the configured methods, in order; no "none", agent or keyboard-interactive.
        authHandler: ((_methodsLeft, _partialSuccess, next: (method: AnyAuthMethod | false) => void): void => {
          methods.then(
            (list) => next(list[attempt++] ?? false),
            () => next(false),
          );
        }) as AuthHandlerMiddleware,
      };
      await run.stage(
        'ssh',
        async () => {
          ssh.client.connect(connectConfig);
          await ssh.handshake.promise;
        },
        (error) => classifySsh(error, 'handshake'),
      );
      await run.stage(
        'auth',
        async () => {
          if (!(await methods).length) {
            throw new StageFailure({ code: 'AUTH_FAILED', message: 'Neither a password nor a private key is set.' });
          }
          await ssh.ready.promise;
        },
        (error) => classifySsh(error, 'authentication'),
      );
      const listing = await run.stage(
        'path',
        () => countRootEntries(ssh, rootPath, where),
        (error) => {
          const code = (error as { code?: unknown } | null)?.code;
          if (code === SFTP_NO_SUCH_FILE) return { code: 'NOT_FOUND', message: `${rootPath} does not exist on ${where}.` };
          if (code === SFTP_PERMISSION_DENIED) {
            return { code: 'PERMISSION_DENIED', message: `User "${username}" may not read ${rootPath} on ${where}.` };
          }
          if (context.signal.aborted) return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
          if (error instanceof ConnectionClosed) return { code: 'PROTOCOL_ERROR', message: `${where} closed the connection during SFTP.` };
          return { code: 'PROTOCOL_ERROR', message: `SFTP on ${where} failed: ${messageOf(error)}` };
        },
      );
      details.entries = listing.entries;
      if (listing.truncated) details.entriesTruncated = true;
      const count = listing.truncated ? `more than ${MAX_COUNTED_ENTRIES} entries` : `${listing.entries} entries`;
      return run.succeed(`Connected to ${where} as ${username}; ${rootPath} holds ${count}.`, ssh.serverVersion, { ...details });
    } catch (error) {
      return run.fail(error, Object.keys(details).length ? { ...details } : undefined);
    } finally {
      context.signal.removeEventListener('abort', stop);
      keyWork.abort();
      session?.close();
    }
  }
}
