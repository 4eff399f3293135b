import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser, DRIVERS, expectOk, expectProblem, type Reply, startTestApp, type TestApp } from '../support/test-app';

const API = '/api/v1';
const P = 'transport';
const base = `${API}/projects/${P}/connections`;
const MASK = '********';
const PIN = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
const OTHER_PIN = 'SHA256:AAAAg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBeditorsOwnCA\n-----END CERTIFICATE-----';

type User = Awaited<ReturnType<typeof createUser>>;
type Json = Record<string, any>;

/**
 * A weaker transport to the same place is pointing elsewhere (DESIGN §3): with TLS off, the
 * certificate or host key unchecked, whoever is on the network path reads the secret. So it
 * needs the inline secret re-entered (422), and a shared credential's holder of
 * secrets:reveal (403); strengthening stays free.
 */
for (const driver of DRIVERS) {
  describe(`a weaker transport counts as pointing elsewhere (${driver})`, () => {
    let t: TestApp;
    let owner: User;
    let editor: User;
    let projectAdmin: User;
    let credentialId: string;
    const call = (method: string, path: string, token: string, body?: unknown) => t.call(method, path, { token, body });
    const PASSWORD = 'transport-shared-password';

    before(async () => {
      t = await startTestApp(driver);
      const admin = (await t.login()).accessToken;
      owner = await createUser(t, admin, 'ts-owner');
      editor = await createUser(t, admin, 'ts-editor');
      projectAdmin = await createUser(t, admin, 'ts-padmin');
      expectOk(await call('POST', `${API}/projects`, owner.token, { slug: P, name: P }), 201);
      expectOk(await call('PUT', `${API}/projects/${P}/members/${editor.id}`, owner.token, { role: 'editor' }));
      expectOk(await call('PUT', `${API}/projects/${P}/members/${projectAdmin.id}`, owner.token, { role: 'admin' }));
      credentialId = expectOk(
        await call('POST', `${API}/projects/${P}/credentials`, owner.token, {
          name: 'db-login',
          type: 'basic',
          fields: { username: 'svc' },
          secrets: { password: PASSWORD },
        }),
        201,
      ).id;
    });
    after(() => t?.close());

    describe('inline secrets kept on update', () => {
      // `free`: a change that weakens nothing, so the masked secret is kept.
      const cases: { type: string; config: Json; secrets: Json; weaker: Json[]; free: Json }[] = [
        {
          type: 'postgres',
          config: { host: '127.0.0.1', database: 'app', username: 'reader' },
          secrets: { password: 'inline-pg-password' },
          weaker: [{ sslMode: 'disable' }],
          free: { sslMode: 'verify-full' },
        },
        {
          type: 'mysql',
          config: { host: '127.0.0.1', database: 'app', username: 'reader', ssl: true },
          secrets: { password: 'inline-my-password' },
          weaker: [{ ssl: false }],
          free: { username: 'other' },
        },
        {
          type: 'http',
          config: { baseUrl: 'https://127.0.0.1:8443', authType: 'bearer' },
          secrets: { token: 'inline-http-token' },
          weaker: [{ tlsVerify: false }],
          free: { headers: { Accept: 'application/json' } },
        },
        {
          type: 'smtp',
          config: { host: '127.0.0.1', auth: true, username: 'mailer' },
          secrets: { password: 'inline-smtp-password' },
          weaker: [{ security: 'none' }, { tlsVerify: false }],
          free: { security: 'tls' },
        },
        {
          type: 'sftp',
          config: { host: '127.0.0.1', username: 'files', hostKeyFingerprint: PIN },
          secrets: { password: 'inline-sftp-password' },
          weaker: [{ hostKeyFingerprint: null }, { hostKeyFingerprint: OTHER_PIN }],
          free: { username: 'files2' },
        },
      ];
      for (const { type, config, secrets, weaker, free } of cases) {
        it(`${type}: ${weaker.map((change) => JSON.stringify(change)).join(', ')} keeping the secret is 422 like a move; a change weakening nothing is free`, async () => {
          const name = `inline-${type}`;
          const created = expectOk(await call('POST', base, editor.token, { name, type, config, secrets }), 201);
          const masked = Object.fromEntries(Object.keys(secrets).map((key) => [key, MASK]));
          for (const change of weaker) {
            for (const kept of [undefined, masked]) {
              const patched = await call('PATCH', `${base}/${name}`, editor.token, { config: change, ...(kept && { secrets: kept }) });
              expectProblem(patched, 422, 'UNPROCESSABLE');
              assert.match(patched.body.detail, new RegExp(`${Object.keys(change)[0]} weakened`));
              const replaced = await call('PUT', `${base}/${name}`, editor.token, {
                name,
                type,
                config: Object.fromEntries(Object.entries({ ...created.config, ...change }).filter(([, value]) => value !== null)),
                ...(kept && { secrets: kept }),
              });
              expectProblem(replaced, 422, 'UNPROCESSABLE');
              for (const value of Object.values(secrets)) assert.ok(!patched.text.includes(value) && !replaced.text.includes(value));
            }
          }
          assert.equal(expectOk(await call('GET', `${base}/${name}`, editor.token)).version, 1);

          expectOk(await call('PATCH', `${base}/${name}`, editor.token, { config: free, secrets: masked }));
          // Re-entered, the secret may go over the weaker transport: the editor knows it.
          const reentered = Object.fromEntries(Object.keys(secrets).map((key) => [key, `${secrets[key]}-2`]));
          const weakened = expectOk(await call('PATCH', `${base}/${name}`, editor.token, { config: weaker[0], secrets: reentered }));
          assert.equal(weakened.version, 3);
        });
      }

      it('postgres: a new CA while the certificate is checked keeps no password; without checks a CA is a gain', async () => {
        const config = { host: '127.0.0.1', database: 'app', username: 'reader', sslMode: 'verify-full' };
        expectOk(
          await call('POST', base, editor.token, { name: 'inline-ca', type: 'postgres', config, secrets: { password: 'ca-pw' } }),
          201,
        );
        const swapped = await call('PATCH', `${base}/inline-ca`, editor.token, { secrets: { tlsCa: CA, password: MASK } });
        expectProblem(swapped, 422, 'UNPROCESSABLE');
        assert.match(swapped.body.detail, /tlsCa weakened/);

        const unchecked = { ...config, sslMode: 'require' };
        expectOk(
          await call('POST', base, editor.token, {
            name: 'inline-ca-2',
            type: 'postgres',
            config: unchecked,
            secrets: { password: 'ca-pw' },
          }),
          201,
        );
        expectOk(await call('PATCH', `${base}/inline-ca-2`, editor.token, { config: { sslMode: 'verify-ca' }, secrets: { tlsCa: CA } }));
        const dropped = await call('PATCH', `${base}/inline-ca-2`, editor.token, { secrets: { tlsCa: null } });
        expectProblem(dropped, 422, 'UNPROCESSABLE');
        assert.match(dropped.body.detail, /tlsCa weakened/);
      });
    });

    describe('shared credential edits', () => {
      const credentials = `${API}/projects/${P}/credentials`;

      it('a new, replaced or removed CA keeps no password: 422 until it is re-entered', async () => {
        const secret = 'generic-kept-password';
        expectOk(
          await call('POST', credentials, owner.token, {
            name: 'pg-with-ca',
            type: 'generic',
            fields: { username: 'svc' },
            secrets: { password: secret },
          }),
          201,
        );
        expectOk(
          await call('POST', base, owner.token, {
            name: 'verified-by-credential',
            type: 'postgres',
            config: { host: '127.0.0.1', sslMode: 'verify-full' },
            credentialId: (await call('GET', `${credentials}/pg-with-ca`, owner.token)).body.id,
          }),
          201,
        );
        for (const token of [editor.token, owner.token]) {
          for (const secrets of [{ tlsCa: CA }, { tlsCa: CA, password: MASK }]) {
            const reply = await call('PATCH', `${credentials}/pg-with-ca`, token, { secrets });
            expectProblem(reply, 422, 'UNPROCESSABLE');
            assert.match(reply.body.detail, /tlsCa/);
            assert.match(reply.body.detail, /re-enter password/);
            assert.ok(!reply.text.includes(secret));
          }
        }
        const put = await call('PUT', `${credentials}/pg-with-ca`, editor.token, {
          name: 'pg-with-ca',
          fields: { username: 'svc' },
          secrets: { tlsCa: CA },
        });
        expectProblem(put, 422, 'UNPROCESSABLE');
        assert.equal(expectOk(await call('GET', `${credentials}/pg-with-ca`, editor.token)).version, 1);

        expectOk(await call('PATCH', `${credentials}/pg-with-ca`, editor.token, { secrets: { tlsCa: CA, password: 'editors-own' } }));
        // Other secrets change freely while the CA stays; removing it is a change too.
        expectOk(await call('PATCH', `${credentials}/pg-with-ca`, editor.token, { fields: { username: 'svc2' } }));
        expectProblem(await call('PATCH', `${credentials}/pg-with-ca`, editor.token, { secrets: { tlsCa: null } }), 422, 'UNPROCESSABLE');
      });

      it('client TLS material is not kept secrets: a tls credential rotates its CA alone', async () => {
        const tls = { tlsCa: CA, tlsCert: 'client-cert-pem', tlsKey: 'client-key-pem' };
        expectOk(await call('POST', credentials, editor.token, { name: 'mtls', type: 'tls', secrets: tls }), 201);
        const rotated = expectOk(await call('PATCH', `${credentials}/mtls`, editor.token, { secrets: { tlsCa: `${CA}\n` } }));
        assert.equal(rotated.version, 2);
      });
    });

    describe('shared credentials used without secrets:reveal', () => {
      const pg = (extra: Json = {}) => ({
        type: 'postgres',
        config: { host: '127.0.0.1', port: 5432, database: 'app', ...extra },
        credentialId,
      });

      function expectRefused(reply: Reply, setting: string): void {
        expectProblem(reply, 403, 'FORBIDDEN');
        assert.match(reply.body.detail, /secrets:reveal/);
        assert.match(reply.body.detail, new RegExp(`stronger transport security \\(${setting}`));
        assert.ok(!reply.text.includes(PASSWORD), reply.text);
      }

      before(async () => {
        expectOk(await call('POST', base, owner.token, { name: 'shared-pg', ...pg({ sslMode: 'require' }) }), 201);
      });

      it('refuses an editor the bound location with sslMode disable (create, PATCH, PUT, draft test) and audits it', async () => {
        expectRefused(await call('POST', base, editor.token, { name: 'pg-plain', ...pg({ sslMode: 'disable' }) }), 'sslMode');
        expectRefused(await call('PATCH', `${base}/shared-pg`, editor.token, { config: { sslMode: 'disable' } }), 'sslMode');
        expectRefused(
          await call('PUT', `${base}/shared-pg`, editor.token, { name: 'shared-pg', ...pg({ sslMode: 'disable' }) }),
          'sslMode',
        );
        expectRefused(await call('POST', `${base}/test`, editor.token, pg({ sslMode: 'disable' })), 'sslMode');
        assert.equal(expectOk(await call('GET', `${base}/shared-pg`, editor.token)).config.sslMode, 'require');

        const events = expectOk(await call('GET', `${API}/projects/${P}/audit-events?action=credential.use&perPage=100`, owner.token));
        const denied = events.data.filter((event: Json) => event.outcome === 'denied' && event.actor.userId === editor.id);
        assert.deepEqual(denied.map((event: Json) => event.details.via).sort(), [
          'connection.create',
          'connection.replace',
          'connection.test',
          'connection.update',
        ]);
        for (const event of denied) assert.deepEqual(event.details.weakened, ['sslMode']);
      });

      it('lets an editor use it there with the same or stronger transport security', async () => {
        expectOk(await call('POST', base, editor.token, { name: 'pg-same', ...pg({ sslMode: 'require' }) }), 201);
        expectOk(await call('POST', base, editor.token, { name: 'pg-strong', ...pg({ sslMode: 'verify-full' }) }), 201);
        expectOk(await call('PATCH', `${base}/pg-same`, editor.token, { config: { sslMode: 'verify-ca' } }));
        // Back down to what the project already does there: free.
        expectOk(await call('PATCH', `${base}/pg-strong`, editor.token, { config: { sslMode: 'require' } }));
      });

      it('lets a project admin weaken it; then the editor may use it as weak there', async () => {
        expectOk(await call('POST', base, projectAdmin.token, { name: 'pg-plain-admin', ...pg({ sslMode: 'disable' }) }), 201);
        expectOk(await call('POST', base, editor.token, { name: 'pg-plain-editor', ...pg({ sslMode: 'disable' }) }), 201);
      });

      it('covers every type with transport settings: tlsVerify, ssl, security, the host key pin', async () => {
        const bound: { type: string; config: Json; weaker: Json[]; setting: string[] }[] = [
          {
            type: 'http',
            config: { baseUrl: 'https://127.0.0.1:8443', authType: 'basic' },
            weaker: [{ tlsVerify: false }],
            setting: ['tlsVerify'],
          },
          { type: 'mysql', config: { host: '127.0.0.1', ssl: true }, weaker: [{ ssl: false }], setting: ['ssl'] },
          {
            type: 'smtp',
            config: { host: '127.0.0.1', auth: true },
            weaker: [{ security: 'none' }, { tlsVerify: false }],
            setting: ['security', 'tlsVerify'],
          },
          {
            type: 'sftp',
            config: { host: '127.0.0.1', hostKeyFingerprint: PIN },
            // Another pin first: once the admin has put it there unpinned, any pin is no weaker than that.
            weaker: [{ hostKeyFingerprint: OTHER_PIN }, { hostKeyFingerprint: undefined }],
            setting: ['hostKeyFingerprint', 'hostKeyFingerprint'],
          },
        ];
        for (const { type, config, weaker, setting } of bound) {
          expectOk(await call('POST', base, owner.token, { name: `shared-${type}`, type, config, credentialId }), 201);
          for (const [index, change] of weaker.entries()) {
            const body = { name: `weak-${type}-${index}`, type, config: { ...config, ...change }, credentialId };
            expectRefused(await call('POST', base, editor.token, body), setting[index]);
            expectOk(await call('POST', base, projectAdmin.token, body), 201);
          }
          expectOk(await call('POST', base, editor.token, { name: `same-${type}`, type, config, credentialId }), 201);
        }
      });
    });
  });
}
