import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { type ServiceProcess, startServiceProcess } from '../support/service-process';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/test-app';

/** The real service, started under umask 000 so nothing but the service itself keeps its files private. */
const startService = (dataDir: string): Promise<ServiceProcess> => startServiceProcess(dataDir, { LOG_LEVEL: 'warn' }, { umask: '000' });

async function stop(service: ServiceProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!service || service.process.exitCode !== null || service.process.signalCode !== null) return;
  const exited = once(service.process, 'exit');
  service.process.kill(signal);
  await exited;
}

/** A write through the API: a sign-in stores a session, so the WAL and its index are in use. */
async function signIn(service: ServiceProcess): Promise<void> {
  const reply = await fetch(`${service.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  assert.equal(reply.status, 200, await reply.text());
}

const modeOf = (file: string): string => '0' + (fs.statSync(file).mode & 0o777).toString(8);

describe('data files are private to the service (embedded SQLite)', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-modes-'));
  const dataDir = path.join(parent, 'data');
  const database = path.join(dataDir, 'switchboard.sqlite');
  let service: ServiceProcess | undefined;
  after(async () => {
    await stop(service, 'SIGKILL');
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('creates the data dir 0700 and the database, its -wal and -shm, and the instance secrets 0600', async () => {
    service = await startService(dataDir);
    await signIn(service);
    assert.deepEqual(
      Object.fromEntries(
        ['', 'switchboard.sqlite', 'switchboard.sqlite-wal', 'switchboard.sqlite-shm', 'instance-secrets.json'].map((name) => [
          name || 'data dir',
          modeOf(path.join(dataDir, name)),
        ]),
      ),
      {
        'data dir': '0700',
        'switchboard.sqlite': '0600',
        'switchboard.sqlite-wal': '0600',
        'switchboard.sqlite-shm': '0600',
        'instance-secrets.json': '0600',
      },
    );
    assert.ok(!service.lines.some((line) => line.includes('was mode')), service.lines.join('\n'));
  });

  it('tightens a data dir and database files an earlier start left open to others, and says so', async () => {
    // Killed, the service leaves its -wal and -shm behind, as a crash would.
    await stop(service, 'SIGKILL');
    const loose: [string, number][] = [
      [dataDir, 0o755],
      [database, 0o644],
      [`${database}-wal`, 0o644],
      [`${database}-shm`, 0o644],
    ];
    for (const [file, mode] of loose) fs.chmodSync(file, mode);

    const restarted = await startService(dataDir);
    service = restarted;
    await signIn(restarted);
    for (const [file] of loose) assert.equal(modeOf(file), file === dataDir ? '0700' : '0600', file);
    for (const [file, mode] of loose) {
      const warning = restarted.lines.find((line) => line.includes(`${file} was mode 0${mode.toString(8)}`));
      assert.ok(warning, `no warning about ${file}: ${restarted.lines.join('\n')}`);
      assert.equal(JSON.parse(warning).level, 'warn');
    }
    await stop(restarted, 'SIGTERM');
  });

  it('tightens the instance secrets file whenever it reads it or writes a missing secret into it, and says so', async () => {
    const secrets = path.join(dataDir, 'instance-secrets.json');
    const expectTightened = (started: ServiceProcess, mode: number) => {
      assert.equal(modeOf(secrets), '0600');
      const warning = started.lines.find((line) => line.includes(`${secrets} was mode 0${mode.toString(8)}`));
      assert.ok(warning, `no warning about ${secrets}: ${started.lines.join('\n')}`);
      assert.equal(JSON.parse(warning).level, 'warn');
    };
    const original = JSON.parse(fs.readFileSync(secrets, 'utf8')) as { encryptionKeys: string; jwtSecret: string };

    // Read as it is.
    fs.chmodSync(secrets, 0o644);
    service = await startService(dataDir);
    await signIn(service);
    expectTightened(service, 0o644);
    await stop(service, 'SIGTERM');

    // Rewritten with a secret it lacked: writing an existing file keeps its mode, unless tightened.
    fs.writeFileSync(secrets, JSON.stringify({ encryptionKeys: original.encryptionKeys }));
    fs.chmodSync(secrets, 0o664);
    service = await startService(dataDir);
    await signIn(service);
    expectTightened(service, 0o664);
    const rewritten = JSON.parse(fs.readFileSync(secrets, 'utf8')) as { encryptionKeys: string; jwtSecret?: string };
    assert.equal(rewritten.encryptionKeys, original.encryptionKeys);
    assert.ok(rewritten.jwtSecret && rewritten.jwtSecret !== original.jwtSecret);
    assert.ok(!service.lines.some((line) => line.includes(rewritten.jwtSecret!) || line.includes(original.encryptionKeys)));
    await stop(service, 'SIGTERM');
  });
});
