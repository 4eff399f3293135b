import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { makeTempDir, selfSignedCert, startServers, stopServers, type Servers } from '../../../../test/support/servers';
import type { ConnectionConfig, Secrets } from '../connection-type';
import type { ConnectorContext, TestResult } from '../connector';
import { EgressError, EgressGuard, type EgressResolver } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { classifyS3Error, defaultS3Endpoint, S3Connector } from './s3.connector';

const START = { timeout: 90_000 };
const KEY_CANARY = 'AKIACANARY7F3A9C51BE';
const SECRET_CANARY = 'sk-canary-51be02-9f3e';
const TOKEN_CANARY = 'st-canary-0c4d8e-77aa';

/**
 * Names the tests use, counted: `localhost` and one AWS-shaped bucket host reach 127.0.0.1, `evil.test`
 * does too while its bucket host points at the metadata address. Anything else does not resolve.
 */
const lookups: string[] = [];
const resolver: EgressResolver = async (host) => {
  lookups.push(host);
  if (host === 'localhost' || host === 'sb-test.s3.us-east-1.amazonaws.com' || host === 'evil.test')
    return [{ address: '127.0.0.1', family: 4 }];
  if (host === 'sb-test.evil.test') return [{ address: '169.254.169.254', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
/** The default policy, as the service builds it with no SWITCHBOARD_EGRESS_* set. */
const guard = new EgressGuard(EgressPolicy.parse({}), resolver);

function contextFor(ms = 5_000): ConnectorContext {
  const deadline = Date.now() + ms;
  return { signal: AbortSignal.timeout(ms), remainingMs: () => Math.max(0, deadline - Date.now()), egress: guard };
}

const connector = new S3Connector();
const runTest = (config: ConnectionConfig, secrets: Secrets, context = contextFor()): Promise<TestResult> =>
  connector.test({ type: 's3', config, secrets }, context);

const stageNames = (result: TestResult): string[] => result.stages.map((stage) => stage.name);
const failedStage = (result: TestResult): string | undefined => result.stages.find((stage) => !stage.ok)?.name;

/** The result as the API would send it must not carry any of these. */
function assertNoSecrets(result: TestResult, ...secrets: string[]): void {
  const json = JSON.stringify(result);
  for (const secret of secrets) assert.ok(!json.includes(secret), `a secret leaked into the result: ${json}`);
}

/** A TCP listener that counts connections and, unless told to answer, never says a word. */
interface Listener {
  port: number;
  connections: number;
  close(): Promise<void>;
}
async function countingListener(): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const listener = { port: 0, connections: 0, close: async () => undefined };
  const server = net.createServer((socket) => {
    listener.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listener.port = (server.address() as net.AddressInfo).port;
  listener.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return listener;
}

/** Sets environment variables for the duration of `work`, then restores them. */
async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  /* eslint-disable no-restricted-properties -- the test plants the service's own (ambient) AWS settings */
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  /* eslint-enable no-restricted-properties */
}

describe('S3Connector against a real s3rver', () => {
  let servers: Pick<Servers, 's3'> | undefined;
  let silent: Listener;
  let counting: Listener;
  let closedPort = 0;
  let tempDir = '';
  let tlsServer: https.Server | undefined;
  let tlsPort = 0;

  before(async () => {
    servers = await startServers(['s3']);
    await servers.s3.put('exports/2026/a.csv', 'id,name\n1,one\n');
    silent = await countingListener();
    counting = await countingListener();
    // A port that was just free and is closed again: nothing listens there.
    const probe = await countingListener();
    closedPort = probe.port;
    await probe.close();
    tempDir = makeTempDir('s3-connector');
    const cert = selfSignedCert(tempDir);
    tlsServer = https.createServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end());
    await new Promise<void>((resolve) => tlsServer!.listen(0, '127.0.0.1', resolve));
    tlsPort = (tlsServer.address() as net.AddressInfo).port;
  }, START);

  after(async () => {
    await silent?.close();
    await counting?.close();
    tlsServer?.closeAllConnections();
    await new Promise<void>((resolve) => (tlsServer ? tlsServer.close(() => resolve()) : resolve()));
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
    await stopServers(servers);
  });

  const s3 = () => servers!.s3;
  const pathStyle = (extra: ConnectionConfig = {}): ConnectionConfig => ({
    bucket: s3().bucket,
    region: s3().region,
    endpoint: s3().endpoint,
    forcePathStyle: true,
    ...extra,
  });
  const keys = (): Secrets => ({ accessKeyId: s3().accessKeyId, secretAccessKey: s3().secretAccessKey });

  it('lists the bucket path-style with the given keys and reports dns, tcp, auth (HeadBucket) and query (one-key listing)', async () => {
    const result = await runTest(pathStyle({ prefix: 'exports/' }), { ...keys(), sessionToken: TOKEN_CANARY });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.driver, 'aws-sdk-s3');
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'auth', 'query']);
    assert.ok(result.stages.every((stage) => stage.ok && stage.latencyMs >= 0));
    assert.deepEqual(result.details, { bucket: 'sb-test', prefix: 'exports/', objectsSeen: 1 });
    assert.match(result.message, /sb-test.*found objects under "exports\/"/);
    assert.equal(result.error, undefined);
    assertNoSecrets(result, TOKEN_CANARY, 'S3RVER');
  });

  it('reports zero objects under a prefix that holds none, still a success', async () => {
    const result = await runTest(pathStyle({ prefix: 'nothing-here/' }), keys());
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.details?.objectsSeen, 0);
    assert.match(result.message, /no objects under "nothing-here\/"/);
  });

  it('addresses the bucket virtual-hosted unless forcePathStyle: <bucket>.<endpoint host> is resolved, checked and connected to', async () => {
    lookups.length = 0;
    // s3rver serves virtual-hosted requests for <bucket>.s3[.<region>].amazonaws.com; the guard's resolver
    // maps that name to 127.0.0.1 and the socket goes only there (nothing else knows the name).
    const result = await runTest(
      { bucket: s3().bucket, region: 'us-east-1', endpoint: `http://s3.us-east-1.amazonaws.com:${s3().port}` },
      keys(),
    );
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'auth', 'query']);
    assert.deepEqual(lookups, ['sb-test.s3.us-east-1.amazonaws.com']);
  });

  it('checks the bucket host, not only the endpoint host: a bucket name resolving to the metadata address is EGRESS_DENIED', async () => {
    const started = Date.now();
    const result = await runTest({ bucket: 'sb-test', region: 'us-east-1', endpoint: `http://evil.test:${s3().port}` }, keys());
    assert.equal(result.error?.code, 'EGRESS_DENIED', JSON.stringify(result));
    assert.equal(failedStage(result), 'dns');
    assert.match(result.message, /^Could not reach http:\/\/sb-test\.evil\.test:\d+\.$/);
    assert.ok(Date.now() - started < 5_000, 'refused at once, without the SDK retrying');
  });

  it('uses AWS virtual-hosted addressing for the region when no endpoint is set (checked before any connection)', async () => {
    lookups.length = 0;
    assert.equal(defaultS3Endpoint('eu-central-1'), 'https://s3.eu-central-1.amazonaws.com');
    assert.equal(defaultS3Endpoint('cn-north-1'), 'https://s3.cn-north-1.amazonaws.com.cn');
    // The name is unknown to the test resolver: DNS fails, nothing leaves the machine.
    const result = await runTest(
      { bucket: 'acme-exports', region: 'eu-central-1' },
      { accessKeyId: KEY_CANARY, secretAccessKey: SECRET_CANARY },
    );
    assert.equal(result.error?.code, 'DNS_NOT_FOUND', JSON.stringify(result));
    assert.deepEqual(lookups, ['acme-exports.s3.eu-central-1.amazonaws.com']);
    assertNoSecrets(result, KEY_CANARY, SECRET_CANARY);
  });

  it('answers NOT_FOUND for a bucket that does not exist', async () => {
    const result = await runTest(pathStyle({ bucket: 'no-such-bucket' }), keys());
    assert.equal(result.success, false);
    assert.equal(result.error?.code, 'NOT_FOUND', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'auth']);
    assert.equal(failedStage(result), 'auth');
    assert.match(result.message, /Bucket "no-such-bucket" does not exist/);
    assert.deepEqual(result.details, { bucket: 'no-such-bucket' });
  });

  it('answers AUTH_FAILED for an access key the server does not know (HEAD says only 403; the listing tells why)', async () => {
    // s3rver checks the access key ID but not SigV4 signatures, so a wrong secret passes there:
    // SignatureDoesNotMatch is covered below with a fake S3 endpoint and with the classifier.
    const result = await runTest(pathStyle(), { accessKeyId: KEY_CANARY, secretAccessKey: SECRET_CANARY });
    assert.equal(result.error?.code, 'AUTH_FAILED', JSON.stringify(result));
    assert.equal(failedStage(result), 'auth');
    assert.match(result.message, /rejected the credentials \(InvalidAccessKeyId/);
    assertNoSecrets(result, KEY_CANARY, SECRET_CANARY);
  });

  it('fails AUTH_FAILED without any lookup or connection when the keys are missing', async () => {
    const missing: Secrets[] = [
      {},
      { accessKeyId: KEY_CANARY },
      { secretAccessKey: SECRET_CANARY },
      { accessKeyId: '', secretAccessKey: '' },
    ];
    for (const secrets of missing) {
      lookups.length = 0;
      const before = counting.connections;
      const result = await runTest({ bucket: 'sb-test', endpoint: `http://localhost:${counting.port}`, forcePathStyle: true }, secrets);
      assert.equal(result.error?.code, 'AUTH_FAILED', JSON.stringify(result));
      assert.deepEqual(stageNames(result), ['auth']);
      assert.match(result.message, /needs an access key ID and a secret access key/);
      assert.deepEqual(lookups, []);
      assert.equal(counting.connections, before);
      assertNoSecrets(result, KEY_CANARY, SECRET_CANARY);
    }
  });

  it("never falls back to the service's own ambient AWS credentials, profiles or endpoint settings", async () => {
    const credentialsFile = path.join(tempDir, 'credentials');
    fs.writeFileSync(credentialsFile, `[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n`);
    const elsewhere = `http://127.0.0.1:${counting.port}`;
    const ambient = {
      // Valid for s3rver: if the SDK took any of these, the tests below would pass authentication.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_PROFILE: 'default',
      AWS_ENDPOINT_URL: elsewhere,
      AWS_ENDPOINT_URL_S3: elsewhere,
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULTS_MODE: 'auto',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: elsewhere,
    };
    const before = counting.connections;
    await withEnv(ambient, async () => {
      // No keys given: refused before any network, although the environment holds working ones.
      const none = await runTest(pathStyle(), {});
      assert.equal(none.error?.code, 'AUTH_FAILED', JSON.stringify(none));
      assert.deepEqual(stageNames(none), ['auth']);
      // Keys given: exactly those are used, even when the environment's would work and these do not...
      const wrong = await runTest(pathStyle(), { accessKeyId: KEY_CANARY, secretAccessKey: SECRET_CANARY });
      assert.equal(wrong.error?.code, 'AUTH_FAILED', JSON.stringify(wrong));
      assertNoSecrets(wrong, KEY_CANARY, SECRET_CANARY);
    });
    await withEnv({ ...ambient, AWS_ACCESS_KEY_ID: KEY_CANARY, AWS_SECRET_ACCESS_KEY: SECRET_CANARY }, async () => {
      // ...and the other way round; the configured endpoint wins over AWS_ENDPOINT_URL*.
      const right = await runTest(pathStyle(), keys());
      assert.equal(right.success, true, JSON.stringify(right));
    });
    assert.equal(counting.connections, before, 'nothing may reach the ambient endpoint or metadata service');
  });

  it('answers CONNECTION_REFUSED for a closed port, at the tcp stage', async () => {
    const result = await runTest(pathStyle({ endpoint: `http://127.0.0.1:${closedPort}` }), keys());
    assert.equal(result.error?.code, 'CONNECTION_REFUSED', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp']);
    assert.match(result.message, /^Could not reach http:\/\/127\.0\.0\.1:\d+\.$/);
  });

  it('answers TIMEOUT within the deadline when the server accepts TCP and never answers', async () => {
    const deadline = 1_200;
    const started = Date.now();
    const result = await runTest(pathStyle({ endpoint: `http://127.0.0.1:${silent.port}` }), keys(), contextFor(deadline));
    const took = Date.now() - started;
    assert.equal(result.error?.code, 'TIMEOUT', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'auth']);
    assert.equal(failedStage(result), 'auth');
    assert.ok(took < deadline + 750, `took ${took} ms`);
    assert.ok(took >= deadline - 300, `gave up early, after ${took} ms`);
  });

  it('answers EGRESS_DENIED, worded like unreachable, for the metadata address as endpoint', async () => {
    const before = counting.connections;
    const result = await runTest(pathStyle({ endpoint: 'http://169.254.169.254' }), keys());
    assert.equal(result.error?.code, 'EGRESS_DENIED', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns']);
    assert.equal(result.message, 'Could not reach http://169.254.169.254.');
    assert.equal(counting.connections, before);
  });

  it('answers DNS_NOT_FOUND for an endpoint host that does not resolve', async () => {
    const result = await runTest(pathStyle({ endpoint: 'http://nowhere.invalid:9000' }), keys());
    assert.equal(result.error?.code, 'DNS_NOT_FOUND', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns']);
  });

  it('adds a tls stage for https endpoints and answers TLS_ERROR for a certificate it cannot verify', async () => {
    const result = await runTest(pathStyle({ endpoint: `https://localhost:${tlsPort}` }), keys());
    assert.equal(result.error?.code, 'TLS_ERROR', JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'tls']);
    assert.equal(failedStage(result), 'tls');
  });
});

