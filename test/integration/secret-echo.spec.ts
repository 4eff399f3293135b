import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DRIVERS, startTestApp, type TestApp } from '../support/test-app';

const USER = 'echo-user';
/** Slash, quotes, backslash, space, + & = ~: each encoding below writes it differently; 23 bytes, so base64 pads. */
const PASSWORD = 'SHARED-echo/"pw"\\ +&=~Z';

/** The password (and Basic's user:password) in every form a target might echo it back in. */
function echoForms(user: string, password: string): Record<string, string> {
  const bytes = Buffer.from(password);
  return {
    raw: password,
    base64: bytes.toString('base64'),
    base64Unpadded: bytes.toString('base64').replace(/=+$/, ''),
    base64Url: bytes.toString('base64url'),
    uriComponent: encodeURIComponent(password),
    form: new URLSearchParams({ p: password }).toString().slice(2),
    hex: bytes.toString('hex'),
    hexUpper: bytes.toString('hex').toUpperCase(),
    json: JSON.stringify(password).slice(1, -1),
    basicUserPassword: Buffer.from(`${user}:${password}`).toString('base64'),
  };
}

/** Forms a redirect can carry in its path unchanged (URL parsing rewrites quotes and backslashes). */
const PATH_SAFE = ['base64', 'base64Unpadded', 'base64Url', 'uriComponent', 'form', 'hex', 'hexUpper', 'basicUserPassword'];

/**
 * A target that reads the password off the Basic header it is sent and echoes it back in one
 * form: /server/<form> in the Server header, the status text and the body; /path/<form> and
 * /fail/<form> in the path of a redirect, to a page answering 200 or 500.
 */
async function startEchoTarget(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const decoded = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    const colon = decoded.indexOf(':');
    const forms = echoForms(decoded.slice(0, colon), decoded.slice(colon + 1));
    const [, route, name] = (request.url ?? '').split('/');
    const form = forms[name] ?? 'none';
    if (route === 'path' || route === 'fail') {
      response.writeHead(302, { location: `/${route === 'path' ? 'echoed' : 'failed'}/${form}` });
      return response.end();
    }
    const status = route === 'failed' ? 500 : 200;
    response.writeHead(status, `echo ${form}`, { server: `echo ${form}`, 'content-type': 'text/plain' });
    response.end(`b64 ${form}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Every string in a test result, wherever it sits. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

for (const driver of DRIVERS) {
  describe(`test results never echo a secret, in any encoding (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let target: { url: string; stop: () => Promise<void> };

    before(async () => {
      target = await startEchoTarget();
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
      const credential = await t.call('POST', '/api/v1/projects/default/credentials', {
        token,
        body: { name: 'echoed', type: 'basic', fields: { username: USER }, secrets: { password: PASSWORD } },
      });
      assert.equal(credential.status, 201, credential.text);
      const created = await t.call('POST', '/api/v1/projects/default/connections', {
        token,
        body: { name: 'echoed', type: 'http', config: { baseUrl: target.url, authType: 'basic' }, credentialId: credential.body.id },
      });
      assert.equal(created.status, 201, created.text);
    });
    after(async () => {
      await t?.close();
      await target?.stop();
    });

    it('scrubs what the target sends back: server header, failure and redirect paths', async () => {
      const forms = echoForms(USER, PASSWORD);
      const cases = [
        ...Object.keys(forms).map((name) => `/server/${name}`),
        ...PATH_SAFE.flatMap((name) => [`/path/${name}`, `/fail/${name}`]),
      ];
      for (const healthPath of cases) {
        const patched = await t.call('PATCH', '/api/v1/projects/default/connections/echoed', { token, body: { config: { healthPath } } });
        assert.equal(patched.status, 200, patched.text);
        const reply = await t.call('POST', '/api/v1/projects/default/connections/echoed/test', { token, body: {} });
        assert.equal(reply.status, 200, reply.text);
        assert.ok(
          reply.body.stages.some((stage: { name: string }) => stage.name === 'http'),
          `${healthPath}: ${reply.text}`,
        );
        const shown = stringsOf(reply.body).join('\n');
        assert.match(shown, /\*\*\*/, `${healthPath}: the echo reached the result and was scrubbed: ${reply.text}`);
        for (const [name, form] of Object.entries(forms)) {
          assert.ok(!shown.includes(form), `${healthPath}: the ${name} form leaked: ${reply.text}`);
        }
      }
    });
  });
}

/** An Iceberg bearer token with the characters each encoding writes differently; a header value may hold them all. */
const ICEBERG_TOKEN = 'ICEBERG-echo/"tk"\\ +&=~Q';
const ICEBERG_CLIENT_SECRET = 'CLIENT-echo/"cs"\\ +&=~W';
/** What the echo catalog's token endpoint issues: not a secret of the connection, yet never shown either. */
const ISSUED_TOKEN = 'ISSUED-echo/"at"\\ +&=~E';
/** Basic's user:password has no counterpart in a bearer token. */
const bearerForms = (secret: string) => Object.entries(echoForms('', secret)).filter(([name]) => name !== 'basicUserPassword');

