import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { VALIDATION_PIPE } from '@switchboard/common';
import { ADMIN_PASSWORD, CallOptions, createUser, DRIVERS, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';
import { fieldsOf } from '../support/problems';

const API = '/api/v1';
const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'code', 'requestId'];
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The RFC 9457 shape plus what no response may ever carry. */
function expectCleanProblem(reply: Reply, status: number, code: string): void {
  expectProblem(reply, status, code);
  for (const key of PROBLEM_KEYS) assert.ok(key in reply.body, `problem without "${key}": ${reply.text}`);
  assert.match(reply.headers.get('x-request-id') ?? '', SAFE_REQUEST_ID);
  expectNoInternals(reply);
}

function expectNoInternals(reply: Reply): void {
  assert.ok(!reply.text.includes('    at '), `stack trace in the response: ${reply.text}`);
  assert.ok(!reply.text.includes('node_modules'), `internal path in the response: ${reply.text}`);
  assert.ok(!/FST_ERR|QueryFailedError|SQLITE_|duplicate key|syntax error/i.test(reply.text), `internal error text: ${reply.text}`);
}

/** Resolves when a captured log line satisfies `predicate` (the completion line is written after the reply). */
async function waitForLog(t: TestApp, predicate: (line: Record<string, any>) => boolean): Promise<Record<string, any>> {
  for (let attempt = 0; attempt < 200; attempt++) {
    for (const raw of t.logs) {
      let line: Record<string, any>;
      try {
        line = JSON.parse(raw);
      } catch {
        continue;
      }
      if (predicate(line)) return line;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('expected log line never appeared');
}

/** One request written as raw bytes (things fetch will not send), and the answer split into status, headers and body. */
async function rawExchange(
  t: TestApp,
  request: string,
): Promise<{ status: number; headers: Record<string, string>; body: string; raw: string }> {
  const { port } = new URL(t.baseUrl);
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
  const [head, ...rest] = raw.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n'), raw: raw.slice(0, 300) };
}

for (const driver of DRIVERS) {
  describe(`http contract: errors and request ids (${driver})`, () => {
    let t: TestApp;
    let admin: string;

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
    });
    after(() => t.close());

    it('answers an unknown route with a 404 problem', async () => {
      expectCleanProblem(await t.call('GET', `${API}/no-such-route`), 404, 'NOT_FOUND');
      expectCleanProblem(await t.call('GET', '/no-prefix/at-all'), 404, 'NOT_FOUND');
      expectCleanProblem(await t.call('POST', `${API}/projects/default/nothing-here`, { token: admin, body: {} }), 404, 'NOT_FOUND');
    });

    it('answers a wrong method on a known path with a problem (404 or 405), never a 5xx', async () => {
      for (const [method, url] of [
        ['PUT', `${API}/projects`],
        ['DELETE', `${API}/health`],
        ['POST', `${API}/auth/me`],
        ['PATCH', `${API}/projects/default/members`],
      ]) {
        const reply = await t.call(method, url, { token: admin, body: method === 'DELETE' ? undefined : {} });
        if (reply.status === 405) expectCleanProblem(reply, 405, 'METHOD_NOT_ALLOWED');
        else expectCleanProblem(reply, 404, 'NOT_FOUND');
      }
    });

    it('answers a missing or invalid credential with 401 and WWW-Authenticate', async () => {
      for (const options of [{}, { token: 'not-a-jwt' }, { token: 'sbk_notARealKey0123456789012345678901234' }, { apiKey: 'sbk_nope' }]) {
        const reply = await t.call('GET', `${API}/projects`, options);
        expectCleanProblem(reply, 401, 'UNAUTHORIZED');
        assert.match(reply.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
      expectCleanProblem(
        await t.call('POST', `${API}/auth/login`, { body: { email: 'admin@switchboard.test', password: 'wrong-password-here' } }),
        401,
        'INVALID_CREDENTIALS',
      );
    });

    it('answers malformed JSON and an empty JSON body with 400', async () => {
      for (const body of ['{"email": "a@b.c", "password":', '{bad json}', "{'single': 'quotes'}", '[1, 2,]']) {
        expectCleanProblem(await t.call('POST', `${API}/auth/login`, { body }), 400, 'MALFORMED_REQUEST');
      }
      expectCleanProblem(
        await t.call('POST', `${API}/projects`, { token: admin, body: '', headers: { 'content-type': 'application/json' } }),
        400,
        'MALFORMED_REQUEST',
      );
      // No body at all, but announced as JSON.
      const response = await fetch(`${t.baseUrl}${API}/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      });
      const text = await response.text();
      expectCleanProblem({ status: response.status, headers: response.headers, body: JSON.parse(text), text }, 400, 'MALFORMED_REQUEST');
    });

    it('refuses a body that is not JSON with 415', async () => {
      for (const [contentType, body] of [
        ['text/plain', '{"slug":"plain","name":"Plain"}'],
        ['application/x-www-form-urlencoded', 'slug=form&name=Form'],
        ['application/xml', '<project><slug>xml</slug></project>'],
      ]) {
        const reply = await t.call('POST', `${API}/projects`, { token: admin, body, headers: { 'content-type': contentType } });
        expectCleanProblem(reply, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      // Also before authentication, on a public route.
      expectCleanProblem(
        await t.call('POST', `${API}/auth/login`, { body: 'email=a@b.c', headers: { 'content-type': 'text/plain' } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      const none = await t.call('GET', `${API}/projects?perPage=100`, { token: admin });
      assert.deepEqual(
        none.body.data.map((p: { slug: string }) => p.slug),
        ['default'],
      );
    });

    it('refuses a body over 1 MiB with 413', async () => {
      const body = JSON.stringify({ slug: 'too-big', name: 'Big', description: 'x'.repeat(1024 * 1024) });
      expectCleanProblem(await t.call('POST', `${API}/projects`, { token: admin, body }), 413, 'PAYLOAD_TOO_LARGE');
      expectCleanProblem(await t.call('POST', `${API}/auth/login`, { body }), 413, 'PAYLOAD_TOO_LARGE');
      // Just under the limit is parsed (and then validated).
      const under = JSON.stringify({ slug: 'under', name: 'Under', description: 'x'.repeat(1024 * 1024 - 200) });
      const reply = await t.call('POST', `${API}/projects`, { token: admin, body: under });
      expectCleanProblem(reply, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(reply), ['description']);
    });

    it('refuses unknown properties and wrong types with 400 naming the field', async () => {
      const unknown = await t.call('POST', `${API}/projects`, { token: admin, body: { slug: 'typo', name: 'Typo', descripton: 'typo' } });
      expectCleanProblem(unknown, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(unknown), ['descripton']);
      assert.ok(unknown.body.errors.every((e: { message: unknown }) => typeof e.message === 'string' && e.message.length > 0));

      const wrongType = await t.call('POST', `${API}/projects`, { token: admin, body: { slug: 'typed', name: 12345 } });
      expectCleanProblem(wrongType, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(wrongType), ['name']);

      const login = await t.call('POST', `${API}/auth/login`, { body: { email: 'admin@switchboard.test', password: 12345678901234 } });
      expectCleanProblem(login, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(login), ['password']);

      const member = await t.call('PUT', `${API}/projects/default/members/${randomUUID()}`, { token: admin, body: { role: 1 } });
      expectCleanProblem(member, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(member), ['role']);
      // U+0000 cannot be stored by PostgreSQL: refused as invalid on every driver, wherever it hides.
      const nul = await t.call('POST', `${API}/projects`, {
        token: admin,
        body: { slug: 'nul-byte', name: 'Nul', description: 'a\u0000b' },
      });
      expectCleanProblem(nul, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(nul), ['description']);
      const nulQuery = await t.call('GET', `${API}/projects?page=%00`, { token: admin });
      expectCleanProblem(nulQuery, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fieldsOf(nulQuery), ['page']);
      // Nothing was created.
      expectCleanProblem(await t.call('GET', `${API}/projects/nul-byte`, { token: admin }), 404, 'NOT_FOUND');
      expectCleanProblem(await t.call('GET', `${API}/projects/typo`, { token: admin }), 404, 'NOT_FOUND');
      expectCleanProblem(await t.call('GET', `${API}/projects/typed`, { token: admin }), 404, 'NOT_FOUND');
    });

    it('reads every request body and query through the validation pipe (there is no global pipe)', () => {
      const unchecked: string[] = [];
      let checked = 0;
      for (const module of t.app.get(ModulesContainer).values()) {
        for (const wrapper of module.controllers.values()) {
          const controller = wrapper.metatype as Type;
          for (const method of Object.getOwnPropertyNames(controller.prototype)) {
            const args: Record<string, { pipes: unknown[] }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {};
            for (const [key, arg] of Object.entries(args)) {
              const type = Number(key.split(':')[0]);
              if (type !== RouteParamtypes.BODY && type !== RouteParamtypes.QUERY) continue;
              checked += 1;
              if (!arg.pipes.includes(VALIDATION_PIPE)) unchecked.push(`${controller.name}.${method}: ${RouteParamtypes[type]}`);
            }
          }
        }
      }
      assert.ok(checked >= 28, `only ${checked} bodies and queries found: is the walk still reading the routes?`);
      assert.deepEqual(unchecked, []);
    });

    it('validates query parameters with 400 naming the parameter', async () => {
      for (const [query, field] of [
        ['page=0', 'page'],
        ['page=abc', 'page'],
        ['perPage=abc', 'perPage'],
        ['perPage=101', 'perPage'],
        ['perPage=-5', 'perPage'],
        ['page=2.5', 'page'],
        ['unknown=1', 'unknown'],
      ]) {
        for (const url of [`${API}/projects?${query}`, `${API}/users?${query}`, `${API}/projects/default/members?${query}`]) {
          const reply = await t.call('GET', url, { token: admin });
          expectCleanProblem(reply, 400, 'VALIDATION_FAILED');
          assert.ok(fieldsOf(reply).includes(field), `${url}: ${reply.text}`);
        }
      }
    });

    it('answers a malformed URL or an over-long path segment with a problem, not a framework error', async () => {
      expectCleanProblem(await t.call('GET', `${API}/projects/%E0%A4%A`, { token: admin }), 400, 'MALFORMED_REQUEST');
      const long = await t.call('GET', `${API}/projects/${'a'.repeat(5000)}`, { token: admin, headers: { 'x-request-id': 'long-1' } });
      assert.ok(long.status === 404 || long.status === 414, long.text);
      expectCleanProblem(long, long.status, long.status === 404 ? 'NOT_FOUND' : 'URI_TOO_LONG');
      assert.equal(long.body.requestId, 'long-1');
    });

    it('echoes a safe client X-Request-Id on success and on error', async () => {
      const id = 'client-trace_01:abc.DEF';
      const ok = await t.call('GET', `${API}/health`, { headers: { 'x-request-id': id } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-request-id'), id);
      const error = await t.call('GET', `${API}/projects`, { headers: { 'x-request-id': id } });
      expectCleanProblem(error, 401, 'UNAUTHORIZED');
      assert.equal(error.body.requestId, id);
      const longest = 'r'.repeat(128);
      assert.equal((await t.call('GET', `${API}/health`, { headers: { 'x-request-id': longest } })).headers.get('x-request-id'), longest);
    });

    it('replaces an unsafe client X-Request-Id with its own', async () => {
      for (const unsafe of ['has spaces in it', 'r'.repeat(129), '<script>alert(1)</script>', 'a/b', '{"json":1}', 'tab\there']) {
        const reply = await t.call('GET', `${API}/projects/no-such-thing`, { token: admin, headers: { 'x-request-id': unsafe } });
        expectCleanProblem(reply, 404, 'NOT_FOUND');
        const echoed = reply.headers.get('x-request-id') ?? '';
        assert.notEqual(echoed, unsafe);
        assert.match(echoed, SAFE_REQUEST_ID);
        assert.equal(reply.body.requestId, echoed);
        assert.ok(!reply.text.includes(unsafe));
      }
      // Without one, every request gets its own.
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) ids.add((await t.call('GET', `${API}/health`)).headers.get('x-request-id') ?? '');
      assert.equal(ids.size, 5);
      for (const id of ids) assert.match(id, SAFE_REQUEST_ID);
    });
  });

  describe(`http contract: odd inputs never cause a 5xx (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let userId: string;
    let keyId: string;

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      userId = (await createUser(t, admin, 'fuzzy')).id;
      const key = await t.call('POST', `${API}/projects/default/api-keys`, {
        token: admin,
        body: { name: 'fuzz', scopes: ['projects:read'] },
      });
      keyId = key.body.id;
    });
    after(() => t.close());

    it('answers ~40 odd requests with the status and problem each deserves, and no internals', async () => {
      /** The success status, or the status and code of the problem, each request must answer. */
      type Expected = number | [number, string];
      let nested: unknown = { leaf: true };
      for (let depth = 0; depth < 60; depth++) nested = { nested };
      const sql = "'; drop table users;--";
      const cases: [string, string, Expected, CallOptions?][] = [
        // Bodies of the wrong shape.
        ['POST', `${API}/projects`, [400, 'VALIDATION_FAILED'], { body: '{"slug": 1e308, "name": 9007199254740993123456789}' }],
        ['POST', `${API}/projects`, [400, 'VALIDATION_FAILED'], { body: '{"slug": 1e400, "name": -1e400}' }],
        ['POST', `${API}/projects`, [400, 'VALIDATION_FAILED'], { body: [{ slug: 'in-array', name: 'Array' }] }],
        ['POST', `${API}/projects`, [400, 'MALFORMED_REQUEST'], { body: 'null' }],
        ['POST', `${API}/projects`, [400, 'VALIDATION_FAILED'], { body: '"just a string"' }],
        ['POST', `${API}/projects`, [400, 'VALIDATION_FAILED'], { body: 'true' }],
        ['POST', `${API}/projects`, [400, 'VALIDATION_FAILED'], { body: { slug: { nested: { deeper: 1 } }, name: {} } }],
        ['POST', `${API}/projects`, [400, 'MALFORMED_REQUEST'], { body: { slug: 'deep', name: 'Deep', description: nested } }],
        [
          'POST',
          `${API}/projects`,
          [400, 'MALFORMED_REQUEST'],
          { body: '{"__proto__": {"isAdmin": true}, "slug": "proto", "name": "Proto"}' },
        ],
        [
          'POST',
          `${API}/projects`,
          [400, 'MALFORMED_REQUEST'],
          { body: { constructor: { prototype: { polluted: true } }, slug: 'ctor', name: 'Ctor' } },
        ],
        [
          'POST',
          `${API}/projects`,
          [400, 'VALIDATION_FAILED'],
          { body: { slug: 'unicode-ok', name: '名前 ✓ émoji 😀 \u202e RTL', description: '\u0000 nul byte' } },
        ],
        ['POST', `${API}/projects`, [400, 'VALIDATION_FAILED'], { body: { slug: sql, name: sql } }],
        ['POST', `${API}/projects`, 201, { body: { slug: 'sql-name', name: sql, description: "' OR '1'='1" } }],
        ['POST', `${API}/projects`, [400, 'VALIDATION_FAILED'], { body: { slug: 'x'.repeat(100_000), name: 'y'.repeat(100_000) } }],
        ['POST', `${API}/projects`, 201, { body: '{"slug": "dupe-key", "slug": "dupe-key-2", "name": "Dupe"}' }],
        [
          'POST',
          `${API}/projects`,
          201,
          { body: { slug: 'charset', name: 'Charset' }, headers: { 'content-type': 'application/json; charset=latin1' } },
        ],
        // Patches with nulls and odd values.
        ['PATCH', `${API}/projects/default`, [400, 'VALIDATION_FAILED'], { body: { name: null } }],
        ['PATCH', `${API}/projects/default`, [400, 'VALIDATION_FAILED'], { body: { slug: null } }],
        ['PATCH', `${API}/projects/default`, [400, 'VALIDATION_FAILED'], { body: { description: 12 } }],
        ['PATCH', `${API}/projects/default`, [400, 'VALIDATION_FAILED'], { body: [] }],
        ['PATCH', `${API}/projects/default`, [400, 'VALIDATION_FAILED'], { body: { name: 'z'.repeat(10_000) } }],
        ['PATCH', `${API}/users/${userId}`, [400, 'VALIDATION_FAILED'], { body: { name: null } }],
        ['PATCH', `${API}/users/${userId}`, [400, 'VALIDATION_FAILED'], { body: { password: null, isAdmin: null, disabled: null } }],
        ['POST', `${API}/users`, [400, 'VALIDATION_FAILED'], { body: { email: { $gt: '' }, password: ['a'], name: 1 } }],
        // Odd path segments.
        ['GET', `${API}/projects/${encodeURIComponent(sql)}`, [404, 'NOT_FOUND']],
        ['GET', `${API}/projects/${encodeURIComponent('..%2F..%2Fetc%2Fpasswd')}`, [404, 'NOT_FOUND']],
        ['GET', `${API}/projects/%00`, [400, 'VALIDATION_FAILED']],
        ['GET', `${API}/projects/${encodeURIComponent('プロジェクト')}`, [404, 'NOT_FOUND']],
        ['GET', `${API}/projects/${'p'.repeat(3000)}`, [414, 'URI_TOO_LONG']],
        ['GET', `${API}/projects/DEFAULT`, 200],
        ['GET', `${API}/projects/${randomUUID()}/members`, [404, 'NOT_FOUND']],
        ['PUT', `${API}/projects/default/members/${encodeURIComponent(sql)}`, [404, 'NOT_FOUND'], { body: { role: 'viewer' } }],
        ['PUT', `${API}/projects/default/members/${userId}`, [400, 'VALIDATION_FAILED'], { body: { role: ['owner'] } }],
        ['DELETE', `${API}/projects/default/api-keys/${encodeURIComponent("' OR 1=1 --")}`, [404, 'NOT_FOUND']],
        ['DELETE', `${API}/projects/default/api-keys/${keyId.replace(/^./, 'z')}`, [404, 'NOT_FOUND']],
        ['GET', `${API}/users/${encodeURIComponent(sql)}`, [404, 'NOT_FOUND']],
        // Odd queries.
        ['GET', `${API}/projects?page=1e308`, [400, 'VALIDATION_FAILED']],
        ['GET', `${API}/projects?page=99999999999999999999&perPage=100`, [400, 'VALIDATION_FAILED']],
        ['GET', `${API}/projects?perPage=1e2&page=1`, 200],
        ['GET', `${API}/projects?page=1&page=2`, [400, 'VALIDATION_FAILED']],
        ['GET', `${API}/projects/default/members?perPage=${encodeURIComponent(sql)}`, [400, 'VALIDATION_FAILED']],
        // Odd credentials (public and protected routes).
        ['POST', `${API}/auth/login`, [400, 'VALIDATION_FAILED'], { body: { email: { $ne: null }, password: { $ne: null } } }],
        ['POST', `${API}/auth/refresh`, [401, 'INVALID_REFRESH_TOKEN'], { body: { refreshToken: `sbr_${sql}` } }],
        ['POST', `${API}/auth/logout`, [400, 'VALIDATION_FAILED'], { body: { refreshToken: 12345 } }],
        ['GET', `${API}/auth/me`, [401, 'UNAUTHORIZED'], { headers: { authorization: `Bearer ${'a'.repeat(5000)}` } }],
        ['GET', `${API}/auth/me`, [401, 'UNAUTHORIZED'], { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.' } }],
        ['GET', `${API}/auth/me`, [401, 'UNAUTHORIZED'], { headers: { 'x-api-key': `sbk_${sql}` } }],
      ];
      const failures: string[] = [];
      for (const [method, url, expected, options = {}] of cases) {
        const useAdmin = !url.startsWith(`${API}/auth/`) && !options.headers?.authorization;
        const reply = await t.call(method, url, { token: useAdmin ? admin : undefined, ...options });
        const label = `${method} ${url.slice(0, 80)}${options.body !== undefined ? ` ${JSON.stringify(options.body).slice(0, 60)}` : ''}`;
        if (reply.status >= 500) {
          failures.push(`${label} -> ${reply.status} ${reply.text.slice(0, 200)}`);
          continue;
        }
        try {
          expectNoInternals(reply);
          if (typeof expected === 'number') assert.equal(reply.status, expected, reply.text.slice(0, 200));
          else expectProblem(reply, ...expected);
        } catch (error) {
          failures.push(`${label} -> ${(error as Error).message.slice(0, 300)}`);
        }
      }
      assert.deepEqual(failures, [], `odd inputs that were mishandled:\n${failures.join('\n')}`);
      // The service still answers, and the odd input did not take over or rename anything.
      const defaultProject = await t.call('GET', `${API}/projects/default`, { token: admin });
      assert.equal(defaultProject.status, 200);
      assert.equal(defaultProject.body.name, 'Default');
      assert.equal((await t.call('GET', `${API}/health/ready`)).status, 200);
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('refuses JSON nested past 32 levels with a 400, signed in or not, and writes nothing', async () => {
      const arrays = `{"refreshToken":"sbr_x","a":${'['.repeat(1500)}${']'.repeat(1500)}}`;
      const objects = `{"slug":"too-deep","name":"Deep","description":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`;
      for (const [url, body, token] of [
        [`${API}/auth/refresh`, arrays, undefined],
        [`${API}/auth/login`, arrays, undefined],
        [`${API}/projects`, objects, admin],
      ] as const) {
        const reply = await t.call('POST', url, { body, token });
        expectCleanProblem(reply, 400, 'MALFORMED_REQUEST');
        assert.match(reply.body.detail, /nested more than 32 levels/);
      }
      expectProblem(await t.call('GET', `${API}/projects/too-deep`, { token: admin }), 404, 'NOT_FOUND');
    });

    it('answers requests the HTTP parser refuses with problems too, and logs no header', async () => {
      const secret = 'sbk_header-never-logged-123';
      const oversized = await rawExchange(
        t,
        `GET ${API}/projects?search=${'x'.repeat(40_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secret}\r\n\r\n`,
      );
      const broken = await rawExchange(
        t,
        `GET ${API}/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secret}\r\nno colon here\r\n\r\n`,
      );
      for (const [reply, status, code] of [
        [oversized, 431, 'HEADERS_TOO_LARGE'],
        [broken, 400, 'MALFORMED_REQUEST'],
      ] as const) {
        assert.equal(reply.status, status, reply.raw);
        assert.equal(reply.headers['content-type'], 'application/problem+json');
        const body = JSON.parse(reply.body);
        assert.equal(body.code, code);
        assert.equal(body.status, status);
        assert.equal(reply.headers['x-request-id'], body.requestId);
        assert.match(body.requestId, SAFE_REQUEST_ID);
        await waitForLog(t, (line) => line.requestId === body.requestId && line.status === status);
      }
      assert.ok(!t.logs.some((line) => line.includes(secret)), 'a refused request logged its headers');
      assert.equal((await t.call('GET', `${API}/health/ready`)).status, 200);
    });
  });

  describe(`http contract: docs, health, logs (${driver})`, () => {
    let t: TestApp;

    before(async () => (t = await startTestApp(driver)));
    after(() => t.close());

    it('serves Swagger UI at /docs', async () => {
      const reply = await t.call('GET', '/docs');
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(reply.text, /swagger-ui/i);
      assert.match(reply.text, /<title>Switchboard API<\/title>/);
      // Every asset the page loads is served, so the UI renders rather than showing a blank page.
      const assets = [...reply.text.matchAll(/(?:src|href)="\.\/(docs\/[^"]+)"/g)].map((match) => match[1]);
      assert.ok(
        assets.some((asset) => asset.endsWith('swagger-ui-bundle.js')),
        assets.join(', '),
      );
      for (const asset of assets) assert.equal((await t.call('GET', `/${asset}`)).status, 200, asset);
      const slash = await fetch(`${t.baseUrl}/docs/`, { redirect: 'manual' });
      assert.equal(slash.status, 301);
      assert.equal(slash.headers.get('location'), '/docs');
    });

    it('serves an OpenAPI 3 document declaring both schemes and documenting every route', async () => {
      const reply = await t.call('GET', '/docs/openapi.json');
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
      const doc = reply.body;
      assert.match(doc.openapi, /^3\./);
      assert.equal(doc.components.securitySchemes.bearer.type, 'http');
      assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
      assert.deepEqual(
        { type: doc.components.securitySchemes.apiKey.type, in: doc.components.securitySchemes.apiKey.in },
        { type: 'apiKey', in: 'header' },
      );
      assert.equal(doc.components.securitySchemes.apiKey.name, 'X-API-Key');
      assert.deepEqual(doc.security, [{ bearer: [] }, { apiKey: [] }]);
      // Routes that need no credentials say so, so Swagger UI sends none.
      for (const [route, method] of [
        ['/api/v1/auth/login', 'post'],
        ['/api/v1/health', 'get'],
      ]) {
        assert.deepEqual(doc.paths[route][method].security, [], route);
      }
      assert.equal(doc.paths['/api/v1/projects'].get.security, undefined);

      const expected: Record<string, string[]> = {
        '/auth/login': ['post'],
        '/auth/refresh': ['post'],
        '/auth/logout': ['post'],
        '/auth/me': ['get'],
        '/users': ['get', 'post'],
        '/users/{id}': ['get', 'patch', 'delete'],
        '/projects': ['get', 'post'],
        '/projects/{project}': ['get', 'patch', 'delete'],
        '/projects/{project}/members': ['get'],
        '/projects/{project}/members/{userId}': ['put', 'delete'],
        '/projects/{project}/api-keys': ['get', 'post'],
        '/projects/{project}/api-keys/{id}': ['delete'],
        '/health': ['get'],
        '/health/ready': ['get'],
      };
      for (const [path, methods] of Object.entries(expected)) {
        const item = doc.paths[`${API}${path}`];
        assert.ok(item, `${API}${path} is not documented`);
        for (const method of methods) assert.ok(item[method], `${method.toUpperCase()} ${API}${path} is not documented`);
      }

      const resolve = (schema: { $ref?: string }) => (schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema);
      let operations = 0;
      let bodies = 0;
      for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
        // The Prometheus scrape path stays where scrapers look for it (DESIGN §4).
        assert.ok(path.startsWith(`${API}/`) || path === '/metrics', `${path} is outside ${API}`);
        for (const [method, operation] of Object.entries<any>(item)) {
          if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
          operations++;
          const where = `${method.toUpperCase()} ${path}`;
          assert.ok(typeof operation.summary === 'string' && operation.summary.trim().length > 0, `${where} has no summary`);
          const responses = Object.entries<any>(operation.responses ?? {});
          assert.ok(
            responses.some(([status]) => /^2\d\d$/.test(status)),
            `${where} documents no success response`,
          );
          for (const [status, response] of responses) {
            assert.ok(response.description || response.content, `${where} ${status} is neither described nor typed`);
            if (/^[45]\d\d$/.test(status)) {
              assert.ok(response.content?.['application/problem+json'], `${where} ${status} is not documented as problem+json`);
            }
          }
          // Path parameters are documented, each with an example.
          for (const name of path.match(/\{(\w+)\}/g) ?? []) {
            const parameter = (operation.parameters ?? []).find(
              (p: { name: string; in: string }) => `{${p.name}}` === name && p.in === 'path',
            );
            assert.ok(parameter, `${where} does not document ${name}`);
          }
          const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
          if (!bodySchema) continue;
          bodies++;
          const schema = resolve(bodySchema);
          const properties = Object.entries<any>(schema.properties ?? {});
          assert.ok(properties.length > 0, `${where}: request body schema has no properties`);
          for (const [name, property] of properties) {
            assert.ok(property.example !== undefined, `${where}: body property "${name}" has no example`);
          }
        }
      }
      assert.ok(operations >= 22, `only ${operations} operations documented`);
      assert.ok(bodies >= 8, `only ${bodies} request bodies documented`);
    });

    it('answers liveness and readiness with the database driver', async () => {
      const live = await t.call('GET', `${API}/health`);
      assert.equal(live.status, 200);
      assert.deepEqual(live.body, { status: 'ok' });
      const ready = await t.call('GET', `${API}/health/ready`);
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, 'ok');
      assert.equal(ready.body.checks.database.status, 'ok');
      assert.equal(ready.body.checks.database.driver, driver);
    });

    it('never logs a password, API key or token, and logs each completed request', async () => {
      const canary = 'canary-Secret-123456';
      const tokens = await t.login();
      const key = await t.call('POST', `${API}/projects/default/api-keys`, {
        token: tokens.accessToken,
        body: { name: 'log-check', scopes: ['projects:read'] },
      });
      assert.equal(key.status, 201, key.text);
      const apiKey: string = key.body.key;

      const viaHeader = await t.call('GET', `${API}/auth/me`, { apiKey, headers: { 'x-request-id': 'log-check-x-api-key' } });
      assert.equal(viaHeader.status, 200, viaHeader.text);
      const viaBearer = await t.call('GET', `${API}/projects/default`, { token: apiKey });
      assert.equal(viaBearer.status, 200, viaBearer.text);

      const failed = await t.call('POST', `${API}/auth/login`, {
        body: { email: 'admin@switchboard.test', password: canary },
        headers: { 'x-request-id': 'log-check-failed-login' },
      });
      expectCleanProblem(failed, 401, 'INVALID_CREDENTIALS');
      assert.ok(!failed.text.includes(canary));
      // The canary in places a careless error path might echo: an invalid body, a bogus bearer, a bogus key.
      const invalid = await t.call('POST', `${API}/users`, {
        token: tokens.accessToken,
        body: { email: 'not-an-email', password: canary, name: canary.repeat(20) },
      });
      expectCleanProblem(invalid, 400, 'VALIDATION_FAILED');
      assert.ok(!invalid.text.includes(canary), `a validation error echoed the value: ${invalid.text}`);
      expectCleanProblem(await t.call('GET', `${API}/auth/me`, { token: canary }), 401, 'UNAUTHORIZED');
      expectCleanProblem(await t.call('GET', `${API}/auth/me`, { apiKey: `sbk_${canary}` }), 401, 'UNAUTHORIZED');

      const refreshed = await t.call('POST', `${API}/auth/refresh`, { body: { refreshToken: tokens.refreshToken } });
      assert.equal(refreshed.status, 200, refreshed.text);
      const logout = await t.call('POST', `${API}/auth/logout`, {
        body: { refreshToken: refreshed.body.refreshToken },
        headers: { 'x-request-id': 'log-check-last' },
      });
      assert.equal(logout.status, 204);

      const completed = await waitForLog(t, (line) => line.requestId === 'log-check-failed-login' && line.msg === 'request completed');
      assert.equal(completed.method, 'POST');
      assert.equal(completed.route, `${API}/auth/login`);
      assert.equal(completed.status, 401);
      assert.equal(typeof completed.durationMs, 'number');
      assert.ok(completed.durationMs >= 0);
      const withKey = await waitForLog(t, (line) => line.requestId === 'log-check-x-api-key' && line.msg === 'request completed');
      assert.deepEqual(
        { method: withKey.method, route: withKey.route, status: withKey.status },
        { method: 'GET', route: `${API}/auth/me`, status: 200 },
      );
      await waitForLog(t, (line) => line.requestId === 'log-check-last' && line.msg === 'request completed');

      const secrets: Record<string, string> = {
        'admin password': ADMIN_PASSWORD,
        canary,
        'API key': apiKey,
        'API key body': apiKey.slice(4),
        'access token': tokens.accessToken,
        'access token signature': tokens.accessToken.split('.')[2],
        'refresh token': tokens.refreshToken,
        'refresh token secret': tokens.refreshToken.split('_').pop()!,
        'rotated access token': refreshed.body.accessToken,
        'rotated refresh token': refreshed.body.refreshToken,
      };
      assert.ok(t.logs.length > 10, 'expected captured log lines');
      for (const line of t.logs) {
        for (const [what, secret] of Object.entries(secrets)) {
          assert.ok(!line.includes(secret), `a log line contains the ${what}: ${line.slice(0, 300)}`);
        }
      }
    });
  });
}
