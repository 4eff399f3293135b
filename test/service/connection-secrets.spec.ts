/**
 * The secrets rules at the service tier: the real connections and credentials services on a real
 * database (SQLite and PostgreSQL), without HTTP, so each rule is checked where it is decided.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Test, type TestingModule } from '@nestjs/testing';
import { type AuditActor, AuditModule } from '@switchboard/audit';
import { AppError, ConfigModule, ErrorCode } from '@switchboard/common';
import { ConnectionResolver, ConnectionsModule, ConnectionsService } from '@switchboard/connections';
import { MAX_SECRET_BYTES, SECRET_MASK } from '@switchboard/connectors';
import { CredentialsService } from '@switchboard/credentials';
import { CryptoModule } from '@switchboard/crypto';
import { DatabaseModule } from '@switchboard/database';
import { DEFAULT_PROJECT_SLUG, ProjectAccess, ProjectEntity, ROLE_SCOPES } from '@switchboard/projects';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../apps/api/src/config/load-config';
import { ADMIN_PASSWORD, DRIVERS, type Driver } from '../support/test-app';

const actor: AuditActor = { type: 'system', label: 'service-tier test' };
const PLACE = { host: 'db.internal', port: 5432, database: 'analytics', username: 'reader', sslMode: 'require' };

/** A database of its own on the PostgreSQL the test runner started; its URL. */
async function newPostgresDatabase(): Promise<string> {
  const server = process.env.SWITCHBOARD_TEST_PG_URL;
  assert.ok(server, 'SWITCHBOARD_TEST_PG_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  const name = `svc_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  return Object.assign(new URL(server), { pathname: `/${name}` }).toString();
}

/** The smallest module that holds the real services: connections (with credentials and projects) on a database. */
async function startServices(driver: Driver) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-service-'));
  // Configured as the service is, from its environment.
  const { config } = loadConfig({
    SWITCHBOARD_DATA_DIR: dataDir,
    DATABASE_URL: driver === 'postgres' ? await newPostgresDatabase() : undefined,
    SWITCHBOARD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    SWITCHBOARD_JWT_SECRET: randomBytes(32).toString('hex'),
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SWITCHBOARD_SAMPLE: 'false',
    LOG_LEVEL: 'error',
  });
  const module: TestingModule = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(config), CryptoModule, DatabaseModule, AuditModule, ConnectionsModule],
  }).compile();
  await module.init(); // the first-run bootstrap makes the default project
  const dataSource = module.get(DataSource);
  const project = await dataSource.getRepository(ProjectEntity).findOneByOrFail({ slug: DEFAULT_PROJECT_SLUG });
  return {
    connections: module.get(ConnectionsService),
    credentials: module.get(CredentialsService),
    resolver: module.get(ConnectionResolver),
    owner: { project, role: 'owner', scopes: ROLE_SCOPES.owner } satisfies ProjectAccess,
    editor: { project, role: 'editor', scopes: ROLE_SCOPES.editor } satisfies ProjectAccess,
    /** The credential rows as stored: who owns them and their sealed secrets. */
    async storedCredentials(): Promise<{ id: string; owner: string | null; envelope: string | null }[]> {
      const rows: { id: string; owner_connection_id: string | null; secret_envelope: string | null }[] = await dataSource.query(
        'SELECT id, owner_connection_id, secret_envelope FROM credentials ORDER BY id',
      );
      return rows.map((row) => ({ id: row.id, owner: row.owner_connection_id, envelope: row.secret_envelope }));
    },
    async auditActions(): Promise<string[]> {
      const rows: { action: string }[] = await dataSource.query('SELECT action FROM audit_events ORDER BY created_at, id');
      return rows.map((row) => row.action);
    },
    async close() {
      await module.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The AppError `work` rejects with (it must reject with one). */
async function refusal(work: Promise<unknown>): Promise<AppError> {
  const error = await work.then(
    () => assert.fail('expected a refusal'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof AppError, String(error));
  return error;
}

for (const driver of DRIVERS) {
  describe(`secrets rules at the service tier (${driver})`, () => {
    let s: Awaited<ReturnType<typeof startServices>>;
    before(async () => {
      s = await startServices(driver);
    });
    after(() => s?.close());

    const reveal = async (name: string) => (await s.connections.get(actor, s.owner, name, true)).secrets;
    const ownedBy = async (connectionId: string) => (await s.storedCredentials()).filter((row) => row.owner === connectionId);
    const createInline = (name: string, password: string) =>
      s.connections.create(actor, s.owner, { name, type: 'postgres', config: PLACE, secrets: { password } });

    it('keeps omitted and masked inline secrets, re-encrypts only a changed one, clears a null one', async () => {
      const created = await createInline('keep-rules', 'first-password');
      assert.deepEqual(created.secrets, { password: SECRET_MASK });
      const [sealed] = await ownedBy(created.id);
      assert.ok(sealed.envelope && !sealed.envelope.includes('first-password'));

      await s.connections.patch(actor, s.owner, 'keep-rules', { description: 'no secrets in this patch' });
      await s.connections.patch(actor, s.owner, 'keep-rules', { secrets: { password: SECRET_MASK } });
      assert.deepEqual(await ownedBy(created.id), [sealed], 'kept secrets are not sealed again');
      assert.deepEqual(await reveal('keep-rules'), { password: 'first-password' });

      await s.connections.patch(actor, s.owner, 'keep-rules', { secrets: { password: 'second-password' } });
      const [resealed] = await ownedBy(created.id);
      assert.equal(resealed.id, sealed.id, 'the connection keeps the credential it owns');
      assert.notEqual(resealed.envelope, sealed.envelope);
      assert.deepEqual(await reveal('keep-rules'), { password: 'second-password' });

      const cleared = await s.connections.patch(actor, s.owner, 'keep-rules', { secrets: { password: null } });
      assert.deepEqual(cleared.secretFields, []);
      assert.deepEqual(await ownedBy(created.id), [], 'nothing left to keep: the owned credential is gone');
    });

    it('refuses to send a kept secret to a new place (422) and takes it re-entered there', async () => {
      await createInline('moving', 'stays-here');
      const moved = { config: { host: 'elsewhere.example' } };
      const error = await refusal(s.connections.patch(actor, s.owner, 'moving', moved));
      assert.equal(error.code, ErrorCode.UNPROCESSABLE);
      assert.match(error.detail, /re-enter password/);
      const weakened = await refusal(s.connections.patch(actor, s.owner, 'moving', { config: { sslMode: 'disable' } }));
      assert.equal(weakened.code, ErrorCode.UNPROCESSABLE, 'a weaker transport to the same place is a new place too');
      assert.equal((await s.connections.get(actor, s.owner, 'moving', false)).version, 1, 'nothing was written');

      const accepted = await s.connections.patch(actor, s.owner, 'moving', { ...moved, secrets: { password: 'entered-again' } });
      assert.equal(accepted.config.host, 'elsewhere.example');
      assert.deepEqual(await reveal('moving'), { password: 'entered-again' });
    });

    it('refuses the same secret values with the same 400, inline or in a shared credential', async () => {
      const bad: [string, unknown][] = [
        ['NUL', 'a\u0000b'],
        ['empty', ''],
        ['too long', 'x'.repeat(MAX_SECRET_BYTES + 1)],
        ['the mask', SECRET_MASK],
        ['not a string', 5],
      ];
      for (const [what, value] of bad) {
        const inline = await refusal(
          s.connections.create(actor, s.owner, {
            name: 'bad-inline',
            type: 'postgres',
            config: PLACE,
            secrets: { password: value as string },
          }),
        );
        const shared = await refusal(
          s.credentials.create(actor, s.owner.project.id, { name: 'bad-shared', type: 'basic', secrets: { password: value as string } }),
        );
        assert.equal(inline.code, ErrorCode.VALIDATION_FAILED, what);
        assert.equal(shared.code, ErrorCode.VALIDATION_FAILED, what);
        assert.equal(inline.options.errors?.length, 1, what);
        assert.deepEqual(shared.options.errors, inline.options.errors, what);
        assert.equal(inline.options.errors?.[0].field, 'secrets.password', what);
      }
      const stored = await s.credentials.create(actor, s.owner.project.id, { name: 'nul-later', type: 'token', secrets: { token: 't' } });
      const later = await refusal(s.credentials.patch(actor, s.owner.project.id, stored.id, { secrets: { token: 'a\u0000b' } }));
      assert.deepEqual(later.options.errors, [{ field: 'secrets.token', message: 'must not contain NUL characters' }]);
    });

    it('moves to a shared credential: never beside inline secrets, only where it may go, and the owned credential goes', async () => {
      const credential = await s.credentials.create(actor, s.owner.project.id, {
        name: 'warehouse-login',
        type: 'basic',
        fields: { username: 'from-credential' },
        secrets: { password: 'shared-password' },
      });
      const { username: _, ...withoutUser } = PLACE;
      const inline = await s.connections.create(actor, s.owner, {
        name: 'to-shared',
        type: 'postgres',
        config: withoutUser,
        secrets: { password: 'inline-password' },
      });
      const both = await refusal(
        s.connections.patch(actor, s.owner, 'to-shared', { credentialId: credential.id, secrets: { password: 'x' } }),
      );
      assert.deepEqual(
        both.options.errors?.map((error) => error.field),
        ['secrets'],
      );
      const unused = await refusal(s.connections.patch(actor, s.editor, 'to-shared', { credentialId: credential.id }));
      assert.equal(unused.code, ErrorCode.FORBIDDEN, 'a first use at a new place needs secrets:reveal');
      assert.equal((await ownedBy(inline.id)).length, 1);

      const switched = await s.connections.patch(actor, s.owner, 'to-shared', { credentialId: credential.id });
      assert.equal(switched.credentialId, credential.id);
      assert.deepEqual(await ownedBy(inline.id), [], 'the inline secrets went with the switch');
      const resolved = await s.resolver.resolveForUse(s.owner.project.id, 'to-shared');
      assert.deepEqual(resolved.secrets, { password: 'shared-password' });
      assert.equal(resolved.config.username, 'from-credential', "the credential's fields fill what the config leaves out");

      const sameplace = await s.connections.create(actor, s.editor, {
        name: 'same-place',
        type: 'postgres',
        config: withoutUser,
        credentialId: credential.id,
      });
      assert.equal(sameplace.credentialId, credential.id, 'where the project already sends it, no reveal is needed');
    });

    it('clones inline secrets into a credential of the copy’s own, sealed anew', async () => {
      const source = await createInline('original', 'cloned-password');
      const copy = await s.connections.clone(actor, s.owner, 'original', { name: 'copy' });
      const [mine] = await ownedBy(source.id);
      const [theirs] = await ownedBy(copy.id);
      assert.ok(mine && theirs);
      assert.notEqual(theirs.id, mine.id);
      assert.notEqual(theirs.envelope, mine.envelope);
      assert.deepEqual(await reveal('copy'), { password: 'cloned-password' });
    });

    it('reveals secrets only with secrets:reveal, and audits each reveal', async () => {
      await createInline('revealed', 'to-reveal');
      const credential = await s.credentials.create(actor, s.owner.project.id, {
        name: 'revealed-too',
        type: 'token',
        secrets: { token: 'tok' },
      });
      const before = (await s.auditActions()).filter((action) => action.endsWith('.reveal')).length;

      assert.equal((await refusal(s.connections.get(actor, s.editor, 'revealed', true))).code, ErrorCode.FORBIDDEN);
      const denied = s.credentials.get(actor, s.owner.project.id, credential.id, true, s.editor.scopes);
      assert.equal((await refusal(denied)).code, ErrorCode.FORBIDDEN);
      assert.deepEqual((await s.connections.get(actor, s.editor, 'revealed', false)).secrets, { password: SECRET_MASK });

      assert.deepEqual(await reveal('revealed'), { password: 'to-reveal' });
      const shown = await s.credentials.get(actor, s.owner.project.id, credential.id, true, s.owner.scopes);
      assert.deepEqual(shown.secrets, { token: 'tok' });
      const reveals = (await s.auditActions()).filter((action) => action.endsWith('.reveal')).slice(before);
      assert.deepEqual(reveals, ['connection.reveal', 'credential.reveal']);
    });
  });
}
