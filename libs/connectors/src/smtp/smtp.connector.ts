import { isIP, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection, { type SMTPConnectionOptions, type SMTPConnectionSendInfo } from 'nodemailer/lib/smtp-connection';
import type { ConnectionConfig, Secrets } from '../connection-type';
import {
  ConnectionRejected,
  type Connector,
  type ConnectorContext,
  type ResolvedConnection,
  type TestEmailResult,
  type TestError,
  type TestResult,
} from '../connector';
import type { ResolvedTarget } from '../egress/egress-guard';
import { connectTcp } from '../probes/reach';
import { classifyNetworkError } from '../probes/network-errors';
import { messageOf, secretScrubber, StageFailure, TestRun } from '../probes/test-run';

/**
 * SMTP through nodemailer's SMTPConnection, the client that `transporter.verify()` and
 * `sendMail()` run on. Driving it directly, step by step, gives what verify() cannot:
 *
 * - honest stages: `handshake` (greeting, EHLO, STARTTLS or implicit TLS, EHLO again) and
 *   `auth` (only when `auth` is true) are timed separately;
 * - the greeting banner, reported as serverVersion (captured from the transaction log);
 * - no silent skip of AUTH: verify() and sendMail() quietly go on unauthenticated when the
 *   server advertises no AUTH. Here `auth: true` fails the auth stage instead, without sending
 *   the password to a server that did not offer to take it.
 *
 * test() sends no mail: connect, EHLO, TLS, AUTH, QUIT. sendTestEmail() does the same and
 * then sends one message to one recipient.
 *
 * Safety (DESIGN §3): the host is resolved by the egress guard and the client connects to the
 * checked address; the configured host name stays the TLS server name (SNI and certificate
 * check). Certificates are verified against the system CAs, or the PEM secret `tlsCa` when
 * set; config `tlsVerify: false` turns verification off. No file paths, no pool, no proxy,
 * no free-form driver options reach nodemailer.
 */

export type SmtpSecurity = 'none' | 'starttls' | 'tls';

const DRIVER = 'nodemailer';
export const TEST_EMAIL_SUBJECT = 'Switchboard test email';
/** How long QUIT may take before the socket is closed anyway. */
const QUIT_GRACE_MS = 1_000;
/** Server replies kept from the transaction log; the first is the greeting. */
const MAX_REPLIES = 8;
const MAX_REPLY_LENGTH = 1_000;
/** One plain address: no display name, list, comment or route, which could add recipients. */
const PLAIN_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;

interface SmtpSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  auth: boolean;
  username?: string;
  from?: string;
  name?: string;
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  tlsVerify: boolean;
}

const stringOr = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const numberOr = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function settingsOf(config: ConnectionConfig): SmtpSettings {
  const extra = (
    typeof config.additionalProperties === 'object' && config.additionalProperties !== null ? config.additionalProperties : {}
  ) as Record<string, unknown>;
  const security = config.security === 'none' || config.security === 'tls' ? config.security : 'starttls';
  return {
    host: String(config.host),
    port: Number(config.port ?? 587),
    security,
    auth: config.auth === true,
    username: stringOr(config.username),
    from: stringOr(config.from),
    name: stringOr(extra.name),
    connectionTimeoutMs: numberOr(extra.connectionTimeoutMs),
    greetingTimeoutMs: numberOr(extra.greetingTimeoutMs),
    socketTimeoutMs: numberOr(extra.socketTimeoutMs),
    // Planned config field (default true); absent means verify.
    tlsVerify: config.tlsVerify !== false,
  };
}

/**
 * TLS options for both implicit TLS and STARTTLS: verify the certificate against `tlsCa` (or
 * the system CAs) and the configured host name, TLS 1.2 at least. An IP literal is not a valid
 * SNI name, so it is left out and node checks the certificate against the address instead.
 */
export function smtpTls(config: ConnectionConfig, secrets: Secrets): ConnectionOptions {
  const host = String(config.host);
  const tls: ConnectionOptions = { rejectUnauthorized: config.tlsVerify !== false, minVersion: 'TLSv1.2' };
  if (!isIP(host)) tls.servername = host;
  if (secrets.tlsCa) tls.ca = secrets.tlsCa;
  if (secrets.tlsCert && secrets.tlsKey) Object.assign(tls, { cert: secrets.tlsCert, key: secrets.tlsKey });
  return tls;
}

/** A timeout option: the configured one, never past the operation's deadline, at least 1 ms. */
const bounded = (configured: number | undefined, context: ConnectorContext): number =>
  Math.max(1, Math.min(configured ?? Number.POSITIVE_INFINITY, context.remainingMs()));

