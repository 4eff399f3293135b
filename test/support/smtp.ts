import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { listenOnLoopback, makeTempDir, selfSignedCert } from './servers';

/**
 * A real SMTP server (smtp-server) on 127.0.0.1: STARTTLS with a self-signed certificate made
 * at start, AUTH PLAIN/LOGIN (only after STARTTLS, as on a real relay), plus a second listener
 * with implicit TLS (`tlsPort`, "SMTPS"). Received messages are kept in `messages`.
 */
export interface SmtpServer {
  host: string;
  /** Plain SMTP port offering STARTTLS. */
  port: number;
  /** Implicit-TLS port (secure: true). */
  tlsPort: number;
  username: string;
  password: string;
  /** PEM of the self-signed certificate (CN=localhost, SAN DNS:localhost, IP:127.0.0.1); pin it as `tls.ca`. */
  ca: string;
  /** Messages received by either listener, oldest first. */
  messages: ReceivedMail[];
  /** Authentication attempts, successful or not. */
  authAttempts: { method: string; username: string; ok: boolean }[];
  stop(): Promise<void>;
}

/** An smtp connection's config for this server: STARTTLS on the plain port, signed in, sending as switchboard@example.com. */
export function smtpConfig(smtp: SmtpServer): Record<string, unknown> {
  return {
    host: 'localhost',
    port: smtp.port,
    security: 'starttls',
    auth: true,
    username: smtp.username,
    from: 'switchboard@example.com',
    addressToTest: 'ops@example.com',
  };
}

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  subject: string | undefined;
  /** Size of the raw message in bytes. */
  size: number;
  raw: string;
  /** The user the session authenticated as. */
  user: string | undefined;
  /** Whether the session was under TLS (STARTTLS or implicit). */
  secure: boolean;
  receivedAt: Date;
}

const MAX_SIZE = 10 * 1024 * 1024;

function subjectOf(raw: string): string | undefined {
  const headerEnd = raw.search(/\r?\n\r?\n/);
  const headers = (headerEnd < 0 ? raw : raw.slice(0, headerEnd)).replace(/\r?\n[ \t]+/g, ' ');
  return /^subject:[ \t]*(.*)$/im.exec(headers)?.[1]?.trim();
}

async function listen(server: SMTPServer): Promise<number> {
  await listenOnLoopback(server, 'SMTP server');
  // Clients that give up mid-TLS (e.g. a plain TCP reachability check) raise errors; they are not fatal.
  server.on('error', () => undefined);
  return (server.server.address() as AddressInfo).port;
}

export async function startSmtp(): Promise<SmtpServer> {
  const dir = makeTempDir('smtp');
  try {
    return await startIn(dir);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`SMTP server failed to start: ${error instanceof Error ? error.message : error}`, { cause: error });
  }
}

async function startIn(dir: string): Promise<SmtpServer> {
  const { cert, key } = selfSignedCert(dir);
  const username = 'sb-mailer';
  const password = 'sb-mailer-password';
  const messages: ReceivedMail[] = [];
  const authAttempts: SmtpServer['authAttempts'] = [];

  const options = (secure: boolean): SMTPServerOptions => ({
    secure,
    key,
    cert,
    name: 'localhost',
    banner: 'Switchboard test SMTP',
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH only after STARTTLS on the plain port, as on a real relay.
    allowInsecureAuth: false,
    size: MAX_SIZE,
    logger: false,
    // Bounds how long close() waits for clients that did not QUIT.
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      const ok = auth.username === username && auth.password === password;
      authAttempts.push({ method: auth.method, username: auth.username ?? '', ok });
      if (ok) callback(null, { user: username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const { mailFrom, rcptTo } = session.envelope;
        const text = raw.toString('utf8');
        messages.push({
          from: mailFrom ? mailFrom.address : undefined,
          to: rcptTo.map((recipient) => recipient.address),
          subject: subjectOf(text),
          size: raw.length,
          raw: text,
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
          receivedAt: new Date(),
        });
        callback(null, 'Message accepted');
      });
    },
  });

  const plain = new SMTPServer(options(false));
  const implicit = new SMTPServer(options(true));
  const listening: SMTPServer[] = [];
  try {
    const port = await listen(plain);
    listening.push(plain);
    const tlsPort = await listen(implicit);
    listening.push(implicit);
    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      tlsPort,
      username,
      password,
      ca: cert,
      messages,
      authAttempts,
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.all([plain, implicit].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(listening.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    throw error;
  }
}
