import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSeededDatabase, postgresConfigOf } from '../support/postgres';
import { startServers, stopServers, type Servers } from '../support/servers';
import { DRIVERS, expectOk, expectProblem, startTestApp, type TestApp } from '../support/test-app';

const serverUrl = process.env.SWITCHBOARD_TEST_PG_URL;
if (!serverUrl) throw new Error('SWITCHBOARD_TEST_PG_URL is not set: run the tests through test/run.js, which starts PostgreSQL');
const pgServer = new URL(serverUrl);
const MASK = '********';

interface PinEvent {
  target: { name: string };
  actor: { type: string };
  details: Record<string, unknown>;
}

for (const driver of DRIVERS) {
  describe(`SSH tunnels over HTTP (${driver})`, () => {
    const DB = `sb_tunnel_http_${driver}_${randomBytes(4).toString('hex')}`;
    let t: TestApp;
    let token: string;
    let servers: Pick<Servers, 'sshd'>;
    let sshd: Servers['sshd'];
    const base = '/api/v1/projects/default/connections';
    const pgPassword = decodeURIComponent(pgServer.password);
    const body = (name: string, sshTunnel: Record<string, unknown>, secrets: Record<string, string | null>) => ({
      name,
      type: 'postgres',
      config: postgresConfigOf(pgServer, DB, { sshTunnel }),
      secrets: { password: pgPassword, ...secrets },
    });
    const tunnel = (extra: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: sshd.port, username: sshd.username, ...extra });
    const secretsUsed = (): string[] => [
      sshd.password,
      sshd.passphrase,
      pgPassword,
      ...sshd.privateKey.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')),
    ];

    before(async () => {
      servers = await startServers(['sshd']);
      sshd = servers.sshd;
      await createSeededDatabase(
        pgServer.href,
        DB,
        `CREATE TABLE behind_bastion (id int PRIMARY KEY, label text); INSERT INTO behind_bastion VALUES (1, 'one'), (2, 'two')`,
      );
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
    });

    after(async () => {
      await t?.close();
      await stopServers(servers);
    });

    it('creates a tunneled connection: sshTunnel defaulted, ssh secrets masked, never returned', async () => {
      const created = await t.call('POST', base, {
        token,
        body: body('via-password', { host: '127.0.0.1', username: sshd.username }, { sshPassword: sshd.password }),
      });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.config.sshTunnel, { host: '127.0.0.1', port: 22, username: sshd.username });
      const read = expectOk(await t.call('GET', `${base}/via-password`, { token }));
      assert.deepEqual(read.secrets, { password: MASK, sshPassword: MASK });
      assert.deepEqual([...read.secretFields].sort(), ['password', 'sshPassword']);
      assert.ok(!JSON.stringify(read).includes(sshd.password));
    });

    it('a stored test goes dns -> tcp -> ssh -> tunnel -> auth -> query; a wrong ssh password fails in the ssh stage', async () => {
      expectOk(await t.call('POST', base, { token, body: body('tunneled', tunnel(), { sshPassword: sshd.password }) }), 201);
      const result = expectOk(await t.call('POST', `${base}/tunneled/test`, { token, body: {} }));
      assert.equal(result.success, true, JSON.stringify(result));
      assert.deepEqual(
        result.stages.map((stage: { name: string }) => stage.name),
        ['dns', 'tcp', 'ssh', 'tunnel', 'auth', 'query'],
      );
      assert.equal(result.details.sshTunnelHostKeyFingerprint, sshd.hostKeyFingerprint);

      expectOk(await t.call('POST', base, { token, body: body('wrong-ssh', tunnel(), { sshPassword: 'not-the-ssh-password' }) }), 201);
      const wrong = expectOk(await t.call('POST', `${base}/wrong-ssh/test`, { token, body: {} }));
      assert.equal(wrong.success, false);
      assert.equal(wrong.error.code, 'AUTH_FAILED');
      assert.deepEqual(
        wrong.stages.map((stage: { name: string; ok: boolean }) => [stage.name, stage.ok]),
        [
          ['dns', true],
          ['tcp', true],
          ['ssh', false],
        ],
      );
    });

    it('trust on first use: the first successful stored test pins the fingerprint, a new version, audited', async () => {
      const wrongDb = {
        ...body('tofu', tunnel(), { sshPassword: sshd.password }),
        secrets: { password: 'not-the-db-password', sshPassword: sshd.password },
      };
      const created = expectOk(await t.call('POST', base, { token, body: wrongDb }), 201);
      const failed = expectOk(await t.call('POST', `${base}/tofu/test`, { token, body: {} }));
      assert.equal(failed.success, false, 'the target refused the sign-in');
      const unpinned = expectOk(await t.call('GET', `${base}/tofu`, { token }));
      assert.equal(unpinned.config.sshTunnel.hostKeyFingerprint, undefined, 'a failed test pins nothing');
      assert.equal(unpinned.version, created.version);

      const fixed = expectOk(await t.call('PATCH', `${base}/tofu`, { token, body: { secrets: { password: pgPassword } } }));
      const first = expectOk(await t.call('POST', `${base}/tofu/test`, { token, body: {} }));
      assert.equal(first.success, true, JSON.stringify(first));
      assert.equal(first.details.sshTunnelHostKeyPinned, true);
      const pinned = expectOk(await t.call('GET', `${base}/tofu`, { token }));
      assert.equal(pinned.config.sshTunnel.hostKeyFingerprint, sshd.hostKeyFingerprint);
      assert.equal(pinned.version, fixed.version + 1);

      const again = expectOk(await t.call('POST', `${base}/tofu/test`, { token, body: {} }));
      assert.equal(again.success, true, JSON.stringify(again));
      assert.equal(again.details.sshTunnelHostKeyPinned, undefined, 'pinned once only');
      assert.equal(expectOk(await t.call('GET', `${base}/tofu`, { token })).version, pinned.version);

      const events = expectOk(
        await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.ssh_host_key_pinned', { token }),
      );
      const pins = events.data.filter((event: { target: { name: string } }) => event.target.name === 'tofu');
      assert.equal(pins.length, 1);
      assert.equal(pins[0].details.hostKeyFingerprint, sshd.hostKeyFingerprint);
    });

    it('a draft test reports the observed fingerprint and stores nothing; a mismatching pin says how to re-pin', async () => {
      const draft = body('draft', tunnel(), { sshPrivateKey: sshd.privateKey });
      const result = expectOk(await t.call('POST', `${base}/test`, { token, body: draft }));
      assert.equal(result.success, true, JSON.stringify(result));
      assert.equal(result.details.sshTunnelHostKeyFingerprint, sshd.hostKeyFingerprint);
      assert.equal(result.details.sshTunnelHostKeyPinned, undefined);
      expectProblem(await t.call('GET', `${base}/draft`, { token }), 404, 'NOT_FOUND');

      const pinned = 'SHA256:' + Buffer.alloc(32, 9).toString('base64').replace(/=+$/, '');
      const mismatch = expectOk(
        await t.call('POST', `${base}/test`, {
          token,
          body: body('draft', tunnel({ hostKeyFingerprint: pinned }), { sshPrivateKey: sshd.privateKey }),
        }),
      );
      assert.equal(mismatch.error.code, 'HOST_KEY_MISMATCH');
      assert.match(mismatch.message, /sshTunnel\.hostKeyFingerprint/);
    });

    it('the mask keeps the ssh secret, null clears it, and moving the bastion with a kept secret is refused', async () => {
      expectOk(await t.call('POST', base, { token, body: body('kept', tunnel(), { sshPassword: sshd.password }) }), 201);
      const kept = await t.call('PATCH', `${base}/kept`, {
        token,
        body: { description: 'still tunneled', secrets: { sshPassword: MASK } },
      });
      assert.equal(kept.status, 200, kept.text);
      assert.equal(expectOk(await t.call('POST', `${base}/kept/test`, { token, body: {} })).success, true);

      const moved = await t.call('PATCH', `${base}/kept`, { token, body: { config: { sshTunnel: tunnel({ host: 'localhost' }) } } });
      expectProblem(moved, 422, 'UNPROCESSABLE');
      assert.match(moved.body.detail, /sshTunnel weakened/);

      // A tunnel added to a connection that had none is another path for its kept secrets too.
      const direct = body('direct', tunnel(), {});
      delete (direct.config as { sshTunnel?: unknown }).sshTunnel;
      expectOk(await t.call('POST', base, { token, body: direct }), 201);
      const added = { config: { sshTunnel: tunnel() }, secrets: { sshPassword: sshd.password } };
      const tunneledAway = await t.call('PATCH', `${base}/direct`, { token, body: added });
      expectProblem(tunneledAway, 422, 'UNPROCESSABLE');
      assert.match(tunneledAway.body.detail, /sshTunnel weakened/);
      const reentered = await t.call('PATCH', `${base}/direct`, {
        token,
        body: { ...added, secrets: { ...added.secrets, password: pgPassword } },
      });
      assert.equal(reentered.status, 200, reentered.text);

      const cleared = await t.call('PATCH', `${base}/kept`, { token, body: { secrets: { sshPassword: null } } });
      assert.equal(cleared.status, 200, cleared.text);
      assert.deepEqual(cleared.body.secretFields, ['password']);
      const result = expectOk(await t.call('POST', `${base}/kept/test`, { token, body: {} }));
      assert.equal(result.error.code, 'AUTH_FAILED');
      assert.match(result.message, /Neither sshPassword nor sshPrivateKey is set/);
    });

    it('a private key that is not one, or encrypted with no passphrase, is refused on save, naming the field', async () => {
      const notKey = await t.call('POST', base, { token, body: body('bad-key', tunnel(), { sshPrivateKey: 'definitely not a key' }) });
      expectProblem(notKey, 400, 'VALIDATION_FAILED');
      assert.deepEqual(
        notKey.body.errors.map((error: { field: string }) => error.field),
        ['secrets.sshPrivateKey'],
      );
      const encrypted = await t.call('POST', base, { token, body: body('bad-key', tunnel(), { sshPrivateKey: sshd.encryptedPrivateKey }) });
      expectProblem(encrypted, 400, 'VALIDATION_FAILED');
      assert.deepEqual(encrypted.body.errors, [{ field: 'secrets.sshPrivateKey', message: 'is encrypted and no sshPassphrase is set' }]);
      const ok = await t.call('POST', base, {
        token,
        body: body('good-key', tunnel(), { sshPrivateKey: sshd.encryptedPrivateKey, sshPassphrase: sshd.passphrase }),
      });
      assert.equal(ok.status, 201, ok.text);
      assert.equal(expectOk(await t.call('POST', `${base}/good-key/test`, { token, body: {} })).success, true);
    });

    it('previews and queries through the tunnel', async () => {
      const preview = expectOk(await t.call('GET', `${base}/tunneled/preview?table=behind_bastion`, { token }));
      assert.deepEqual(preview.rows, [
        [1, 'one'],
        [2, 'two'],
      ]);
      const query = expectOk(
        await t.call('POST', `${base}/tunneled/query`, { token, body: { sql: 'SELECT label FROM behind_bastion ORDER BY id DESC' } }),
      );
      assert.deepEqual(query.rows, [['two'], ['one']]);
    });

    describe('trust on first use, by the first successful test or use of a stored connection', () => {
      /** A well-formed fingerprint the test server does not present. */
      const WRONG_PIN = 'SHA256:' + Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '');
      const sftpConfig = (extra: Record<string, unknown> = {}) => ({
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        rootPath: sshd.rootDir,
        ...extra,
      });
      const sftp = (name: string, extra: Record<string, unknown> = {}) => ({
        name,
        type: 'sftp',
        config: sftpConfig(extra),
        secrets: { password: sshd.password },
      });
      const create = async (created: Record<string, unknown>) => expectOk(await t.call('POST', base, { token, body: created }), 201);
      const read = async (name: string): Promise<Record<string, any>> => {
        const reply = await t.call('GET', `${base}/${name}`, { token });
        return { ...expectOk(reply), etag: reply.headers.get('etag') };
      };
      const pinEvents = async (name: string): Promise<PinEvent[]> => {
        const events = expectOk(
          await t.call('GET', '/api/v1/projects/default/audit-events?action=connection.ssh_host_key_pinned&perPage=100', { token }),
        );
        return events.data.filter((event: PinEvent) => event.target.name === name);
      };

      it('a tunneled connection with no pin: its first tables call pins the bastion key (new version and ETag, audited)', async () => {
        const wrong = await create(body('tofu-wrong-ssh', tunnel(), { sshPassword: 'not-the-ssh-password' }));
        const refused = await t.call('GET', `${base}/tofu-wrong-ssh/tables`, { token });
        expectProblem(refused, 502, 'TARGET_UNAVAILABLE');
        assert.equal(refused.body.targetCode, 'AUTH_FAILED');
        assert.equal((await read('tofu-wrong-ssh')).version, wrong.version, 'a sign-in that failed pins nothing');

        const created = await create(body('tofu-use', tunnel(), { sshPassword: sshd.password }));
        const before = await read('tofu-use');
        assert.equal(before.config.sshTunnel.hostKeyFingerprint, undefined);
        const tables = expectOk(await t.call('GET', `${base}/tofu-use/tables`, { token }));
        assert.ok(
          tables.data.some((table: { name: string }) => table.name === 'behind_bastion'),
          JSON.stringify(tables),
        );

        const pinned = await read('tofu-use');
        assert.equal(pinned.config.sshTunnel.hostKeyFingerprint, sshd.hostKeyFingerprint);
        assert.equal(pinned.version, created.version + 1);
        assert.notEqual(pinned.etag, before.etag);
        const events = await pinEvents('tofu-use');
        assert.equal(events.length, 1);
        assert.equal(events[0].actor.type, 'user');
        assert.deepEqual(events[0].details, {
          field: 'sshTunnel.hostKeyFingerprint',
          bastion: `127.0.0.1:${sshd.port}`,
          hostKeyFingerprint: sshd.hostKeyFingerprint,
          version: created.version + 1,
          operation: 'tables',
        });

        // Pinned now: later calls go through, and pin nothing more.
        const preview = expectOk(await t.call('GET', `${base}/tofu-use/preview?table=behind_bastion`, { token }));
        assert.equal(preview.rows.length, 2);
        assert.equal((await read('tofu-use')).version, pinned.version);
        assert.equal((await pinEvents('tofu-use')).length, 1);

        // The bastion presents another key than the pin (the pin changed, re-entering the secrets): refused.
        expectOk(
          await t.call('PATCH', `${base}/tofu-use`, {
            token,
            body: {
              config: { sshTunnel: tunnel({ hostKeyFingerprint: WRONG_PIN }) },
              secrets: { password: pgPassword, sshPassword: sshd.password },
            },
          }),
        );
        const mismatch = await t.call('GET', `${base}/tofu-use/preview?table=behind_bastion`, { token });
        expectProblem(mismatch, 502, 'TARGET_UNAVAILABLE');
        assert.equal(mismatch.body.targetCode, 'HOST_KEY_MISMATCH');
        assert.match(mismatch.body.detail, /sshTunnel\.hostKeyFingerprint/);
        assert.equal((await read('tofu-use')).config.sshTunnel.hostKeyFingerprint, WRONG_PIN, 'a mismatch never re-pins');
      });

      it('concurrent first uses all answer, and pin once: one new version, one audit event', async () => {
        const created = await create(body('tofu-concurrent', tunnel(), { sshPassword: sshd.password }));
        const replies = await Promise.all(
          [1, 2, 3, 4].map(() => t.call('GET', `${base}/tofu-concurrent/preview?table=behind_bastion`, { token })),
        );
        for (const reply of replies) assert.equal(expectOk(reply).rows.length, 2);
        const pinned = await read('tofu-concurrent');
        assert.equal(pinned.config.sshTunnel.hostKeyFingerprint, sshd.hostKeyFingerprint);
        assert.equal(pinned.version, created.version + 1);
        const events = await pinEvents('tofu-concurrent');
        assert.equal(events.length, 1, JSON.stringify(events));
        assert.equal(events[0].details.operation, 'preview');
      });

      it('sftp: a draft test only reports the key; a stored one is pinned by its first successful test, not by a failed one', async () => {
        const draft = expectOk(await t.call('POST', `${base}/test`, { token, body: { ...sftp('draft'), name: undefined } }));
        assert.equal(draft.success, true, JSON.stringify(draft));
        assert.equal(draft.details.hostKeyFingerprint, sshd.hostKeyFingerprint);
        assert.equal(draft.details.hostKeyPinned, undefined);

        const created = await create(sftp('files-tested', { rootPath: `${sshd.rootDir}/missing` }));
        const failed = expectOk(await t.call('POST', `${base}/files-tested/test`, { token, body: {} }));
        assert.equal(failed.error.code, 'NOT_FOUND', 'signed in, but the test failed');
        assert.equal((await read('files-tested')).version, created.version, 'a failed test pins nothing');

        const fixed = expectOk(
          await t.call('PATCH', `${base}/files-tested`, {
            token,
            body: { config: { rootPath: sshd.rootDir }, secrets: { password: sshd.password } },
          }),
        );
        const first = expectOk(await t.call('POST', `${base}/files-tested/test`, { token, body: {} }));
        assert.equal(first.success, true, JSON.stringify(first));
        assert.equal(first.details.hostKeyPinned, true);
        const pinned = await read('files-tested');
        assert.equal(pinned.config.hostKeyFingerprint, sshd.hostKeyFingerprint);
        assert.equal(pinned.version, fixed.version + 1);
        const events = await pinEvents('files-tested');
        assert.deepEqual(
          events.map((event) => event.details),
          [
            {
              field: 'hostKeyFingerprint',
              server: `${sshd.host}:${sshd.port}`,
              hostKeyFingerprint: sshd.hostKeyFingerprint,
              version: fixed.version + 1,
              operation: 'test',
            },
          ],
        );

        const again = expectOk(await t.call('POST', `${base}/files-tested/test`, { token, body: {} }));
        assert.equal(again.details.hostKeyPinned, undefined, 'pinned once only');
        assert.equal((await read('files-tested')).version, pinned.version);
      });

      it('sftp: the first listing of a fresh connection pins the server key; another key then fails HOST_KEY_MISMATCH', async () => {
        const created = await create(sftp('files-used'));
        const listing = expectOk(await t.call('GET', `${base}/files-used/files?delimiter=/`, { token }));
        assert.ok(listing.commonPrefixes.includes('data/'), JSON.stringify(listing));
        const pinned = await read('files-used');
        assert.equal(pinned.config.hostKeyFingerprint, sshd.hostKeyFingerprint);
        assert.equal(pinned.version, created.version + 1);
        const events = await pinEvents('files-used');
        assert.equal(events.length, 1);
        assert.equal(events[0].details.field, 'hostKeyFingerprint');
        assert.equal(events[0].details.operation, 'files');

        expectOk(await t.call('GET', `${base}/files-used/file-schema?path=data/customers.csv`, { token }));
        assert.equal((await read('files-used')).version, pinned.version, 'pinned once only');

        expectOk(
          await t.call('PATCH', `${base}/files-used`, {
            token,
            body: { config: { hostKeyFingerprint: WRONG_PIN }, secrets: { password: sshd.password } },
          }),
        );
        const mismatch = await t.call('GET', `${base}/files-used/files`, { token });
        expectProblem(mismatch, 502, 'TARGET_UNAVAILABLE');
        assert.equal(mismatch.body.targetCode, 'HOST_KEY_MISMATCH');
      });

      it('a tunneled sftp connection: its first listing pins the bastion key and the server key in one version, one event each', async () => {
        const created = await create({
          ...sftp('files-tunneled'),
          config: sftpConfig({ sshTunnel: tunnel() }),
          secrets: { password: sshd.password, sshPrivateKey: sshd.privateKey },
        });
        expectOk(await t.call('GET', `${base}/files-tunneled/files`, { token }));
        const pinned = await read('files-tunneled');
        assert.equal(pinned.config.hostKeyFingerprint, sshd.hostKeyFingerprint);
        assert.equal(pinned.config.sshTunnel.hostKeyFingerprint, sshd.hostKeyFingerprint);
        assert.equal(pinned.version, created.version + 1);
        const events = await pinEvents('files-tunneled');
        assert.deepEqual(events.map((event) => event.details.field).sort(), ['hostKeyFingerprint', 'sshTunnel.hostKeyFingerprint']);
        assert.ok(events.every((event) => event.details.version === created.version + 1));
      });

      it('sftp: pinning where there was none is free; dropping or changing a pin weakens (kept secrets are refused)', async () => {
        await create(sftp('files-rules'));
        const pinned = await t.call('PATCH', `${base}/files-rules`, {
          token,
          body: { config: { hostKeyFingerprint: sshd.hostKeyFingerprint } },
        });
        assert.equal(pinned.status, 200, pinned.text);
        for (const hostKeyFingerprint of [WRONG_PIN, null]) {
          const weakened = await t.call('PATCH', `${base}/files-rules`, { token, body: { config: { hostKeyFingerprint } } });
          expectProblem(weakened, 422, 'UNPROCESSABLE');
          assert.match(weakened.body.detail, /hostKeyFingerprint weakened/);
        }
      });
    });

    it('no ssh secret reached a log line, an audit event or a reply', async () => {
      const audit = expectOk(await t.call('GET', '/api/v1/projects/default/audit-events?perPage=100', { token }));
      const json = JSON.stringify(audit);
      for (const secret of secretsUsed()) {
        assert.ok(!json.includes(secret), 'a secret reached the audit events');
        assert.ok(!t.logs.some((line) => line.includes(secret)), 'a secret reached the logs');
      }
    });
  });
}
