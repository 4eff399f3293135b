import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utils } from 'ssh2';
import { startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ConnectionConfig, Secrets } from '../connection-type';
import type { ConnectorContext, TestResult } from '../connector';
import { EgressGuard } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { loadPrivateKey, SftpConnector, sshFingerprintOf } from './sftp.connector';

const egress = new EgressGuard(EgressPolicy.parse({}));

function contextFor(ms = 5_000): ConnectorContext {
  const deadline = Date.now() + ms;
  return { signal: AbortSignal.timeout(ms), remainingMs: () => Math.max(0, deadline - Date.now()), egress };
}

const connector = new SftpConnector();
const stageNames = (result: TestResult): string[] => result.stages.map((stage) => stage.name);

describe('SftpConnector against a real OpenSSH sshd', () => {
  let servers: Pick<Servers, 'sshd'> | undefined;
  let sshd: Servers['sshd'];
  /** The secrets of the test server: none may appear in any result. */
  let canaries: string[] = [];
  const results: TestResult[] = [];

  const runTest = async (config: Partial<ConnectionConfig>, secrets: Secrets, context = contextFor()): Promise<TestResult> => {
    const result = await connector.test(
      { type: 'sftp', config: { host: sshd.host, port: sshd.port, username: sshd.username, rootPath: sshd.rootDir, ...config }, secrets },
      context,
    );
    results.push(result);
    return result;
  };

  const assertNoSecrets = (result: TestResult, extra: string[] = []): void => {
    const json = JSON.stringify(result);
    for (const secret of [...canaries, ...extra]) assert.ok(!json.includes(secret), `a secret leaked into ${json}`);
  };

  /** What sshd logged (per-connection processes included) since `mark` bytes. */
  const logFile = (): string => path.join(path.dirname(sshd.rootDir), 'sshd.log');
  const logSince = (mark: number): string => fs.readFileSync(logFile(), 'utf8').slice(mark);

  before(async () => {
    servers = await startServers(['sshd']);
    sshd = servers.sshd;
    const keyLines = (key: string) => key.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
    canaries = [sshd.password, sshd.passphrase, ...keyLines(sshd.privateKey), ...keyLines(sshd.encryptedPrivateKey)];
  });

  after(async () => {
    // Every result, success or failure, is free of the server's secrets.
    for (const result of results) assertNoSecrets(result);
    await stopServers(servers);
  });

  it('signs in with a password, runs every stage and reports the observed host key', async () => {
    const mark = fs.statSync(logFile()).size;
    const result = await runTest({}, { password: sshd.password });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.driver, 'ssh2');
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'auth', 'path']);
    assert.ok(result.stages.every((stage) => stage.ok && stage.latencyMs >= 0));
    assert.equal(result.details?.hostKeyFingerprint, sshd.hostKeyFingerprint);
    assert.equal(result.details?.entries, 4); // README.txt, data, nested, empty
    assert.match(result.serverVersion ?? '', /^OpenSSH_\d/);
    assert.equal(result.error, undefined);
    assert.match(result.message, /holds 4 entries/);
    // The control for the "no authentication" check below: sshd logs the sign-in.
    for (let i = 0; i < 40 && !/Accepted password for sbtest/.test(logSince(mark)); i++) await sleep(50);
    assert.match(logSince(mark), /Accepted password for sbtest/);
  });

  it('computes fingerprints the way ssh-keygen -l does', () => {
    const blob = Buffer.from(sshd.hostPublicKey.split(/\s+/)[1], 'base64');
    assert.equal(sshFingerprintOf(blob), sshd.hostKeyFingerprint);
    const file = path.join(path.dirname(sshd.rootDir), 'ssh_host_ed25519_key.pub');
    const keygen = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file]).toString();
    assert.equal(keygen.split(/\s+/)[1], sshd.hostKeyFingerprint);
  });

  it('signs in with a private key', async () => {
    const result = await runTest({}, { privateKey: sshd.privateKey });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'auth', 'path']);
    assert.equal(result.details?.hostKeyFingerprint, sshd.hostKeyFingerprint);
  });

  it('signs in with an encrypted private key and its passphrase', async () => {
    const result = await runTest({}, { privateKey: sshd.encryptedPrivateKey, passphrase: sshd.passphrase });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'auth', 'path']);
  });

  it('falls back to the password when the key is not authorized', async () => {
    const stranger = utils.generateKeyPairSync('ed25519').private;
    const result = await runTest({}, { privateKey: stranger, password: sshd.password });
    assert.equal(result.success, true, JSON.stringify(result));
  });

  it('answers AUTH_FAILED for a wrong passphrase, without the key or passphrase', async () => {
    const wrong = 'wrong-passphrase-canary-31ac';
    const result = await runTest({}, { privateKey: sshd.encryptedPrivateKey, passphrase: wrong });
    assert.equal(result.success, false);
    assert.equal(result.error?.code, 'AUTH_FAILED');
    assert.match(result.message, /private key cannot be used: the passphrase is wrong/);
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'auth']);
    assert.equal(result.details?.hostKeyFingerprint, sshd.hostKeyFingerprint);
    assertNoSecrets(result, [wrong]);
  });

  it('answers TIMEOUT within the deadline for a key whose KDF would take hours', { timeout: 60_000 }, async () => {
    const slowKey = withKdfRounds(sshd.encryptedPrivateKey, 1_000_000);
    const started = Date.now();
    const result = await runTest({}, { privateKey: slowKey, passphrase: sshd.passphrase }, contextFor(1_000));
    const took = Date.now() - started;
    assert.equal(result.error?.code, 'TIMEOUT', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'auth']);
    assert.ok(took < 10_000, `took ${took} ms for a 1000 ms deadline`);
  });

  it('answers AUTH_FAILED for an encrypted key without a passphrase', async () => {
    const result = await runTest({}, { privateKey: sshd.encryptedPrivateKey });
    assert.equal(result.error?.code, 'AUTH_FAILED');
    assert.match(result.message, /encrypted and no passphrase is set/);
  });

  it('answers AUTH_FAILED for a key that cannot be parsed, never quoting it', async () => {
    const garbage = '-----BEGIN OPENSSH PRIVATE KEY-----\nbm90LWEta2V5LWNhbmFyeS0xMjM0NQ==\n-----END OPENSSH PRIVATE KEY-----';
    const result = await runTest({}, { privateKey: garbage });
    assert.equal(result.error?.code, 'AUTH_FAILED');
    assert.match(result.message, /private key cannot be used/);
    assertNoSecrets(result, ['bm90LWEta2V5LWNhbmFyeS0xMjM0NQ']);
    const publicOnly = await runTest({}, { privateKey: sshd.publicKey });
    assert.equal(publicOnly.error?.code, 'AUTH_FAILED');
    assert.match(publicOnly.message, /public key, not a private key/);
  });

  it('answers AUTH_FAILED for a wrong password, which never appears in the result', async () => {
    const wrong = 'wrong-password-canary-9d2e';
    const result = await runTest({}, { password: wrong });
    assert.equal(result.success, false);
    assert.equal(result.error?.code, 'AUTH_FAILED');
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh', 'auth']);
    assert.equal(result.stages[3].ok, false);
    assert.equal(result.details?.hostKeyFingerprint, sshd.hostKeyFingerprint);
    assertNoSecrets(result, [wrong]);
  });

  it('answers AUTH_FAILED without credentials, still reporting the host key to pin', async () => {
    const result = await runTest({}, {});
    assert.equal(result.error?.code, 'AUTH_FAILED');
    assert.match(result.message, /Neither a password nor a private key/);
    assert.equal(result.details?.hostKeyFingerprint, sshd.hostKeyFingerprint);
  });

  it('accepts the pinned fingerprint (with or without padding)', async () => {
    const result = await runTest({ hostKeyFingerprint: sshd.hostKeyFingerprint }, { password: sshd.password });
    assert.equal(result.success, true, JSON.stringify(result));
    const padded = await runTest({ hostKeyFingerprint: `${sshd.hostKeyFingerprint}=` }, { password: sshd.password });
    assert.equal(padded.success, true, JSON.stringify(padded));
  });

  it('refuses another host key with HOST_KEY_MISMATCH before authenticating', async () => {
    const pinned = `SHA256:${'A'.repeat(43)}`;
    const mark = fs.statSync(logFile()).size;
    const result = await runTest({ hostKeyFingerprint: pinned }, { password: sshd.password });
    assert.equal(result.success, false);
    assert.equal(result.error?.code, 'HOST_KEY_MISMATCH');
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh']);
    assert.equal(result.stages[2].ok, false);
    assert.equal(result.details?.hostKeyFingerprint, sshd.hostKeyFingerprint);
    assert.ok(result.message.includes(sshd.hostKeyFingerprint) && result.message.includes(pinned), result.message);
    assert.match(result.message, /set config\.hostKeyFingerprint to it/, 'says how to re-pin');
    // The server never saw a user name, let alone the password.
    await sleep(300);
    assert.doesNotMatch(logSince(mark), /Accepted|Failed|Postponed|Invalid user|for sbtest/);
  });

  it('answers NOT_FOUND for a missing rootPath or one that is a file', async () => {
    const missing = await runTest({ rootPath: path.join(sshd.rootDir, 'no-such-dir') }, { password: sshd.password });
    assert.equal(missing.error?.code, 'NOT_FOUND');
    assert.deepEqual(stageNames(missing), ['dns', 'tcp', 'ssh', 'auth', 'path']);
    assert.equal(missing.stages[4].ok, false);
    assert.equal(missing.details?.hostKeyFingerprint, sshd.hostKeyFingerprint);
    const file = await runTest({ rootPath: path.join(sshd.rootDir, 'README.txt') }, { password: sshd.password });
    assert.equal(file.error?.code, 'NOT_FOUND');
    assert.match(file.message, /is not a directory/);
  });

  it('answers PERMISSION_DENIED for a rootPath the user may not read', async () => {
    const locked = path.join(path.dirname(sshd.rootDir), 'locked');
    fs.mkdirSync(path.join(locked, 'inner'), { recursive: true });
    fs.chmodSync(locked, 0o700); // owned by root; the test user may not enter it
    const unreadable = await runTest({ rootPath: locked }, { password: sshd.password });
    assert.equal(unreadable.error?.code, 'PERMISSION_DENIED', JSON.stringify(unreadable));
    const inside = await runTest({ rootPath: path.join(locked, 'inner') }, { password: sshd.password });
    assert.equal(inside.error?.code, 'PERMISSION_DENIED', JSON.stringify(inside));
  });

  it('counts the entries of a nested rootPath, and of an empty one', async () => {
    const data = await runTest({ rootPath: path.join(sshd.rootDir, 'data') }, { privateKey: sshd.privateKey });
    assert.equal(data.details?.entries, 2);
    const empty = await runTest({ rootPath: path.join(sshd.rootDir, 'empty') }, { privateKey: sshd.privateKey });
    assert.equal(empty.success, true);
    assert.equal(empty.details?.entries, 0);
  });

  it('answers CONNECTION_REFUSED for a closed port', async () => {
    const port = await closedPort();
    const result = await runTest({ port }, { password: sshd.password });
    assert.equal(result.error?.code, 'CONNECTION_REFUSED');
    assert.deepEqual(stageNames(result), ['dns', 'tcp']);
    assert.equal(result.details, undefined);
  });

  it('answers TIMEOUT within the deadline when the server never speaks', { timeout: 10_000 }, async () => {
    const sockets = new Set<net.Socket>();
    const closed: Promise<void>[] = [];
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.resume();
      closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const started = Date.now();
      const result = await runTest({ port }, { password: sshd.password }, contextFor(1_000));
      const took = Date.now() - started;
      assert.equal(result.error?.code, 'TIMEOUT', JSON.stringify(result));
      assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh']);
      // Far below ssh2's own 20 s handshake timeout: the 1000 ms deadline ended it.
      assert.ok(took < 10_000, `took ${took} ms`);
      // Both connections (the tcp probe and ssh2's) were closed by the client.
      assert.equal(closed.length, 2);
      await Promise.all(closed);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('answers EGRESS_DENIED for the cloud metadata address, like unreachable', async () => {
    const result = await runTest({ host: '169.254.169.254', port: 22 }, { password: sshd.password });
    assert.equal(result.error?.code, 'EGRESS_DENIED');
    assert.deepEqual(stageNames(result), ['dns']);
    assert.equal(result.message, 'Could not reach 169.254.169.254:22.');
  });

  it('answers DNS_NOT_FOUND for a name that does not resolve', async () => {
    const result = await runTest({ host: 'no-such-host.invalid' }, { password: sshd.password });
    assert.equal(result.error?.code, 'DNS_NOT_FOUND');
  });

  it('reports a server that is not SSH as PROTOCOL_ERROR', { timeout: 10_000 }, async () => {
    const http = net.createServer((socket) => {
      socket.resume(); // read what the client sends, so its FIN is seen and the socket closes
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const result = await runTest({ port: (http.address() as net.AddressInfo).port }, { password: sshd.password });
      assert.equal(result.error?.code, 'PROTOCOL_ERROR', JSON.stringify(result));
      assert.deepEqual(stageNames(result), ['dns', 'tcp', 'ssh']);
      // The client closed its connection: the server can shut down without waiting.
      await new Promise((resolve) => http.close(resolve));
    } finally {
      http.close();
    }
  });
});

describe('loadPrivateKey', () => {
  const passphrase = 'kdf-test-passphrase';
  let dir = '';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sftp-keys-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const keygen = (name: string, args: string[]): string => {
    const file = path.join(dir, name);
    // Few KDF rounds keep the test fast; the count is read from the key like any other.
    execFileSync('ssh-keygen', ['-q', '-N', passphrase, '-a', '4', '-C', name, '-f', file, ...args], { stdio: 'pipe' });
    return fs.readFileSync(file, 'utf8');
  };

  for (const [name, args] of [
    ['ed25519 aes256-ctr', ['-t', 'ed25519']],
    ['ed25519 aes256-gcm', ['-t', 'ed25519', '-Z', 'aes256-gcm@openssh.com']],
    ['ecdsa aes128-cbc', ['-t', 'ecdsa', '-Z', 'aes128-cbc']],
    ['rsa aes192-ctr', ['-t', 'rsa', '-b', '2048', '-Z', 'aes192-ctr']],
  ] as const) {
    it(`decrypts an OpenSSH ${name} key like ssh2 does`, async () => {
      const text = keygen(name.replace(/\W+/g, '-'), [...args]);
      const ours = await loadPrivateKey(text, passphrase, AbortSignal.timeout(10_000));
      const theirs = utils.parseKey(text, passphrase);
      assert.ok(!(theirs instanceof Error) && !Array.isArray(theirs));
      assert.ok(ours.isPrivateKey());
      assert.deepEqual(ours.getPublicSSH(), theirs.getPublicSSH());
      assert.equal(ours.comment, theirs.comment);
      const data = Buffer.from('sign me');
      assert.equal(ours.verify(data, ours.sign(data)), true);
      assert.equal(theirs.verify(data, ours.sign(data)), true);
      await assert.rejects(loadPrivateKey(text, 'not-the-passphrase', AbortSignal.timeout(10_000)), /passphrase is wrong/);
    });
  }

  it('reads a PEM key with a passphrase through ssh2', async () => {
    const text = keygen('pem-rsa', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']);
    const key = await loadPrivateKey(text, passphrase, AbortSignal.timeout(10_000));
    assert.equal(key.type, 'ssh-rsa');
    await assert.rejects(loadPrivateKey(text, 'not-the-passphrase', AbortSignal.timeout(10_000)), /passphrase is wrong/);
  });

  it('derives the key off the event loop and stops at the deadline', async () => {
    // A million bcrypt rounds (hours of work): only the header counts, the key is never decrypted.
    const text = withKdfRounds(keygen('many-rounds', ['-t', 'ed25519']), 1_000_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = Date.now();
    try {
      await assert.rejects(loadPrivateKey(text, passphrase, AbortSignal.timeout(500)), { name: 'AbortError' });
    } finally {
      clearInterval(timer);
    }
    const took = Date.now() - started;
    assert.ok(took < 10_000, `took ${took} ms for a 500 ms deadline`);
    // Blocked, the loop would not tick at all until the hours of KDF were over.
    assert.ok(ticks >= 3, `the event loop was blocked: ${ticks} ticks in ${took} ms`);
  });
});

/** Rewrites the bcrypt round count in an OpenSSH private key's header. */
function withKdfRounds(text: string, rounds: number): string {
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----\n([\s\S]+)\n-----END OPENSSH PRIVATE KEY-----/.exec(text)?.[1] ?? '';
  const data = Buffer.from(body, 'base64');
  let offset = 'openssh-key-v1\0'.length;
  const skipString = (): void => {
    offset += 4 + data.readUInt32BE(offset);
  };
  skipString(); // cipher
  skipString(); // kdf
  offset += 4; // kdf options length
  skipString(); // salt
  data.writeUInt32BE(rounds, offset);
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${data.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
