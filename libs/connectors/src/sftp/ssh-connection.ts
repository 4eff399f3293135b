import { createHash } from 'node:crypto';
import { Client, type AnyAuthMethod, type AuthHandlerMiddleware, type ConnectConfig } from 'ssh2';
import type { ConnectorContext, HostKeyPinField, ResolvedConnection, TestError } from '../connector';
import type { ResolvedTarget } from '../egress/egress-guard';
import { classifyNetworkError } from '../probes/network-errors';
import { messageOf } from '../probes/test-run';
import { KeyError, loadPrivateKey } from './ssh-keys';

/** SSH disconnect reason: the server will not try any more authentication methods. */
const DISCONNECT_NO_MORE_AUTH_METHODS = 14;
/** After a graceful end, how long the server may take to close before the socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** "SHA256:" + unpadded base64 of the SHA-256 of the host key blob, as `ssh-keygen -l` prints it. */
export function sshFingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** Pinned fingerprints may carry base64 padding; the comparison ignores it. */
const samePrint = (observed: string, pinned: string): boolean => observed === pinned.trim().replace(/=+$/, '');

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise settled from outside; never an unhandled rejection when nobody waits on it. */
export function deferred<T>(): Deferred<T> {
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
export class ConnectionClosed extends Error {
  override name = 'ConnectionClosed';
}

/** Node-style callback to a promise's resolve/reject. */
export const callback =
  <T>(resolve: (value: T) => void, reject: (error: unknown) => void) =>
  (error: Error | undefined | null, value: T): void =>
    error ? reject(error) : resolve(value);

/** What an SSH connection needs from a connection's config and secrets. */
export interface SshSettings {
  host: string;
  port: number;
  username: string;
  rootPath: string;
  pinned?: string;
  /** Where the connection's config keeps `pinned`, to pin the observed key into on first use. */
  pinField: HostKeyPinField;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  /** host:port, for messages. */
  where: string;
}

export function sshSettingsOf({ config, secrets }: ResolvedConnection): SshSettings {
  const host = String(config.host);
  const port = Number(config.port ?? 22);
  return {
    host,
    port,
    username: typeof config.username === 'string' ? config.username : '',
    rootPath: typeof config.rootPath === 'string' && config.rootPath ? config.rootPath : '/',
    pinned: typeof config.hostKeyFingerprint === 'string' && config.hostKeyFingerprint ? config.hostKeyFingerprint : undefined,
    pinField: 'hostKeyFingerprint',
    password: secrets.password || undefined,
    privateKey: secrets.privateKey || undefined,
    passphrase: secrets.passphrase || undefined,
    where: `${host}:${port}`,
  };
}

/**
 * Tells the caller which host key `ssh` (signed in, so authentication succeeded) trusted while
 * the connection had no pin for it, so a stored connection gets it pinned (trust on first use).
 */
export function reportUnpinnedHostKey(context: ConnectorContext, settings: SshSettings, ssh: SshSession): void {
  if (settings.pinned === undefined && ssh.fingerprint)
    context.trustOnFirstUse?.({ field: settings.pinField, fingerprint: ssh.fingerprint });
}

/** One ssh2 client and the moments of its life, as promises the callers wait on. */
export class SshSession {
  readonly client = new Client();
  readonly handshake = deferred<void>();
  readonly ready = deferred<void>();
  /** Rejects as soon as the connection fails, closes or is aborted. */
  readonly lost = deferred<never>();
  /** Of the host key the server presented, once it did. */
  fingerprint?: string;
  /** The host key did not match the pinned fingerprint. */
  mismatch = false;
  /** Set once the connection failed, closed or was aborted: it will never serve again. */
  dead = false;
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
    this.dead = true;
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
    this.dead = true;
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

export interface SshStart {
  ssh: SshSession;
  /** The configured authentication methods, in order (the private key is decrypted meanwhile). */
  methods: Promise<AnyAuthMethod[]>;
}

export interface SshStartOptions {
  /** Stops decrypting the private key. */
  keySignal: AbortSignal;
  readyTimeoutMs: number;
  /** Called with the fingerprint of the host key the server presented. */
  onHostKey?: (fingerprint: string) => void;
  /** For long-lived sessions: probe the server this often, give up after 3 unanswered probes. */
  keepaliveMs?: number;
}

/**
 * Connects to the checked address (or over the target's tunnel) and starts the handshake: the
 * host key is checked against the pin (a mismatch ends the connection before authentication),
 * then only the configured methods are offered, in order (private key, then password; never
 * "none", agent or keyboard). Wait on `ssh.handshake` and `ssh.ready`.
 */
export function startSsh(
  settings: SshSettings,
  target: Pick<ResolvedTarget, 'address' | 'openStream'>,
  options: SshStartOptions,
): SshStart {
  const ssh = new SshSession();
  const { privateKey, password, username } = settings;
  // Started now, so an encrypted key is decrypted while the handshake runs.
  const methods: Promise<AnyAuthMethod[]> = (async () => {
    const list: AnyAuthMethod[] = [];
    if (privateKey)
      list.push({ type: 'publickey', username, key: await loadPrivateKey(privateKey, settings.passphrase, options.keySignal) });
    if (password) list.push({ type: 'password', username, password });
    return list;
  })();
  methods.catch(() => undefined);
  let attempt = 0;
  const connectConfig: ConnectConfig = {
    host: target.address,
    port: settings.port,
    // An SSH connection over a tunnel's channel: ssh2 waits for its 'connect' (readyTimeout runs meanwhile).
    ...(target.openStream ? { sock: target.openStream() } : {}),
    username,
    readyTimeout: Math.max(1, options.readyTimeoutMs),
    ...(options.keepaliveMs ? { keepaliveInterval: options.keepaliveMs, keepaliveCountMax: 3 } : {}),
    hostVerifier: (keyBlob: Buffer): boolean => {
      ssh.fingerprint = sshFingerprintOf(keyBlob);
      options.onHostKey?.(ssh.fingerprint);
      ssh.mismatch = settings.pinned !== undefined && !samePrint(ssh.fingerprint, settings.pinned);
      return !ssh.mismatch;
    },
    authHandler: ((_methodsLeft, _partialSuccess, next: (method: AnyAuthMethod | false) => void): void => {
      methods.then(
        (list) => next(list[attempt++] ?? false),
        () => next(false),
      );
    }) as AuthHandlerMiddleware,
  };
  ssh.client.connect(connectConfig);
  // Requests and replies through a tunnel are small writes each waiting on the other's answer:
  // with Nagle's algorithm on, each would wait out a delayed ACK (about 40 ms) first.
  ssh.client.setNoDelay(true);
  return { ssh, methods };
}

/** Maps what ssh2 reports during the handshake or authentication to a stable code. */
export function classifySshError(
  error: unknown,
  during: 'handshake' | 'authentication',
  ssh: SshSession | undefined,
  settings: SshSettings,
  signal: AbortSignal,
): TestError {
  const { where, pinned, username } = settings;
  if (ssh?.mismatch && ssh.fingerprint) {
    return {
      code: 'HOST_KEY_MISMATCH',
      message:
        `The host key of ${where} is ${ssh.fingerprint}, not the pinned ${pinned}; the connection was refused before authentication. ` +
        `If it was re-keyed on purpose, check the new key with its administrator, then set config.${settings.pinField} to it ` +
        '(re-entering the secrets); a draft test reports the fingerprint it presents.',
    };
  }
  const level = (error as { level?: unknown } | null)?.level;
  if (signal.aborted || level === 'client-timeout') return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
  if (error instanceof KeyError) return { code: 'AUTH_FAILED', message: `The private key cannot be used: ${error.message}.` };
  if (
    level === 'client-authentication' ||
    (during === 'authentication' && (error as { code?: unknown } | null)?.code === DISCONNECT_NO_MORE_AUTH_METHODS)
  ) {
    const tried = [settings.privateKey && 'private key', settings.password && 'password'].filter(Boolean).join(' and ');
    return { code: 'AUTH_FAILED', message: `${where} rejected the ${tried} of user "${username}".` };
  }
  if (level === 'client-socket') return classifyNetworkError(error, where);
  if (error instanceof ConnectionClosed)
    return { code: 'PROTOCOL_ERROR', message: `${where} closed the connection during the SSH ${during}.` };
  return { code: 'PROTOCOL_ERROR', message: `SSH ${during} with ${where} failed: ${messageOf(error)}` };
}
