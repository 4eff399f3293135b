import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Servers, startServers, stopServers } from '../support/servers';
import { smtpConfig } from '../support/smtp';
import { DRIVERS, startTestApp, TestApp } from '../support/test-app';

type Targets = Pick<Servers, 'mariadb' | 's3' | 'smtp' | 'sshd'>;

/** "Test connection" through the HTTP API against the real servers of test/support. */
for (const driver of DRIVERS) {
  describe(`connection tests against real servers (${driver})`, () => {
    let t: TestApp;
    let token: string;
    let servers: Targets;
    const base = '/api/v1/projects/default/connections';
    const test = async (name: string, body: Record<string, unknown>) => {
      const created = await t.call('POST', base, { token, body: { name, ...body } });
      assert.equal(created.status, 201, created.text);
      const reply = await t.call('POST', `${base}/${name}/test`, { token, body: {} });
      assert.equal(reply.status, 200, reply.text);
      return reply.body;
    };

    before(async () => {
      servers = await startServers(['mariadb', 's3', 'smtp', 'sshd']);
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
    });
    after(async () => {
      await t.close();
      await stopServers(servers);
    });

    it('MariaDB: connects with the password, reports AUTH_FAILED without it', async () => {
      const { mariadb } = servers;
      const config = { host: mariadb.host, port: mariadb.port, database: mariadb.database, username: mariadb.user };
      const ok = await test('maria-ok', { type: 'mysql', config, secrets: { password: mariadb.password } });
      assert.equal(ok.success, true, JSON.stringify(ok));
      assert.match(ok.serverVersion, /MariaDB/);
      const wrong = await test('maria-wrong', { type: 'mysql', config, secrets: { password: 'CANARY-maria-wrong' } });
      assert.equal(wrong.error.code, 'AUTH_FAILED');
      assert.ok(!JSON.stringify(wrong).includes('CANARY'));
    });

    it('SFTP: reports the host key to pin, and refuses a mismatching pin before authenticating', async () => {
      const { sshd } = servers;
      const config = { host: sshd.host, port: sshd.port, username: sshd.username, rootPath: sshd.rootDir };
      const ok = await test('files-ok', { type: 'sftp', config, secrets: { password: sshd.password } });
      assert.equal(ok.success, true, JSON.stringify(ok));
      assert.equal(ok.details.hostKeyFingerprint, sshd.hostKeyFingerprint);
      const pinned = await test('files-pinned', {
        type: 'sftp',
        config: { ...config, hostKeyFingerprint: sshd.hostKeyFingerprint },
        secrets: { privateKey: sshd.privateKey },
      });
      assert.equal(pinned.success, true, JSON.stringify(pinned));
      const wrongPin = `SHA256:${'A'.repeat(43)}`;
      const mismatch = await test('files-mismatch', {
        type: 'sftp',
        config: { ...config, hostKeyFingerprint: wrongPin },
        secrets: { password: sshd.password },
      });
      assert.equal(mismatch.error.code, 'HOST_KEY_MISMATCH');
      assert.ok(!mismatch.stages.some((stage: { name: string }) => stage.name === 'auth'));
      assert.equal(mismatch.details.hostKeyFingerprint, sshd.hostKeyFingerprint);
    });

    it('S3: lists the bucket with explicit keys, AUTH_FAILED without them', async () => {
      const { s3 } = servers;
      const config = { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true };
      const ok = await test('s3-ok', { type: 's3', config, secrets: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
      assert.equal(ok.success, true, JSON.stringify(ok));
      const unknownKey = await test('s3-bad', {
        type: 's3',
        config,
        secrets: { accessKeyId: 'CANARY-NOPE', secretAccessKey: 'CANARY-s3-secret' },
      });
      assert.equal(unknownKey.error.code, 'AUTH_FAILED');
      assert.ok(!JSON.stringify(unknownKey).includes('CANARY-s3-secret'));
    });

    it('SMTP: EHLO, STARTTLS and AUTH without sending; send-test-email delivers one message', async () => {
      const { smtp } = servers;
      const config = smtpConfig(smtp);
      const secrets = { password: smtp.password, tlsCa: smtp.ca };
      const before = smtp.messages.length;
      const ok = await test('mail-ok', { type: 'smtp', config, secrets });
      assert.equal(ok.success, true, JSON.stringify(ok));
      assert.deepEqual(
        ok.stages.map((stage: { name: string }) => stage.name),
        ['dns', 'tcp', 'handshake', 'auth'],
      );
      assert.equal(smtp.messages.length, before, 'a test sends no mail');
      const sent = await t.call('POST', `${base}/mail-ok/send-test-email`, { token, body: {} });
      assert.equal(sent.status, 200, sent.text);
      assert.equal(sent.body.success, true, sent.text);
      assert.deepEqual(sent.body.accepted, ['ops@example.com']);
      assert.equal(smtp.messages.length, before + 1);
      const wrong = await test('mail-wrong', { type: 'smtp', config, secrets: { ...secrets, password: 'CANARY-smtp-wrong' } });
      assert.equal(wrong.error.code, 'AUTH_FAILED');
      const failedSend = await t.call('POST', `${base}/mail-wrong/send-test-email`, { token, body: { to: 'ops@example.com' } });
      assert.equal(failedSend.body.success, false);
      assert.equal(failedSend.body.error.code, 'AUTH_FAILED');
      assert.ok(!failedSend.text.includes('CANARY'), failedSend.text);
      assert.ok(!JSON.stringify(wrong).includes('CANARY'), JSON.stringify(wrong));
    });
  });
}