function connectionOptions(
  settings: SmtpSettings,
  config: ConnectionConfig,
  secrets: Secrets,
  target: ResolvedTarget,
  context: ConnectorContext,
): SMTPConnectionOptions {
  return {
    host: target.address,
    port: settings.port,
    // Through a tunnel: a channel to the server, which nodemailer takes as its connected socket
    // (implicit TLS and STARTTLS then go on top of it); it has the socket methods nodemailer calls.
    ...(target.openStream ? { connection: target.openStream() as unknown as Socket } : {}),
    secure: settings.security === 'tls',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    tls: smtpTls(config, secrets),
    name: settings.name,
    connectionTimeout: bounded(settings.connectionTimeoutMs, context),
    greetingTimeout: bounded(settings.greetingTimeoutMs, context),
    socketTimeout: bounded(settings.socketTimeoutMs, context),
    socketCloseTimeout: QUIT_GRACE_MS,
  };
}

/** The error a step fails with when the deadline passes; classified as TIMEOUT. */
const abortError = (): Error => Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });

/**
 * One SMTPConnection and the steps run on it, each a promise that settles on the step's
 * callback, a connection error, the server closing, or the deadline.
 */
class SmtpSession {
  private readonly client: SMTPConnection;
  private readonly replies: string[] = [];

  constructor(
    options: SMTPConnectionOptions,
    private readonly signal: AbortSignal,
  ) {
    this.client = new SMTPConnection({ ...options, logger: this.replyRecorder(), transactionLog: true });
    // Errors reach the step in flight; one after that (e.g. during QUIT) changes nothing.
    this.client.on('error', () => undefined);
  }

  /** The greeting without its reply code, e.g. "mail.example.com ESMTP Postfix". */
  get banner(): string | undefined {
    const line = this.replies[0]
      ?.split('\n')[0]
      ?.replace(/^220[ -]?/, '')
      .trim();
    return line ? line.slice(0, 200) : undefined;
  }

  get encrypted(): boolean {
    return this.client.secure;
  }

  get offersAuth(): boolean {
    return this.client.allowsAuth;
  }

  /** Whether an EHLO reply listed STARTTLS (kept even when the session ignored it). */
  get offersStartTls(): boolean {
    return this.replies.some((reply) => /^250[ -]STARTTLS\b/im.test(reply));
  }

  connect(): Promise<void> {
    return this.step((done) => this.client.connect((error) => done(error)));
  }

  /** Whether an EHLO reply listed `method` among its AUTH mechanisms. */
  offersAuthMethod(method: string): boolean {
    return this.replies.some((reply) =>
      reply.split('\n').some(
        (line) =>
          /^250[ -]AUTH[ =]/i.test(line) &&
          line
            .slice(9)
            .toUpperCase()
            .split(/[\s=]+/)
            .includes(method),
      ),
    );
  }

  login(user: string, pass: string, method?: string): Promise<void> {
    return this.step((done) => this.client.login({ user, pass, method }, (error) => done(error)));
  }

  send(from: string, to: string, message: Buffer): Promise<SMTPConnectionSendInfo> {
    return this.step<SMTPConnectionSendInfo>((done) => this.client.send({ from, to: [to] }, message, done));
  }

  /** Says QUIT politely and closes the socket whether or not the server answers. */
  quit(): void {
    if (this.client.destroyed) return;
    try {
      this.client.quit();
    } catch {
      // The socket is already gone; close() below tidies up.
    }
    setTimeout(() => this.client.close(), QUIT_GRACE_MS).unref();
  }

  private step<T = void>(start: (done: (error: unknown, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const done = (error: unknown, value?: T): void => {
        if (settled) return;
        settled = true;
        this.client.off('error', onError);
        this.client.off('end', onEnd);
        this.signal.removeEventListener('abort', onAbort);
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(value as T);
      };
      const onError = (error: unknown): void => done(error);
      const onEnd = (): void => done(Object.assign(new Error('The server closed the connection'), { code: 'ECONNECTION' }));
      const onAbort = (): void => {
        done(abortError());
        this.client.close();
      };
      if (this.signal.aborted) return onAbort();
      this.client.once('error', onError);
      this.client.once('end', onEnd);
      this.signal.addEventListener('abort', onAbort, { once: true });
      try {
        start(done);
      } catch (error) {
        done(error);
      }
    });
  }

