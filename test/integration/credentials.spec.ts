import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { createUser, DRIVERS, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';
import { putMember } from '../support/factories';
import { expectFieldError, fieldsOf } from '../support/problems';

const API = '/api/v1';
const MASK = '********';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FINGERPRINT = /^k1:[0-9a-f]{64}$/;
/** `sb1.<keyId>.<12-byte nonce>.<ciphertext+tag>`, base64url parts. */
const ENVELOPE = /^sb1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/;
const CREDENTIAL_KEYS = [
  'createdAt',
  'description',
  'fields',
  'id',
  'name',
  'secretFields',
  'secretFingerprint',
  'type',
  'updatedAt',
  'version',
];
/** Every canary planted by the tests below starts with this; none may surface anywhere. */
const CANARY_STEM = 'CANARY-xyz';

type User = Awaited<ReturnType<typeof createUser>>;

const credentialsOf = (project: string): string => `${API}/projects/${project}/credentials`;
const connectionsOf = (project: string): string => `${API}/projects/${project}/connections`;

/** One valid credential of each type, with secret values that are easy to look for. */
const SAMPLES: Record<string, { fields: Record<string, string>; secrets: Record<string, string> }> = {
  basic: { fields: { username: 'reader' }, secrets: { password: 'basic-password-value-1' } },
  'ssh-key': {
    fields: { username: 'deploy' },
    secrets: {
      privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-ssh-private-value\n-----END OPENSSH PRIVATE KEY-----\n',
      passphrase: 'ssh-passphrase-value-1',
    },
  },
  aws: {
    fields: {},
    secrets: {
      accessKeyId: 'AKIAEXAMPLEACCESSKEY1',
      secretAccessKey: 'aws-secret-access-value-1',
      sessionToken: 'aws-session-token-value-1',
    },
  },
  token: { fields: {}, secrets: { token: 'token-secret-value-1' } },
  tls: {
    fields: {},
    secrets: {
      tlsCa: '-----BEGIN CERTIFICATE-----\ntls-ca-value-1\n-----END CERTIFICATE-----\n',
      tlsCert: '-----BEGIN CERTIFICATE-----\ntls-cert-value-1\n-----END CERTIFICATE-----\n',
      tlsKey: '-----BEGIN PRIVATE KEY-----\ntls-key-value-1\n-----END PRIVATE KEY-----\n',
    },
  },
  generic: {
    fields: { region: 'eu-west-1', Any_Name2: 'x' },
    secrets: { apiSecret: 'generic-secret-value-1', other_one: 'generic-other-value-1' },
  },
};
const ALL_SAMPLE_SECRETS = Object.values(SAMPLES).flatMap((sample) => Object.values(sample.secrets));

function assertNoneOf(text: string, values: string[], where: string): void {
  for (const value of values) assert.ok(!text.includes(value), `${where} contains the secret value "${value}": ${text.slice(0, 400)}`);
}

/** Runs a query written with $1, $2... on either driver. */
function sql(t: TestApp, query: string, parameters: unknown[] = []): Promise<any[]> {
  const text = t.driver === 'sqlite' ? query.replace(/\$\d+/g, '?') : query;
  return t.app.get(DataSource).query(text, parameters);
}

for (const driver of DRIVERS) {
  describe(`credentials (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let owner: User; // owns project "vault"
    let projectAdmin: User; // admin of "vault"
    let editor: User; // editor of "vault"
    let viewer: User; // viewer of "vault"
    let outsider: User; // owns project "elsewhere", nothing in "vault"

    const create = (token: string, project: string, body: unknown) => t.call('POST', credentialsOf(project), { token, body });
    const get = (token: string, project: string, ref: string, query = '') =>
      t.call('GET', `${credentialsOf(project)}/${encodeURIComponent(ref)}${query}`, { token });
    const patch = (token: string, project: string, ref: string, body: unknown, headers: Record<string, string> = {}) =>
      t.call('PATCH', `${credentialsOf(project)}/${encodeURIComponent(ref)}`, { token, body, headers });
    const put = (token: string, project: string, ref: string, body: unknown, headers: Record<string, string> = {}) =>
      t.call('PUT', `${credentialsOf(project)}/${encodeURIComponent(ref)}`, { token, body, headers });
    const remove = (token: string, project: string, ref: string, headers: Record<string, string> = {}) =>
      t.call('DELETE', `${credentialsOf(project)}/${encodeURIComponent(ref)}`, { token, headers });

    async function createOk(project: string, body: Record<string, unknown>, token = owner.token) {
      const reply = await create(token, project, body);
      assert.equal(reply.status, 201, reply.text);
      return reply.body as { id: string; name: string; version: number; secretFingerprint: string | null; secretFields: string[] };
    }

    async function reveal(project: string, ref: string, token = owner.token): Promise<Record<string, string>> {
      const reply = await get(token, project, ref, '?reveal=true');
      assert.equal(reply.status, 200, reply.text);
      return reply.body.secrets;
    }

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      [owner, projectAdmin, editor, viewer, outsider] = await Promise.all(
        ['owner', 'padmin', 'editor', 'viewer', 'outsider'].map((name) => createUser(t, admin, `${name}-${driver}`)),
      );
      for (const [token, slug] of [
        [owner.token, 'vault'],
        [outsider.token, 'elsewhere'],
      ]) {
        const reply = await t.call('POST', `${API}/projects`, { token, body: { slug, name: slug } });
        assert.equal(reply.status, 201, reply.text);
      }
      await putMember(t, owner.token, 'vault', projectAdmin.id, 'admin');
      await putMember(t, owner.token, 'vault', editor.id, 'editor');
      await putMember(t, owner.token, 'vault', viewer.id, 'viewer');
    });
    after(() => t.close());

    describe('create', () => {
      for (const [type, sample] of Object.entries(SAMPLES)) {
        it(`creates a ${type} credential: 201, Location, ETag "1", names and fingerprint but no secret value`, async () => {
          const name = `created-${type}`;
          const reply = await create(editor.token, 'vault', { name, type, description: `A ${type} one`, ...sample });
          assert.equal(reply.status, 201, reply.text);
          assert.match(reply.body.id, UUID);
          assert.equal(reply.headers.get('location'), `${credentialsOf('vault')}/${reply.body.id}`);
          assert.equal(reply.headers.get('etag'), '"1"');
          assert.deepEqual(
            Object.keys(reply.body)
              .filter((key) => key !== 'secrets')
              .sort(),
            CREDENTIAL_KEYS,
          );
          assert.equal(reply.body.name, name);
          assert.equal(reply.body.type, type);
          assert.equal(reply.body.description, `A ${type} one`);
          assert.deepEqual(reply.body.fields, sample.fields);
          assert.deepEqual(reply.body.secretFields, Object.keys(sample.secrets).sort());
          assert.match(reply.body.secretFingerprint, FINGERPRINT);
          assert.equal(reply.body.version, 1);
          assert.ok(!Number.isNaN(Date.parse(reply.body.createdAt)));
          assert.deepEqual(reply.body.secrets, Object.fromEntries(Object.keys(sample.secrets).map((key) => [key, MASK])));
          assertNoneOf(reply.text, Object.values(sample.secrets), 'the create response');

          const location = await t.call('GET', reply.headers.get('location')!, { token: viewer.token });
          assert.equal(location.status, 200, location.text);
          assert.equal(location.body.id, reply.body.id);
          assert.equal(location.headers.get('etag'), '"1"');
          assertNoneOf(location.text, Object.values(sample.secrets), 'the read');
          assert.deepEqual(await reveal('vault', name), sample.secrets);
        });
      }

      it('keeps a type whose secrets are all optional (tls) without any secret: no fingerprint', async () => {
        const reply = await create(owner.token, 'vault', { name: 'tls-empty', type: 'tls', secrets: {} });
        assert.equal(reply.status, 201, reply.text);
        assert.deepEqual(reply.body.secretFields, []);
        assert.equal(reply.body.secretFingerprint, null);
        assert.deepEqual(reply.body.fields, {});
        assert.deepEqual(await reveal('vault', 'tls-empty'), {});
      });

      it('gives equal secrets equal fingerprints and different secrets different ones', async () => {
        const a = await createOk('vault', { name: 'fp-a', type: 'token', secrets: { token: 'same-token-value' } });
        const b = await createOk('vault', { name: 'fp-b', type: 'token', secrets: { token: 'same-token-value' } });
        const c = await createOk('vault', { name: 'fp-c', type: 'token', secrets: { token: 'other-token-value' } });
        assert.equal(a.secretFingerprint, b.secretFingerprint);
        assert.notEqual(a.secretFingerprint, c.secretFingerprint);
      });

      it('refuses secret and field names the type does not know, naming each', async () => {
        const secrets = await create(owner.token, 'vault', { name: 'bad-1', type: 'basic', secrets: { password: 'p', token: 't' } });
        expectFieldError(secrets, 'secrets.token');
        assert.ok(!fieldsOf(secrets).includes('secrets.password'));

        const fields = await create(owner.token, 'vault', {
          name: 'bad-2',
          type: 'basic',
          fields: { host: 'db' },
          secrets: { password: 'p' },
        });
        expectFieldError(fields, 'fields.host');

        const aws = await create(owner.token, 'vault', {
          name: 'bad-3',
          type: 'aws',
          fields: { username: 'x' },
          secrets: { accessKeyId: 'a', secretAccessKey: 'b', password: 'c' },
        });
        expectFieldError(aws, 'fields.username');
        expectFieldError(aws, 'secrets.password');

        const generic = await create(owner.token, 'vault', {
          name: 'bad-4',
          type: 'generic',
          fields: { '1st': 'x' },
          secrets: { 'has-dash': 'y' },
        });
        expectFieldError(generic, 'fields.1st');
        expectFieldError(generic, 'secrets.has-dash');
      });

      it('refuses missing required secrets, naming each', async () => {
        expectFieldError(await create(owner.token, 'vault', { name: 'bad-5', type: 'basic', secrets: {} }), 'secrets.password');
        const aws = await create(owner.token, 'vault', { name: 'bad-6', type: 'aws', secrets: { accessKeyId: 'a' } });
        expectFieldError(aws, 'secrets.secretAccessKey');
        assert.ok(!fieldsOf(aws).includes('secrets.accessKeyId'));
        expectFieldError(
          await create(owner.token, 'vault', { name: 'bad-7', type: 'ssh-key', secrets: { passphrase: 'x' } }),
          'secrets.privateKey',
        );
        expectFieldError(await create(owner.token, 'vault', { name: 'bad-8', type: 'token', secrets: {} }), 'secrets.token');
        expectFieldError(await create(owner.token, 'vault', { name: 'bad-9', type: 'basic' }), 'secrets');
      });

      it('refuses empty, null, non-string and masked secret values and non-string fields', async () => {
        expectFieldError(
          await create(owner.token, 'vault', { name: 'bad-10', type: 'basic', secrets: { password: '' } }),
          'secrets.password',
        );
        expectFieldError(
          await create(owner.token, 'vault', { name: 'bad-11', type: 'basic', secrets: { password: 12345 } }),
          'secrets.password',
        );
        expectFieldError(
          await create(owner.token, 'vault', { name: 'bad-12', type: 'basic', secrets: { password: null } }),
          'secrets.password',
        );
        expectFieldError(
          await create(owner.token, 'vault', { name: 'bad-13', type: 'basic', secrets: { password: { x: 1 } } }),
          'secrets.password',
        );
        expectFieldError(
          await create(owner.token, 'vault', { name: 'bad-14', type: 'generic', secrets: { a: 'x' }, fields: { count: 5 } }),
          'fields.count',
        );
        // The mask is what reads show; stored as a password it would silently replace a real one.
        expectFieldError(
          await create(owner.token, 'vault', { name: 'bad-15', type: 'basic', secrets: { password: MASK } }),
          'secrets.password',
        );
        expectFieldError(await create(owner.token, 'vault', { name: 'bad-16', type: 'basic', secrets: 'password' }), 'secrets');
        expectFieldError(await create(owner.token, 'vault', { name: 'bad-17', type: 'kerberos', secrets: { password: 'x' } }), 'type');
        expectFieldError(
          await create(owner.token, 'vault', { name: 'bad-18', type: 'basic', secrets: { password: 'x' }, extra: 1 }),
          'extra',
        );
        const list = await t.call('GET', `${credentialsOf('vault')}?perPage=100`, { token: owner.token });
        assert.ok(!list.body.data.some((item: { name: string }) => item.name.startsWith('bad-')), 'a refused credential was stored');
      });

      it('requires the name to be a slug (lowercased), unique in the project', async () => {
        for (const name of [
          'Has Space',
          'x',
          '-lead',
          'trail-',
          'double--dash',
          '9starts-with-digit',
          'a'.repeat(64),
          randomUUID(),
          '',
          7,
        ]) {
          expectFieldError(await create(owner.token, 'vault', { name, type: 'token', secrets: { token: 't' } }), 'name');
        }
        const upper = await create(owner.token, 'vault', { name: '  Mixed-Case ', type: 'token', secrets: { token: 't' } });
        assert.equal(upper.status, 201, upper.text);
        assert.equal(upper.body.name, 'mixed-case');
        assert.equal((await get(owner.token, 'vault', 'mixed-case')).body.id, upper.body.id);

        expectProblem(
          await create(owner.token, 'vault', { name: 'mixed-case', type: 'basic', secrets: { password: 'p' } }),
          409,
          'CONFLICT',
        );
        expectProblem(await create(owner.token, 'vault', { name: 'MIXED-CASE', type: 'token', secrets: { token: 't' } }), 409, 'CONFLICT');
        // Another project may use the same name.
        const other = await create(outsider.token, 'elsewhere', { name: 'mixed-case', type: 'token', secrets: { token: 't' } });
        assert.equal(other.status, 201, other.text);
      });

      it('needs credentials:write: a viewer gets 403, a stranger 404', async () => {
        expectProblem(await create(viewer.token, 'vault', { name: 'by-viewer', type: 'token', secrets: { token: 't' } }), 403, 'FORBIDDEN');
        expectProblem(
          await create(outsider.token, 'vault', { name: 'by-outsider', type: 'token', secrets: { token: 't' } }),
          404,
          'NOT_FOUND',
        );
        expectProblem(await get(owner.token, 'vault', 'by-viewer'), 404, 'NOT_FOUND');
      });
    });

    describe('list', () => {
      before(async () => {
        const reply = await t.call('POST', `${API}/projects`, { token: owner.token, body: { slug: 'listing', name: 'listing' } });
        assert.equal(reply.status, 201, reply.text);
        for (let start = 0; start < 25; start += 5) {
          await Promise.all(
            Array.from({ length: 5 }, (_, offset) => {
              const i = start + offset;
              const type = Object.keys(SAMPLES)[i % 6];
              return createOk('listing', { name: `item-${String(i).padStart(2, '0')}`, type, ...SAMPLES[type] });
            }),
          );
        }
      });

      it('pages {data, meta} by name, 20 by default, never with secrets', async () => {
        const first = await t.call('GET', credentialsOf('listing'), { token: viewer.token });
        expectProblem(first, 404, 'NOT_FOUND'); // viewer is not a member of "listing"
        const page1 = await t.call('GET', credentialsOf('listing'), { token: owner.token });
        assert.equal(page1.status, 200, page1.text);
        assert.deepEqual(Object.keys(page1.body).sort(), ['data', 'meta']);
        assert.deepEqual(page1.body.meta, { total: 25, page: 1, perPage: 20 });
        assert.equal(page1.body.data.length, 20);
        const page2 = await t.call('GET', `${credentialsOf('listing')}?page=2&perPage=20`, { token: owner.token });
        assert.deepEqual(page2.body.meta, { total: 25, page: 2, perPage: 20 });
        const names = [...page1.body.data, ...page2.body.data].map((item: { name: string }) => item.name);
        assert.deepEqual(
          names,
          Array.from({ length: 25 }, (_, i) => `item-${String(i).padStart(2, '0')}`),
        );
        const beyond = await t.call('GET', `${credentialsOf('listing')}?page=9`, { token: owner.token });
        assert.deepEqual(beyond.body, { data: [], meta: { total: 25, page: 9, perPage: 20 } });
        for (const reply of [page1, page2]) {
          for (const item of reply.body.data) {
            assert.ok(!('secrets' in item), `a list item carries secrets: ${JSON.stringify(item)}`);
            assert.deepEqual(Object.keys(item).sort(), CREDENTIAL_KEYS);
          }
          assertNoneOf(reply.text, ALL_SAMPLE_SECRETS, 'a list');
          assert.ok(!reply.text.includes(MASK), 'a list shows masks: it should not mention secrets at all');
        }
      });

      it('refuses bad paging', async () => {
        expectFieldError(await t.call('GET', `${credentialsOf('listing')}?perPage=101`, { token: owner.token }), 'perPage');
        expectFieldError(await t.call('GET', `${credentialsOf('listing')}?page=0`, { token: owner.token }), 'page');
        expectFieldError(await t.call('GET', `${credentialsOf('listing')}?page=abc`, { token: owner.token }), 'page');
      });

      it('hides credentials owned by a connection (inline secrets): not listed, 404 by id or name', async () => {
        const connection = await t.call('POST', connectionsOf('listing'), {
          token: owner.token,
          body: {
            name: 'inline-pg',
            type: 'postgres',
            config: { host: 'db.example.com', database: 'app' },
            secrets: { password: 'inline-pw-value' },
          },
        });
        assert.equal(connection.status, 201, connection.text);
        const [row] = await sql(t, 'SELECT credential_id FROM connections WHERE id = $1', [connection.body.id]);
        const ownedId = String(row.credential_id);
        assert.match(ownedId, UUID);
        const [owned] = await sql(t, 'SELECT name, owner_connection_id FROM credentials WHERE id = $1', [ownedId]);
        assert.equal(String(owned.owner_connection_id), connection.body.id);

        const list = await t.call('GET', `${credentialsOf('listing')}?perPage=100`, { token: owner.token });
        assert.equal(list.body.meta.total, 25);
        assert.ok(!list.body.data.some((item: { id: string }) => item.id === ownedId));
        assert.ok(!list.text.includes('inline-pw-value'));
        for (const ref of [ownedId, String(owned.name)]) {
          expectProblem(await get(owner.token, 'listing', ref), 404, 'NOT_FOUND');
          expectProblem(await get(owner.token, 'listing', ref, '?reveal=true'), 404, 'NOT_FOUND');
          expectProblem(await patch(owner.token, 'listing', ref, { description: 'x' }), 404, 'NOT_FOUND');
          expectProblem(await put(owner.token, 'listing', ref, { name: 'taken-over' }), 404, 'NOT_FOUND');
          expectProblem(await remove(owner.token, 'listing', ref), 404, 'NOT_FOUND');
        }
        // Nor can another connection borrow it as a shared credential.
        const borrow = await t.call('POST', connectionsOf('listing'), {
          token: owner.token,
          body: { name: 'borrower', type: 'postgres', config: { host: 'db.example.com' }, credentialId: ownedId },
        });
        expectFieldError(borrow, 'credentialId');
        const still = await t.call('GET', `${connectionsOf('listing')}/inline-pg?reveal=true`, { token: owner.token });
        assert.equal(still.status, 200, still.text);
        assert.equal(still.body.secrets.password, 'inline-pw-value');
      });
    });

    describe('single read and reveal', () => {
      let id: string;
      before(async () => {
        id = (
          await createOk('vault', {
            name: 'revealable',
            type: 'basic',
            fields: { username: 'u' },
            secrets: { password: 'reveal-me-value' },
          })
        ).id;
      });

      it('masks secrets as "********" by name or id, with an ETag', async () => {
        for (const ref of ['revealable', id, id.toUpperCase()]) {
          const reply = await get(viewer.token, 'vault', ref);
          assert.equal(reply.status, 200, reply.text);
          assert.equal(reply.body.id, id);
          assert.deepEqual(reply.body.secrets, { password: MASK });
          assert.deepEqual(reply.body.secretFields, ['password']);
          assert.equal(reply.headers.get('etag'), '"1"');
          assert.ok(!reply.text.includes('reveal-me-value'));
        }
        const explicit = await get(owner.token, 'vault', 'revealable', '?reveal=false');
        assert.deepEqual(explicit.body.secrets, { password: MASK });
        expectFieldError(await get(owner.token, 'vault', 'revealable', '?reveal=yes'), 'reveal');
        expectProblem(await get(owner.token, 'vault', 'no-such-credential'), 404, 'NOT_FOUND');
        expectProblem(await get(owner.token, 'vault', randomUUID()), 404, 'NOT_FOUND');
      });

      it('reveals only with secrets:reveal (owner, admin, instance admin); editor and viewer get 403', async () => {
        for (const token of [owner.token, projectAdmin.token, admin]) {
          const reply = await get(token, 'vault', 'revealable', '?reveal=true');
          assert.equal(reply.status, 200, reply.text);
          assert.deepEqual(reply.body.secrets, { password: 'reveal-me-value' });
        }
        for (const token of [editor.token, viewer.token]) {
          const reply = await get(token, 'vault', 'revealable', '?reveal=true');
          expectProblem(reply, 403, 'FORBIDDEN');
          assert.ok(!reply.text.includes('reveal-me-value'));
        }
      });

      it('applies API key scopes: a key with secrets:reveal reveals, one without gets 403', async () => {
        const keys: Record<string, string> = {};
        for (const [name, scopes] of [
          ['reveal-key', ['credentials:read', 'secrets:reveal']],
          ['read-key', ['credentials:read']],
        ] as const) {
          const reply = await t.call('POST', `${API}/projects/vault/api-keys`, { token: owner.token, body: { name, scopes } });
          assert.equal(reply.status, 201, reply.text);
          keys[name] = reply.body.key;
        }
        const revealed = await t.call('GET', `${credentialsOf('vault')}/revealable?reveal=true`, { apiKey: keys['reveal-key'] });
        assert.equal(revealed.status, 200, revealed.text);
        assert.equal(revealed.body.secrets.password, 'reveal-me-value');
        expectProblem(
          await t.call('GET', `${credentialsOf('vault')}/revealable?reveal=true`, { apiKey: keys['read-key'] }),
          403,
          'FORBIDDEN',
        );
        assert.equal((await t.call('GET', `${credentialsOf('vault')}/revealable`, { apiKey: keys['read-key'] })).status, 200);
      });

      it('writes a credential.reveal audit event for each reveal, with the request id', async () => {
        const reply = await get(projectAdmin.token, 'vault', 'revealable', '?reveal=true');
        assert.equal(reply.status, 200);
        const requestId = reply.headers.get('x-request-id');
        assert.ok(requestId);
        const events = await t.call('GET', `${API}/projects/vault/audit-events?action=credential.reveal&perPage=100`, {
          token: owner.token,
        });
        assert.equal(events.status, 200, events.text);
        const event = events.body.data.find((item: { requestId: string }) => item.requestId === requestId);
        assert.ok(event, `no credential.reveal event for request ${requestId}: ${events.text}`);
        assert.equal(event.outcome, 'success');
        assert.equal(event.actor.userId, projectAdmin.id);
        assert.deepEqual(event.target, { type: 'credential', id, name: 'revealable' });
        assert.ok(!events.text.includes('reveal-me-value'));
        // A masked read and a refused reveal are not reveals.
        const masked = await get(owner.token, 'vault', 'revealable');
        const refused = await get(editor.token, 'vault', 'revealable', '?reveal=true');
        const later = await t.call('GET', `${API}/projects/vault/audit-events?action=credential.reveal&perPage=100`, {
          token: owner.token,
        });
        for (const other of [masked, refused]) {
          const rid = other.headers.get('x-request-id');
          assert.ok(
            !later.body.data.some((item: { requestId: string; outcome: string }) => item.requestId === rid && item.outcome === 'success'),
            'a read that revealed nothing was audited as a reveal',
          );
        }
      });
    });

    describe('replace (PUT) and merge (PATCH)', () => {
      it('PATCH keeps an omitted or masked secret, changes one given a new value, and the fingerprint follows', async () => {
        const created = await createOk('vault', {
          name: 'patched',
          type: 'basic',
          fields: { username: 'u1' },
          secrets: { password: 'pw-one' },
        });
        let version = created.version;

        const described = await patch(owner.token, 'vault', 'patched', { description: 'now described' });
        assert.equal(described.status, 200, described.text);
        assert.equal(described.body.version, ++version);
        assert.equal(described.headers.get('etag'), `"${version}"`);
        assert.equal(described.body.description, 'now described');
        assert.deepEqual(described.body.fields, { username: 'u1' });
        assert.equal(described.body.secretFingerprint, created.secretFingerprint);
        assert.deepEqual(described.body.secrets, { password: MASK });
        assert.deepEqual(await reveal('vault', 'patched'), { password: 'pw-one' });

        const masked = await patch(owner.token, 'vault', 'patched', { secrets: { password: MASK }, fields: { username: 'u2' } });
        assert.equal(masked.status, 200, masked.text);
        assert.equal(masked.body.version, ++version);
        assert.equal(masked.body.secretFingerprint, created.secretFingerprint);
        assert.deepEqual(masked.body.fields, { username: 'u2' });
        assert.deepEqual(await reveal('vault', 'patched'), { password: 'pw-one' });

        const changed = await patch(owner.token, 'vault', 'patched', { secrets: { password: 'pw-two' } });
        assert.equal(changed.status, 200, changed.text);
        assert.equal(changed.body.version, ++version);
        assert.equal(changed.headers.get('etag'), `"${version}"`);
        assert.notEqual(changed.body.secretFingerprint, created.secretFingerprint);
        assert.match(changed.body.secretFingerprint, FINGERPRINT);
        assert.ok(!changed.text.includes('pw-two'));
        assert.deepEqual(await reveal('vault', 'patched'), { password: 'pw-two' });

        // The same value again is no change of secret.
        const same = await patch(owner.token, 'vault', 'patched', { secrets: { password: 'pw-two' } });
        assert.equal(same.status, 200, same.text);
        assert.equal(same.body.secretFingerprint, changed.body.secretFingerprint);

        const read = await get(owner.token, 'vault', 'patched');
        assert.equal(read.headers.get('etag'), `"${same.body.version}"`);
      });

      it('PATCH with null clears an optional secret but refuses to clear a required one', async () => {
        const created = await createOk('vault', { name: 'ssh-clear', type: 'ssh-key', ...SAMPLES['ssh-key'] });
        const cleared = await patch(owner.token, 'vault', 'ssh-clear', { secrets: { passphrase: null } });
        assert.equal(cleared.status, 200, cleared.text);
        assert.deepEqual(cleared.body.secretFields, ['privateKey']);
        assert.deepEqual(cleared.body.secrets, { privateKey: MASK });
        assert.notEqual(cleared.body.secretFingerprint, created.secretFingerprint);
        assert.deepEqual(await reveal('vault', 'ssh-clear'), { privateKey: SAMPLES['ssh-key'].secrets.privateKey });

        const required = await patch(owner.token, 'vault', 'ssh-clear', { secrets: { privateKey: null } });
        expectFieldError(required, 'secrets.privateKey');
        const basic = await createOk('vault', { name: 'basic-clear', type: 'basic', secrets: { password: 'keep-me' } });
        expectFieldError(await patch(owner.token, 'vault', 'basic-clear', { secrets: { password: null } }), 'secrets.password');
        expectFieldError(
          await put(owner.token, 'vault', 'basic-clear', { name: 'basic-clear', secrets: { password: null } }),
          'secrets.password',
        );
        // Refused writes change nothing.
        const unchanged = await get(owner.token, 'vault', 'basic-clear');
        assert.equal(unchanged.body.version, basic.version);
        assert.deepEqual(await reveal('vault', 'basic-clear'), { password: 'keep-me' });
        assert.deepEqual(await reveal('vault', 'ssh-clear'), { privateKey: SAMPLES['ssh-key'].secrets.privateKey });
        assert.equal((await get(owner.token, 'vault', 'ssh-clear')).body.version, cleared.body.version);
      });

      it('PATCH refuses bad secrets and fields, naming each, and changes nothing', async () => {
        const created = await createOk('vault', { name: 'patch-invalid', type: 'basic', secrets: { password: 'pi' } });
        expectFieldError(await patch(owner.token, 'vault', 'patch-invalid', { secrets: { token: 'x' } }), 'secrets.token');
        expectFieldError(await patch(owner.token, 'vault', 'patch-invalid', { secrets: { password: '' } }), 'secrets.password');
        expectFieldError(await patch(owner.token, 'vault', 'patch-invalid', { secrets: { password: 42 } }), 'secrets.password');
        expectFieldError(await patch(owner.token, 'vault', 'patch-invalid', { fields: { port: '5432' } }), 'fields.port');
        expectFieldError(await patch(owner.token, 'vault', 'patch-invalid', { fields: { username: 5 } }), 'fields.username');
        expectFieldError(await patch(owner.token, 'vault', 'patch-invalid', { name: 'Not A Slug' }), 'name');
        expectFieldError(await patch(owner.token, 'vault', 'patch-invalid', { secrets: null }), 'secrets');
        const read = await get(owner.token, 'vault', 'patch-invalid');
        assert.equal(read.body.version, created.version);
        assert.deepEqual(await reveal('vault', 'patch-invalid'), { password: 'pi' });
      });

      it('PATCH merges fields key by key (null removes one); PUT replaces them', async () => {
        await createOk('vault', { name: 'merge-fields', type: 'generic', fields: { a: '1', b: '2' }, secrets: { s1: 'v1', s2: 'v2' } });
        const merged = await patch(owner.token, 'vault', 'merge-fields', { fields: { b: null, c: '3' }, secrets: { s2: null, s3: 'v3' } });
        assert.equal(merged.status, 200, merged.text);
        assert.deepEqual(merged.body.fields, { a: '1', c: '3' });
        assert.deepEqual(merged.body.secretFields, ['s1', 's3']);
        assert.deepEqual(await reveal('vault', 'merge-fields'), { s1: 'v1', s3: 'v3' });

        const replaced = await put(owner.token, 'vault', 'merge-fields', { name: 'merge-fields', fields: { x: '9' } });
        assert.equal(replaced.status, 200, replaced.text);
        assert.deepEqual(replaced.body.fields, { x: '9' });
        assert.equal(replaced.body.description, null);
        assert.deepEqual(await reveal('vault', 'merge-fields'), { s1: 'v1', s3: 'v3' }, 'PUT without secrets keeps them');
      });

      it('PUT replaces name, description and fields; secrets omitted or masked are kept, null clears, new values change', async () => {
        const created = await createOk('vault', {
          name: 'replaced',
          type: 'aws',
          description: 'old',
          secrets: { accessKeyId: 'AKIA-1', secretAccessKey: 'sak-1', sessionToken: 'st-1' },
        });
        const kept = await put(owner.token, 'vault', 'replaced', {
          name: 'replaced',
          type: 'aws',
          description: 'new',
          secrets: { accessKeyId: MASK, secretAccessKey: MASK },
        });
        assert.equal(kept.status, 200, kept.text);
        assert.equal(kept.body.description, 'new');
        assert.equal(kept.body.version, created.version + 1);
        assert.equal(kept.headers.get('etag'), `"${created.version + 1}"`);
        assert.equal(kept.body.secretFingerprint, created.secretFingerprint);
        assert.deepEqual(await reveal('vault', 'replaced'), { accessKeyId: 'AKIA-1', secretAccessKey: 'sak-1', sessionToken: 'st-1' });

        const changed = await put(owner.token, 'vault', 'replaced', {
          name: 'replaced-2',
          secrets: { secretAccessKey: 'sak-2', sessionToken: null },
        });
        assert.equal(changed.status, 200, changed.text);
        assert.equal(changed.body.name, 'replaced-2');
        assert.equal(changed.body.description, null);
        assert.equal(changed.body.type, 'aws');
        assert.deepEqual(changed.body.secretFields, ['accessKeyId', 'secretAccessKey']);
        assert.notEqual(changed.body.secretFingerprint, created.secretFingerprint);
        assert.deepEqual(await reveal('vault', 'replaced-2'), { accessKeyId: 'AKIA-1', secretAccessKey: 'sak-2' });
        expectProblem(await get(owner.token, 'vault', 'replaced'), 404, 'NOT_FOUND');
        assert.equal((await get(owner.token, 'vault', created.id)).body.name, 'replaced-2');

        expectFieldError(await put(owner.token, 'vault', 'replaced-2', { secrets: {} }), 'name');
        expectFieldError(
          await put(owner.token, 'vault', 'replaced-2', { name: 'replaced-2', secrets: { accessKeyId: '' } }),
          'secrets.accessKeyId',
        );
      });

      it('refuses to change the type (400) by PUT or PATCH', async () => {
        const created = await createOk('vault', { name: 'typed', type: 'token', secrets: { token: 'typed-token' } });
        expectFieldError(await put(owner.token, 'vault', 'typed', { name: 'typed', type: 'basic', secrets: { password: 'p' } }), 'type');
        expectFieldError(await patch(owner.token, 'vault', 'typed', { type: 'basic' }), 'type');
        const same = await put(owner.token, 'vault', 'typed', { name: 'typed', type: 'token' });
        assert.equal(same.status, 200, same.text);
        assert.equal(same.body.type, 'token');
        assert.equal(same.body.version, created.version + 1);
        assert.deepEqual(await reveal('vault', 'typed'), { token: 'typed-token' });
      });

      it('refuses renaming onto another credential (409)', async () => {
        await createOk('vault', { name: 'rename-a', type: 'token', secrets: { token: 'a' } });
        await createOk('vault', { name: 'rename-b', type: 'token', secrets: { token: 'b' } });
        expectProblem(await patch(owner.token, 'vault', 'rename-a', { name: 'rename-b' }), 409, 'CONFLICT');
        expectProblem(await put(owner.token, 'vault', 'rename-a', { name: 'rename-b' }), 409, 'CONFLICT');
        assert.deepEqual(await reveal('vault', 'rename-b'), { token: 'b' });
      });

      it('honours If-Match: a stale or malformed tag answers 412, the current one (or *) applies', async () => {
        const created = await createOk('vault', { name: 'guarded', type: 'token', secrets: { token: 'g-1' } });
        assert.equal(created.version, 1);
        const ok = await patch(owner.token, 'vault', 'guarded', { description: 'v2' }, { 'if-match': '"1"' });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(ok.headers.get('etag'), '"2"');

        for (const header of ['"1"', '"3"', '"0"']) {
          expectProblem(
            await patch(owner.token, 'vault', 'guarded', { secrets: { token: 'stale' } }, { 'if-match': header }),
            412,
            'PRECONDITION_FAILED',
          );
          expectProblem(
            await put(owner.token, 'vault', 'guarded', { name: 'guarded', secrets: { token: 'stale' } }, { 'if-match': header }),
            412,
            'PRECONDITION_FAILED',
          );
        }
        for (const header of ['2', 'abc', '"two"', '"2', '"-1"', "'2'"]) {
          expectProblem(
            await patch(owner.token, 'vault', 'guarded', { description: 'malformed' }, { 'if-match': header }),
            412,
            'PRECONDITION_FAILED',
          );
        }
        const unchanged = await get(owner.token, 'vault', 'guarded');
        assert.equal(unchanged.body.version, 2);
        assert.equal(unchanged.body.description, 'v2');
        assert.deepEqual(await reveal('vault', 'guarded'), { token: 'g-1' });

        const current = await patch(owner.token, 'vault', 'guarded', { description: 'v3' }, { 'if-match': '"2"' });
        assert.equal(current.status, 200, current.text);
        const viaPut = await put(owner.token, 'vault', 'guarded', { name: 'guarded', description: 'v4' }, { 'if-match': '"3"' });
        assert.equal(viaPut.status, 200, viaPut.text);
        assert.equal(viaPut.headers.get('etag'), '"4"');
        const star = await patch(owner.token, 'vault', 'guarded', { secrets: { token: 'g-5' } }, { 'if-match': '*' });
        assert.equal(star.status, 200, star.text);
        assert.equal(star.body.version, 5);
        assert.deepEqual(await reveal('vault', 'guarded'), { token: 'g-5' });
      });

      it('lets exactly one of two concurrent PATCHes with the same If-Match win; the other gets 412', async () => {
        const created = await createOk('vault', {
          name: 'raced',
          type: 'basic',
          fields: { username: 'start' },
          secrets: { password: 'race-0' },
        });
        const etag = `"${created.version}"`;
        const replies = await Promise.all([
          patch(owner.token, 'vault', 'raced', { fields: { username: 'left' }, secrets: { password: 'race-left' } }, { 'if-match': etag }),
          patch(
            editor.token,
            'vault',
            'raced',
            { fields: { username: 'right' }, secrets: { password: 'race-right' } },
            { 'if-match': etag },
          ),
        ]);
        const statuses = replies.map((reply) => reply.status).sort();
        assert.deepEqual(statuses, [200, 412], replies.map((reply) => reply.text).join('\n'));
        const loser = replies.find((reply) => reply.status === 412)!;
        expectProblem(loser, 412, 'PRECONDITION_FAILED');
        const winner = replies.find((reply) => reply.status === 200)!;
        const side = winner.body.fields.username as string;
        const read = await get(owner.token, 'vault', 'raced');
        assert.equal(read.body.version, created.version + 1);
        assert.deepEqual(read.body.fields, { username: side });
        assert.deepEqual(await reveal('vault', 'raced'), { password: `race-${side}` });
      });

      it('loses no update when N PATCHes without If-Match race, each changing its own field and secret', async () => {
        const N = 12;
        const created = await createOk('vault', { name: 'crowded', type: 'generic', fields: { base: 'b' }, secrets: { base: 'b' } });
        const replies = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            patch(i % 2 ? owner.token : editor.token, 'vault', 'crowded', {
              fields: { [`f${i}`]: `value-${i}` },
              secrets: { [`s${i}`]: `secret-${i}` },
            }),
          ),
        );
        assert.deepEqual(
          replies.map((reply) => reply.status),
          Array(N).fill(200),
          replies
            .filter((reply) => reply.status !== 200)
            .map((reply) => reply.text)
            .join('\n'),
        );
        const read = await get(owner.token, 'vault', 'crowded');
        assert.equal(read.body.version, created.version + N);
        assert.deepEqual(read.body.fields, {
          base: 'b',
          ...Object.fromEntries(Array.from({ length: N }, (_, i) => [`f${i}`, `value-${i}`])),
        });
        assert.deepEqual(await reveal('vault', 'crowded'), {
          base: 'b',
          ...Object.fromEntries(Array.from({ length: N }, (_, i) => [`s${i}`, `secret-${i}`])),
        });
        for (const reply of replies) {
          assert.ok(reply.body.version > created.version && reply.body.version <= created.version + N, `version ${reply.body.version}`);
          assert.equal(reply.headers.get('etag'), `"${reply.body.version}"`);
        }
      });

      it('needs credentials:write for PUT and PATCH', async () => {
        await createOk('vault', { name: 'viewer-cannot', type: 'token', secrets: { token: 'vc' } });
        expectProblem(await patch(viewer.token, 'vault', 'viewer-cannot', { description: 'x' }), 403, 'FORBIDDEN');
        expectProblem(await put(viewer.token, 'vault', 'viewer-cannot', { name: 'viewer-cannot' }), 403, 'FORBIDDEN');
        expectProblem(await remove(viewer.token, 'vault', 'viewer-cannot'), 403, 'FORBIDDEN');
        assert.equal((await get(owner.token, 'vault', 'viewer-cannot')).body.version, 1);
      });
    });

    describe('delete', () => {
      it('deletes: 204, then 404 by name and id', async () => {
        const created = await createOk('vault', { name: 'doomed', type: 'token', secrets: { token: 'doomed-token' } });
        const reply = await remove(editor.token, 'vault', 'doomed');
        assert.equal(reply.status, 204, reply.text);
        assert.equal(reply.text, '');
        expectProblem(await get(owner.token, 'vault', 'doomed'), 404, 'NOT_FOUND');
        expectProblem(await get(owner.token, 'vault', created.id), 404, 'NOT_FOUND');
        expectProblem(await remove(owner.token, 'vault', created.id), 404, 'NOT_FOUND');
        assert.deepEqual(await sql(t, 'SELECT id FROM credentials WHERE id = $1', [created.id]), []);
        // The name is free again.
        await createOk('vault', { name: 'doomed', type: 'basic', secrets: { password: 'reborn' } });
      });

      it('If-Match: a stale ETag is 412 and deletes nothing; the current one deletes; racing a PATCH, one of them wins', async () => {
        await createOk('vault', { name: 'cas-delete', type: 'token', secrets: { token: 'cas-token' } });
        assert.equal((await patch(owner.token, 'vault', 'cas-delete', { description: 'v2' })).status, 200);
        expectProblem(await remove(owner.token, 'vault', 'cas-delete', { 'if-match': '"1"' }), 412, 'PRECONDITION_FAILED');
        expectProblem(await remove(owner.token, 'vault', 'cas-delete', { 'if-match': 'W/"2"' }), 412, 'PRECONDITION_FAILED');
        assert.equal((await get(owner.token, 'vault', 'cas-delete')).body.version, 2);
        assert.equal((await remove(owner.token, 'vault', 'cas-delete', { 'if-match': '"1", "2"' })).status, 204);
        expectProblem(await get(owner.token, 'vault', 'cas-delete'), 404, 'NOT_FOUND');

        for (let round = 0; round < 3; round++) {
          const name = `cas-race-${round}`;
          await createOk('vault', { name, type: 'token', secrets: { token: 'race-token' } });
          const headers = { 'if-match': '"1"' };
          const replies = await Promise.all([
            patch(owner.token, 'vault', name, { description: 'patched' }, headers),
            remove(owner.token, 'vault', name, headers),
          ]);
          const statuses = replies.map((reply) => reply.status);
          // Never both: the PATCH wins (the DELETE is 412) or the DELETE does (the PATCH is 412, or 404 once it is gone).
          const [patched, deleted] = statuses;
          assert.ok(
            (patched === 200 && deleted === 412) || ([412, 404].includes(patched) && deleted === 204),
            replies.map((reply) => `${reply.status} ${reply.text}`).join('\n'),
          );
          const after = await get(owner.token, 'vault', name);
          assert.equal(after.status, statuses[0] === 200 ? 200 : 404, after.text);
        }
      });

      it('a delete racing a connection that starts using the credential: one of them wins, never a 500', async () => {
        for (let round = 0; round < 20; round++) {
          const credential = await createOk('vault', {
            name: `race-use-${round}`,
            type: 'basic',
            fields: { username: 'app' },
            secrets: { password: 'race-pw' },
          });
          const [created, deleted] = await Promise.all([
            t.call('POST', connectionsOf('vault'), {
              token: owner.token,
              body: {
                name: `race-user-${round}`,
                type: 'postgres',
                config: { host: 'db.example.com', database: 'app' },
                credentialId: credential.id,
              },
            }),
            remove(owner.token, 'vault', credential.id),
          ]);
          const outcome = `${created.status} ${created.text}\n${deleted.status} ${deleted.text}`;
          // The connection took it first (the delete is 409), or the delete did (the create finds no credential).
          assert.ok(
            (created.status === 201 && deleted.status === 409) || (created.status >= 400 && created.status < 500 && deleted.status === 204),
            outcome,
          );
          if (created.status === 201) {
            assert.equal((await get(owner.token, 'vault', credential.id)).status, 200, outcome);
            assert.equal((await t.call('DELETE', `${connectionsOf('vault')}/race-user-${round}`, { token: owner.token })).status, 204);
          }
        }
      });

      it('refuses (409, naming the connection) while a connection uses it; deletes once the connection is gone', async () => {
        const credential = await createOk('vault', {
          name: 'in-use',
          type: 'basic',
          fields: { username: 'app' },
          secrets: { password: 'in-use-pw' },
        });
        const connection = await t.call('POST', connectionsOf('vault'), {
          token: owner.token,
          body: {
            name: 'pg-uses-cred',
            type: 'postgres',
            config: { host: 'db.example.com', database: 'app' },
            credentialId: credential.id,
          },
        });
        assert.equal(connection.status, 201, connection.text);
        assert.equal(connection.body.credentialId, credential.id);

        for (const ref of ['in-use', credential.id]) {
          const refused = await remove(owner.token, 'vault', ref);
          expectProblem(refused, 409, 'CONFLICT');
          assert.match(refused.body.detail, /pg-uses-cred/);
        }
        assert.deepEqual(await reveal('vault', 'in-use'), { password: 'in-use-pw' });

        const gone = await t.call('DELETE', `${connectionsOf('vault')}/pg-uses-cred`, { token: owner.token });
        assert.equal(gone.status, 204, gone.text);
        const deleted = await remove(owner.token, 'vault', 'in-use');
        assert.equal(deleted.status, 204, deleted.text);
        expectProblem(await get(owner.token, 'vault', 'in-use'), 404, 'NOT_FOUND');
      });
    });

    describe('tenancy', () => {
      let secret: { id: string; name: string };
      before(async () => {
        secret = await createOk('vault', {
          name: 'tenant-secret',
          type: 'basic',
          fields: { username: 'u' },
          secrets: { password: 'tenant-pw' },
        });
      });

      it("answers 404 to another project's member, by name and by id, through either project", async () => {
        for (const project of ['vault', 'elsewhere']) {
          for (const ref of [secret.name, secret.id]) {
            for (const reply of [
              await get(outsider.token, project, ref),
              await get(outsider.token, project, ref, '?reveal=true'),
              await patch(outsider.token, project, ref, { description: 'mine now' }),
              await put(outsider.token, project, ref, { name: 'mine-now' }),
              await remove(outsider.token, project, ref),
            ]) {
              expectProblem(reply, 404, 'NOT_FOUND');
              assert.ok(!reply.text.includes('tenant-pw'));
            }
          }
        }
        const list = await t.call('GET', `${credentialsOf('elsewhere')}?perPage=100`, { token: outsider.token });
        assert.equal(list.status, 200);
        assert.ok(!list.body.data.some((item: { id: string }) => item.id === secret.id));
        // Even the instance admin, who sees both projects, reaches it only through its own.
        expectProblem(await get(admin, 'elsewhere', secret.id), 404, 'NOT_FOUND');
        const read = await get(owner.token, 'vault', secret.id);
        assert.equal(read.body.version, 1);
        assert.equal(read.body.name, 'tenant-secret');
        assert.deepEqual(await reveal('vault', secret.id), { password: 'tenant-pw' });
      });

      it("refuses (400) a connection in one project pointing at another project's credential", async () => {
        for (const token of [outsider.token, admin]) {
          const reply = await t.call('POST', connectionsOf('elsewhere'), {
            token,
            body: {
              name: `borrows-${token === admin ? 'admin' : 'outsider'}`,
              type: 'postgres',
              config: { host: 'db.example.com' },
              credentialId: secret.id,
            },
          });
          expectFieldError(reply, 'credentialId');
          assert.ok(!reply.text.includes('tenant-pw'));
        }
        const own = await t.call('POST', connectionsOf('elsewhere'), {
          token: outsider.token,
          body: { name: 'plain', type: 'postgres', config: { host: 'db.example.com' } },
        });
        assert.equal(own.status, 201, own.text);
        const repoint = await t.call('PATCH', `${connectionsOf('elsewhere')}/plain`, {
          token: outsider.token,
          body: { credentialId: secret.id },
        });
        expectFieldError(repoint, 'credentialId');
        const list = await t.call('GET', `${connectionsOf('elsewhere')}?perPage=100`, { token: outsider.token });
        assert.ok(!list.text.includes(secret.id));
      });
    });

    describe('canary: a planted secret surfaces nowhere', () => {
      const canary = (n: number) => `${CANARY_STEM}-123-${driver}-${n}`;
      const seen: Reply[] = [];
      const track = async (reply: Promise<Reply>) => {
        const settled = await reply;
        seen.push(settled);
        return settled;
      };

      it('is stored, changed and revealed, yet no other response carries it', async () => {
        const created = await track(
          create(owner.token, 'vault', { name: 'canary', type: 'basic', fields: { username: 'bird' }, secrets: { password: canary(1) } }),
        );
        assert.equal(created.status, 201, created.text);
        const other = await track(
          create(owner.token, 'vault', { name: 'canary-2', type: 'generic', secrets: { a: canary(2), b: canary(3) } }),
        );
        assert.equal(other.status, 201, other.text);

        assert.equal((await track(patch(owner.token, 'vault', 'canary', { secrets: { password: canary(4) } }))).status, 200);
        assert.equal(
          (await track(put(owner.token, 'vault', 'canary-2', { name: 'canary-2', secrets: { a: MASK, b: canary(5) } }))).status,
          200,
        );
        const revealed = await get(owner.token, 'vault', 'canary', '?reveal=true');
        assert.deepEqual(revealed.body.secrets, { password: canary(4) }, 'the reveal itself must carry it');
        assert.deepEqual(await reveal('vault', 'canary-2'), { a: canary(2), b: canary(5) });

        const inline = await track(
          t.call('POST', connectionsOf('vault'), {
            token: owner.token,
            body: { name: 'canary-conn', type: 'postgres', config: { host: 'db.example.com' }, secrets: { password: canary(6) } },
          }),
        );
        assert.equal(inline.status, 201, inline.text);
        const viaUri = await track(
          t.call('POST', connectionsOf('vault'), {
            token: owner.token,
            body: { name: 'canary-uri', uri: `postgresql://bird:${canary(7)}@db.example.com:5432/app` },
          }),
        );
        assert.equal(viaUri.status, 201, viaUri.text);

        // Reads and lists.
        await track(get(owner.token, 'vault', 'canary'));
        await track(get(viewer.token, 'vault', 'canary-2'));
        for (const perPage of [1, 100]) {
          const list = await track(t.call('GET', `${credentialsOf('vault')}?perPage=${perPage}`, { token: owner.token }));
          assert.equal(list.status, 200);
        }
        await track(t.call('GET', `${connectionsOf('vault')}?perPage=100`, { token: owner.token }));
        await track(t.call('GET', `${connectionsOf('vault')}/canary-uri`, { token: owner.token }));
        await track(t.call('GET', `${API}/projects/vault/audit-events?perPage=100`, { token: owner.token }));
      });

      it('is not echoed by any error, however the request is wrong', async () => {
        const errors = [
          create(owner.token, 'vault', { name: 'Bad Name', type: 'basic', secrets: { password: canary(10) } }),
          create(owner.token, 'vault', {
            name: 'canary-bad',
            type: 'basic',
            secrets: { password: canary(11), bogus: canary(12), other: canary(13) },
          }),
          create(owner.token, 'vault', {
            name: 'canary-bad',
            type: 'basic',
            fields: { username: canary(14), nope: canary(15) },
            secrets: { password: 'x' },
          }),
          create(owner.token, 'vault', { name: 'canary-bad', type: 'nope', secrets: { password: canary(16) } }),
          create(owner.token, 'vault', {
            name: 'canary-bad',
            type: 'basic',
            secrets: { password: canary(17) },
            unknownProperty: canary(18),
          }),
          create(owner.token, 'vault', { name: 'canary', type: 'basic', secrets: { password: canary(19) } }), // duplicate: 409
          create(owner.token, 'vault', {
            name: 'canary-bad',
            type: 'basic',
            secrets: { password: `${canary(20)}-${'x'.repeat(70 * 1024)}` },
          }),
          create(viewer.token, 'vault', { name: 'canary-bad', type: 'basic', secrets: { password: canary(21) } }), // 403
          create(outsider.token, 'vault', { name: 'canary-bad', type: 'basic', secrets: { password: canary(22) } }), // 404
          t.call('POST', credentialsOf('vault'), { body: { name: 'canary-bad', type: 'basic', secrets: { password: canary(23) } } }), // 401
          t.call('POST', credentialsOf('vault'), {
            token: owner.token,
            body: `{"name":"canary-bad","type":"basic","secrets":{"password":${canary(24)}}}`,
          }),
          t.call('POST', credentialsOf('vault'), {
            token: owner.token,
            body: `password=${canary(25)}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
          patch(owner.token, 'vault', 'canary', { secrets: { password: canary(26), token: canary(27) } }),
          patch(owner.token, 'vault', 'canary', { secrets: { password: canary(28) } }, { 'if-match': '"999"' }),
          patch(owner.token, 'vault', 'canary', { secrets: { password: canary(29) } }, { 'if-match': canary(30) }),
          patch(owner.token, 'vault', 'canary', { name: 'canary-2', secrets: { password: canary(31) } }), // rename clash: 409
          put(owner.token, 'vault', 'canary', { name: 'canary', type: 'token', secrets: { token: canary(32) } }),
          patch(owner.token, 'vault', 'no-such', { secrets: { password: canary(33) } }),
          get(owner.token, 'vault', 'canary', `?reveal=${canary(34)}`),
          get(owner.token, 'vault', canary(35)),
          t.call('POST', connectionsOf('vault'), {
            token: owner.token,
            body: {
              name: 'canary-conn-bad',
              type: 'postgres',
              config: { host: 'db.example.com', nope: 1 },
              secrets: { password: canary(36) },
            },
          }),
          t.call('POST', connectionsOf('vault'), {
            token: owner.token,
            body: { name: 'canary-uri-bad', uri: `postgresql://bird:${canary(37)}@db.example.com:99999/app` },
          }),
        ];
        for (const reply of await Promise.all(errors.map(track))) {
          assert.ok(reply.status >= 400 && reply.status < 500, `expected a client error, got ${reply.status} ${reply.text.slice(0, 300)}`);
        }
        // Nothing of these reached the store.
        assert.deepEqual(await reveal('vault', 'canary'), { password: canary(4) });
        assert.equal((await get(owner.token, 'vault', 'canary-bad')).status, 404);
      });

      it('appears in no response but its reveals, in no log line and in no stored column as plaintext', async () => {
        assert.ok(seen.length > 30);
        for (const reply of seen) {
          assert.ok(!reply.text.includes(CANARY_STEM), `a response carries the canary: ${reply.status} ${reply.text.slice(0, 500)}`);
          const headers = JSON.stringify([...reply.headers.entries()]);
          assert.ok(!headers.includes(CANARY_STEM), `a response header carries the canary: ${headers}`);
        }
        assert.ok(t.logs.length > 50, 'the service logs every request; the log check would be empty otherwise');
        const leaked = t.logs.filter((line) => line.includes(CANARY_STEM));
        assert.deepEqual(leaked, [], 'log lines carry the canary');

        const credentials = await sql(t, 'SELECT * FROM credentials');
        assert.ok(credentials.length >= 5);
        for (const row of credentials) {
          assert.ok(
            !JSON.stringify(row).includes(CANARY_STEM),
            `a credentials row carries the canary in plaintext: ${JSON.stringify(row)}`,
          );
          for (const value of ALL_SAMPLE_SECRETS) assert.ok(!JSON.stringify(row).includes(value), `a credentials row carries "${value}"`);
          if (JSON.parse(row.secret_fields).length) {
            assert.match(row.secret_envelope, ENVELOPE);
            assert.equal(row.key_id, 'k1');
            assert.match(row.secret_fingerprint, FINGERPRINT);
          } else {
            assert.equal(row.secret_envelope, null);
          }
        }
        const envelopes = credentials.map((row) => row.secret_envelope).filter(Boolean);
        assert.equal(new Set(envelopes).size, envelopes.length, 'every envelope is sealed with a fresh nonce');
        const nonces = envelopes.map((envelope: string) => envelope.split('.')[2]);
        assert.equal(new Set(nonces).size, nonces.length, 'a nonce was reused');
        // fp-a and fp-b hold the same token, yet their envelopes differ.
        const [a] = await sql(t, 'SELECT secret_envelope FROM credentials WHERE name = $1', ['fp-a']);
        const [b] = await sql(t, 'SELECT secret_envelope FROM credentials WHERE name = $1', ['fp-b']);
        assert.notEqual(a.secret_envelope, b.secret_envelope);

        for (const table of ['connections', 'audit_events', 'api_keys', 'projects', 'users', 'sessions']) {
          for (const row of await sql(t, `SELECT * FROM ${table}`)) {
            assert.ok(!JSON.stringify(row).includes(CANARY_STEM), `a ${table} row carries the canary: ${JSON.stringify(row)}`);
          }
        }
      });
    });
  });
}
