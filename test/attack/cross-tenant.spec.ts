/**
 * The standing cross-tenant sweep: every route under /projects/{project} of the OpenAPI
 * document, called by project B's users and keys against project A (404 and nothing of A),
 * by A's keys and viewer without the route's scope (403), without a token (401), and with A's
 * resources under B's project (as if they did not exist). The routes come from the document,
 * so a route added later is swept without touching this file, or fails it until the route
 * table (support/project-routes.ts) says how to fill it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type CallOptions, DRIVERS, type Reply, startTestApp, type TestApp } from '../support/test-app';
import { API, type ApiDocument, type Json, loadDocument, type Operation, replyText } from './support/openapi';
import { isProjectRoute, pathFor, PROJECT_ROUTES, type Ref } from './support/project-routes';
import {
  ALL_SCOPES,
  auditEventsOf,
  createKey,
  createTenant,
  identifiersOf,
  type Key,
  type Scope,
  snapshotOf,
  type Tenant,
  VIEWER_SCOPES,
} from './support/tenants';

/** An id shaped like `id` (same version and time) that names nothing. */
const unknownIdLike = (id: string): string => `${id.slice(0, 24)}${randomBytes(6).toString('hex')}`;

/** The problem of `reply` without what differs between any two requests. */
const problemOf = (reply: Reply): Json => ({ status: reply.status, ...reply.body, requestId: undefined });

/** Order for the control run: deletes after everything else, the first match here first, the project (matching only the last) very last. */
const DELETE_ORDER = ['/usages/', '/api-keys/', '/members/', '/connections/', '/credentials/', '/projects/{project}'];
const controlRank = (op: Operation): number => (op.method === 'DELETE' ? 1 + DELETE_ORDER.findIndex((part) => op.path.includes(part)) : 0);

