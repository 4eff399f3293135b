import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseEnvironment } from '../../apps/api/src/config/environment';
import { CORS_PREFLIGHT_MAX_AGE_SECONDS } from '../../apps/api/src/cors';
import { freePort } from '../support/postgres';
import { expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';

const API = '/api/v1';
const CONSOLE = 'https://console.example.com';
const LOCAL_CONSOLE = 'http://localhost:5173';
const REQUEST_HEADERS = 'authorization,x-api-key,if-match,content-type';
const EXPOSED = ['etag', 'location', 'retry-after', 'x-request-id'];
const BUILD = path.resolve(__dirname, '..', '..');

const listOf = (header: string | null): string[] => (header ?? '').split(',').map((item) => item.trim().toLowerCase());

/**
 * A browser's preflight, sent with fetch itself rather than `t.call`: it is CORS machinery,
 * not an operation of the API document.
 */
async function preflight(t: TestApp, url: string, origin: string, method: string, requestHeaders = REQUEST_HEADERS): Promise<Reply> {
  const response = await fetch(t.baseUrl + url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders },
  });
  const text = await response.text();
  const body: unknown = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body, text };
}

function expectNoCors(reply: Reply): void {
  const granted = [...reply.headers.keys()].filter((name) => name.startsWith('access-control-'));
  assert.deepEqual(granted, [], `unexpected CORS headers on ${reply.status}`);
}

/** The grant an allowed origin's actual (non-preflight) request must carry, errors included. */
function expectGrant(reply: Reply, origin: string): void {
  assert.equal(reply.headers.get('access-control-allow-origin'), origin);
  assert.ok(listOf(reply.headers.get('vary')).includes('origin'), `no Vary: Origin on ${reply.status}`);
  assert.equal(reply.headers.get('access-control-allow-credentials'), null);
  const exposed = listOf(reply.headers.get('access-control-expose-headers'));
  for (const header of EXPOSED) assert.ok(exposed.includes(header), `${header} not exposed on ${reply.status}`);
}

const BOOT_TIMEOUT_MS = 30_000;

/** Boots the real entry point with `env` and returns how it ended; one still running after BOOT_TIMEOUT_MS is killed (code null). */
async function bootWith(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cors-'));
  const port = String(await freePort());
  const child = spawn(
    process.execPath,
    ['--require', path.join(BUILD, 'test', 'support', 'paths.js'), path.join(BUILD, 'apps', 'api', 'src', 'main.js')],
    {
      env: { PATH: process.env.PATH, PORT: port, HOST: '127.0.0.1', SWITCHBOARD_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), BOOT_TIMEOUT_MS);
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, stderr: Buffer.concat(stderr).toString('utf8') });
    }),
  );
}

describe('cors: unset', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp('sqlite');
  });
  after(() => t.close());

  it('grants no origin anything, preflights included', async () => {
    const get = await t.call('GET', `${API}/health/ready`, { headers: { origin: CONSOLE } });
    assert.equal(get.status, 200);
    expectNoCors(get);
    assert.ok(!listOf(get.headers.get('vary')).includes('origin'));
    const options = await preflight(t, `${API}/projects`, CONSOLE, 'POST');
    expectProblem(options, 404, 'NOT_FOUND');
    expectNoCors(options);
  });
});

