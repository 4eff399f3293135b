import { AppError, ErrorCode, notFound } from '@switchboard/common';
import type { FileEntry, SFTPWrapper, Stats } from 'ssh2';
import type { TestError } from '../connector';
import type { ResolvedTarget } from '../egress/egress-guard';
import type { IntrospectionContext } from '../introspection/types';
import { targetFailed, targetTimeout } from '../introspection/errors';
import { classifyNetworkError } from '../probes/network-errors';
import { messageOf } from '../probes/test-run';
import { isWithin, normalRoot, outsideRoot } from './sftp-paths';
import { callback, classifySshError, ConnectionClosed, SshSession, startSsh, type SshSettings } from './ssh-connection';

/** SFTP status codes (draft-ietf-secsh-filexfer). */
export const SFTP_EOF = 1;
export const SFTP_NO_SUCH_FILE = 2;
export const SFTP_PERMISSION_DENIED = 3;

/** How long connecting may take at most (DESIGN §3), less when the deadline is nearer. */
const CONNECT_TIMEOUT_MS = 5_000;
/** A cached session probes the server this often, so a silently dead one is noticed. */
const KEEPALIVE_MS = 15_000;

const statusOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** One SSH connection and its SFTP channel: promise-returning calls that fail as soon as the connection is lost. */
export class SftpChannel {
  constructor(
    readonly ssh: SshSession,
    private readonly sftp: SFTPWrapper,
    /** The server's realpath of rootPath: every resolved path must be it or lie below it. */
    readonly realRoot: string,
  ) {
    // A channel that ends or errs alone takes the connection with it, so the session reconnects.
    sftp.on('close', () => ssh.close());
    sftp.on('error', () => ssh.close());
  }

  get alive(): boolean {
    return !this.ssh.dead;
  }

  private call<T>(start: (done: (error: Error | undefined | null, value: T) => void) => void): Promise<T> {
    if (!this.alive) return Promise.reject(new ConnectionClosed('The connection was closed.'));
    return this.ssh.whileConnected(new Promise<T>((resolve, reject) => start(callback(resolve, reject))));
  }

  realpath(path: string): Promise<string> {
    return this.call((done) => this.sftp.realpath(path, done));
  }

  stat(path: string): Promise<Stats> {
    return this.call((done) => this.sftp.stat(path, done));
  }

  opendir(path: string): Promise<Buffer> {
    return this.call((done) => this.sftp.opendir(path, done));
  }

  /** The next batch of entries (without `.` and `..`), or undefined at the end. */
  readdir(handle: Buffer): Promise<FileEntry[] | undefined> {
    return this.call((done) =>
      this.sftp.readdir(handle, (error, list) => (statusOf(error) === SFTP_EOF ? done(undefined, undefined) : done(error, list))),
    );
  }

  open(path: string): Promise<Buffer> {
    return this.call((done) => this.sftp.open(path, 'r', done));
  }

  /** Reads into `buffer` from `position`; 0 at the end of the file. */
  read(handle: Buffer, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.call<number>((done) =>
      this.sftp.read(handle, buffer, offset, length, position, (error, bytesRead) =>
        statusOf(error) === SFTP_EOF ? done(undefined, 0) : done(error, bytesRead),
      ),
    );
  }

  /** Closes a handle without waiting; a failure to close is not the caller's problem. */
  release(handle: Buffer): void {
    if (this.alive) this.sftp.close(handle, () => undefined);
  }

  /** The server's realpath of `absolute`, which must be the root or below it (symlinks resolved). */
  async confine(absolute: string): Promise<string> {
    const real = await this.realpath(absolute);
    if (!isWithin(this.realRoot, real)) throw outsideRoot();
    return real;
  }
}

/** What the channel's operations threw, as the AppError the API answers with; `what` names the thing, e.g. `File "a.csv"`. */
export function sftpFailure(error: unknown, settings: SshSettings, scrub: (message: string) => string, what: string): AppError {
  if (error instanceof AppError) return error;
  const code = statusOf(error);
  if (code === SFTP_NO_SUCH_FILE) return notFound(what);
  if (code === SFTP_PERMISSION_DENIED) {
    const thing = what.charAt(0).toLowerCase() + what.slice(1);
    return new AppError(ErrorCode.FORBIDDEN, `User "${settings.username}" may not read ${thing}.`);
  }
  if (error instanceof ConnectionClosed || /No response from server/.test(messageOf(error))) {
    return targetFailed({ code: 'PROTOCOL_ERROR', message: `${settings.where} closed the connection during SFTP.` });
  }
  return targetFailed({ code: 'PROTOCOL_ERROR', message: scrub(`SFTP on ${settings.where} failed: ${messageOf(error)}`) });
}

const failed = (error: TestError, scrub: (message: string) => string): AppError =>
  targetFailed({ code: error.code, message: scrub(error.message) });

/**
 * Opens one SSH connection through the egress guard, checks the pinned host key, signs in
 * and opens the SFTP channel; `context` bounds the connecting only, not the connection's life.
 */
