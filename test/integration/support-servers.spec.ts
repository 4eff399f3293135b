/**
 * Proves every throwaway server of test/support comes up on this machine and answers its real
 * client library, then stops cleanly — so CI fails loudly when one cannot run here (DESIGN §5).
 */
import { HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { startServers, stopServers, type Servers } from '../support/servers';

const START = { timeout: 90_000 };

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function timed<T>(label: string, start: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await start();
  console.log(`${label} started in ${Date.now() - started} ms`);
  return result;
}

describe('test support servers', () => {
  describe('mariadb', () => {
    let servers: Pick<Servers, 'mariadb'> | undefined;
    before(async () => (servers = await timed('mariadb', () => startServers(['mariadb']))), START);
    after(() => stopServers(servers));

    it('lets the test user read and write the test database over TCP with a password', async () => {
      const db = servers!.mariadb;
      const connection = await mysql.createConnection({
        host: db.host,
        port: db.port,
        user: db.user,
        password: db.password,
        database: db.database,
      });
      try {
        await connection.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50))');
        await connection.query('INSERT INTO items VALUES (1, ?), (2, ?)', ['one', 'two']);
        const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT name FROM items ORDER BY id');
        assert.deepEqual(
          rows.map((row) => row.name),
          ['one', 'two'],
        );
        const [[who]] = await connection.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS user');
        assert.match(String(who.user), /^sb_user@/);
      } finally {
        await connection.end();
      }
    });

    it('has a read-only user that can select but not write', async () => {
      const db = servers!.mariadb;
      await db.query('CREATE TABLE IF NOT EXISTS readable (id INT)');
      const connection = await mysql.createConnection({
        host: db.host,
        port: db.port,
        user: db.readOnlyUser,
        password: db.readOnlyPassword,
        database: db.database,
      });
      try {
        await connection.query('SELECT * FROM readable');
        await assert.rejects(connection.query('INSERT INTO readable VALUES (1)'), { code: 'ER_TABLEACCESS_DENIED_ERROR' });
      } finally {
        await connection.end();
      }
    });

    it('checks passwords (grant tables are on)', async () => {
      const db = servers!.mariadb;
      await assert.rejects(mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: 'wrong' }), {
        code: 'ER_ACCESS_DENIED_ERROR',
      });
      await assert.rejects(mysql.createConnection({ host: db.host, port: db.port, user: 'root' }), { code: 'ER_ACCESS_DENIED_ERROR' });
    });

    it('offers TLS with its self-signed certificate, and the root helper works', async () => {
      const db = servers!.mariadb;
      const connection = await mysql.createConnection({
        host: db.host,
        port: db.port,
        user: db.user,
        password: db.password,
        ssl: { ca: db.ca },
      });
      try {
        const [[status]] = await connection.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
        assert.ok(status.Value, 'the session is encrypted');
      } finally {
        await connection.end();
      }
      const rows = await db.query<{ v: number }[]>('SELECT 1 + 1 AS v');
      assert.equal(rows[0].v, 2);
      assert.ok(db.rootUrl.startsWith(`mysql://root:`));
    });

    it('stops and frees its port', async () => {
      const port = servers!.mariadb.port;
      await stopServers(servers);
      servers = undefined;
      assert.ok(await refusesConnections(port));
    });
  });

  describe('sshd', () => {
    let servers: Pick<Servers, 'sshd'> | undefined;
    before(async () => (servers = await timed('sshd', () => startServers(['sshd']))), START);
    after(() => stopServers(servers));

    function connect(config: Partial<ConnectConfig>): Promise<Client> {
      const ssh = servers!.sshd;
      return new Promise((resolve, reject) => {
        const client = new Client();
        client.once('ready', () => resolve(client));
        client.once('error', reject);
        client.connect({
          host: ssh.host,
          port: ssh.port,
          username: ssh.username,
          readyTimeout: 10_000,
          // Pin the host key by the fingerprint the server reports.
          hostVerifier: (key: Buffer) =>
            `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}` === ssh.hostKeyFingerprint,
          ...config,
        });
      });
    }

    const sftpOf = (client: Client) =>
      new Promise<SFTPWrapper>((resolve, reject) => client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))));
    const readdir = (sftp: SFTPWrapper, dir: string) =>
      new Promise<string[]>((resolve, reject) =>
        sftp.readdir(dir, (error, list) => (error ? reject(error) : resolve(list.map((entry) => entry.filename).sort()))),
      );

    it('reports the host key fingerprint the way ssh-keygen -l does', () => {
      const ssh = servers!.sshd;
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-fp-')), 'key.pub');
      fs.writeFileSync(file, ssh.hostPublicKey + '\n');
      const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file]).toString();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      assert.equal(printed.split(' ')[1], ssh.hostKeyFingerprint);
    });

    it('logs in with the password and lists the sample files over sftp', async () => {
      const ssh = servers!.sshd;
      const client = await connect({ password: ssh.password });
      try {
        const sftp = await sftpOf(client);
        assert.deepEqual(await readdir(sftp, ssh.rootDir), ['README.txt', 'data', 'empty', 'nested']);
        assert.deepEqual(await readdir(sftp, `${ssh.rootDir}/data`), ['customers.csv', 'events.jsonl']);
        assert.deepEqual(await readdir(sftp, `${ssh.rootDir}/nested/level1/level2`), ['deep.txt']);
        const csv = await new Promise<Buffer>((resolve, reject) =>
          sftp.readFile(`${ssh.rootDir}/data/customers.csv`, (error, data) => (error ? reject(error) : resolve(data))),
        );
        assert.match(csv.toString(), /^id,name,email,created_at\n1,Ada,/);
        // The files belong to the user: it can write next to them.
        await new Promise<void>((resolve, reject) =>
          sftp.writeFile(`${ssh.rootDir}/written.txt`, 'hello', (error) => (error ? reject(error) : resolve())),
        );
      } finally {
        client.end();
      }
    });

    it('logs in with the private key, plain and passphrase-protected', async () => {
      const ssh = servers!.sshd;
      for (const config of [{ privateKey: ssh.privateKey }, { privateKey: ssh.encryptedPrivateKey, passphrase: ssh.passphrase }]) {
        const client = await connect(config);
        const output = await new Promise<string>((resolve, reject) =>
          client.exec('id -un', (error, stream) => {
            if (error) return reject(error);
            let out = '';
            stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
            stream.on('close', () => resolve(out.trim()));
          }),
        );
        client.end();
        assert.equal(output, ssh.username);
      }
    });

    it('rejects a wrong password', async () => {
      await assert.rejects(connect({ password: 'wrong-password' }), /authentication methods failed/i);
    });

    it('stops, frees its port and removes its dir', async () => {
      const { port, rootDir } = servers!.sshd;
      await stopServers(servers);
      servers = undefined;
      assert.ok(await refusesConnections(port));
      assert.equal(fs.existsSync(path.dirname(rootDir)), false);
    });
  });

  describe('s3', () => {
    let servers: Pick<Servers, 's3'> | undefined;
    before(async () => (servers = await timed('s3', () => startServers(['s3']))), START);
    after(() => stopServers(servers));

    it('answers HeadBucket and lists what was put', async () => {
      const s3 = servers!.s3;
      const client = s3.client();
      try {
        const head = await client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
        assert.equal(head.$metadata.httpStatusCode, 200);
        await s3.put('data/customers.csv', 'id,name\n1,Ada\n');
        await s3.put('data/events.jsonl', '{"id":1}\n');
        const list = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'data/' }));
        assert.deepEqual(
          list.Contents?.map((object) => object.Key),
          ['data/customers.csv', 'data/events.jsonl'],
        );
      } finally {
        client.destroy();
      }
    });

    it('stops and frees its port', async () => {
      const port = servers!.s3.port;
      await stopServers(servers);
      servers = undefined;
      assert.ok(await refusesConnections(port));
    });
  });

  describe('smtp', () => {
    let servers: Pick<Servers, 'smtp'> | undefined;
    before(async () => (servers = await timed('smtp', () => startServers(['smtp']))), START);
    after(() => stopServers(servers));

    it('accepts mail over STARTTLS with AUTH, the certificate pinned', async () => {
      const smtp = servers!.smtp;
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: false,
        requireTLS: true,
        auth: { user: smtp.username, pass: smtp.password },
        tls: { ca: smtp.ca },
      });
      try {
        assert.equal(await transport.verify(), true);
        await transport.sendMail({
          from: 'switchboard@example.test',
          to: 'ops@example.test',
          subject: 'Hello over STARTTLS',
          text: 'body',
        });
      } finally {
        transport.close();
      }
      const message = smtp.messages.at(-1)!;
      assert.equal(message.from, 'switchboard@example.test');
      assert.deepEqual(message.to, ['ops@example.test']);
      assert.equal(message.subject, 'Hello over STARTTLS');
      assert.equal(message.secure, true);
      assert.equal(message.user, smtp.username);
      assert.ok(message.size > 0);
    });

    it('accepts mail over implicit TLS', async () => {
      const smtp = servers!.smtp;
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.tlsPort,
        secure: true,
        auth: { user: smtp.username, pass: smtp.password },
        tls: { ca: smtp.ca },
      });
      try {
        await transport.sendMail({ from: 'a@example.test', to: ['b@example.test', 'c@example.test'], subject: 'Implicit', text: 'x' });
      } finally {
        transport.close();
      }
      assert.deepEqual(smtp.messages.at(-1)!.to, ['b@example.test', 'c@example.test']);
    });

    it('rejects a wrong password and an unpinned self-signed certificate', async () => {
      const smtp = servers!.smtp;
      const wrongPassword = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        auth: { user: smtp.username, pass: 'wrong' },
        tls: { ca: smtp.ca },
      });
      await assert.rejects(wrongPassword.verify(), { responseCode: 535 });
      wrongPassword.close();
      const unpinned = nodemailer.createTransport({ host: smtp.host, port: smtp.port, auth: { user: smtp.username, pass: smtp.password } });
      await assert.rejects(unpinned.verify(), /self[- ]signed/i);
      unpinned.close();
    });

    it('stops and frees its ports', async () => {
      const { port, tlsPort } = servers!.smtp;
      await stopServers(servers);
      servers = undefined;
      assert.ok(await refusesConnections(port));
      assert.ok(await refusesConnections(tlsPort));
    });
  });

  describe('http target', () => {
    let servers: Pick<Servers, 'http'> | undefined;
    before(async () => (servers = await timed('http', () => startServers(['http']))), START);
    after(() => stopServers(servers));

    it('serves the test routes and records requests', async () => {
      const target = servers!.http;
      assert.equal((await fetch(`${target.url}/health`)).status, 200);
      assert.equal((await fetch(`${target.url}/status/418`)).status, 418);
      const redirect = await fetch(`${target.url}/redirect?to=/status/204`, { redirect: 'manual' });
      assert.equal(redirect.status, 302);
      assert.equal(redirect.headers.get('location'), '/status/204');
      const basic = 'Basic ' + Buffer.from(`${target.basicUser}:${target.basicPassword}`).toString('base64');
      assert.equal((await fetch(`${target.url}/basic`, { headers: { authorization: basic } })).status, 200);
      assert.equal((await fetch(`${target.url}/basic`)).status, 401);
      assert.equal((await fetch(`${target.url}/bearer`, { headers: { authorization: `Bearer ${target.bearerToken}` } })).status, 200);
      assert.equal((await fetch(`${target.url}/bearer`, { headers: { authorization: 'Bearer nope' } })).status, 401);
      assert.equal((await fetch(`${target.url}/header`, { headers: { [target.headerName]: target.headerValue } })).status, 200);
      assert.equal((await fetch(`${target.url}/header`)).status, 403);
      await assert.rejects(fetch(`${target.url}/slow`, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
      assert.deepEqual(
        target.requests.map((request) => request.path),
        ['/health', '/status/418', '/redirect', '/basic', '/basic', '/bearer', '/bearer', '/header', '/header', '/slow'],
      );
    });

    it('stops (even with a slow request pending) and frees its port', async () => {
      const target = servers!.http;
      const pending = fetch(`${target.url}/slow?ms=60000`).catch((error: unknown) => error);
      while (target.requests.at(-1)?.query.ms !== '60000') await new Promise((resolve) => setTimeout(resolve, 10));
      await stopServers(servers);
      servers = undefined;
      assert.ok((await pending) instanceof Error);
      assert.ok(await refusesConnections(target.port));
    });
  });
});
