import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSeededDatabase, postgresConfigOf } from '../support/postgres';
import { makeTempDir, startServers, stopServers, type Servers } from '../support/servers';
import { createUser, DRIVERS, expectOk, expectProblem, type Reply, startTestApp, type TestApp } from '../support/test-app';

const serverUrl = process.env.SWITCHBOARD_TEST_PG_URL;
if (!serverUrl) throw new Error('SWITCHBOARD_TEST_PG_URL is not set: run the tests through test/run.js, which starts PostgreSQL');
const pgServer = new URL(serverUrl);

type Json = Record<string, any>;

/** A fresh OpenSSH ed25519 key pair (private key text, public key line). */
function keyPair(dir: string, name: string): { privateKey: string; publicKey: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], { stdio: 'pipe' });
  return { privateKey: fs.readFileSync(file, 'utf8'), publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** The base64 lines of a private key: what would show if any of it leaked. */
const keyLines = (privateKey: string): string[] => privateKey.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));

/**
 * One bastion key for many connections: `config.sshTunnel.credentialId` names a shared ssh-key
 * credential of the project, whose key signs in to the real sshd in front of a real PostgreSQL.
 */
for (const driver of DRIVERS) {
  describe(`SSH tunnels with a shared ssh-key credential (${driver})`, () => {
    const DB = `sb_tunnel_key_${driver}_${randomBytes(4).toString('hex')}`;
    const API = '/api/v1/projects/default';
    const base = `${API}/connections`;
    const pgPassword = decodeURIComponent(pgServer.password);
    let t: TestApp;
    let token: string;
    let editor: string;
    let servers: Pick<Servers, 'sshd'>;
    let sshd: Servers['sshd'];
    let keyDir: string;
    let rotated: { privateKey: string; publicKey: string };
    let unauthorized: { privateKey: string; publicKey: string };
    let keyId: string;
    const replies: string[] = [];

    /** Every reply is kept, to look for the key in them at the end. */
    async function call(method: string, url: string, body?: unknown, as = token): Promise<Reply> {
      const reply = await t.call(method, url, { token: as, body });
      replies.push(reply.text);
      return reply;
    }
    const target = (sshTunnel: Json) => postgresConfigOf(pgServer, DB, { sshTunnel });
    const body = (name: string, sshTunnel: Json, secrets: Json = {}) => ({
      name,
      type: 'postgres',
      config: target(sshTunnel),
      secrets: { password: pgPassword, ...secrets },
    });
    const bastion = (extra: Json = {}) => ({ host: '127.0.0.1', port: sshd.port, ...extra });
    const testOf = async (name: string): Promise<Json> => expectOk(await call('POST', `${base}/${name}/test`, {}));
    const previewOf = (name: string) => call('GET', `${base}/${name}/preview?table=behind_bastion`);
    /** An ssh-key credential in the project at `projectApi` holding the test sshd's key; its id. */
    const createSshKey = async (projectApi: string, name: string): Promise<string> =>
      expectOk(
        await call('POST', `${projectApi}/credentials`, {
          name,
          type: 'ssh-key',
          fields: { username: sshd.username },
          secrets: { privateKey: sshd.privateKey },
        }),
        201,
      ).id;
    const fields = (reply: Reply): string[] => reply.body.errors.map((error: { field: string }) => error.field);

    before(async () => {
      servers = await startServers(['sshd']);
      sshd = servers.sshd;
      keyDir = makeTempDir('tunnel-keys');
      rotated = keyPair(keyDir, 'rotated');
      unauthorized = keyPair(keyDir, 'unauthorized');
      sshd.authorize(rotated.publicKey);
      await createSeededDatabase(
        pgServer.href,
        DB,
        `CREATE TABLE behind_bastion (id int PRIMARY KEY); INSERT INTO behind_bastion VALUES (1)`,
      );
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
      const user = await createUser(t, token, `tk-editor-${driver}`);
      expectOk(await call('PUT', `${API}/members/${user.id}`, { role: 'editor' }));
      editor = user.token;
      keyId = await createSshKey(API, 'bastion-key');
    });

    after(async () => {
      await t?.close();
      await stopServers(servers);
      if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    });

    it('two connections share the key (named, stored as its id; the user name from the credential); both test OK through the bastion', async () => {
      for (const name of ['orders', 'billing']) {
        const created = expectOk(await call('POST', base, body(name, bastion({ credentialId: 'bastion-key' }))), 201);
        assert.deepEqual(created.config.sshTunnel, { host: '127.0.0.1', port: sshd.port, credentialId: keyId });
        assert.deepEqual(created.secretFields, ['password'], 'the key stays in the credential');
        assert.equal(created.credentialId, null);
        assert.match(created.uri, new RegExp(`sshHost=127\\.0\\.0\\.1&sshPort=${sshd.port}&sshCredential=${keyId}$`));
      }
      for (const name of ['orders', 'billing']) {
        const result = await testOf(name);
        assert.equal(result.success, true, JSON.stringify(result));
        assert.deepEqual(
          result.stages.map((stage: Json) => stage.name),
          ['dns', 'tcp', 'ssh', 'tunnel', 'auth', 'query'],
        );
        assert.equal(result.details.sshTunnelHostKeyFingerprint, sshd.hostKeyFingerprint);
      }
      assert.equal(expectOk(await previewOf('orders')).rows.length, 1);
      const draft = await call('POST', `${base}/test`, { ...body('draft', bastion({ credentialId: keyId })), name: undefined });
      assert.equal(expectOk(draft).success, true, draft.text);
    });

    it('the credential cannot be deleted while connections (clones included) use it for their bastion (409 naming them)', async () => {
      const copy = expectOk(await call('POST', `${base}/orders/clone`, { name: 'orders-copy' }), 201);
      assert.equal(copy.config.sshTunnel.credentialId, keyId);
      assert.equal((await testOf('orders-copy')).success, true);
      const refused = await call('DELETE', `${API}/credentials/bastion-key`);
      expectProblem(refused, 409, 'CONFLICT');
      assert.match(refused.body.detail, /billing, orders, orders-copy;/);
      expectOk(await call('GET', `${API}/credentials/bastion-key`));
    });

    it('refuses a credential of another type, of another project or missing, on config.sshTunnel.credentialId, alike', async () => {
      expectOk(
        await call('POST', `${API}/credentials`, {
          name: 'db-login',
          type: 'basic',
          fields: { username: 'x' },
          secrets: { password: 'y' },
        }),
        201,
      );
      const wrongType = await call('POST', base, body('wrong-type', bastion({ credentialId: 'db-login', username: 'x' })));
      expectProblem(wrongType, 400, 'VALIDATION_FAILED');
      assert.deepEqual(wrongType.body.errors, [
        { field: 'config.sshTunnel.credentialId', message: 'a basic credential cannot sign in to a bastion; it must be of type ssh-key' },
      ]);

      expectOk(await call('POST', '/api/v1/projects', { slug: `elsewhere-${driver}`, name: 'Elsewhere' }), 201);
      const foreignId = await createSshKey(`/api/v1/projects/elsewhere-${driver}`, 'foreign-key');
      const refusals = [];
      for (const ref of [foreignId, 'foreign-key', '0193a5b2-0000-7000-8000-00000000dead', 'no-such-key']) {
        const reply = await call('POST', base, body('foreign', bastion({ credentialId: ref })));
        expectProblem(reply, 400, 'VALIDATION_FAILED');
        refusals.push(reply.body.errors);
      }
      for (const errors of refusals) {
        assert.deepEqual(errors, [{ field: 'config.sshTunnel.credentialId', message: 'no such credential in this project' }]);
      }
      const drafted = await call('POST', `${base}/test`, { type: 'postgres', config: target(bastion({ credentialId: foreignId })) });
      expectProblem(drafted, 400, 'VALIDATION_FAILED');
      expectProblem(await call('GET', `${base}/foreign`), 404, 'NOT_FOUND');

      // In its own project the key serves; deleting the project takes connection and credential together.
      const other = `/api/v1/projects/elsewhere-${driver}/connections`;
      expectOk(await call('POST', other, body('theirs', bastion({ credentialId: 'foreign-key' }))), 201);
      assert.equal((await call('DELETE', `/api/v1/projects/elsewhere-${driver}`)).status, 204);
    });

    it('refuses inline SSH secrets beside the credential, sent or stored, naming the secret', async () => {
      const both = await call('POST', base, body('both', bastion({ credentialId: keyId }), { sshPassword: sshd.password }));
      expectProblem(both, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fields(both), ['secrets.sshPassword']);

      expectOk(await call('POST', base, body('inline', bastion({ username: sshd.username }), { sshPrivateKey: sshd.privateKey })), 201);
      const kept = await call('PATCH', `${base}/inline`, { config: { sshTunnel: { credentialId: keyId } } });
      expectProblem(kept, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fields(kept), ['secrets.sshPrivateKey']);
      assert.match(kept.body.errors[0].message, /null clears a stored one/);
      const switched = expectOk(
        await call('PATCH', `${base}/inline`, { config: { sshTunnel: { credentialId: keyId } }, secrets: { sshPrivateKey: null } }),
      );
      assert.deepEqual(switched.secretFields, ['password']);
      assert.equal((await testOf('inline')).success, true);

      // Nor from the connection's own shared credential: one place for the bastion's secrets.
      const genericId = expectOk(
        await call('POST', `${API}/credentials`, {
          name: 'everything',
          type: 'generic',
          secrets: { password: pgPassword, sshPassword: sshd.password },
        }),
        201,
      ).id;
      const twice = await call('POST', base, {
        name: 'twice',
        type: 'postgres',
        config: target(bastion({ credentialId: keyId })),
        credentialId: genericId,
      });
      expectProblem(twice, 400, 'VALIDATION_FAILED');
      assert.deepEqual(twice.body.errors, [
        {
          field: 'credentialId',
          message: 'holds sshPassword, an SSH secret, while config.sshTunnel.credentialId signs in to the bastion; give one or the other',
        },
      ]);

      const noUser = await call('POST', `${API}/credentials`, {
        name: 'anonymous-key',
        type: 'ssh-key',
        secrets: { privateKey: sshd.privateKey },
      });
      expectOk(noUser, 201);
      const missing = await call('POST', base, body('no-user', bastion({ credentialId: 'anonymous-key' })));
      expectProblem(missing, 400, 'VALIDATION_FAILED');
      assert.deepEqual(missing.body.errors, [
        { field: 'config.sshTunnel.username', message: 'is required: the credential "anonymous-key" has no username field' },
      ]);
      expectOk(await call('POST', base, body('own-user', bastion({ credentialId: 'anonymous-key', username: sshd.username }))), 201);
      assert.equal((await testOf('own-user')).success, true);
    });

    it('goes only to bastions the project already uses it with, unless the user may reveal it (like credentialId)', async () => {
      // orders and billing were pinned by their first tests (trust on first use).
      const pinned = bastion({ credentialId: keyId, hostKeyFingerprint: sshd.hostKeyFingerprint });
      expectOk(await call('POST', base, body('editors', pinned), editor), 201);
      assert.equal((await testOf('editors')).success, true);

      const elsewhere = await call('POST', base, body('elsewhere', { ...pinned, host: 'localhost' }), editor);
      expectProblem(elsewhere, 403, 'FORBIDDEN');
      assert.match(elsewhere.body.detail, /"bastion-key".*secrets:reveal/);
      const unpinned = await call('POST', base, body('unpinned', bastion({ credentialId: keyId })), editor);
      expectProblem(unpinned, 403, 'FORBIDDEN');
      assert.match(unpinned.body.detail, /sshTunnel\.hostKeyFingerprint/);
      // (the target's password re-entered, so the inline rule for a new path has nothing to object to)
      const moved = await call(
        'PATCH',
        `${base}/editors`,
        { config: { sshTunnel: { host: 'localhost' } }, secrets: { password: pgPassword } },
        editor,
      );
      expectProblem(moved, 403, 'FORBIDDEN');
      // Switching an editor's own connection over to the key is using it at that bastion too.
      expectOk(
        await call(
          'POST',
          base,
          body('editors-own', { host: 'localhost', port: sshd.port, username: sshd.username }, { sshPassword: 'x' }),
          editor,
        ),
        201,
      );
      const switched = await call(
        'PATCH',
        `${base}/editors-own`,
        { config: { sshTunnel: { credentialId: keyId } }, secrets: { sshPassword: null } },
        editor,
      );
      expectProblem(switched, 403, 'FORBIDDEN');

      const events = expectOk(await call('GET', `${API}/audit-events?action=credential.use&perPage=100`));
      const denied = events.data.filter((event: Json) => event.outcome === 'denied' && event.target.id === keyId);
      assert.equal(denied.length, 4, JSON.stringify(events.data));
      assert.ok(denied.every((event: Json) => event.details.sshTunnel === true));
      // An admin (secrets:reveal) may take it to a new bastion.
      expectOk(await call('POST', base, body('admins', { ...pinned, host: 'localhost' })), 201);
      assert.equal((await testOf('admins')).success, true);
    });

    it('a key rotated on the credential takes effect on the next call, live tunnels included', async () => {
      assert.equal(expectOk(await previewOf('billing')).rows.length, 1, 'a live tunnel with the first key');
      expectOk(await call('PATCH', `${API}/credentials/bastion-key`, { secrets: { privateKey: unauthorized.privateKey } }));
      const refused = await previewOf('billing');
      assert.notEqual(refused.status, 200, 'the old tunnel was closed: the new key is not authorized');
      assert.equal((await testOf('orders')).error.code, 'AUTH_FAILED');

      expectOk(await call('PATCH', `${API}/credentials/bastion-key`, { secrets: { privateKey: rotated.privateKey } }));
      assert.equal(expectOk(await previewOf('billing')).rows.length, 1);
      const result = await testOf('orders');
      assert.equal(result.success, true, JSON.stringify(result));
    });

    it('creates a tunneled connection from a URI naming the credential, and shows the tunnel in its uri', async () => {
      const user = encodeURIComponent(decodeURIComponent(pgServer.username));
      const uri =
        `postgresql://${user}@127.0.0.1:${pgServer.port}/${DB}?sslmode=disable` +
        `&sshHost=127.0.0.1&sshPort=${sshd.port}&sshHostKeyFingerprint=${sshd.hostKeyFingerprint}&sshCredential=bastion-key`;
      const created = expectOk(await call('POST', base, { name: 'by-uri', uri, secrets: { password: pgPassword } }), 201);
      assert.deepEqual(created.config.sshTunnel, {
        host: '127.0.0.1',
        port: sshd.port,
        hostKeyFingerprint: sshd.hostKeyFingerprint,
        credentialId: keyId,
      });
      const fingerprint = encodeURIComponent(sshd.hostKeyFingerprint).replace(/%3A/g, ':').replace(/%2F/g, '/');
      assert.equal(
        created.uri,
        `postgresql://${user}:********@127.0.0.1:${pgServer.port}/${DB}?sslmode=disable` +
          `&sshHost=127.0.0.1&sshPort=${sshd.port}&sshHostKeyFingerprint=${fingerprint}&sshCredential=${keyId}`,
      );
      const result = await testOf('by-uri');
      assert.equal(result.success, true, JSON.stringify(result));

      const secretInUri = await call('POST', base, { name: 'leaky', uri: `${uri}&sshPassword=hunter2` });
      expectProblem(secretInUri, 400, 'VALIDATION_FAILED');
      assert.deepEqual(fields(secretInUri), ['uri']);
    });

    it('once no connection uses it, the credential can go', async () => {
      for (const name of ['orders', 'orders-copy', 'inline', 'editors', 'admins', 'by-uri']) {
        assert.equal((await call('DELETE', `${base}/${name}`)).status, 204);
      }
      const last = await call('DELETE', `${API}/credentials/bastion-key`);
      expectProblem(last, 409, 'CONFLICT');
      assert.match(last.body.detail, /connection\(s\) billing;/);
      assert.equal((await call('DELETE', `${base}/billing`)).status, 204);
      assert.equal((await call('DELETE', `${API}/credentials/bastion-key`)).status, 204);
    });

    it('nothing of the keys (or passwords) reached a reply, a log line or an audit event', async () => {
      const audit = JSON.stringify(expectOk(await call('GET', `${API}/audit-events?perPage=100`)));
      const keys = [sshd.privateKey, rotated.privateKey, unauthorized.privateKey].flatMap(keyLines);
      for (const line of [...keys, sshd.password, pgPassword]) {
        assert.ok(!replies.some((reply) => reply.includes(line)), 'a secret reached a reply');
        assert.ok(!t.logs.some((log) => log.includes(line)), 'a secret reached the logs');
        assert.ok(!audit.includes(line), 'a secret reached the audit events');
      }
    });
  });
}