export async function connectSftp(
  settings: SshSettings,
  scrub: (message: string) => string,
  context: IntrospectionContext,
): Promise<SftpChannel> {
  const { host, port, where } = settings;
  let address: ResolvedTarget;
  try {
    address = await context.egress.resolve(host, port, context.signal);
  } catch (error) {
    throw failed(classifyNetworkError(error, where), scrub);
  }
  const keyWork = new AbortController();
  const { ssh, methods } = startSsh(settings, address, {
    keySignal: AbortSignal.any([context.signal, keyWork.signal]),
    readyTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, context.remainingMs()),
    keepaliveMs: KEEPALIVE_MS,
  });
  const stop = (): void => ssh.abort();
  context.signal.addEventListener('abort', stop, { once: true });
  const classify = (error: unknown, during: 'handshake' | 'authentication'): AppError =>
    error instanceof AppError ? error : failed(classifySshError(error, during, ssh, settings, context.signal), scrub);
  try {
    await ssh.handshake.promise.catch((error: unknown) => Promise.reject(classify(error, 'handshake')));
    await methods.then(
      (list) =>
        list.length || Promise.reject(failed({ code: 'AUTH_FAILED', message: 'Neither a password nor a private key is set.' }, scrub)),
      (error: unknown) => Promise.reject(classify(error, 'authentication')),
    );
    await ssh.ready.promise.catch((error: unknown) => Promise.reject(classify(error, 'authentication')));
    const sftp = await ssh.whileConnected(new Promise<SFTPWrapper>((resolve, reject) => ssh.client.sftp(callback(resolve, reject))));
    // The root is resolved with a channel not yet confined to it.
    const realRoot = await realRootOf(new SftpChannel(ssh, sftp, '/'), settings);
    return new SftpChannel(ssh, sftp, realRoot);
  } catch (error) {
    ssh.close();
    if (context.signal.aborted) throw targetTimeout(where);
    throw sftpFailure(error, settings, scrub, settings.rootPath);
  } finally {
    context.signal.removeEventListener('abort', stop);
    keyWork.abort();
  }
}

/** The root as the server resolves it; a missing or unreadable root is the connection's fault (502, like a failed test). */
async function realRootOf(channel: SftpChannel, settings: SshSettings): Promise<string> {
  const { rootPath, where, username } = settings;
  try {
    const realRoot = await channel.realpath(normalRoot(rootPath));
    if (!(await channel.stat(realRoot)).isDirectory())
      throw targetFailed({ code: 'NOT_FOUND', message: `${rootPath} on ${where} is not a directory.` });
    return realRoot;
  } catch (error) {
    const code = statusOf(error);
    if (code === SFTP_NO_SUCH_FILE) throw targetFailed({ code: 'NOT_FOUND', message: `${rootPath} does not exist on ${where}.` });
    if (code === SFTP_PERMISSION_DENIED)
      throw targetFailed({ code: 'PERMISSION_DENIED', message: `User "${username}" may not read ${rootPath} on ${where}.` });
    throw error;
  }
}

/**
 * The client an SFTP session caches: it hands out its live channel and, when that connection
 * has died (server restart, network cut, keepalive timeout), opens a new one on next use, so
 * a dead connection never stays in the session cache.
 */
export class SftpLink {
  /** How many SSH connections this link opened (1 while the first one lives); for tests and logs. */
  connections = 1;
  private current: Promise<SftpChannel>;
  private closed = false;

  private constructor(
    private readonly settings: SshSettings,
    private readonly scrub: (message: string) => string,
    first: SftpChannel,
  ) {
    this.current = Promise.resolve(first);
  }

  static async open(settings: SshSettings, scrub: (message: string) => string, context: IntrospectionContext): Promise<SftpLink> {
    return new SftpLink(settings, scrub, await connectSftp(settings, scrub, context));
  }

  /**
   * Runs `work` on a live channel within the deadline. Everything done here is a read, so when
   * the connection is lost in the middle, the work runs once more on a new connection.
   */
  async run<R>(context: IntrospectionContext, work: (channel: SftpChannel) => Promise<R>): Promise<R> {
    const attempt = async (): Promise<R> => {
      const channel = await this.channel(context);
      try {
        return await withDeadline(work(channel), context.signal, this.settings.where);
      } catch (error) {
        if (channel.alive || error instanceof AppError || context.signal.aborted || this.closed) throw error;
        throw new LostDuringWork(error);
      }
    };
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof LostDuringWork)) throw error;
      try {
        return await attempt();
      } catch (again) {
        throw again instanceof LostDuringWork ? again.cause : again;
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const channel = await this.current.catch(() => undefined);
    channel?.ssh.close();
  }

  private async channel(context: IntrospectionContext): Promise<SftpChannel> {
    const current = this.current;
    const channel = await current.catch(() => undefined);
    if (channel?.alive) return channel;
    if (this.closed) throw targetFailed({ code: 'PROTOCOL_ERROR', message: 'The SFTP session was closed; try again.' });
    // Concurrent callers that found the same dead channel share one reconnection.
    if (this.current === current) {
      this.current = connectSftp(this.settings, this.scrub, context);
      this.current.then(() => (this.connections += 1)).catch(() => undefined);
    }
    return this.current;
  }
}

/** The connection died while work ran on it (not an answer of the server): worth one retry. */
class LostDuringWork extends Error {
  constructor(override readonly cause: unknown) {
    super('The SFTP connection was lost.');
  }
}

/** Settles with `work`, or throws TARGET_TIMEOUT when the deadline passes first. */
function withDeadline<T>(work: Promise<T>, signal: AbortSignal, where: string): Promise<T> {
  if (signal.aborted) return Promise.reject(targetTimeout(where));
  let onAbort!: () => void;
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () => reject(targetTimeout(where));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, deadline]).finally(() => signal.removeEventListener('abort', onAbort));
}
