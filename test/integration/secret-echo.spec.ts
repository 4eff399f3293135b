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