describe('S3Connector against a fake S3 endpoint that answers errors', () => {
  /** HEAD answers the status without a body (as S3 does); GET answers the XML error with `code`. */
  let code = 'SignatureDoesNotMatch';
  let server: http.Server;
  let port = 0;
  const seen: string[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(403, { 'content-type': 'application/xml' });
      if (req.method === 'HEAD') return void res.end();
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} from the fake</Message>` +
          `<AWSAccessKeyId>${KEY_CANARY}</AWSAccessKeyId><StringToSign>${SECRET_CANARY}</StringToSign></Error>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const config = (): ConnectionConfig => ({ bucket: 'sb-test', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true });
  const secrets = { accessKeyId: KEY_CANARY, secretAccessKey: SECRET_CANARY, sessionToken: TOKEN_CANARY };

  for (const [serverCode, expected] of [
    ['SignatureDoesNotMatch', 'AUTH_FAILED'],
    ['InvalidAccessKeyId', 'AUTH_FAILED'],
    ['ExpiredToken', 'AUTH_FAILED'],
    ['AccessDenied', 'PERMISSION_DENIED'],
  ] as const) {
    it(`maps a HEAD 403 whose listing says ${serverCode} to ${expected}`, async () => {
      code = serverCode;
      seen.length = 0;
      const result = await runTest(config(), secrets);
      assert.equal(result.error?.code, expected, JSON.stringify(result));
      assert.equal(failedStage(result), 'auth');
      assert.deepEqual(seen, ['HEAD /sb-test/', 'GET /sb-test/?list-type=2&max-keys=1']);
      assert.ok(result.message.includes(serverCode));
      assertNoSecrets(result, KEY_CANARY, SECRET_CANARY, TOKEN_CANARY);
    });
  }
});

