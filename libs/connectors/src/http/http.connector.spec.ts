import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ConnectionConfig, Secrets } from '../connection-type';
import type { ConnectorContext, TestResult } from '../connector';
import { EgressGuard, EgressResolver } from '../egress/egress-guard';
import { EgressPolicy } from '../egress/egress-policy';
import { HttpConnector, healthUrl } from './http.connector';

const PASSWORD = 'pw-canary-7f3a9c';
const TOKEN = 'tok-canary-51be02';

/** Names the tests use: localhost and api.test reach 127.0.0.1, denied.test the denied 127.0.0.2. */
const resolver: EgressResolver = async (host) => {
  if (host === 'localhost' || host === 'api.test') return [{ address: '127.0.0.1', family: 4 }];
  if (host === 'denied.test') return [{ address: '127.0.0.2', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const guard = new EgressGuard(EgressPolicy.parse({ deny: '127.0.0.2' }), resolver);

function contextFor(ms = 3_000): ConnectorContext {
  const deadline = Date.now() + ms;
  return { signal: AbortSignal.timeout(ms), remainingMs: () => Math.max(0, deadline - Date.now()), egress: guard };
}

const connector = new HttpConnector();
const runTest = (config: ConnectionConfig, secrets: Secrets = {}, context = contextFor()): Promise<TestResult> =>
  connector.test({ type: 'http', config, secrets }, context);

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Requests each server received, newest last. */
const seen: { main: Seen[]; other: Seen[]; tls: Seen[] } = { main: [], other: [], tls: [] };
let mainPort = 0;
let otherPort = 0;
let tlsPort = 0;
/** https that asks for a client certificate signed by the client CA, and refuses the handshake without one. */
let mutualTlsPort = 0;
/** PEM: the servers' self-signed certificate (their own CA), another CA, and a client certificate with its key. */
const pem = { serverCert: '', otherCa: '', clientCert: '', clientKey: '' };
let closedPort = 0;
let tempDir = '';
const servers: http.Server[] = [];
/** Whether the last 16 MiB body of /big was sent to the end. */
const bigBody = { complete: true };
const main = (p: string): string => `http://127.0.0.1:${mainPort}${p}`;

function mainHandler(req: IncomingMessage, res: ServerResponse): void {
  seen.main.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  const url = new URL(req.url ?? '/', 'http://x');
  const redirect = (location: string, status = 302): void => {
    res.writeHead(status, { location });
    res.end('moved');
  };
  switch (url.pathname) {
    case '/ok':
    case '/api/v2/health':
      res.writeHead(200, { server: `switchboard-test/1.0 ${'x'.repeat(200)}`, 'content-type': 'text/plain' });
      res.end('ok');
      return;
    case '/status':
      res.writeHead(Number(url.searchParams.get('code')));
      res.end('status');
      return;
    case '/basic': {
      const expected = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
      res.writeHead(req.headers.authorization === expected ? 200 : 401, { 'www-authenticate': 'Basic realm="t"' });
      res.end();
      return;
    }
    case '/redirect':
      redirect(url.searchParams.get('to') ?? '/ok', Number(url.searchParams.get('status') ?? 302));
      return;
    case '/loop':
      redirect('/loop');
      return;
    case '/slow':
      setTimeout(() => {
        if (!res.destroyed) res.end('late');
      }, 30_000).unref();
      return;
    case '/big': {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      res.once('close', () => (bigBody.complete = res.writableFinished));
      const write = (): void => {
        while (sent < 256 && !res.destroyed) {
          sent += 1;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
      return;
    }
    default:
      res.writeHead(404);
      res.end('no');
  }
}

const listen = (server: http.Server, host = '127.0.0.1'): Promise<number> =>
  new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

before(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), 'http-connector-'));
  const key = path.join(tempDir, 'k');
  const cert = path.join(tempDir, 'c');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert],
    {
      stdio: 'ignore',
    },
  );

  const selfSigned = (name: string, subject: string): { key: string; cert: string } => {
    const [keyFile, certFile] = [path.join(tempDir, `${name}.key`), path.join(tempDir, `${name}.crt`)];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-days', '1', '-keyout', keyFile, '-out', certFile],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  };
  const client = selfSigned('client', '/CN=switchboard-client');
  Object.assign(pem, {
    serverCert: readFileSync(cert, 'utf8'),
    otherCa: selfSigned('other', '/CN=localhost').cert,
    clientCert: client.cert,
    clientKey: client.key,
  });
  const mutualTlsServer = https.createServer(
    { key: readFileSync(key), cert: readFileSync(cert), requestCert: true, rejectUnauthorized: true, ca: client.cert },
    (req, res) => {
      seen.tls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const to = new URL(req.url ?? '/', 'https://localhost').searchParams.get('to');
      if (to) res.writeHead(302, { location: to });
      else res.writeHead(204, { server: 'mutual-tls-test' });
      res.end();
    },
  );
  servers.push(mutualTlsServer);
  mutualTlsPort = await listen(mutualTlsServer);

  const mainServer = http.createServer(mainHandler);
  const otherServer = http.createServer((req, res) => {
    seen.other.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.end('other');
  });
  const tlsServer = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    seen.tls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url === '/down') res.writeHead(302, { location: main('/ok') });
    else res.writeHead(204, { server: 'tls-test' });
    res.end();
  });
  servers.push(mainServer, otherServer, tlsServer);
  [mainPort, otherPort, tlsPort] = await Promise.all([listen(mainServer), listen(otherServer), listen(tlsServer)]);
  const closed = http.createServer();
  closedPort = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
});