/**
 * An Iceberg REST catalog that echoes what it is sent, in the form its URI's path names:
 * `<url>/<mode>/<form>` is the catalog `uri`. Modes: `config` refuses the bearer token in a 401
 * message; `prefix` puts it in the prefix /v1/config gives, and refuses every later request in a
 * 403 message; `oauth` refuses the client secret in an OAuthError; `issued` grants a token and
 * refuses it in a 401 message.
 */
async function startIcebergEchoCatalog(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const [, mode, name, ...rest] = new URL(request.url ?? '/', 'http://127.0.0.1').pathname.split('/');
      const route = rest.join('/');
      const send = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      const error = (code: number, type: string, message: string) => send(code, { error: { message, type, code } });
      if (route === 'v1/oauth/tokens') {
        const secret = new URLSearchParams(body).get('client_secret') ?? '';
        if (mode === 'oauth')
          return send(401, { error: 'invalid_client', error_description: `unknown secret ${echoForms('', secret)[name]}` });
        return send(200, { access_token: ISSUED_TOKEN, token_type: 'bearer', expires_in: 3600 });
      }
      const echoed = echoForms('', (request.headers.authorization ?? '').replace(/^Bearer /, ''))[name];
      if (route === 'v1/config' && mode === 'prefix') return send(200, { defaults: {}, overrides: { prefix: `p-${echoed}` } });
      if (route === 'v1/config') return error(401, 'NotAuthorizedException', `token ${echoed} is not valid`);
      return error(403, 'ForbiddenException', `token ${echoed} may not list namespaces`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

for (const driver of DRIVERS) {
  describe(`iceberg: no token, client secret or issued token in any answer or log line, in any encoding (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let catalog: { url: string; stop: () => Promise<void> };
    const connections = '/api/v1/projects/default/connections';

    before(async () => {
      catalog = await startIcebergEchoCatalog();
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
    });
    after(async () => {
      await t?.close();
      await catalog?.stop();
    });

    /** `reply` shows the echo scrubbed, and no form of `secret`. */
    function assertScrubbed(what: string, reply: { text: string; body: unknown }, secret: string): void {
      const shown = stringsOf(reply.body).join('\n');
      assert.match(shown, /\*\*\*/, `${what}: the echo reached the answer and was scrubbed: ${reply.text}`);
      for (const [name, form] of bearerForms(secret))
        assert.ok(!reply.text.includes(form), `${what}: the ${name} form leaked: ${reply.text}`);
    }

    it('scrubs the token from refusals, from the prefix a test shows, and from the errors of stored connections', async () => {
      for (const [name] of bearerForms(ICEBERG_TOKEN)) {
        const draft = (mode: string) =>
          t.call('POST', `${connections}/test`, {
            token,
            body: { type: 'iceberg', config: { uri: `${catalog.url}/${mode}/${name}` }, secrets: { token: ICEBERG_TOKEN } },
          });
        const refused = await draft('config');
        assert.equal(refused.body.error?.code, 'AUTH_FAILED', refused.text);
        assertScrubbed(`${name} refused`, refused, ICEBERG_TOKEN);
        const shown = await draft('prefix');
        assert.equal(shown.body.success, true, shown.text);
        assertScrubbed(`${name} prefix`, shown, ICEBERG_TOKEN);

        const created = await t.call('POST', connections, {
          token,
          body: {
            name: `ice-${name}`,
            type: 'iceberg',
            config: { uri: `${catalog.url}/prefix/${name}` },
            secrets: { token: ICEBERG_TOKEN },
          },
        });
        assert.equal(created.status, 201, created.text);
        for (const route of ['schemas', 'tables?schema=sales', 'columns?schema=sales&table=orders']) {
          const listed = await t.call('GET', `${connections}/ice-${name}/${route}`, { token });
          assert.equal(listed.status, 502, listed.text);
          assert.equal(listed.body.targetCode, 'PERMISSION_DENIED', listed.text);
          assertScrubbed(`${name} ${route}`, listed, ICEBERG_TOKEN);
        }
      }
    });

    it('scrubs the OAuth client secret and the token the catalog issued for it', async () => {
      for (const [name] of bearerForms(ICEBERG_CLIENT_SECRET)) {
        const draft = (mode: string) =>
          t.call('POST', `${connections}/test`, {
            token,
            body: {
              type: 'iceberg',
              config: { uri: `${catalog.url}/${mode}/${name}`, clientId: 'echo-client' },
              secrets: { clientSecret: ICEBERG_CLIENT_SECRET },
            },
          });
        const refused = await draft('oauth');
        assert.equal(refused.body.error?.code, 'AUTH_FAILED', refused.text);
        assertScrubbed(`${name} client secret`, refused, ICEBERG_CLIENT_SECRET);
        const issued = await draft('issued');
        assert.equal(issued.body.error?.code, 'AUTH_FAILED', issued.text);
        assertScrubbed(`${name} issued token`, issued, ISSUED_TOKEN);
      }
    });

    it('wrote none of them to a log line', () => {
      const logs = t.logs.join('\n');
      assert.ok(logs.length > 0, 'no log lines were captured');
      for (const secret of [ICEBERG_TOKEN, ICEBERG_CLIENT_SECRET, ISSUED_TOKEN]) {
        for (const [name, form] of bearerForms(secret)) assert.ok(!logs.includes(form), `the ${name} form of ${secret} was logged`);
      }
    });
  });
}
