import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { makeTempDir, selfSignedCert, startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ConnectionConfig, Secrets } from '../connection-type';
import { ConnectionRejected, type ConnectorContext, type TestResult } from '../connector';
import { EgressGuard, type EgressResolver } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { StageFailure } from '../probes/test-run';
import { classifySmtpError, SmtpConnector, smtpTls, TEST_EMAIL_SUBJECT } from './smtp.connector';

const WRONG_PASSWORD = 'wrong-pw-canary-5c1e9d';

/** localhost and mail.test reach 127.0.0.1 (mail.test is not on the certificate); other names do not resolve. */
const resolver: EgressResolver = async (host) => {
  if (host === 'localhost' || host === 'mail.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const egress = new EgressGuard(EgressPolicy.parse({}), resolver);

function contextFor(ms = 5_000): ConnectorContext {
  const deadline = Date.now() + ms;
  return { signal: AbortSignal.timeout(ms), remainingMs: () => Math.max(0, deadline - Date.now()), egress };
}

const connector = new SmtpConnector();

let servers: Pick<Servers, 'smtp'> | undefined;
const smtp = () => servers!.smtp;

/**
 * Our own STARTTLS and implicit-TLS servers, with their own self-signed certificate, for the
 * cases that end a TLS handshake on the client side (and the implicit-TLS test(), whose TCP
 * probe does too). smtp-server emits 'error' for each such handshake, and the shared test
 * server has no lasting 'error' listener, so there the second one would crash the process.
 */
const own = { dir: '', ca: '', starttlsPort: 0, tlsPort: 0, servers: [] as SMTPServer[], errors: [] as Error[] };

function ownServer(secure: boolean, key: string, cert: string): SMTPServer {
  const server = new SMTPServer({
    secure,
    key,
    cert,
    name: 'localhost',
    banner: 'own TLS SMTP',
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    closeTimeout: 500,
    onAuth(auth, _session, callback) {
      if (auth.username === 'own-user' && auth.password === 'own-password') callback(null, { user: 'own-user' });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
  });
  server.on('error', (error: Error) => own.errors.push(error));
  own.servers.push(server);
  return server;
}

/** A plain-text server with no STARTTLS that refuses recipients at nobody@ (550). */
let strict: SMTPServer | undefined;
let strictPort = 0;
const strictMessages: string[][] = [];
/** Accepts TCP and never says a word. */
let silent: net.Server | undefined;
let silentPort = 0;
const silentSockets = new Set<net.Socket>();
let closedPort = 0;

const listenOn = (server: net.Server | SMTPServer): Promise<number> =>
  new Promise((resolve, reject) => {
    const inner = server instanceof SMTPServer ? server.server : server;
    inner.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((inner.address() as AddressInfo).port));
  });

before(async () => {
  servers = await startServers(['smtp']);
  strict = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    closeTimeout: 500,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('nobody@')) callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        strictMessages.push(session.envelope.rcptTo.map((rcpt) => rcpt.address));
        callback();
      });
    },
  });
  strictPort = await listenOn(strict);
  own.dir = makeTempDir('smtp-spec');
  const { cert, key } = selfSignedCert(own.dir);
  own.ca = cert;
  own.starttlsPort = await listenOn(ownServer(false, key, cert));
  own.tlsPort = await listenOn(ownServer(true, key, cert));
  silent = net.createServer((socket) => silentSockets.add(socket.on('close', () => silentSockets.delete(socket))));
  silentPort = await listenOn(silent);
  const probe = net.createServer();
  closedPort = await listenOn(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

after(async () => {
  await stopServers(servers);
  await new Promise<void>((resolve) => (strict ? strict.close(() => resolve()) : resolve()));
  await Promise.all(own.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  if (own.dir) rmSync(own.dir, { recursive: true, force: true });
  for (const socket of silentSockets) socket.destroy();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
});

/** Config for the shared server: STARTTLS on the plain port, signing in, the test CA pinned. */
const baseConfig = (): ConnectionConfig => ({
  host: 'localhost',
  port: smtp().port,
  security: 'starttls',
  auth: true,
  username: smtp().username,
  from: 'switchboard@example.com',
});
const goodSecrets = (): Secrets => ({ password: smtp().password, tlsCa: smtp().ca });

async function runTest(
  config: ConnectionConfig,
  secrets: Secrets = goodSecrets(),
  ms = 5_000,
): Promise<{ result: TestResult; elapsed: number }> {
  const started = Date.now();
  const result = await connector.test({ type: 'smtp', config, secrets }, contextFor(ms));
  return { result, elapsed: Date.now() - started };
}

const stageNames = (result: TestResult) => result.stages.map((stage) => `${stage.name}:${stage.ok ? 'ok' : 'failed'}`);

function assertFailed(result: TestResult, code: string, failedStage: string): void {
  assert.equal(result.success, false, JSON.stringify(result));
  assert.equal(result.error?.code, code, JSON.stringify(result));
  const last = result.stages.at(-1);
  assert.equal(last?.name, failedStage, JSON.stringify(result.stages));
  assert.equal(last?.ok, false);
  assert.equal(last?.error?.code, code);
  assert.equal(result.message, result.error?.message);
  assert.ok(!/\n\s+at /.test(JSON.stringify(result)), 'no stack trace in the result');
}

function assertNoSecret(value: unknown, ...secrets: string[]): void {
  const text = JSON.stringify(value);
  for (const secret of secrets) assert.ok(!text.includes(secret), `a secret leaked: ${text}`);
}

async function sendFailure(action: Promise<unknown>): Promise<StageFailure> {
  try {
    await action;
  } catch (error) {
    assert.ok(error instanceof StageFailure, `expected a StageFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the send to fail');
}

describe('SmtpConnector.test', () => {
  it('connects with STARTTLS, verifies the pinned CA, signs in, and sends no mail', async () => {
    const messagesBefore = smtp().messages.length;
    const attemptsBefore = smtp().authAttempts.length;
    const { result } = await runTest(baseConfig());
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.driver, 'nodemailer');
    assert.deepEqual(stageNames(result), ['dns:ok', 'tcp:ok', 'handshake:ok', 'auth:ok']);
    assert.equal(result.serverVersion, 'localhost ESMTP Switchboard test SMTP');
    assert.equal(result.details?.encrypted, true);
    assert.match(result.message, /with STARTTLS and signed in as sb-mailer; no mail was sent/);
    assert.ok(result.stages.every((stage) => stage.latencyMs >= 0));
    assert.equal(smtp().messages.length, messagesBefore, 'test() must not send mail');
    assert.deepEqual(smtp().authAttempts.slice(attemptsBefore), [{ method: 'PLAIN', username: 'sb-mailer', ok: true }]);
    assertNoSecret(result, smtp().password);
  });

  it('connects over implicit TLS on the SMTPS port', async () => {
    const { result } = await runTest(
      { ...baseConfig(), port: own.tlsPort, security: 'tls', username: 'own-user' },
      { password: 'own-password', tlsCa: own.ca },
    );
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns:ok', 'tcp:ok', 'handshake:ok', 'auth:ok']);
    assert.equal(result.details?.encrypted, true);
    assert.match(result.message, /over TLS and signed in as own-user/);
    assert.equal(result.serverVersion, 'localhost ESMTP own TLS SMTP');
  });

  it('runs no auth stage when auth is off', async () => {
    const attemptsBefore = smtp().authAttempts.length;
    const { result } = await runTest({ ...baseConfig(), auth: false, username: undefined }, { tlsCa: smtp().ca });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns:ok', 'tcp:ok', 'handshake:ok']);
    assert.equal(smtp().authAttempts.length, attemptsBefore);
  });

  it('checks an IP literal host against the certificate IP SAN (no SNI)', async () => {
    assert.equal(smtpTls({ host: '127.0.0.1' }, {}).servername, undefined);
    assert.equal(smtpTls({ host: 'localhost' }, {}).servername, 'localhost');
    const { result } = await runTest({ ...baseConfig(), host: '127.0.0.1' });
    assert.equal(result.success, true, JSON.stringify(result));
  });

  it('answers TLS_ERROR for the self-signed certificate without tlsCa (STARTTLS and implicit TLS)', async () => {
    const config = { ...baseConfig(), username: 'own-user' };
    const starttls = (await runTest({ ...config, port: own.starttlsPort }, { password: 'own-password' })).result;
    assertFailed(starttls, 'TLS_ERROR', 'handshake');
    assert.match(starttls.message, /self[- ]signed/i);
    const implicit = (await runTest({ ...config, port: own.tlsPort, security: 'tls' }, { password: 'own-password' })).result;
    assertFailed(implicit, 'TLS_ERROR', 'handshake');
    assert.match(implicit.message, /self[- ]signed/i);
    assertNoSecret([starttls, implicit], 'own-password');
  });

  it('answers TLS_ERROR when the certificate is not for the configured host name', async () => {
    const { result } = await runTest({ ...baseConfig(), host: 'mail.test', port: own.starttlsPort }, { tlsCa: own.ca, password: 'x-1' });
    assertFailed(result, 'TLS_ERROR', 'handshake');
    assert.match(result.message, /mail\.test/);
    const implicit = (await runTest({ ...baseConfig(), host: 'mail.test', port: own.tlsPort, security: 'tls' }, { tlsCa: own.ca })).result;
    assertFailed(implicit, 'TLS_ERROR', 'handshake');
  });

  it('accepts the self-signed certificate when tlsVerify is false', async () => {
    const { result } = await runTest({ ...baseConfig(), tlsVerify: false }, { password: smtp().password });
    assert.equal(result.success, true, JSON.stringify(result));
  });

  it('answers AUTH_FAILED for a wrong password, without the password in the result', async () => {
    const { result } = await runTest(baseConfig(), { password: WRONG_PASSWORD, tlsCa: smtp().ca });
    assertFailed(result, 'AUTH_FAILED', 'auth');
    assert.deepEqual(stageNames(result), ['dns:ok', 'tcp:ok', 'handshake:ok', 'auth:failed']);
    assert.match(result.message, /535/);
    assertNoSecret(result, WRONG_PASSWORD);
    assert.deepEqual(smtp().authAttempts.at(-1), { method: 'PLAIN', username: 'sb-mailer', ok: false });
  });

  it('answers TLS_ERROR, without sending the password, when security is none and AUTH needs STARTTLS', async () => {
    const attemptsBefore = smtp().authAttempts.length;
    const { result } = await runTest({ ...baseConfig(), security: 'none' });
    assertFailed(result, 'TLS_ERROR', 'auth');
    assert.deepEqual(stageNames(result), ['dns:ok', 'tcp:ok', 'handshake:ok', 'auth:failed']);
    assert.match(result.message, /only over TLS.*set security to starttls or tls/);
    assert.equal(smtp().authAttempts.length, attemptsBefore, 'the password must not be sent');
    assertNoSecret(result, smtp().password);
  });

  it('connects in plain text when security is none and auth is off', async () => {
    const { result } = await runTest({ ...baseConfig(), security: 'none', auth: false });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.details?.encrypted, false);
    assert.match(result.message, /without encryption/);
  });

  it('answers TLS_ERROR when starttls is required and the server does not offer it', async () => {
    const { result } = await runTest({ host: 'localhost', port: strictPort, security: 'starttls' });
    assertFailed(result, 'TLS_ERROR', 'handshake');
    // What to change, not only what went wrong.
    assert.match(result.message, /does not offer STARTTLS.*set security to tls .*or to none .*or enable STARTTLS on the server/);
  });

  it('answers PROTOCOL_ERROR when auth is on and the server offers no AUTH at all', async () => {
    const { result } = await runTest(
      { host: 'localhost', port: strictPort, security: 'none', auth: true, username: 'u' },
      { password: 'p-123' },
    );
    assertFailed(result, 'PROTOCOL_ERROR', 'auth');
    assert.match(result.message, /does not offer AUTH/);
  });

  it('answers CONNECTION_REFUSED for a closed port', async () => {
    const { result } = await runTest({ ...baseConfig(), port: closedPort });
    assertFailed(result, 'CONNECTION_REFUSED', 'tcp');
  });

  it('answers TIMEOUT for a server that never greets, within the deadline', async () => {
    const { result, elapsed } = await runTest({ ...baseConfig(), port: silentPort }, goodSecrets(), 800);
    assertFailed(result, 'TIMEOUT', 'handshake');
    assert.deepEqual(stageNames(result), ['dns:ok', 'tcp:ok', 'handshake:failed']);
    // Far below the mail library's own 30 s greeting timeout: the 800 ms deadline ended it.
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
  });

  it('honours a shorter greetingTimeoutMs', async () => {
    const { result, elapsed } = await runTest(
      { ...baseConfig(), port: silentPort, additionalProperties: { greetingTimeoutMs: 200 } },
      goodSecrets(),
      30_000,
    );
    assertFailed(result, 'TIMEOUT', 'handshake');
    assert.match(result.message, /no SMTP greeting/);
    // Far below the 30 s deadline: the 200 ms greeting timeout ended it.
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
  });

  it('answers EGRESS_DENIED for the cloud metadata address, before connecting', async () => {
    const { result } = await runTest({ ...baseConfig(), host: '169.254.169.254', port: 25 });
    assertFailed(result, 'EGRESS_DENIED', 'dns');
    assert.deepEqual(stageNames(result), ['dns:failed']);
  });

  it('answers DNS_NOT_FOUND for a host that does not resolve', async () => {
    const { result } = await runTest({ ...baseConfig(), host: 'nowhere.invalid' });
    assertFailed(result, 'DNS_NOT_FOUND', 'dns');
  });
});

describe('SmtpConnector.sendTestEmail', () => {
  const send = (config: ConnectionConfig, to: string, secrets: Secrets = goodSecrets(), ms = 5_000) =>
    connector.sendTestEmail({ type: 'smtp', config, secrets }, contextFor(ms), to);

  it('delivers exactly one message and returns the accepted recipient and the message id', async () => {
    const before = smtp().messages.length;
    const result = await send(baseConfig(), 'ops@example.com');
    assert.deepEqual(result.accepted, ['ops@example.com']);
    assert.deepEqual(result.rejected, []);
    assert.match(result.messageId, /^<[^>]+@[^>]+>$/);
    assert.match(result.response, /^250 /);
    const received = smtp().messages.slice(before);
    assert.equal(received.length, 1);
    const [mail] = received;
    assert.deepEqual(mail.to, ['ops@example.com']);
    assert.equal(mail.from, 'switchboard@example.com');
    assert.equal(mail.subject, TEST_EMAIL_SUBJECT);
    assert.equal(mail.user, 'sb-mailer');
    assert.equal(mail.secure, true);
    assert.ok(mail.raw.includes(`Message-ID: ${result.messageId}`), mail.raw);
    assert.match(mail.raw, /This is a test email from Switchboard/);
  });

  it('delivers over implicit TLS as well', async () => {
    const before = smtp().messages.length;
    const result = await send({ ...baseConfig(), port: smtp().tlsPort, security: 'tls' }, 'tls@example.com');
    assert.deepEqual(result.accepted, ['tls@example.com']);
    assert.equal(smtp().messages.length, before + 1);
  });

  it('refuses (ConnectionRejected) without a from address, before connecting', async () => {
    const before = smtp().messages.length;
    await assert.rejects(send({ ...baseConfig(), from: undefined }, 'ops@example.com'), ConnectionRejected);
    assert.equal(smtp().messages.length, before);
  });

  it('refuses a recipient that is not one plain address', async () => {
    for (const to of ['', 'a@example.com, b@example.com', 'Ops <ops@example.com>', 'ops@example.com\r\nRCPT TO:<x@y.z>', 'nobody']) {
      await assert.rejects(send(baseConfig(), to), ConnectionRejected, JSON.stringify(to));
    }
  });

  it('throws PROTOCOL_ERROR with the server reply for a rejected recipient', async () => {
    const before = strictMessages.length;
    const failure = await sendFailure(
      send({ host: 'localhost', port: strictPort, security: 'none', from: 'sb@example.com' }, 'nobody@example.com'),
    );
    assert.equal(failure.testError.code, 'PROTOCOL_ERROR');
    assert.match(failure.testError.message, /550/);
    assert.match(failure.testError.message, /No such user/);
    assert.equal(strictMessages.length, before);
    // The same server takes a recipient it knows.
    const ok = await send({ host: 'localhost', port: strictPort, security: 'none', from: 'sb@example.com' }, 'someone@example.com');
    assert.deepEqual(ok.accepted, ['someone@example.com']);
    assert.deepEqual(strictMessages.at(-1), ['someone@example.com']);
  });

  it('throws AUTH_FAILED for a wrong password, sends nothing and leaks nothing', async () => {
    const before = smtp().messages.length;
    const failure = await sendFailure(send(baseConfig(), 'ops@example.com', { password: WRONG_PASSWORD, tlsCa: smtp().ca }));
    assert.equal(failure.testError.code, 'AUTH_FAILED');
    assertNoSecret(failure.testError, WRONG_PASSWORD);
    assert.ok(!failure.message.includes(WRONG_PASSWORD));
    assert.equal(smtp().messages.length, before);
  });

  it('throws TLS_ERROR without sending when security is none and AUTH needs STARTTLS', async () => {
    const before = smtp().messages.length;
    const failure = await sendFailure(send({ ...baseConfig(), security: 'none' }, 'ops@example.com'));
    assert.equal(failure.testError.code, 'TLS_ERROR');
    assert.equal(smtp().messages.length, before);
  });

  it('throws EGRESS_DENIED for the metadata address, TIMEOUT for a silent server, CONNECTION_REFUSED for a closed port', async () => {
    const denied = await sendFailure(send({ ...baseConfig(), host: '169.254.169.254' }, 'ops@example.com'));
    assert.equal(denied.testError.code, 'EGRESS_DENIED');
    const started = Date.now();
    const slow = await sendFailure(send({ ...baseConfig(), port: silentPort }, 'ops@example.com', goodSecrets(), 600));
    assert.equal(slow.testError.code, 'TIMEOUT');
    assert.ok(Date.now() - started < 10_000, 'it waited for the greeting timeout, not the 600 ms deadline');
    const refused = await sendFailure(send({ ...baseConfig(), port: closedPort }, 'ops@example.com'));
    assert.equal(refused.testError.code, 'CONNECTION_REFUSED');
  });
});

describe('classifySmtpError', () => {
  const classify = (error: object) => classifySmtpError(Object.assign(new Error('boom'), error), 'mx:25').code;

  it('maps nodemailer codes and reply codes to the stable codes', () => {
    assert.equal(classify({ code: 'EAUTH', responseCode: 535 }), 'AUTH_FAILED');
    assert.equal(classify({ code: 'EAUTH', responseCode: 538 }), 'TLS_ERROR');
    assert.equal(classify({ code: 'ETLS' }), 'TLS_ERROR');
    assert.equal(classify({ code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'TLS_ERROR');
    assert.equal(classify({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), 'CONNECTION_REFUSED');
    assert.equal(classify({ code: 'ECONNECTION' }), 'CONNECTION_REFUSED');
    assert.equal(classify({ code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }), 'TIMEOUT');
    assert.equal(classify({ code: 'EENVELOPE', responseCode: 550, response: '550 no' }), 'PROTOCOL_ERROR');
    assert.equal(classify({ code: 'EPROTOCOL' }), 'PROTOCOL_ERROR');
    assert.equal(classify({ name: 'AbortError' }), 'TIMEOUT');
  });
});