after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(tempDir, { recursive: true, force: true });
});

beforeEach(() => {
  seen.main.length = 0;
  seen.other.length = 0;
  seen.tls.length = 0;
});

const stageNames = (result: TestResult): string[] => result.stages.map((stage) => stage.name);
const assertNoSecret = (result: TestResult): void => {
  const json = JSON.stringify(result);
  for (const secret of [PASSWORD, TOKEN, Buffer.from(`alice:${PASSWORD}`).toString('base64')]) {
    assert.ok(!json.includes(secret), `secret leaked: ${json}`);
  }
};

describe('healthUrl', () => {
  it('keeps the base path prefix and joins the health path', () => {
    assert.equal(healthUrl({ baseUrl: 'https://api.example.com/v2', healthPath: '/health' }).href, 'https://api.example.com/v2/health');
    assert.equal(
      healthUrl({ baseUrl: 'https://api.example.com/v2/', healthPath: '/health?x=1' }).href,
      'https://api.example.com/v2/health?x=1',
    );
    assert.equal(healthUrl({ baseUrl: 'https://api.example.com' }).href, 'https://api.example.com/');
  });

  it('never lets the health path change the host', () => {
    assert.equal(healthUrl({ baseUrl: 'https://api.example.com', healthPath: '@evil.test/' }).host, 'api.example.com');
    assert.equal(healthUrl({ baseUrl: 'https://api.example.com', healthPath: '//evil.test/x' }).host, 'api.example.com');
  });
});