  /**
   * A bunyan-style logger that keeps the first server replies (greeting, EHLO) and drops
   * everything else, client commands included: nothing nodemailer logs leaves this object.
   */
  private replyRecorder(): Record<string, (...args: unknown[]) => void> {
    const ignore = (): void => undefined;
    const debug = (entry: unknown, message: unknown): void => {
      if ((entry as { tnx?: unknown } | null)?.tnx !== 'server' || typeof message !== 'string') return;
      if (this.replies.length < MAX_REPLIES) this.replies.push(message.slice(0, MAX_REPLY_LENGTH));
    };
    return { trace: ignore, debug, info: ignore, warn: ignore, error: ignore, fatal: ignore };
  }
}

interface NodemailerErrorFields {
  code?: unknown;
  originalCode?: unknown;
  responseCode?: unknown;
  response?: unknown;
  timeoutType?: unknown;
  name?: unknown;
  command?: unknown;
}

/** The first line of the server's reply carried by a nodemailer error, if any. */
const replyOf = (error: NodemailerErrorFields): string | undefined =>
  typeof error.response === 'string' ? error.response.split(/\r?\n/)[0].slice(0, 300) : undefined;

const TLS_MESSAGE = /certificate|\bssl\b|\btls\b|handshake|self[- ]signed/i;

/** Maps nodemailer's errors (code, originalCode, SMTP reply code) to the stable codes. */
export function classifySmtpError(error: unknown, where: string): TestError {
  if (error instanceof StageFailure) return error.testError;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as NodemailerErrorFields;
  const { code, originalCode, responseCode } = fields;
  const message = messageOf(error);
  const reply = replyOf(fields);
  if (fields.name === 'AbortError' || code === 'EABORT' || code === 'ETIMEDOUT') {
    if (fields.timeoutType === 'GREETING_TIMEOUT')
      return { code: 'TIMEOUT', message: `${where} sent no SMTP greeting before the deadline.` };
    return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
  }
  switch (code) {
    case 'EAUTH':
      if (responseCode === 538 || responseCode === 530) {
        return { code: 'TLS_ERROR', message: `${where} accepts AUTH only over TLS; set security to starttls or tls: ${reply ?? message}` };
      }
      if (responseCode === 502 || responseCode === 504) {
        return { code: 'PROTOCOL_ERROR', message: `${where} does not support this AUTH method: ${reply ?? message}` };
      }
      return { code: 'AUTH_FAILED', message: `${where} refused the login: ${reply ?? message}` };
    case 'ENOAUTH':
      return { code: 'AUTH_FAILED', message: `No credentials to sign in to ${where} with.` };
    case 'ETLS':
      if (fields.command === 'STARTTLS' && reply) {
        return {
          code: 'TLS_ERROR',
          message:
            `${where} does not offer STARTTLS, which security starttls (the default) needs: set security to tls if the server takes TLS ` +
            `from the start (port 465), or to none to send without encryption, or enable STARTTLS on the server. It said: ${reply}`,
        };
      }
      return { code: 'TLS_ERROR', message: `TLS with ${where} failed: ${message}` };
    case 'EENVELOPE':
    case 'EMESSAGE':
    case 'EREQUIRETLS':
      return { code: 'PROTOCOL_ERROR', message: `${where} refused the message: ${message}` };
    case 'EPROTOCOL':
      return { code: 'PROTOCOL_ERROR', message: `${where} did not answer as an SMTP server should: ${message}` };
    case 'ESOCKET':
    case 'ECONNECTION':
    case 'EDNS': {
      // nodemailer keeps the system or TLS error's own code as originalCode.
      if (typeof originalCode === 'string') {
        const underlying = classifyNetworkError(Object.assign(new Error(message), { code: originalCode }), where);
        if (underlying.code !== 'PROTOCOL_ERROR') return underlying;
      }
      if (code === 'ESOCKET' && TLS_MESSAGE.test(message)) return { code: 'TLS_ERROR', message: `TLS with ${where} failed: ${message}` };
      return { code: 'CONNECTION_REFUSED', message: `${where} closed the connection${reply ? `: ${reply}` : '.'}` };
    }
  }
  return classifyNetworkError(error, where);
}

/** `value` as one plain address, or a 422 naming `what`. */
function plainAddress(value: unknown, what: string): string {
  const address = typeof value === 'string' ? value.trim() : '';
  if (!address) throw new ConnectionRejected(`${what} is missing.`);
  if (address.length > 254 || !PLAIN_ADDRESS.test(address)) throw new ConnectionRejected(`${what} must be one plain email address.`);
  return address;
}

