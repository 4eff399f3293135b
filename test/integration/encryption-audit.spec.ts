import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createUser, DRIVERS, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';
import { fieldsOf } from '../support/problems';

const API = '/api/v1';
const CANARY_STEM = 'CANARY-audit';

type User = Awaited<ReturnType<typeof createUser>>;

const newKey = (): string => randomBytes(32).toString('base64');
const credentialsOf = (project: string): string => `${API}/projects/${project}/credentials`;
const connectionsOf = (project: string): string => `${API}/projects/${project}/connections`;
const requestIdOf = (reply: Reply): string => {
  const id = reply.headers.get('x-request-id');
  assert.ok(id, 'every response carries X-Request-Id');
  return id;
};

/** Runs a query written with $1, $2... on either driver. */
function sql(t: TestApp, query: string, parameters: unknown[] = []): Promise<any[]> {
  const text = t.driver === 'sqlite' ? query.replace(/\$\d+/g, '?') : query;
  return t.app.get(DataSource).query(text, parameters);
}

const detailsOf = (row: Record<string, any>): Record<string, unknown> | null =>
  row.details === null || row.details === undefined
    ? null
    : typeof row.details === 'string'
      ? JSON.parse(row.details)
      : (row.details as Record<string, unknown>);

/** The parsed log lines of `t` with message `msg` whose `rowId` is `id`. */
function logLinesFor(t: TestApp, msg: string, id: string): Record<string, any>[] {
  return t.logs
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        return {};
      }
    })
    .filter((line) => line.msg === msg && line.rowId === id);
}

async function ok(reply: Promise<Reply>, status = 200): Promise<Reply> {
  const settled = await reply;
  assert.equal(settled.status, status, settled.text);
  return settled;
}