describe('HttpConnector', () => {
  it('succeeds on 200 with dns, tcp and http stages, latency, server version and details', async () => {
    const result = await runTest({ baseUrl: main(''), healthPath: '/ok' });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.driver, 'undici');
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'http']);
    assert.ok(result.stages.every((stage) => stage.ok && stage.latencyMs >= 0));
    assert.ok(result.latencyMs > 0);
    assert.equal(result.serverVersion?.length, 100);
    assert.ok(result.serverVersion?.startsWith('switchboard-test/1.0'));
    assert.deepEqual(result.details, { status: 200, url: main('/ok'), redirects: 0 });
    assert.equal(seen.main[0].method, 'GET');
  });

  it('keeps the base URL path prefix, sends the config headers and leaves the query out of the details', async () => {
    const result = await runTest({
      baseUrl: `http://api.test:${mainPort}/api/v2`,
      healthPath: '/health?probe=1',
      headers: { 'X-Trace': 'abc' },
    });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(seen.main[0].url, '/api/v2/health?probe=1');
    assert.equal(seen.main[0].headers.host, `api.test:${mainPort}`);
    assert.equal(seen.main[0].headers['x-trace'], 'abc');
    assert.equal(result.details?.url, `http://api.test:${mainPort}/api/v2/health`);
  });

  it('sends HEAD when configured', async () => {
    const result = await runTest({ baseUrl: main(''), healthPath: '/ok', method: 'HEAD' });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(seen.main[0].method, 'HEAD');
  });

  it('reports a status outside the expected range with its code', async () => {
    const cases: [number, string][] = [
      [500, 'PROTOCOL_ERROR'],
      [403, 'PERMISSION_DENIED'],
      [404, 'NOT_FOUND'],
      [407, 'AUTH_FAILED'],
    ];
    for (const [code, expected] of cases) {
      const result = await runTest({ baseUrl: main(''), healthPath: `/status?code=${code}` });
      assert.equal(result.success, false);
      assert.equal(result.error?.code, expected, `status ${code}`);
      assert.match(result.message, new RegExp(`HTTP ${code}`));
      assert.equal(result.details?.status, code);
      assert.deepEqual(
        result.stages.map((stage) => [stage.name, stage.ok]),
        [
          ['dns', true],
          ['tcp', true],
          ['http', false],
        ],
      );
    }
  });

  it('honours a custom expected status range', async () => {
    const result = await runTest({ baseUrl: main(''), healthPath: '/status?code=404', expectedStatusMin: 404, expectedStatusMax: 404 });
    assert.equal(result.success, true, JSON.stringify(result));
  });

  it('answers AUTH_FAILED for a wrong basic password and never shows it', async () => {
    const wrong = await runTest(
      { baseUrl: main(''), healthPath: '/basic', authType: 'basic', username: 'alice' },
      { password: `${PASSWORD}-wrong` },
    );
    assert.equal(wrong.error?.code, 'AUTH_FAILED');
    assert.match(wrong.message, /HTTP 401/);
    assert.ok(!JSON.stringify(wrong).includes(PASSWORD));
    const right = await runTest({ baseUrl: main(''), healthPath: '/basic', authType: 'basic', username: 'alice' }, { password: PASSWORD });
    assert.equal(right.success, true, JSON.stringify(right));
    assertNoSecret(right);
  });

  it('sends the bearer token and the header token', async () => {
    await runTest({ baseUrl: main(''), healthPath: '/ok', authType: 'bearer' }, { token: TOKEN });
    assert.equal(seen.main[0].headers.authorization, `Bearer ${TOKEN}`);
    const result = await runTest({ baseUrl: main(''), healthPath: '/ok', authType: 'header', headerName: 'X-API-Key' }, { token: TOKEN });
    assert.equal(result.success, true);
    assert.equal(seen.main[1].headers['x-api-key'], TOKEN);
    assert.equal(seen.main[1].headers.authorization, undefined);
    assertNoSecret(result);
  });

  it('follows a same-origin redirect with credentials and counts it', async () => {
    const result = await runTest({ baseUrl: main(''), healthPath: '/redirect?to=/ok', authType: 'bearer' }, { token: TOKEN });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(result.details, { status: 200, url: main('/ok'), redirects: 1 });
    assert.deepEqual(
      seen.main.map((request) => [request.url, request.headers.authorization]),
      [
        ['/redirect?to=/ok', `Bearer ${TOKEN}`],
        ['/ok', `Bearer ${TOKEN}`],
      ],
    );
  });

  it('does not forward credentials to another origin', async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${otherPort}/landing`);
    const basic = await runTest(
      {
        baseUrl: main(''),
        healthPath: `/redirect?to=${to}`,
        authType: 'basic',
        username: 'alice',
        headers: { 'X-Trace': 'abc', Cookie: 'session=1' },
      },
      { password: PASSWORD },
    );
    assert.equal(basic.success, true, JSON.stringify(basic));
    assert.equal(basic.details?.url, `http://127.0.0.1:${otherPort}/landing`);
    const header = await runTest(
      { baseUrl: main(''), healthPath: `/redirect?to=${to}`, authType: 'header', headerName: 'X-API-Key' },
      { token: TOKEN },
    );
    assert.equal(header.success, true, JSON.stringify(header));
    assert.equal(seen.other.length, 2);
    for (const request of seen.other) {
      assert.equal(request.headers.authorization, undefined);
      assert.equal(request.headers['x-api-key'], undefined);
    }
    assert.equal(seen.other[0].headers['x-trace'], 'abc');
    assert.equal(seen.other[0].headers.cookie, undefined);
    assert.equal(seen.main[0].headers.cookie, 'session=1');
    assert.ok(seen.main.every((request) => request.headers.authorization !== undefined || request.headers['x-api-key'] === TOKEN));
  });

  it('re-checks redirect targets: a denied address is EGRESS_DENIED and never contacted', async () => {
    for (const host of ['127.0.0.2', 'denied.test']) {
      const to = encodeURIComponent(`http://${host}:${mainPort}/ok`);
      const result = await runTest({ baseUrl: main(''), healthPath: `/redirect?to=${to}` });
      assert.equal(result.success, false);
      assert.equal(result.error?.code, 'EGRESS_DENIED', JSON.stringify(result));
      assert.equal(result.details?.redirects, 0);
      assert.equal(seen.main.length, 1);
      seen.main.length = 0;
    }
  });

  it('refuses a denied base URL before connecting', async () => {
    const result = await runTest({ baseUrl: `http://denied.test:${mainPort}`, healthPath: '/ok' });
    assert.equal(result.error?.code, 'EGRESS_DENIED');
    assert.deepEqual(stageNames(result), ['dns']);
    assert.equal(seen.main.length, 0);
  });

  it('answers DNS_NOT_FOUND for a name that does not resolve', async () => {
    const result = await runTest({ baseUrl: 'http://nowhere.test', healthPath: '/' });
    assert.equal(result.error?.code, 'DNS_NOT_FOUND');
    assert.deepEqual(stageNames(result), ['dns']);
  });

  it('stops after five redirects', async () => {
    const result = await runTest({ baseUrl: main(''), healthPath: '/loop' });
    assert.equal(result.error?.code, 'PROTOCOL_ERROR');
    assert.match(result.message, /more than 5/);
    assert.equal(result.details?.redirects, 5);
    assert.equal(seen.main.length, 6);
  });

  it('refuses a redirect to another scheme or a downgrade', async () => {
    const result = await runTest({ baseUrl: main(''), healthPath: `/redirect?to=${encodeURIComponent('ftp://127.0.0.1/x')}` });
    assert.equal(result.error?.code, 'PROTOCOL_ERROR');
    assert.equal(seen.main.length, 1);
  });

  it('keeps HEAD across a 303', async () => {
    const result = await runTest({ baseUrl: main(''), healthPath: '/redirect?to=/ok&status=303', method: 'HEAD' });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(
      seen.main.map((request) => request.method),
      ['HEAD', 'HEAD'],
    );
  });

  it('answers TIMEOUT for a slow endpoint within the deadline', async () => {
    const started = Date.now();
    const result = await runTest({ baseUrl: main(''), healthPath: '/slow' }, {}, contextFor(300));
    const took = Date.now() - started;
    assert.equal(result.error?.code, 'TIMEOUT', JSON.stringify(result));
    assert.ok(took < 10_000, `took ${took} ms for a 300 ms deadline (the endpoint answers at 30 s)`);
    assert.equal(result.stages.at(-1)?.name, 'http');
  });

  it('answers CONNECTION_REFUSED for a closed port', async () => {
    const result = await runTest({ baseUrl: `http://127.0.0.1:${closedPort}`, healthPath: '/' });
    assert.equal(result.error?.code, 'CONNECTION_REFUSED', JSON.stringify(result));
    assert.deepEqual(
      result.stages.map((stage) => [stage.name, stage.ok]),
      [
        ['dns', true],
        ['tcp', false],
      ],
    );
  });

  it('reads no more than 64 KiB of a large body and still succeeds', async () => {
    bigBody.complete = true;
    const result = await runTest({ baseUrl: main(''), healthPath: '/big' });
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.details?.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(bigBody.complete, false, 'the whole body was read');
  });

  it('answers TLS_ERROR for a self-signed certificate when tlsVerify is on', async () => {
    const result = await runTest({ baseUrl: `https://localhost:${tlsPort}`, healthPath: '/' }, { token: TOKEN });
    assert.equal(result.error?.code, 'TLS_ERROR', JSON.stringify(result));
    assert.deepEqual(
      result.stages.map((stage) => [stage.name, stage.ok]),
      [
        ['dns', true],
        ['tcp', true],
        ['tls', false],
      ],
    );
    assert.equal(seen.tls.length, 0);
  });

  it('accepts the self-signed certificate when tlsVerify is off, with a tls stage', async () => {
    const result = await runTest(
      { baseUrl: `https://localhost:${tlsPort}`, healthPath: '/ping', tlsVerify: false, authType: 'bearer' },
      { token: TOKEN },
    );
    assert.equal(result.success, true, JSON.stringify(result));
    assert.deepEqual(stageNames(result), ['dns', 'tcp', 'tls', 'http']);
    assert.equal(result.serverVersion, 'tls-test');
    assert.equal(seen.tls[0].headers.host, `localhost:${tlsPort}`);
    assert.equal(seen.tls[0].headers.authorization, `Bearer ${TOKEN}`);
    assertNoSecret(result);
  });

  it('follows an http to https upgrade but not an https to http downgrade', async () => {
    const up = await runTest({
      baseUrl: main(''),
      healthPath: `/redirect?to=${encodeURIComponent(`https://localhost:${tlsPort}/up`)}`,
      tlsVerify: false,
    });
    assert.equal(up.success, true, JSON.stringify(up));
    assert.equal(up.details?.redirects, 1);
    assert.equal(seen.tls[0].url, '/up');
    seen.main.length = 0;
    const down = await runTest({ baseUrl: `https://localhost:${tlsPort}`, healthPath: '/down', tlsVerify: false });
    assert.equal(down.error?.code, 'PROTOCOL_ERROR', JSON.stringify(down));
    assert.equal(seen.main.length, 0);
  });

  describe('tlsCa and a client certificate', () => {
    it('verifies the certificate against tlsCa when given', async () => {
      const result = await runTest({ baseUrl: `https://localhost:${tlsPort}`, healthPath: '/' }, { tlsCa: pem.serverCert });
      assert.equal(result.success, true, JSON.stringify(result));
      assert.deepEqual(stageNames(result), ['dns', 'tcp', 'tls', 'http']);
    });

    it('answers TLS_ERROR when the certificate does not chain to tlsCa', async () => {
      const result = await runTest({ baseUrl: `https://localhost:${tlsPort}`, healthPath: '/' }, { tlsCa: pem.otherCa });
      assert.equal(result.error?.code, 'TLS_ERROR', JSON.stringify(result));
      assert.equal(seen.tls.length, 0);
    });

    it('still checks the host name against tlsCa: the certificate names localhost, not 127.0.0.1', async () => {
      const result = await runTest({ baseUrl: `https://127.0.0.1:${tlsPort}`, healthPath: '/' }, { tlsCa: pem.serverCert });
      assert.equal(result.error?.code, 'TLS_ERROR', JSON.stringify(result));
    });

    it('presents tlsCert and tlsKey to a server that requires a client certificate', async () => {
      const secrets = { tlsCa: pem.serverCert, tlsCert: pem.clientCert, tlsKey: pem.clientKey };
      const result = await runTest({ baseUrl: `https://localhost:${mutualTlsPort}`, healthPath: '/' }, secrets);
      assert.equal(result.success, true, JSON.stringify(result));
      assert.equal(result.serverVersion, 'mutual-tls-test');
      const json = JSON.stringify(result);
      assert.ok(!json.includes('PRIVATE KEY') && !json.includes('CERTIFICATE'), json);
    });

    it('fails without the client certificate', async () => {
      const result = await runTest({ baseUrl: `https://localhost:${mutualTlsPort}`, healthPath: '/' }, { tlsCa: pem.serverCert });
      assert.equal(result.success, false, JSON.stringify(result));
      assert.match(result.error?.message ?? '', /client certificate/, JSON.stringify(result));
      assert.equal(seen.tls.length, 0);
    });

    it("gives the client certificate to baseUrl's host only, not to the host a redirect names", async () => {
      const secrets = { tlsCert: pem.clientCert, tlsKey: pem.clientKey };
      const elsewhere = `https://127.0.0.1:${mutualTlsPort}/`;
      const result = await runTest(
        { baseUrl: `https://localhost:${mutualTlsPort}`, healthPath: `/?to=${encodeURIComponent(elsewhere)}`, tlsVerify: false },
        secrets,
      );
      // The same server under another name: it refuses the handshake of a client without a certificate.
      assert.equal(result.success, false, JSON.stringify(result));
      assert.equal(result.details?.redirects, 1);
      assert.equal(seen.tls.length, 1);
    });
  });
});