export class SmtpConnector implements Connector {
  readonly type = 'smtp' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const { config, secrets } = connection;
    const settings = settingsOf(config);
    const where = `${settings.host}:${settings.port}`;
    const run = new TestRun(DRIVER, secretScrubber(secrets));
    let session: SmtpSession | undefined;
    try {
      const target = await run.stage(
        'dns',
        () => context.egress.resolve(settings.host, settings.port, context.signal),
        (error) => classifyNetworkError(error, where),
      );
      await run.stage(
        'tcp',
        () => connectTcp(target, settings.port, context.signal),
        (error) => classifyNetworkError(error, where),
      );
      const opened = new SmtpSession(connectionOptions(settings, config, secrets, target, context), context.signal);
      session = opened;
      await run.stage(
        'handshake',
        () => opened.connect(),
        (error) => classifySmtpError(error, where),
      );
      if (settings.auth) {
        await run.stage(
          'auth',
          () => authenticate(opened, settings, secrets, where),
          (error) => classifySmtpError(error, where),
        );
      }
      const how = opened.encrypted ? (settings.security === 'tls' ? 'over TLS' : 'with STARTTLS') : 'without encryption';
      const signedIn = settings.auth ? ` and signed in as ${settings.username ?? ''}` : '';
      return run.succeed(`Connected to the SMTP server at ${where} ${how}${signedIn}; no mail was sent.`, opened.banner, {
        encrypted: opened.encrypted,
      });
    } catch (error) {
      return run.fail(error);
    } finally {
      session?.quit();
    }
  }

  /**
   * Sends one short message from `config.from` to `to`. A missing sender or a recipient that is
   * not one plain address is refused before connecting (ConnectionRejected, 422); every other
   * failure throws a StageFailure with a coded, scrubbed error.
   */
  async sendTestEmail(connection: ResolvedConnection, context: ConnectorContext, to: string): Promise<TestEmailResult> {
    const { config, secrets } = connection;
    const settings = settingsOf(config);
    const from = plainAddress(settings.from, "The connection's from address (config.from)");
    const recipient = plainAddress(to, 'The recipient');
    const where = `${settings.host}:${settings.port}`;
    const scrub = secretScrubber(secrets);
    let session: SmtpSession | undefined;
    try {
      const target = await context.egress.resolve(settings.host, settings.port, context.signal).catch((error: unknown) => {
        throw new StageFailure(classifyNetworkError(error, where));
      });
      session = new SmtpSession(connectionOptions(settings, config, secrets, target, context), context.signal);
      await session.connect();
      if (settings.auth) await authenticate(session, settings, secrets, where);
      const message = new MailComposer({
        from,
        to: recipient,
        subject: TEST_EMAIL_SUBJECT,
        date: new Date(),
        text: `This is a test email from Switchboard, sent at ${new Date().toISOString()} to check the SMTP connection.\n`,
        disableFileAccess: true,
        disableUrlAccess: true,
      }).compile();
      const messageId = message.messageId();
      const info = await session.send(from, recipient, await message.build());
      // The server's reply is its own text: it may echo what it was sent.
      return { accepted: info.accepted, rejected: info.rejected, messageId, response: scrub(info.response) };
    } catch (error) {
      const testError = classifySmtpError(error, where);
      throw new StageFailure({ code: testError.code, message: scrub(testError.message) });
    } finally {
      session?.quit();
    }
  }
}

/**
 * Signs in when the server offers AUTH. When it does not, the password is not sent: a plain
 * session on a server that lists STARTTLS means AUTH needs TLS first; otherwise the server
 * takes no logins at all.
 */
async function authenticate(session: SmtpSession, settings: SmtpSettings, secrets: Secrets, where: string): Promise<void> {
  if (!session.offersAuth) {
    if (!session.encrypted && session.offersStartTls) {
      throw new StageFailure({
        code: 'TLS_ERROR',
        message: `${where} offers AUTH only over TLS (after STARTTLS); set security to starttls or tls.`,
      });
    }
    throw new StageFailure({ code: 'PROTOCOL_ERROR', message: `${where} does not offer AUTH; turn auth off or check the server.` });
  }
  // AUTH PLAIN puts the password in its first line. Unencrypted, prefer LOGIN: a server that
  // wants TLS first (538) refuses it before the password is on the wire.
  const method = !session.encrypted && session.offersAuthMethod('LOGIN') ? 'LOGIN' : undefined;
  await session.login(settings.username ?? '', secrets.password ?? '', method);
}