for (const driver of DRIVERS) {
  describe(`attack: cross-tenant sweep of every project route (${driver})`, () => {
    let t: TestApp;
    let doc: ApiDocument;
    let routes: Operation[];
    let a: Tenant;
    let b: Tenant;
    let withoutScope: Map<Scope, Key>;
    let minimalKey: Key;
    let aBefore: Json;
    let failures: string[];

    const call = (op: Operation, path: string, options: CallOptions, body?: Json): Promise<Reply> =>
      t.call(op.method, `${API}${path}`, { ...options, body: body ?? PROJECT_ROUTES[op.key]?.body?.(a) });

    /** Records (rather than throws) so one run lists every hole. */
    const check = (condition: boolean, what: string, reply: Reply): void => {
      if (!condition) failures.push(`${what}\n    -> ${reply.status} ${reply.text.slice(0, 400)}`);
    };

    /** A documented problem with `status`, carrying nothing of A. */
    const expectProblem = (reply: Reply, status: number, code: string, what: string): void => {
      check(reply.status === status && reply.body?.code === code, `${what}: expected ${status} ${code}`, reply);
      const shape = doc.problemErrors(reply);
      check(!shape, `${what}: ${shape}`, reply);
      const text = replyText(reply);
      const leaked = identifiersOf(a).filter((value) => text.includes(value));
      check(!leaked.length, `${what}: the answer carries A's ${leaked.join(', ')}`, reply);
    };

    const flush = (): void => {
      const found = failures;
      failures = [];
      assert.equal(found.length, 0, `${found.length} failures:\n${found.join('\n')}`);
    };

    before(async () => {
      t = await startTestApp(driver);
      const admin = (await t.login()).accessToken;
      doc = await loadDocument(t);
      routes = doc.operations.filter(isProjectRoute);
      a = await createTenant(t, admin, 'a');
      b = await createTenant(t, admin, 'b');
      withoutScope = new Map();
      for (const scope of ALL_SCOPES) {
        withoutScope.set(
          scope,
          await createKey(
            t,
            a,
            `without-${scope.replace(':', '-')}`,
            ALL_SCOPES.filter((other) => other !== scope),
          ),
        );
      }
      minimalKey = await createKey(t, a, 'minimal', ['projects:read']);
      aBefore = await snapshotOf(t, a);
      failures = [];
    });
    after(() => t?.close());

    it('knows how to call every project route of the document, and no route the document lacks', () => {
      assert.ok(routes.length >= 30, `only ${routes.length} project routes documented`);
      const documented = new Set(routes.map((op) => op.key));
      const unknown = routes.filter((op) => !PROJECT_ROUTES[op.key]).map((op) => op.key);
      assert.deepEqual(unknown, [], 'project routes the sweep does not know (add them to test/attack/support/project-routes.ts)');
      assert.deepEqual(
        Object.keys(PROJECT_ROUTES).filter((key) => !documented.has(key)),
        [],
        'routes in the sweep table that the document no longer has',
      );
      for (const op of routes) {
        assert.equal(!!op.body, !!PROJECT_ROUTES[op.key].body, `${op.key}: a body in the table exactly when the document takes one`);
        // Every parameter can be filled (throws naming the one it cannot).
        pathFor(op, a, 'id');
        pathFor(op, a, 'name');
      }
    });

    it("(a) B's users and keys get 404 for A's project and everything in it, exactly as for a project that does not exist", async () => {
      const actors: [string, CallOptions, Ref[]][] = [
        ["B's owner (JWT)", { token: b.owner.token }, ['id', 'name']],
        ["B's key with every scope (Bearer)", { token: b.ownerKey.key }, ['id', 'name']],
        ["B's key with every scope (X-API-Key)", { apiKey: b.ownerKey.key }, ['id']],
        ["B's viewer (JWT)", { token: b.member.token }, ['name']],
      ];
      for (const op of routes) {
        for (const ref of ['id', 'name'] as Ref[]) {
          const missing = ref === 'id' ? unknownIdLike(a.project.id) : `proj-zz${randomBytes(4).toString('hex')}`;
          const reference = await call(op, pathFor(op, a, ref, { project: missing }), { token: b.owner.token });
          expectProblem(reference, 404, 'NOT_FOUND', `${op.key} on a missing project`);
          for (const [actor, options, refs] of actors) {
            if (!refs.includes(ref)) continue;
            const what = `${op.key} by ${actor} on A by ${ref}`;
            const reply = await call(op, pathFor(op, a, ref), options);
            expectProblem(reply, 404, 'NOT_FOUND', what);
            check(
              JSON.stringify(problemOf(reply)) === JSON.stringify(problemOf(reference)),
              `${what}: differs from a missing project's ${reference.text}`,
              reply,
            );
          }
        }
      }
      flush();
    });

    it("(b) A's keys and A's viewer without the route's scope get 403", async () => {
      for (const op of routes) {
        const { scope } = PROJECT_ROUTES[op.key];
        const path = pathFor(op, a, 'id');
        const lacking: [string, CallOptions][] = [[`A's key with every scope but ${scope}`, { token: withoutScope.get(scope)!.key }]];
        if (scope !== 'projects:read') lacking.push(["A's key with projects:read only", { apiKey: minimalKey.key }]);
        if (!VIEWER_SCOPES.includes(scope)) lacking.push(["A's viewer (JWT)", { token: a.member.token }]);
        for (const [actor, options] of lacking) {
          const reply = await call(op, path, options);
          check(reply.status === 403 && reply.body?.code === 'FORBIDDEN', `${op.key} by ${actor}: expected 403 FORBIDDEN`, reply);
          const shape = doc.problemErrors(reply);
          check(!shape, `${op.key} by ${actor}: ${shape}`, reply);
          const leaked = a.secrets.filter((secret) => replyText(reply).includes(secret));
          check(!leaked.length, `${op.key} by ${actor}: a secret in the answer`, reply);
        }
      }
      flush();
    });

    it('(c) no token, a bogus token or a bogus key get 401, the same for A as for a project that does not exist', async () => {
      const anonymous: [string, CallOptions][] = [
        ['no token', {}],
        ['a bogus JWT', { token: `${b.owner.token.slice(0, -8)}AAAAAAAA` }],
        ['a bogus key', { apiKey: `sbk_${randomBytes(24).toString('hex')}` }],
      ];
      for (const op of routes) {
        const reference = await call(op, pathFor(op, a, 'name', { project: 'proj-missing' }), {});
        for (const [who, options] of anonymous) {
          const reply = await call(op, pathFor(op, a, 'name'), options);
          expectProblem(reply, 401, 'UNAUTHORIZED', `${op.key} with ${who}`);
          check((reply.headers.get('www-authenticate') ?? '').startsWith('Bearer'), `${op.key} with ${who}: no WWW-Authenticate`, reply);
          check(
            who !== 'no token' || JSON.stringify(problemOf(reply)) === JSON.stringify(problemOf(reference)),
            `${op.key} with ${who}: differs from a missing project's`,
            reply,
          );
        }
      }
      flush();
    });

    it("(d) A's connections, credentials, keys and members under B's project answer exactly as ones that do not exist", async () => {
      let mixed = 0;
      for (const op of routes) {
        // Users are instance-wide: B's owner may add any user, A's member included, to B.
        const params = op.pathParams.filter(
          (name) => ['connection', 'credential', 'id', 'userId'].includes(name) && op.key !== 'PUT /projects/{project}/members/{userId}',
        );
        if (!params.length) continue;
        for (const ref of ['id', 'name'] as Ref[]) {
          const theirs: Record<string, string> = {};
          const missing: Record<string, string> = {};
          for (const name of params) {
            const resource = {
              connection: a[PROJECT_ROUTES[op.key].connection ?? 'connection'],
              credential: a.credential,
              id: { id: a.spareKey.id, name: a.spareKey.id },
              userId: { id: a.member.id, name: a.member.id },
            }[name]!;
            theirs[name] = ref === 'id' ? resource.id : resource.name;
            missing[name] =
              ref === 'id' || resource.id === resource.name ? unknownIdLike(resource.id) : `zz-${randomBytes(4).toString('hex')}`;
          }
          const what = `${op.key} by B's owner with A's ${params.join(', ')} by ${ref} under B`;
          const body = PROJECT_ROUTES[op.key].body?.(b);
          const reference = await call(op, pathFor(op, b, ref, missing), { token: b.owner.token }, body);
          const reply = await call(op, pathFor(op, b, ref, theirs), { token: b.owner.token }, body);
          expectProblem(reply, 404, 'NOT_FOUND', what);
          check(
            JSON.stringify(problemOf(reply)) === JSON.stringify(problemOf(reference)),
            `${what}: differs from ${reference.text}`,
            reply,
          );
          mixed++;
        }
      }
      assert.ok(mixed >= 40, `only ${mixed} mixed requests`);
      flush();
    });

    it("(d) a body naming A's credential, sent to B, answers exactly as for a credential that does not exist", async () => {
      // Body properties that point at another resource; a new one fails here until it is taught.
      const references = new Set<string>();
      for (const op of routes) {
        const properties = Object.keys(doc.deref(op.body?.schema).properties ?? {}).filter((name) => /Id$/.test(name));
        for (const name of properties) {
          assert.equal(name, 'credentialId', `${op.key}: the sweep does not know the reference "${name}"`);
          assert.ok(PROJECT_ROUTES[op.key].withCredential, `${op.key}: its body takes credentialId; add withCredential to the route table`);
          references.add(op.key);
        }
      }
      assert.ok(references.size >= 4, `only ${references.size} routes take a credentialId`);
      const spare = (await t.call('POST', `${API}/projects/${b.project.id}/credentials`, {
        token: b.owner.token,
        body: { name: `spare-${b.tag}`, type: 'token', secrets: { token: 'b-spare-token' } },
      })) as Reply;
      assert.equal(spare.status, 201, spare.text);
      for (const key of references) {
        const op = routes.find((route) => route.key === key)!;
        const build = PROJECT_ROUTES[key].withCredential!;
        const path = pathFor(op, b, 'id');
        const as = { token: b.owner.token };
        const reference = await call(op, path, as, build(b, unknownIdLike(a.credential.id)));
        const reply = await call(op, path, as, build(b, a.credential.id));
        const what = `${key} in B naming A's credential`;
        check(reply.status >= 400 && reply.status < 500, `${what}: accepted`, reply);
        expectProblem(reply, reference.status, reference.body?.code, what);
        check(JSON.stringify(problemOf(reply)) === JSON.stringify(problemOf(reference)), `${what}: differs from ${reference.text}`, reply);
        // B's own credential is taken: the refusal above was about the project, not the body.
        const own = await call(op, path, as, build(b, spare.body.id));
        check(own.status >= 200 && own.status < 300, `${key} in B naming B's credential: refused`, own);
      }
      flush();
    });

    it("B's own views (its projects, who it is, its project's lists and audit log) show nothing of A", async () => {
      const views = ['/projects?perPage=100', '/auth/me', '/connection-types'].concat(
        ['connections', 'credentials', 'members', 'api-keys', 'audit-events'].map(
          (list) => `/projects/${b.project.id}/${list}?perPage=100`,
        ),
      );
      for (const [who, options] of [
        ["B's owner", { token: b.owner.token }],
        ["B's key", { apiKey: b.ownerKey.key }],
        ["B's viewer", { token: b.member.token }],
      ] as const) {
        for (const url of views) {
          const reply = await t.call('GET', `${API}${url}`, options);
          if (reply.status === 403) continue; // the viewer's lists that need more than viewing
          check(reply.status === 200, `GET ${url} by ${who}`, reply);
          const leaked = identifiersOf(a).filter((value) => replyText(reply).includes(value));
          check(!leaked.length, `GET ${url} by ${who}: carries A's ${leaked.join(', ')}`, reply);
        }
      }
      flush();
    });

    it("A is unchanged, and A's audit log holds nothing done by B's users or keys", async () => {
      assert.deepEqual(await snapshotOf(t, a), aBefore);
      const bUsers = new Set([b.owner.id, b.member.id]);
      const bKeys = new Set([b.ownerKey.id, b.spareKey.id]);
      const byB = (await auditEventsOf(t, a)).filter((event) => bUsers.has(event.actor?.userId) || bKeys.has(event.actor?.apiKeyId));
      assert.deepEqual(byB, []);
    });

    it("control: B's owner reaches every route on B with the same paths and bodies (the refusals above were not bad requests)", async (ctx) => {
      const undocumented = new Set<string>();
      const ordered = [...routes].sort((x, y) => controlRank(x) - controlRank(y));
      for (const op of ordered) {
        const route = PROJECT_ROUTES[op.key];
        const body = route.body?.(b);
        const reply = await call(op, pathFor(op, b, 'id'), { token: b.owner.token }, body);
        const reached = (reply.status >= 200 && reply.status < 300) || reply.status === route.reached;
        check(reached, `${op.key} by B's owner on B: not reached`, reply);
        const schemaErrors = body && reached ? doc.bodyErrors(op, body) : null;
        if (schemaErrors) undocumented.add(`${op.key} takes a body its documented schema refuses: ${schemaErrors}`);
        if (!op.statuses.has(reply.status)) undocumented.add(`${op.key} answers ${reply.status}, not documented`);
      }
      // The document's completeness is checked elsewhere; here it is only reported.
      for (const finding of undocumented) ctx.diagnostic(`document finding: ${finding}`);
      flush();
    });
  });
}
