import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { readmeBlocks, runReadmeBlocks, signedInPrelude } from '../support/readme-blocks';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { ServiceProcess, startServiceProcess } from '../support/service-process';
import { startServers, stopServers, type Servers } from '../support/servers';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/test-app';

/**
 * Runs README.md's "SSH tunnels" examples as a reader would, against the built service, the
 * tests' OpenSSH sshd as the bastion and a PostgreSQL with TLS behind it (sslMode stays the default). The blocks run as
 * written but for what a reader fills in for their own network: the example bastion and database
 * hosts become the loopback servers (with their ports), the example bastion user, password and
 * key file the test sshd's, and the database and role names unique ones.
 */
describe("the README's SSH tunnel examples, run as written", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-readme-ssh-'));
  const suffix = randomBytes(4).toString('hex');
  const database = `sb_readme_orders_${suffix}`;
  const role = `sb_readme_reader_${suffix}`;
  let servers: Pick<Servers, 'sshd'>;
  let postgres: PostgresServer;
  let service: ServiceProcess;

  before(async () => {
    servers = await startServers(['sshd']);
    postgres = await startPostgres({ tls: true });
    const admin = new Client({ connectionString: postgres.url() });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'db-password'`);
      await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
    } finally {
      await admin.end();
    }
    service = await startServiceProcess(path.join(dataDir, 'data'), { SWITCHBOARD_SAMPLE: 'false' });
  });
  after(async () => {
    await service?.stop();
    await postgres?.stop();
    if (servers) await stopServers(servers);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates, tests and re-pins tunneled connections with a password, a key and a shared key credential', async () => {
    const { sshd } = servers;
    const keyFile = path.join(dataDir, 'bastion_ed25519');
    fs.writeFileSync(keyFile, sshd.privateKey, { mode: 0o600 });
    const pg = postgres.port;
    const fill = (code: string) =>
      code
        .replace(/"host": "bastion\.example\.com"/g, `"host": "127.0.0.1", "port": ${sshd.port}`)
        .replace(/host: "bastion\.example\.com"/g, `host: "127.0.0.1", port: ${sshd.port}`)
        .replace(/ssh-keyscan -t ed25519 bastion\.example\.com/g, `ssh-keyscan -t ed25519 -p ${sshd.port} 127.0.0.1`)
        .replace(/"host": "10\.0\.12\.\d+", "port": 5432/g, `"host": "127.0.0.1", "port": ${pg}`)
        .replace(/"host": "10\.0\.12\.\d+"/g, `"host": "127.0.0.1", "port": ${pg}`)
        .replace(/host: "10\.0\.12\.\d+"/g, `host: "127.0.0.1", port: ${pg}`)
        .replace(/"database": "orders"|database: "orders"/g, (found) => found.replace('orders', database))
        .replace(/"username": "reader"|username: "reader"/g, (found) => found.replace('reader', role))
        .replace(/"username": "tunnel"|username: "tunnel"/g, (found) => found.replace('tunnel', sshd.username))
        .replace(/bastion-password/g, sshd.password)
        .replace(/~\/\.ssh\/bastion_ed25519/g, keyFile)
        .replace(/SHA256:<the new fingerprint>/g, sshd.hostKeyFingerprint);
    const blocks = readmeBlocks('## SSH tunnels').map((block) => ({ ...block, code: fill(block.code) }));
    assert.ok(blocks.length >= 4, `only ${blocks.length} sh blocks in the SSH tunnel section`);
    const prelude = signedInPrelude(service.baseUrl, ADMIN_EMAIL, ADMIN_PASSWORD);
    await runReadmeBlocks(blocks, { cwd: dataDir, prelude });

    // What the examples made works through the bastion, and is pinned to its key.
    const call = async (method: string, route: string) => {
      const login = await fetch(`${service.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const reply = await fetch(`${service.baseUrl}/api/v1/projects/analytics/connections${route}`, {
        method,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      assert.equal(reply.status, 200, `${method} ${route}`);
      return (await reply.json()) as Record<string, any>;
    };
    for (const name of ['orders-db', 'orders-db-key', 'orders-replica']) {
      const result = await call('POST', `/${name}/test`);
      assert.equal(result.success, true, `${name}: ${JSON.stringify(result)}`);
      assert.deepEqual(
        result.stages.slice(0, 4).map((stage: { name: string }) => stage.name),
        ['dns', 'tcp', 'ssh', 'tunnel'],
      );
      assert.equal((await call('GET', `/${name}`)).config.sshTunnel.hostKeyFingerprint, sshd.hostKeyFingerprint, name);
    }
  });
});