for (const driver of DRIVERS) {
  describe(`encryption: a ciphertext moved to another row fails closed (${driver})`, () => {
    let t: TestApp;
    let admin: string;

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      await ok(t.call('POST', `${API}/projects`, { token: admin, body: { slug: 'other', name: 'Other' } }), 201);
    });
    after(() => t.close());

    const create = async (project: string, name: string, password: string) =>
      (await ok(t.call('POST', credentialsOf(project), { token: admin, body: { name, type: 'basic', secrets: { password } } }), 201))
        .body as {
        id: string;
      };
    const reveal = (project: string, ref: string) => t.call('GET', `${credentialsOf(project)}/${ref}?reveal=true`, { token: admin });
    async function copyEnvelope(fromId: string, toId: string): Promise<void> {
      const [source] = await sql(t, 'SELECT secret_envelope, key_id FROM credentials WHERE id = $1', [fromId]);
      assert.ok(source.secret_envelope);
      await sql(t, 'UPDATE credentials SET secret_envelope = $1, key_id = $2 WHERE id = $3', [source.secret_envelope, source.key_id, toId]);
    }
    function expectUnreadable(reply: Reply, plaintexts: string[]): void {
      expectProblem(reply, 500, 'SECRETS_UNREADABLE');
      for (const plaintext of plaintexts) assert.ok(!reply.text.includes(plaintext), `the error carries "${plaintext}": ${reply.text}`);
      assert.ok(!/\n\s+at |node_modules|EnvelopeError|authentication/.test(reply.text), `the error shows internals: ${reply.text}`);
      assert.equal(reply.body.secrets, undefined);
    }

    it('to another credential of the same project: its reveal answers 500 SECRETS_UNREADABLE, the source still reveals', async () => {
      const source = await create('default', 'moved-source', 'source-plaintext-1');
      const target = await create('default', 'moved-target', 'target-plaintext-1');
      await copyEnvelope(source.id, target.id);

      expectUnreadable(await reveal('default', 'moved-target'), ['source-plaintext-1', 'target-plaintext-1']);
      // The operator learns which row and why, from the log; the caller does not.
      const [line] = logLinesFor(t, 'Stored secrets cannot be decrypted', target.id);
      assert.ok(line, 'no log line names the unreadable credential');
      assert.equal(line.level, 'error');
      assert.equal(line.reason, 'authentication');
      const sourceReveal = await ok(reveal('default', 'moved-source'));
      assert.deepEqual(sourceReveal.body.secrets, { password: 'source-plaintext-1' });
      // Metadata stays readable: the operator can see what is broken.
      const masked = await ok(t.call('GET', `${credentialsOf('default')}/moved-target`, { token: admin }));
      assert.deepEqual(masked.body.secrets, { password: '********' });
    });

    it("to a credential of another project: fails closed the same way, the source's project is unaffected", async () => {
      const source = await create('default', 'cross-source', 'cross-plaintext-1');
      const target = await create('other', 'cross-target', 'cross-target-plaintext-1');
      await copyEnvelope(source.id, target.id);
      expectUnreadable(await reveal('other', 'cross-target'), ['cross-plaintext-1', 'cross-target-plaintext-1']);
      assert.deepEqual((await ok(reveal('default', 'cross-source'))).body.secrets, { password: 'cross-plaintext-1' });
    });

    it('a row moved to another project (same credential id) fails closed too: the project is part of the binding', async () => {
      const source = await create('default', 'rehomed', 'rehomed-plaintext-1');
      const [project] = await sql(t, 'SELECT id FROM projects WHERE slug = $1', ['other']);
      await sql(t, 'UPDATE credentials SET project_id = $1 WHERE id = $2', [String(project.id), source.id]);
      expectUnreadable(await reveal('other', 'rehomed'), ['rehomed-plaintext-1']);
      expectProblem(await reveal('default', 'rehomed'), 404, 'NOT_FOUND');
    });

    it('a tampered ciphertext or an unknown key id fails closed as well', async () => {
      const tampered = await create('default', 'tampered', 'tampered-plaintext-1');
      const [row] = await sql(t, 'SELECT secret_envelope FROM credentials WHERE id = $1', [tampered.id]);
      const parts = String(row.secret_envelope).split('.');
      const sealed = Buffer.from(parts[3], 'base64url');
      sealed[0] ^= 0x01;
      parts[3] = sealed.toString('base64url');
      await sql(t, 'UPDATE credentials SET secret_envelope = $1 WHERE id = $2', [parts.join('.'), tampered.id]);
      expectUnreadable(await reveal('default', 'tampered'), ['tampered-plaintext-1']);

      const unknown = await create('default', 'unknown-key', 'unknown-plaintext-1');
      const [other] = await sql(t, 'SELECT secret_envelope FROM credentials WHERE id = $1', [unknown.id]);
      await sql(t, 'UPDATE credentials SET secret_envelope = $1 WHERE id = $2', [
        String(other.secret_envelope).replace(/^sb1\.k1\./, 'sb1.k7.'),
        unknown.id,
      ]);
      expectUnreadable(await reveal('default', 'unknown-key'), ['unknown-plaintext-1']);
      assert.equal(logLinesFor(t, 'Stored secrets cannot be decrypted', unknown.id)[0]?.reason, 'unknown-key');
    });

    it("an inline (connection-owned) secret moved to another connection's row fails closed", async () => {
      const make = async (name: string, password: string) =>
        (
          await ok(
            t.call('POST', connectionsOf('default'), {
              token: admin,
              body: { name, type: 'postgres', config: { host: 'db.example.com', database: 'app' }, secrets: { password } },
            }),
            201,
          )
        ).body as { id: string };
      const source = await make('inline-source', 'inline-source-plaintext');
      const target = await make('inline-target', 'inline-target-plaintext');
      const [sourceRow] = await sql(t, 'SELECT credential_id FROM connections WHERE id = $1', [source.id]);
      const [targetRow] = await sql(t, 'SELECT credential_id FROM connections WHERE id = $1', [target.id]);
      await copyEnvelope(String(sourceRow.credential_id), String(targetRow.credential_id));
      expectUnreadable(await t.call('GET', `${connectionsOf('default')}/inline-target?reveal=true`, { token: admin }), [
        'inline-source-plaintext',
        'inline-target-plaintext',
      ]);
      const fine = await ok(t.call('GET', `${connectionsOf('default')}/inline-source?reveal=true`, { token: admin }));
      assert.equal(fine.body.secrets.password, 'inline-source-plaintext');
    });

    it('leaves no plaintext in the log', () => {
      for (const line of t.logs) assert.ok(!/plaintext/.test(line), `a log line carries a secret: ${line}`);
    });
  });

  describe(`encryption: key rotation and the start-up key check (${driver})`, () => {
    const K1 = newKey();
    const K2 = newKey();
    const N = 60;
    const INLINE = 4;
    const TOTAL = N + INLINE;
    let first: TestApp;
    let t: TestApp;
    let admin: string;
    let adminId: string;
    /** What each credential and inline connection must still reveal, and what its metadata was under k1. */
    const expected = new Map<string, { project: string; secrets: Record<string, string>; fingerprint?: string; version?: number }>();
    const inline = new Map<string, string>();
    const rotateRequestIds: string[] = [];

    async function revealAll(app: TestApp, token: string): Promise<void> {
      for (const [name, { project, secrets, fingerprint, version }] of expected) {
        const reply = await ok(app.call('GET', `${credentialsOf(project)}/${name}?reveal=true`, { token }));
        assert.deepEqual(reply.body.secrets, secrets, `${name} reveals something else`);
        if (fingerprint !== undefined)
          assert.equal(reply.body.secretFingerprint, fingerprint, `${name}: the fingerprint changed without a change of secret`);
        if (version !== undefined) assert.equal(reply.body.version, version, `${name}: rotation is not a change of content`);
      }
      for (const [name, password] of inline) {
        const reply = await ok(app.call('GET', `${connectionsOf('default')}/${name}?reveal=true`, { token }));
        assert.equal(reply.body.secrets.password, password);
      }
    }

    before(async () => {
      first = await startTestApp(driver, { encryptionKeys: `k1:${K1}` });
      const token = (await first.login()).accessToken;
      await ok(first.call('POST', `${API}/projects`, { token, body: { slug: 'second', name: 'Second' } }), 201);
      for (let start = 0; start < N; start += 10) {
        await Promise.all(
          Array.from({ length: 10 }, async (_, offset) => {
            const i = start + offset;
            const project = i % 3 === 0 ? 'second' : 'default';
            const name = `rot-${String(i).padStart(3, '0')}`;
            const secrets: Record<string, string> =
              i % 2 ? { password: `rot-pw-${i}` } : { accessKeyId: `AKIA${i}`, secretAccessKey: `rot-sak-${i}` };
            const reply = await ok(
              first.call('POST', credentialsOf(project), { token, body: { name, type: i % 2 ? 'basic' : 'aws', secrets } }),
              201,
            );
            expected.set(name, { project, secrets, fingerprint: reply.body.secretFingerprint, version: reply.body.version });
          }),
        );
      }
      // A credential without secrets has no envelope: it is not counted and needs no key.
      await ok(first.call('POST', credentialsOf('default'), { token, body: { name: 'rot-empty', type: 'tls', secrets: {} } }), 201);
      expected.set('rot-empty', { project: 'default', secrets: {} });
      for (let i = 0; i < INLINE; i++) {
        const name = `rot-conn-${i}`;
        await ok(
          first.call('POST', connectionsOf('default'), {
            token,
            body: {
              name,
              type: 'postgres',
              config: { host: 'db.example.com', database: 'app' },
              secrets: { password: `rot-conn-pw-${i}` },
            },
          }),
          201,
        );
        inline.set(name, `rot-conn-pw-${i}`);
      }
      await first.close({ keepData: true });

      t = await startTestApp(driver, { database: first.config.database, encryptionKeys: `k2:${K2},k1:${K1}` });
      admin = (await t.login()).accessToken;
      adminId = (await t.call('GET', `${API}/auth/me`, { token: admin })).body.user.id;
    });
    after(async () => {
      await t?.close();
      fs.rmSync(first.config.dataDir, { recursive: true, force: true });
    });

    it('starts with k2 first and k1 still known: everything reveals, status counts the rows per key', async () => {
      await revealAll(t, admin);
      const status = await ok(t.call('GET', `${API}/admin/encryption`, { token: admin }));
      assert.deepEqual(status.body, { activeKeyId: 'k2', keys: [{ keyId: 'k1', credentials: TOTAL, active: false }], pending: TOTAL });
    });

    it('is for instance admins only: a project owner or an API key gets 403, no token 401', async () => {
      const plain = await createUser(t, admin, `plain-${driver}`);
      await ok(t.call('POST', `${API}/projects`, { token: plain.token, body: { slug: 'plains', name: 'Plains' } }), 201);
      const key = await ok(
        t.call('POST', `${API}/projects/default/api-keys`, {
          token: admin,
          body: { name: 'rotator', scopes: ['projects:read', 'secrets:reveal'] },
        }),
        201,
      );
      for (const options of [{ token: plain.token }, { token: key.body.key }, { apiKey: key.body.key }]) {
        expectProblem(await t.call('GET', `${API}/admin/encryption`, options), 403, 'FORBIDDEN');
        expectProblem(await t.call('POST', `${API}/admin/encryption/rotate`, options), 403, 'FORBIDDEN');
      }
      expectProblem(await t.call('GET', `${API}/admin/encryption`), 401, 'UNAUTHORIZED');
      expectProblem(await t.call('POST', `${API}/admin/encryption/rotate`), 401, 'UNAUTHORIZED');
      const status = await ok(t.call('GET', `${API}/admin/encryption`, { token: admin }));
      assert.equal(status.body.pending, TOTAL, 'a refused rotation rotated something');
    });

    it('refuses to start with a key ring that cannot open the stored rows, naming the key; the running app is unaffected', async () => {
      const database = first.config.database;
      await assert.rejects(startTestApp(driver, { database, encryptionKeys: `k9:${newKey()}` }), (error: Error) => {
        assert.match(error.message, /"k1"/);
        assert.ok(!error.message.includes(K1) && !error.message.includes(K2), 'the message shows key material');
        return true;
      });
      // Same id, other material: the key is there by name but does not open the rows.
      await assert.rejects(startTestApp(driver, { database, encryptionKeys: `k2:${K2},k1:${newKey()}` }), (error: Error) => {
        assert.match(error.message, /"k1"/);
        return true;
      });
      const health = await t.call('GET', `${API}/health`);
      assert.equal(health.status, 200, health.text);
      const reply = await ok(t.call('GET', `${credentialsOf('default')}/rot-001?reveal=true`, { token: admin }));
      assert.deepEqual(reply.body.secrets, { password: 'rot-pw-1' });
      const created = await ok(
        t.call('POST', credentialsOf('default'), {
          token: admin,
          body: { name: 'after-refusal', type: 'token', secrets: { token: 'ar' } },
        }),
        201,
      );
      assert.match(created.body.secretFingerprint, /^k2:/);
      assert.equal((await ok(t.call('DELETE', `${credentialsOf('default')}/after-refusal`, { token: admin }), 204)).status, 204);
    });

    it('rotates every envelope to k2: counts all under k2, nothing pending, every secret reveals the same', async () => {
      const reply = await ok(t.call('POST', `${API}/admin/encryption/rotate`, { token: admin }));
      rotateRequestIds.push(requestIdOf(reply));
      assert.deepEqual(reply.body, {
        activeKeyId: 'k2',
        rotated: TOTAL,
        skipped: 0,
        failed: 0,
        status: { activeKeyId: 'k2', keys: [{ keyId: 'k2', credentials: TOTAL, active: true }], pending: 0 },
      });
      const status = await ok(t.call('GET', `${API}/admin/encryption`, { token: admin }));
      assert.deepEqual(status.body, { activeKeyId: 'k2', keys: [{ keyId: 'k2', credentials: TOTAL, active: true }], pending: 0 });
      const rows = await sql(t, 'SELECT key_id, secret_envelope FROM credentials WHERE secret_envelope IS NOT NULL');
      assert.equal(rows.length, TOTAL);
      for (const row of rows) {
        assert.equal(row.key_id, 'k2');
        assert.match(row.secret_envelope, /^sb1\.k2\./);
      }
      await revealAll(t, admin);
    });

    it('is idempotent: a second rotation changes nothing', async () => {
      const before = await sql(t, 'SELECT id, secret_envelope FROM credentials ORDER BY id');
      const reply = await ok(t.call('POST', `${API}/admin/encryption/rotate`, { token: admin }));
      rotateRequestIds.push(requestIdOf(reply));
      assert.equal(reply.body.rotated, 0);
      assert.equal(reply.body.skipped, 0);
      assert.equal(reply.body.failed, 0);
      assert.equal(reply.body.status.pending, 0);
      assert.deepEqual(await sql(t, 'SELECT id, secret_envelope FROM credentials ORDER BY id'), before);
    });

    it('audits each rotation as an instance event (no project) with actor, target, outcome and request id', async () => {
      const rows = await sql(t, "SELECT * FROM audit_events WHERE action = 'encryption.rotate' ORDER BY created_at, id");
      assert.equal(rows.length, 2, JSON.stringify(rows));
      rows.forEach((row, index) => {
        assert.equal(row.project_id, null);
        assert.equal(row.actor_type, 'user');
        assert.equal(String(row.actor_user_id), adminId);
        assert.equal(row.actor_label, ADMIN_EMAIL);
        assert.equal(row.target_type, 'key_ring');
        assert.equal(row.target_id, 'k2');
        assert.equal(row.outcome, 'success');
        assert.equal(row.request_id, rotateRequestIds[index]);
        assert.deepEqual(detailsOf(row), { activeKeyId: 'k2', rotated: index === 0 ? TOTAL : 0, skipped: 0, failed: 0 });
      });
    });

    it('lets the old key go once rotated: an app with k2 alone starts and reveals everything', async () => {
      const alone = await startTestApp(driver, { database: first.config.database, encryptionKeys: `k2:${K2}` });
      try {
        await revealAll(alone, (await alone.login()).accessToken);
      } finally {
        await alone.close();
      }
    });
  });

  describe(`encryption: rotation reports and logs a row it cannot open (${driver})`, () => {
    const K1 = newKey();
    let first: TestApp;
    let t: TestApp;
    let admin: string;
    const ids: Record<string, string> = {};

    before(async () => {
      first = await startTestApp(driver, { encryptionKeys: `k1:${K1}` });
      const token = (await first.login()).accessToken;
      for (const name of ['good-a', 'broken', 'good-c']) {
        const reply = await ok(
          first.call('POST', credentialsOf('default'), { token, body: { name, type: 'token', secrets: { token: `${name}-plaintext` } } }),
          201,
        );
        ids[name] = reply.body.id;
      }
      await first.close({ keepData: true });
      t = await startTestApp(driver, { database: first.config.database, encryptionKeys: `k2:${newKey()},k1:${K1}` });
      admin = (await t.login()).accessToken;
      // Broken after the start-up check: good-a's ciphertext in broken's row.
      const [source] = await sql(t, 'SELECT secret_envelope FROM credentials WHERE id = $1', [ids['good-a']]);
      await sql(t, 'UPDATE credentials SET secret_envelope = $1 WHERE id = $2', [source.secret_envelope, ids.broken]);
    });
    after(async () => {
      await t?.close();
      fs.rmSync(first.config.dataDir, { recursive: true, force: true });
    });

    it('re-seals the rest, counts the failure, leaves the row pending and names it in the log', async () => {
      const reply = await ok(t.call('POST', `${API}/admin/encryption/rotate`, { token: admin }));
      const { status, ...counts } = reply.body;
      assert.deepEqual(counts, { activeKeyId: 'k2', rotated: 2, skipped: 0, failed: 1 });
      assert.equal(status.pending, 1);
      assert.deepEqual(
        [...status.keys].sort((a: { keyId: string }, b: { keyId: string }) => a.keyId.localeCompare(b.keyId)),
        [
          { keyId: 'k1', credentials: 1, active: false },
          { keyId: 'k2', credentials: 2, active: true },
        ],
      );
      const lines = logLinesFor(t, 'Could not re-seal a credential', ids.broken);
      assert.equal(lines.length, 1, 'the log does not name the row rotation could not open');
      assert.equal(lines[0].keyId, 'k1');
      assert.ok(!t.logs.some((line) => line.includes('-plaintext')));

      for (const name of ['good-a', 'good-c']) {
        const revealed = await ok(t.call('GET', `${credentialsOf('default')}/${name}?reveal=true`, { token: admin }));
        assert.deepEqual(revealed.body.secrets, { token: `${name}-plaintext` });
      }
      expectProblem(await t.call('GET', `${credentialsOf('default')}/broken?reveal=true`, { token: admin }), 500, 'SECRETS_UNREADABLE');

      // Resumable: a second pass tries only what is left, and fails it again.
      const again = await ok(t.call('POST', `${API}/admin/encryption/rotate`, { token: admin }));
      assert.equal(again.body.rotated, 0);
      assert.equal(again.body.failed, 1);
      assert.equal(again.body.status.pending, 1);
    });
  });

  describe(`encryption: rotation racing secret writes (${driver})`, () => {
    const K1 = newKey();
    const K2 = newKey();
    const COUNT = 40;
    let first: TestApp;
    let t: TestApp;
    let admin: string;

    before(async () => {
      first = await startTestApp(driver, { encryptionKeys: `k1:${K1}` });
      const token = (await first.login()).accessToken;
      for (let start = 0; start < COUNT; start += 10) {
        await Promise.all(
          Array.from({ length: 10 }, (_, offset) =>
            ok(
              first.call('POST', credentialsOf('default'), {
                token,
                body: {
                  name: `race-${String(start + offset).padStart(2, '0')}`,
                  type: 'generic',
                  secrets: { value: `orig-${start + offset}` },
                },
              }),
              201,
            ),
          ),
        );
      }
      await first.close({ keepData: true });
      t = await startTestApp(driver, { database: first.config.database, encryptionKeys: `k2:${K2},k1:${K1}` });
      admin = (await t.login()).accessToken;
    });
    after(async () => {
      await t?.close();
      fs.rmSync(first.config.dataDir, { recursive: true, force: true });
    });

    it('loses no write and leaves nothing under k1', async () => {
      const patched = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 2 === 0);
      const [rotation, ...patches] = await Promise.all([
        t.call('POST', `${API}/admin/encryption/rotate`, { token: admin }),
        ...patched.map((i) =>
          t.call('PATCH', `${credentialsOf('default')}/race-${String(i).padStart(2, '0')}`, {
            token: admin,
            body: { secrets: { value: `new-${i}` } },
          }),
        ),
      ]);
      assert.equal(rotation.status, 200, rotation.text);
      assert.equal(rotation.body.failed, 0);
      assert.ok(rotation.body.rotated + rotation.body.skipped <= COUNT);
      assert.deepEqual(rotation.body.status.pending, 0);
      for (const reply of patches) {
        assert.equal(reply.status, 200, reply.text);
        assert.match(reply.body.secretFingerprint, /^k2:/);
      }

      const rows = await sql(t, 'SELECT key_id, secret_envelope FROM credentials WHERE secret_envelope IS NOT NULL');
      assert.equal(rows.length, COUNT);
      assert.deepEqual(
        rows.filter((row) => row.key_id !== 'k2' || !String(row.secret_envelope).startsWith('sb1.k2.')),
        [],
        'rows left under another key than k2',
      );
      const status = await ok(t.call('GET', `${API}/admin/encryption`, { token: admin }));
      assert.deepEqual(status.body, { activeKeyId: 'k2', keys: [{ keyId: 'k2', credentials: COUNT, active: true }], pending: 0 });

      for (let i = 0; i < COUNT; i++) {
        const reply = await ok(
          t.call('GET', `${credentialsOf('default')}/race-${String(i).padStart(2, '0')}?reveal=true`, { token: admin }),
        );
        assert.deepEqual(reply.body.secrets, { value: i % 2 === 0 ? `new-${i}` : `orig-${i}` }, `race-${i}`);
      }
      const again = await ok(t.call('POST', `${API}/admin/encryption/rotate`, { token: admin }));
      assert.equal(again.body.rotated, 0);
    });
  });

  describe(`audit trail (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let adminId: string;
    let owner: User; // owns "audited"
    let projectAdmin: User;
    let editor: User;
    let viewer: User;
    let stranger: User; // owns "foreign"
    let auditedId: string;

    const events = (project: string, query: string, options: { token?: string; apiKey?: string } = {}) =>
      t.call('GET', `${API}/projects/${project}/audit-events${query}`, options);

    /** The one audit row of `action` written by the request that got `reply`, checked against what is expected. */
    async function expectAudited(
      reply: Reply,
      expected: {
        action: string;
        projectId: string | null;
        actor: { type: string; userId?: string | null; apiKeyId?: string | null };
        target: { type: string; id?: string | null; name?: string | null };
        outcome?: string;
      },
    ): Promise<Record<string, any>> {
      const requestId = requestIdOf(reply);
      const rows = (await sql(t, 'SELECT * FROM audit_events WHERE request_id = $1', [requestId])).filter(
        (row) => row.action === expected.action,
      );
      assert.equal(rows.length, 1, `expected one ${expected.action} event for request ${requestId}, got ${JSON.stringify(rows)}`);
      const row = rows[0];
      assert.equal(row.project_id === null ? null : String(row.project_id), expected.projectId);
      assert.equal(row.actor_type, expected.actor.type);
      if (expected.actor.userId !== undefined)
        assert.equal(row.actor_user_id === null ? null : String(row.actor_user_id), expected.actor.userId);
      if (expected.actor.apiKeyId !== undefined) {
        assert.equal(row.actor_api_key_id === null ? null : String(row.actor_api_key_id), expected.actor.apiKeyId);
      }
      assert.equal(row.target_type, expected.target.type);
      if (expected.target.id !== undefined) assert.equal(row.target_id, expected.target.id);
      if (expected.target.name !== undefined) assert.equal(row.target_name, expected.target.name);
      assert.equal(row.outcome, expected.outcome ?? 'success');
      assert.ok(!Number.isNaN(new Date(row.created_at).getTime()));
      if (expected.projectId === auditedId) {
        // The same event through the API, as an auditor sees it.
        const page = await ok(events('audited', `?action=${expected.action}&perPage=100`, { token: owner.token }));
        const event = page.body.data.find((item: { requestId: string }) => item.requestId === requestId);
        assert.ok(event, `${expected.action} of request ${requestId} is not listed`);
        assert.equal(event.action, expected.action);
        assert.equal(event.outcome, expected.outcome ?? 'success');
        assert.equal(event.actor.type, expected.actor.type);
        if (expected.actor.userId !== undefined) assert.equal(event.actor.userId, expected.actor.userId);
        if (expected.actor.apiKeyId !== undefined) assert.equal(event.actor.apiKeyId, expected.actor.apiKeyId);
        assert.equal(event.target.type, expected.target.type);
        if (expected.target.id !== undefined) assert.equal(event.target.id, expected.target.id);
      }
      return row;
    }

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      adminId = (await t.call('GET', `${API}/auth/me`, { token: admin })).body.user.id;
      [owner, projectAdmin, editor, viewer, stranger] = await Promise.all(
        ['owner', 'padmin', 'editor', 'viewer', 'stranger'].map((name) => createUser(t, admin, `audit-${name}-${driver}`)),
      );
      auditedId = (await ok(t.call('POST', `${API}/projects`, { token: owner.token, body: { slug: 'audited', name: 'Audited' } }), 201))
        .body.id;
      await ok(t.call('POST', `${API}/projects`, { token: stranger.token, body: { slug: 'foreign', name: 'Foreign' } }), 201);
      for (const [user, role] of [
        [projectAdmin, 'admin'],
        [editor, 'editor'],
        [viewer, 'viewer'],
      ] as const) {
        await ok(t.call('PUT', `${API}/projects/audited/members/${user.id}`, { token: owner.token, body: { role } }));
      }
    });
    after(() => t.close());

    it('records sign-in success and failure as instance events with the request id', async () => {
      const success = await t.call('POST', `${API}/auth/login`, {
        body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
        headers: { 'x-request-id': `login-ok-${driver}` },
      });
      assert.equal(success.status, 200, success.text);
      assert.equal(requestIdOf(success), `login-ok-${driver}`);
      await expectAudited(success, {
        action: 'auth.login',
        projectId: null,
        actor: { type: 'user', userId: adminId },
        target: { type: 'user', id: adminId, name: ADMIN_EMAIL },
      });

      const failure = await t.call('POST', `${API}/auth/login`, {
        body: { email: ADMIN_EMAIL, password: `${CANARY_STEM}-wrong-password` },
      });
      expectProblem(failure, 401, 'INVALID_CREDENTIALS');
      const row = await expectAudited(failure, {
        action: 'auth.login',
        projectId: null,
        actor: { type: 'anonymous', userId: null, apiKeyId: null },
        target: { type: 'user', name: ADMIN_EMAIL },
        outcome: 'failure',
      });
      assert.equal(row.actor_label, ADMIN_EMAIL);
      assert.ok(!JSON.stringify(row).includes(CANARY_STEM), 'the attempted password was recorded');

      const unknown = await t.call('POST', `${API}/auth/login`, {
        body: { email: `nobody-${driver}@switchboard.test`, password: 'whatever-password' },
      });
      expectProblem(unknown, 401, 'INVALID_CREDENTIALS');
      await expectAudited(unknown, {
        action: 'auth.login',
        projectId: null,
        actor: { type: 'anonymous' },
        target: { type: 'user', id: null, name: `nobody-${driver}@switchboard.test` },
        outcome: 'failure',
      });
    });

    it('records API key create and revoke, and names the key as the actor when one is used', async () => {
      const created = await ok(
        t.call('POST', `${API}/projects/audited/api-keys`, {
          token: owner.token,
          body: { name: 'ci', scopes: ['credentials:read', 'credentials:write', 'audit:read'] },
        }),
        201,
      );
      const keyId = created.body.id as string;
      const row = await expectAudited(created, {
        action: 'api_key.create',
        projectId: auditedId,
        actor: { type: 'user', userId: owner.id, apiKeyId: null },
        target: { type: 'api_key', id: keyId, name: 'ci' },
      });
      assert.ok(!JSON.stringify(row).includes(created.body.key), 'the key itself was recorded');

      const viaKey = await ok(
        t.call('POST', credentialsOf('audited'), {
          apiKey: created.body.key,
          body: { name: 'by-key', type: 'token', secrets: { token: 'by-key-token' } },
        }),
        201,
      );
      await expectAudited(viaKey, {
        action: 'credential.create',
        projectId: auditedId,
        actor: { type: 'apiKey', userId: owner.id, apiKeyId: keyId },
        target: { type: 'credential', id: viaKey.body.id, name: 'by-key' },
      });
      const listedByKey = await ok(events('audited', '?action=credential.create', { apiKey: created.body.key }));
      assert.ok(listedByKey.body.data.some((event: { requestId: string }) => event.requestId === requestIdOf(viaKey)));

      const revoked = await ok(t.call('DELETE', `${API}/projects/audited/api-keys/${keyId}`, { token: projectAdmin.token }), 204);
      await expectAudited(revoked, {
        action: 'api_key.revoke',
        projectId: auditedId,
        actor: { type: 'user', userId: projectAdmin.id },
        target: { type: 'api_key', id: keyId, name: 'ci' },
      });
    });

    it('records member put and remove, and project update', async () => {
      const extra = await createUser(t, admin, `audit-extra-${driver}`);
      const put = await ok(
        t.call('PUT', `${API}/projects/audited/members/${extra.id}`, { token: projectAdmin.token, body: { role: 'viewer' } }),
      );
      const putRow = await expectAudited(put, {
        action: 'member.put',
        projectId: auditedId,
        actor: { type: 'user', userId: projectAdmin.id },
        target: { type: 'user', id: extra.id },
      });
      assert.deepEqual(detailsOf(putRow), { role: 'viewer', previousRole: null });
      const removed = await ok(t.call('DELETE', `${API}/projects/audited/members/${extra.id}`, { token: owner.token }), 204);
      await expectAudited(removed, {
        action: 'member.remove',
        projectId: auditedId,
        actor: { type: 'user', userId: owner.id },
        target: { type: 'user', id: extra.id },
      });
      const updated = await ok(t.call('PATCH', `${API}/projects/audited`, { token: owner.token, body: { name: 'Audited project' } }));
      const updateRow = await expectAudited(updated, {
        action: 'project.update',
        projectId: auditedId,
        actor: { type: 'user', userId: owner.id },
        target: { type: 'project', id: auditedId, name: 'audited' },
      });
      assert.deepEqual(detailsOf(updateRow), { fields: ['name'] });
    });

    it('records credential create, update, replace, reveal and delete', async () => {
      const created = await ok(
        t.call('POST', credentialsOf('audited'), {
          token: editor.token,
          body: { name: 'tracked', type: 'basic', secrets: { password: 'tracked-pw-1' } },
        }),
        201,
      );
      const id = created.body.id as string;
      const target = { type: 'credential', id, name: 'tracked' };
      await expectAudited(created, {
        action: 'credential.create',
        projectId: auditedId,
        actor: { type: 'user', userId: editor.id },
        target,
      });

      const described = await ok(
        t.call('PATCH', `${credentialsOf('audited')}/tracked`, { token: editor.token, body: { description: 'd' } }),
      );
      const describedRow = await expectAudited(described, {
        action: 'credential.update',
        projectId: auditedId,
        actor: { type: 'user', userId: editor.id },
        target,
      });
      assert.deepEqual(detailsOf(describedRow), { secretsChanged: false });
      const rekeyed = await ok(
        t.call('PATCH', `${credentialsOf('audited')}/tracked`, { token: editor.token, body: { secrets: { password: 'tracked-pw-2' } } }),
      );
      const rekeyedRow = await expectAudited(rekeyed, {
        action: 'credential.update',
        projectId: auditedId,
        actor: { type: 'user', userId: editor.id },
        target,
      });
      assert.deepEqual(detailsOf(rekeyedRow), { secretsChanged: true });

      const replaced = await ok(t.call('PUT', `${credentialsOf('audited')}/tracked`, { token: owner.token, body: { name: 'tracked' } }));
      await expectAudited(replaced, {
        action: 'credential.replace',
        projectId: auditedId,
        actor: { type: 'user', userId: owner.id },
        target,
      });

      const revealed = await ok(t.call('GET', `${credentialsOf('audited')}/tracked?reveal=true`, { token: projectAdmin.token }));
      await expectAudited(revealed, {
        action: 'credential.reveal',
        projectId: auditedId,
        actor: { type: 'user', userId: projectAdmin.id },
        target,
      });

      const deleted = await ok(t.call('DELETE', `${credentialsOf('audited')}/tracked`, { token: editor.token }), 204);
      await expectAudited(deleted, {
        action: 'credential.delete',
        projectId: auditedId,
        actor: { type: 'user', userId: editor.id },
        target,
      });
      for (const reply of [created, described, rekeyed, replaced, deleted]) {
        const rows = await sql(t, 'SELECT * FROM audit_events WHERE request_id = $1', [requestIdOf(reply)]);
        assert.ok(!JSON.stringify(rows).includes('tracked-pw'), 'an audit row carries the secret');
      }
    });

    it('records connection create, update, clone and delete', async () => {
      const created = await ok(
        t.call('POST', connectionsOf('audited'), {
          token: editor.token,
          body: {
            name: 'tracked-conn',
            type: 'postgres',
            config: { host: 'db.example.com', database: 'app' },
            secrets: { password: 'conn-pw-1' },
          },
        }),
        201,
      );
      const id = created.body.id as string;
      await expectAudited(created, {
        action: 'connection.create',
        projectId: auditedId,
        actor: { type: 'user', userId: editor.id },
        target: { type: 'connection', id, name: 'tracked-conn' },
      });
      const updated = await ok(
        t.call('PATCH', `${connectionsOf('audited')}/tracked-conn`, { token: editor.token, body: { description: 'now described' } }),
      );
      await expectAudited(updated, {
        action: 'connection.update',
        projectId: auditedId,
        actor: { type: 'user', userId: editor.id },
        target: { type: 'connection', id, name: 'tracked-conn' },
      });
      const cloned = await ok(
        t.call('POST', `${connectionsOf('audited')}/tracked-conn/clone`, { token: owner.token, body: { name: 'tracked-copy' } }),
        201,
      );
      const cloneRow = await expectAudited(cloned, {
        action: 'connection.clone',
        projectId: auditedId,
        actor: { type: 'user', userId: owner.id },
        target: { type: 'connection', id: cloned.body.id, name: 'tracked-copy' },
      });
      assert.equal(detailsOf(cloneRow)?.sourceId, id);
      const deleted = await ok(t.call('DELETE', `${connectionsOf('audited')}/tracked-copy`, { token: editor.token }), 204);
      await expectAudited(deleted, {
        action: 'connection.delete',
        projectId: auditedId,
        actor: { type: 'user', userId: editor.id },
        target: { type: 'connection', id: cloned.body.id, name: 'tracked-copy' },
      });
    });

    it('lets audit:read holders read the trail: owner, admin, a key with the scope; editor, viewer, other keys get 403', async () => {
      for (const token of [owner.token, projectAdmin.token, admin]) {
        const reply = await ok(events('audited', '', { token }));
        assert.deepEqual(Object.keys(reply.body).sort(), ['data', 'meta']);
      }
      for (const token of [editor.token, viewer.token]) expectProblem(await events('audited', '', { token }), 403, 'FORBIDDEN');
      const key = await ok(
        t.call('POST', `${API}/projects/audited/api-keys`, {
          token: owner.token,
          body: { name: 'no-audit', scopes: ['credentials:read'] },
        }),
        201,
      );
      expectProblem(await events('audited', '', { apiKey: key.body.key }), 403, 'FORBIDDEN');
      expectProblem(await events('audited', '', { token: stranger.token }), 404, 'NOT_FOUND');
      expectProblem(await events('audited', ''), 401, 'UNAUTHORIZED');
    });

    it('pages newest first', async () => {
      await ok(t.call('POST', `${API}/projects`, { token: owner.token, body: { slug: 'ordered', name: 'Ordered' } }), 201);
      const ids: string[] = [];
      for (let i = 1; i <= 7; i++) {
        await sleep(3); // distinct milliseconds, so "newest" is well defined
        const reply = await ok(
          t.call('POST', credentialsOf('ordered'), {
            token: owner.token,
            body: { name: `c${i}`, type: 'token', secrets: { token: `t${i}` } },
          }),
          201,
        );
        ids.push(reply.body.id);
      }
      const names: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const reply = await ok(events('ordered', `?action=credential.create&perPage=3&page=${page}`, { token: owner.token }));
        assert.deepEqual(reply.body.meta, { total: 7, page, perPage: 3 });
        names.push(...reply.body.data.map((event: { target: { name: string } }) => event.target.name));
      }
      assert.deepEqual(names, ['c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1']);

      const all = await ok(events('ordered', '?perPage=100', { token: owner.token }));
      assert.equal(all.body.meta.total, 8); // project.create + 7 credential.create
      assert.equal(all.body.data[7].action, 'project.create');
      const times = all.body.data.map((event: { createdAt: string }) => Date.parse(event.createdAt));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      const defaults = await ok(events('ordered', '', { token: owner.token }));
      assert.deepEqual(defaults.body.meta, { total: 8, page: 1, perPage: 20 });
      for (const event of all.body.data) {
        assert.deepEqual(Object.keys(event).sort(), ['action', 'actor', 'createdAt', 'details', 'id', 'outcome', 'requestId', 'target']);
      }
    });

    it('filters by action (exact, or a prefix ending in ".") and by time (from inclusive, to exclusive)', async () => {
      await ok(t.call('POST', `${API}/projects`, { token: owner.token, body: { slug: 'filtered', name: 'Filtered' } }), 201);
      const make = (name: string) =>
        ok(t.call('POST', credentialsOf('filtered'), { token: owner.token, body: { name, type: 'token', secrets: { token: name } } }), 201);
      await make('early');
      await sleep(15);
      const from = new Date().toISOString();
      await sleep(15);
      await make('middle');
      await sleep(3);
      await ok(t.call('PATCH', `${credentialsOf('filtered')}/middle`, { token: owner.token, body: { description: 'x' } }));
      await sleep(3);
      await ok(
        t.call('POST', connectionsOf('filtered'), {
          token: owner.token,
          body: { name: 'conn', type: 'postgres', config: { host: 'db.example.com' } },
        }),
        201,
      );
      await sleep(15);
      const to = new Date().toISOString();
      await sleep(15);
      await make('late');

      const actions = async (query: string) =>
        (await ok(events('filtered', query, { token: owner.token }))).body.data.map(
          (event: { action: string; target: { name: string } }) => `${event.action}:${event.target.name}`,
        );
      assert.deepEqual(await actions('?action=credential.create'), [
        'credential.create:late',
        'credential.create:middle',
        'credential.create:early',
      ]);
      assert.deepEqual(await actions('?action=credential.'), [
        'credential.create:late',
        'credential.update:middle',
        'credential.create:middle',
        'credential.create:early',
      ]);
      assert.deepEqual(await actions('?action=connection.'), ['connection.create:conn']);
      assert.deepEqual(await actions('?action=credential'), [], 'without the dot it is an exact action');
      assert.deepEqual(await actions('?action=credential.create.'), []);
      assert.deepEqual(await actions(`?action=credential.create&from=${encodeURIComponent(from)}`), [
        'credential.create:late',
        'credential.create:middle',
      ]);
      assert.deepEqual(await actions(`?action=credential.create&to=${encodeURIComponent(to)}`), [
        'credential.create:middle',
        'credential.create:early',
      ]);
      assert.deepEqual(await actions(`?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`), [
        'connection.create:conn',
        'credential.update:middle',
        'credential.create:middle',
      ]);
      const paged = await ok(
        events('filtered', `?action=credential.&from=${encodeURIComponent(from)}&perPage=1&page=2`, { token: owner.token }),
      );
      assert.deepEqual(paged.body.meta, { total: 3, page: 2, perPage: 1 });
      assert.equal(paged.body.data[0].action, 'credential.update');
    });

    it('refuses invalid filters with 400 naming the parameter', async () => {
      for (const [query, field] of [
        ['?action=Credential.Create', 'action'],
        ['?action=credential%25', 'action'],
        ['?action=credential.*', 'action'],
        [`?action=${'a'.repeat(65)}`, 'action'],
        ['?from=yesterday', 'from'],
        ['?from=2026-13-01T00:00:00Z', 'from'],
        ['?to=2026-02-30T00:00:00Z', 'to'],
        ['?to=1700000000', 'to'],
        ['?page=0', 'page'],
        ['?perPage=101', 'perPage'],
        ['?projectId=x', 'projectId'],
      ]) {
        const reply = await events('audited', query, { token: owner.token });
        expectProblem(reply, 400, 'VALIDATION_FAILED');
        assert.ok(fieldsOf(reply).includes(field), `${query}: expected an error on ${field}, got ${reply.text}`);
      }
    });

    it("never shows another project's events", async () => {
      const foreignReplies = [
        await ok(
          t.call('POST', credentialsOf('foreign'), {
            token: stranger.token,
            body: { name: 'foreign-cred', type: 'token', secrets: { token: 'ft' } },
          }),
          201,
        ),
        await ok(t.call('GET', `${credentialsOf('foreign')}/foreign-cred?reveal=true`, { token: stranger.token })),
        await ok(
          t.call('POST', connectionsOf('foreign'), {
            token: stranger.token,
            body: { name: 'foreign-conn', type: 'postgres', config: { host: 'db.example.com' } },
          }),
          201,
        ),
        await ok(t.call('PATCH', `${API}/projects/foreign`, { token: stranger.token, body: { name: 'Foreign!' } })),
      ];
      const foreignRequestIds = new Set(foreignReplies.map(requestIdOf));
      const foreignTargets = new Set(foreignReplies.map((reply) => reply.body.id).filter(Boolean));
      for (const project of ['audited', 'ordered', 'filtered']) {
        const seen: { requestId: string; target: { id: string; name: string } }[] = [];
        for (let page = 1; ; page++) {
          const reply = await ok(events(project, `?perPage=100&page=${page}`, { token: admin }));
          seen.push(...reply.body.data);
          if (page * 100 >= reply.body.meta.total) break;
        }
        assert.ok(seen.length > 0);
        for (const event of seen) {
          assert.ok(!foreignRequestIds.has(event.requestId), `${project} shows an event of "foreign": ${JSON.stringify(event)}`);
          assert.ok(!foreignTargets.has(event.target.id));
          assert.ok(!String(event.target.name).startsWith('foreign'));
        }
      }
      const own = await ok(events('foreign', '?perPage=100', { token: stranger.token }));
      assert.deepEqual(
        new Set(own.body.data.map((event: { requestId: string }) => event.requestId).filter((id: string) => foreignRequestIds.has(id))),
        foreignRequestIds,
      );
      // And the instance events (logins, rotations) belong to no project.
      assert.ok(!own.body.data.some((event: { action: string }) => event.action.startsWith('auth.')));
    });

    it('stores no secret value in any audit row', async () => {
      const canary = (n: number) => `${CANARY_STEM}-${driver}-${n}`;
      await ok(
        t.call('POST', credentialsOf('audited'), {
          token: owner.token,
          body: { name: 'canary-cred', type: 'generic', fields: { user: 'u' }, secrets: { password: canary(1), token: canary(2) } },
        }),
        201,
      );
      await ok(
        t.call('PATCH', `${credentialsOf('audited')}/canary-cred`, { token: owner.token, body: { secrets: { password: canary(3) } } }),
      );
      await ok(
        t.call('PUT', `${credentialsOf('audited')}/canary-cred`, {
          token: owner.token,
          body: { name: 'canary-cred', secrets: { token: canary(4) } },
        }),
      );
      await ok(t.call('GET', `${credentialsOf('audited')}/canary-cred?reveal=true`, { token: owner.token }));
      await ok(
        t.call('POST', connectionsOf('audited'), {
          token: owner.token,
          body: { name: 'canary-conn', type: 'postgres', config: { host: 'db.example.com' }, secrets: { password: canary(5) } },
        }),
        201,
      );
      await ok(
        t.call('PATCH', `${connectionsOf('audited')}/canary-conn`, { token: owner.token, body: { secrets: { password: canary(6) } } }),
      );
      await ok(
        t.call('POST', connectionsOf('audited'), {
          token: owner.token,
          body: { name: 'canary-uri', uri: `postgresql://u:${canary(7)}@db.example.com/app` },
        }),
        201,
      );
      await ok(
        t.call('POST', `${connectionsOf('audited')}/canary-conn/clone`, { token: owner.token, body: { name: 'canary-clone' } }),
        201,
      );
      await ok(t.call('GET', `${connectionsOf('audited')}/canary-clone?reveal=true`, { token: owner.token }));
      await ok(t.call('DELETE', `${connectionsOf('audited')}/canary-clone`, { token: owner.token }), 204);
      await ok(
        t.call('POST', `${API}/users`, {
          token: admin,
          body: { email: `canary-${driver}@switchboard.test`, password: canary(8), name: 'Canary' },
        }),
        201,
      );
      await t.call('POST', `${API}/auth/login`, { body: { email: `canary-${driver}@switchboard.test`, password: canary(9) } });
      const key = await ok(
        t.call('POST', `${API}/projects/audited/api-keys`, {
          token: owner.token,
          body: { name: 'canary-key', scopes: ['credentials:read'] },
        }),
        201,
      );

      const rows = await sql(t, 'SELECT * FROM audit_events');
      assert.ok(rows.length > 40);
      for (const row of rows) {
        const text = JSON.stringify(row);
        assert.ok(!text.includes(CANARY_STEM), `an audit row carries a secret value: ${text}`);
        assert.ok(!text.includes(key.body.key), 'an audit row carries an API key');
        assert.ok(!text.includes('tracked-pw') && !text.includes('conn-pw-1'), `an audit row carries a secret value: ${text}`);
      }
      for (const line of t.logs) assert.ok(!line.includes(CANARY_STEM), `a log line carries a secret value: ${line}`);
    });
  });
}