describe('cors: allowed origins (sqlite)', () => {
  let t: TestApp;
  let admin: string;

  before(async () => {
    // Through the environment parser: the configured forms normalize to what browsers send.
    const { corsOrigins } = parseEnvironment({ SWITCHBOARD_CORS_ORIGINS: ` ${CONSOLE}:443/ , HTTP://LocalHost:5173` });
    t = await startTestApp('sqlite', { corsOrigins });
    admin = (await t.login()).accessToken;
  });
  after(() => t.close());

  it('answers preflights for every method the API uses with its headers, before authentication', async () => {
    const url = `${API}/projects/default/connections/0190c5a0-0000-7000-8000-000000000000`;
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const origin of [CONSOLE, LOCAL_CONSOLE]) {
        const reply = await preflight(t, url, origin, method);
        assert.equal(reply.status, 204, `${method} preflight from ${origin}: ${reply.status} ${reply.text}`);
        assert.equal(reply.text, '');
        assert.equal(reply.headers.get('access-control-allow-origin'), origin);
        assert.ok(listOf(reply.headers.get('access-control-allow-methods')).includes(method.toLowerCase()), method);
        const allowed = listOf(reply.headers.get('access-control-allow-headers'));
        for (const header of REQUEST_HEADERS.split(',')) assert.ok(allowed.includes(header), `${header} not allowed`);
        assert.equal(reply.headers.get('access-control-max-age'), String(CORS_PREFLIGHT_MAX_AGE_SECONDS));
        assert.ok(listOf(reply.headers.get('vary')).includes('origin'));
        assert.equal(reply.headers.get('access-control-allow-credentials'), null);
        // A preflight is a request like any other in the logs: it carries its id too.
        assert.match(reply.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      }
    }
  });

  it('answers preflights before rate limits, and lets the console read the 429 and its Retry-After', async () => {
    const login = `${API}/auth/login`;
    let limited: Reply | undefined;
    for (let attempt = 0; attempt < 15 && !limited; attempt++) {
      const reply = await t.call('POST', login, {
        headers: { origin: CONSOLE },
        body: { email: 'nobody@switchboard.test', password: 'wrong-password-123' },
      });
      if (reply.status === 429) limited = reply;
    }
    assert.ok(limited, 'the login throttle never answered 429');
    expectProblem(limited, 429, 'RATE_LIMITED');
    expectGrant(limited, CONSOLE);
    assert.ok(limited.headers.get('retry-after'));
    assert.equal((await preflight(t, login, CONSOLE, 'POST', 'content-type')).status, 204);
  });

  it('grants actual requests: created, read and merge-patched connections expose ETag and Location', async () => {
    const collection = `${API}/projects/default/connections`;
    const headers = { origin: CONSOLE };
    const created = await t.call('POST', collection, {
      token: admin,
      headers,
      body: { name: 'cors-files', type: 'sqlite', config: { path: 'cors.db' } },
    });
    assert.equal(created.status, 201, created.text);
    expectGrant(created, CONSOLE);
    assert.ok(created.headers.get('location'));
    const read = await t.call('GET', `${collection}/cors-files`, { token: admin, headers });
    assert.equal(read.status, 200);
    expectGrant(read, CONSOLE);
    const etag = read.headers.get('etag');
    assert.ok(etag);
    assert.ok(read.headers.get('x-request-id'));
    const patched = await t.call('PATCH', `${collection}/cors-files`, {
      token: admin,
      headers: { ...headers, 'content-type': 'application/merge-patch+json', 'if-match': etag },
      body: { description: 'patched from a console' },
    });
    assert.equal(patched.status, 200, patched.text);
    expectGrant(patched, CONSOLE);
    assert.notEqual(patched.headers.get('etag'), etag);
  });

  it('grants error replies too, so a console can read the problem', async () => {
    const unauthenticated = await t.call('GET', `${API}/projects`, { headers: { origin: CONSOLE } });
    expectProblem(unauthenticated, 401, 'UNAUTHORIZED');
    expectGrant(unauthenticated, CONSOLE);
    const missing = await t.call('GET', `${API}/no-such-route`, { headers: { origin: LOCAL_CONSOLE } });
    expectProblem(missing, 404, 'NOT_FOUND');
    expectGrant(missing, LOCAL_CONSOLE);
    const unsupported = await t.call('POST', `${API}/projects`, {
      token: admin,
      headers: { origin: CONSOLE, 'content-type': 'text/plain' },
      body: 'slug=x',
    });
    expectProblem(unsupported, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectGrant(unsupported, CONSOLE);
  });

  it('grants nothing to other origins, near misses included, nor to requests without an Origin', async () => {
    const others = [
      'https://evil.example',
      'http://console.example.com',
      'https://console.example.com:8443',
      'https://app.console.example.com',
      'https://console.example.com.evil.example',
      'http://localhost:5174',
      'null',
    ];
    for (const origin of others) {
      const options = await preflight(t, `${API}/projects`, origin, 'POST');
      expectProblem(options, 404, 'NOT_FOUND');
      expectNoCors(options);
      const get = await t.call('GET', `${API}/projects`, { token: admin, headers: { origin } });
      assert.equal(get.status, 200);
      expectNoCors(get);
      // A cache must not hand this answer to an allowed origin, nor the reverse.
      assert.ok(listOf(get.headers.get('vary')).includes('origin'), origin);
    }
    expectNoCors(await t.call('GET', `${API}/projects`, { token: admin }));
  });
});

// The entry point for real; config.spec covers the other refused shapes without a process each.
describe('cors: bad SWITCHBOARD_CORS_ORIGINS', () => {
  for (const value of ['ftp://x', 'https://a.com/path', 'https://a.com,,https://b.com']) {
    it(`stops the service with one line naming the variable: ${value}`, async () => {
      const { code, stderr } = await bootWith({ SWITCHBOARD_CORS_ORIGINS: value });
      assert.equal(code, 1);
      assert.match(stderr, /^switchboard: invalid configuration: SWITCHBOARD_CORS_ORIGINS: entry \d+ .+\n$/);
    });
  }
});