describe('classifyS3Error', () => {
  const where = 'https://s3.eu-west-1.amazonaws.com';
  const serviceError = (name: string, status: number, headers: Record<string, string> = {}) =>
    Object.assign(
      new S3ServiceException({
        name,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: status },
        message: `${name} said`,
      }),
      { $response: { statusCode: status, headers, body: undefined } },
    );

  for (const [name, status, expected] of [
    ['InvalidAccessKeyId', 403, 'AUTH_FAILED'],
    ['SignatureDoesNotMatch', 403, 'AUTH_FAILED'],
    ['InvalidToken', 400, 'AUTH_FAILED'],
    ['AccessDenied', 403, 'PERMISSION_DENIED'],
    ['Unknown', 403, 'PERMISSION_DENIED'],
    ['403', 403, 'PERMISSION_DENIED'],
    ['NoSuchBucket', 404, 'NOT_FOUND'],
    ['NotFound', 404, 'NOT_FOUND'],
    ['Unknown', 404, 'NOT_FOUND'],
    ['InternalError', 500, 'PROTOCOL_ERROR'],
    ['SlowDown', 503, 'PROTOCOL_ERROR'],
  ] as const) {
    it(`maps ${name} (HTTP ${status}) to ${expected}`, () => {
      const classified = classifyS3Error(serviceError(name, status), where, 'acme');
      assert.equal(classified.code, expected);
    });
  }

  it('names the right region when the bucket lives elsewhere', () => {
    const classified = classifyS3Error(serviceError('PermanentRedirect', 301, { 'x-amz-bucket-region': 'eu-central-1' }), where, 'acme');
    assert.deepEqual(classified, {
      code: 'PROTOCOL_ERROR',
      message: 'Bucket "acme" is in region eu-central-1; set region to eu-central-1.',
    });
  });

  it('names the region on a body-less 400 from HEAD, but not when the header names the configured region', () => {
    const headers = { 'x-amz-bucket-region': 'ap-south-1' };
    assert.match(
      classifyS3Error(serviceError('Unknown', 400, headers), where, 'acme', undefined, 'eu-west-1').message,
      /set region to ap-south-1/,
    );
    const same = classifyS3Error(serviceError('Unknown', 400, headers), where, 'acme', undefined, 'ap-south-1');
    assert.deepEqual(same, { code: 'PROTOCOL_ERROR', message: `${where} answered HTTP 400.` });
    // A 403 carries the header too; it stays a permission problem.
    assert.equal(classifyS3Error(serviceError('Unknown', 403, headers), where, 'acme', undefined, 'eu-west-1').code, 'PERMISSION_DENIED');
  });

  it('maps deadlines, sockets and the egress pin like the other connectors', () => {
    const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    assert.equal(classifyS3Error(timeout, where, 'acme').code, 'TIMEOUT');
    const aborted = AbortSignal.abort();
    assert.equal(classifyS3Error(new Error('whatever'), where, 'acme', aborted).code, 'TIMEOUT');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(classifyS3Error(refused, where, 'acme').code, 'CONNECTION_REFUSED');
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' });
    assert.equal(classifyS3Error(reset, where, 'acme').code, 'PROTOCOL_ERROR');
    const pinned = new EgressError('EGRESS_DENIED', 'other.example.com', 'host-mismatch');
    assert.deepEqual(classifyS3Error(pinned, where, 'acme'), { code: 'EGRESS_DENIED', message: `Could not reach ${where}.` });
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    assert.equal(classifyS3Error(tls, where, 'acme').code, 'TLS_ERROR');
  });
});
