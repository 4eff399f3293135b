import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import type { AuditEntry, AuditService } from '@switchboard/audit';
import { SessionCache, type TestResult } from '@switchboard/connectors';
import type { ConnectionsRepository } from './connections.repository';
import { SshHostKeyPins, type PinnableConnection } from './ssh-host-key-pins';

const BASTION_KEY = 'SHA256:' + Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '');
const SERVER_KEY = 'SHA256:' + Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');
const actor = { type: 'user' as const, userId: 'u1' };

/** The store as far as pinning uses it: compare-and-set on the version, or a failing write. */
function fakeStore(stored: PinnableConnection, fail?: Error) {
  const writes: Record<string, unknown>[] = [];
  const repository = {
    transaction: <T>(work: (manager: unknown) => Promise<T>): Promise<T> => (fail ? Promise.reject(fail) : work({})),
    updateIfVersion: async (
      _manager: unknown,
      _project: string,
      id: string,
      version: number,
      changes: { config: Record<string, unknown> },
    ) => {
      if (id !== stored.id || version !== stored.version) return false;
      stored.version += 1;
      stored.config = changes.config;
      writes.push(changes.config);
      return true;
    },
  };
  const events: AuditEntry[] = [];
  const audit = { record: async (entry: AuditEntry) => void events.push(entry) };
  const sessions = new SessionCache();
  const pins = new SshHostKeyPins(repository as unknown as ConnectionsRepository, sessions, audit as unknown as AuditService);
  return { pins, writes, events };
}

const tunneledSftp = (): PinnableConnection => ({
  id: 'c1',
  name: 'files',
  version: 3,
  config: { host: 'files.internal', port: 22, username: 'u', sshTunnel: { host: 'bastion', username: 't' } },
});

describe('SshHostKeyPins', () => {
  it('pins every key a use reported once, in one version, one event per key, and the answer stands', async () => {
    const used = tunneledSftp();
    const { pins, writes, events } = fakeStore({ ...used });
    const answer = await pins.trustingFirstUse(actor, 'p1', used, 'files', async (trust) => {
      trust({ field: 'sshTunnel.hostKeyFingerprint', fingerprint: BASTION_KEY });
      trust({ field: 'hostKeyFingerprint', fingerprint: SERVER_KEY });
      trust({ field: 'hostKeyFingerprint', fingerprint: SERVER_KEY });
      return 'listing';
    });
    assert.equal(answer, 'listing');
    assert.deepEqual(writes, [
      {
        host: 'files.internal',
        port: 22,
        username: 'u',
        hostKeyFingerprint: SERVER_KEY,
        sshTunnel: { host: 'bastion', username: 't', hostKeyFingerprint: BASTION_KEY },
      },
    ]);
    assert.deepEqual(
      events.map((event) => [event.action, event.details]),
      [
        [
          'connection.ssh_host_key_pinned',
          { field: 'sshTunnel.hostKeyFingerprint', bastion: 'bastion:22', hostKeyFingerprint: BASTION_KEY, version: 4, operation: 'files' },
        ],
        [
          'connection.ssh_host_key_pinned',
          { field: 'hostKeyFingerprint', server: 'files.internal:22', hostKeyFingerprint: SERVER_KEY, version: 4, operation: 'files' },
        ],
      ],
    );
  });

  it('pins what a failed call signed in with, and still throws its error', async () => {
    const used = tunneledSftp();
    const { pins, writes } = fakeStore({ ...used });
    await assert.rejects(
      pins.trustingFirstUse(actor, 'p1', used, 'files', async (trust) => {
        trust({ field: 'sshTunnel.hostKeyFingerprint', fingerprint: BASTION_KEY });
        throw new Error('the directory is gone');
      }),
      /the directory is gone/,
    );
    assert.equal(writes.length, 1);
  });

  it('leaves a connection changed since it was read alone, and fields that have a pin', async () => {
    const used = tunneledSftp();
    const { pins, writes, events } = fakeStore({ ...used, version: used.version + 1 });
    await pins.trustingFirstUse(actor, 'p1', used, 'files', async (trust) =>
      trust({ field: 'hostKeyFingerprint', fingerprint: SERVER_KEY }),
    );
    const pinned = { ...used, config: { ...used.config, hostKeyFingerprint: SERVER_KEY } };
    await pins.trustingFirstUse(actor, 'p1', pinned, 'files', async (trust) =>
      trust({ field: 'hostKeyFingerprint', fingerprint: BASTION_KEY }),
    );
    assert.deepEqual(writes, []);
    assert.deepEqual(events, []);
  });

  it('a failed pin write is logged and the call still answers', async (t) => {
    const warned = t.mock.method(Logger.prototype, 'warn', () => undefined);
    const used = tunneledSftp();
    const { pins, events } = fakeStore({ ...used }, new Error('metadata store is down'));
    const answer = await pins.trustingFirstUse(actor, 'p1', used, 'tables', async (trust) => {
      trust({ field: 'sshTunnel.hostKeyFingerprint', fingerprint: BASTION_KEY });
      return 42;
    });
    assert.equal(answer, 42);
    assert.deepEqual(events, []);
    assert.equal(warned.mock.callCount(), 1);
    assert.match(String(warned.mock.calls[0].arguments[1]), /Pinning an SSH host key on first use failed/);
  });

  it('after a test: only a successful one pins, and its details say which keys', async () => {
    const tested = tunneledSftp();
    const { pins, writes } = fakeStore({ ...tested });
    const details = { sshTunnelHostKeyFingerprint: BASTION_KEY, hostKeyFingerprint: SERVER_KEY };
    const result = (success: boolean): TestResult => ({ success, message: '', driver: 'ssh2', latencyMs: 1, stages: [], details });
    assert.deepEqual(await pins.pinTested(actor, 'p1', tested, result(false)), result(false));
    assert.equal(writes.length, 0);
    const pinned = await pins.pinTested(actor, 'p1', tested, result(true));
    assert.deepEqual(pinned.details, { ...details, sshTunnelHostKeyPinned: true, hostKeyPinned: true });
    assert.equal(writes.length, 1);
  });
});
