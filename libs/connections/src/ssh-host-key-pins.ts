import { Injectable, Logger } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { SessionCache, type HostKeyPinField, type TestResult, type UnpinnedHostKey } from '@switchboard/connectors';
import type { ConnectionEntity } from './connection.entity';
import { ConnectionsRepository } from './connections.repository';

/** What pinning needs of the stored connection that was tested or used: the version it was at. */
export type PinnableConnection = Pick<ConnectionEntity, 'id' | 'name' | 'version' | 'config'>;

/** Where a test result reports the key each pin field would hold, and says it pinned it. */
const TEST_DETAILS: Record<HostKeyPinField, { observed: string; pinned: string }> = {
  'sshTunnel.hostKeyFingerprint': { observed: 'sshTunnelHostKeyFingerprint', pinned: 'sshTunnelHostKeyPinned' },
  hostKeyFingerprint: { observed: 'hostKeyFingerprint', pinned: 'hostKeyPinned' },
};

type Config = Record<string, unknown>;

const tunnelOf = (config: Config): Config | undefined =>
  typeof config.sshTunnel === 'object' && config.sshTunnel !== null ? (config.sshTunnel as Config) : undefined;

/** The server whose key goes into `field`, as host:port, for the audit trail. */
function serverOf(config: Config, field: HostKeyPinField): string {
  const server = field === 'hostKeyFingerprint' ? config : (tunnelOf(config) ?? {});
  return `${String(server.host)}:${Number(server.port ?? 22)}`;
}

/** `config` with `fingerprint` pinned into `field`; undefined when that field has a pin already (or there is no tunnel). */
function withPin(config: Config, { field, fingerprint }: UnpinnedHostKey): Config | undefined {
  if (field === 'hostKeyFingerprint')
    return config.hostKeyFingerprint === undefined ? { ...config, hostKeyFingerprint: fingerprint } : undefined;
  const tunnel = tunnelOf(config);
  if (!tunnel || tunnel.hostKeyFingerprint !== undefined) return undefined;
  return { ...config, sshTunnel: { ...tunnel, hostKeyFingerprint: fingerprint } };
}

/**
 * Trust on first use for SSH host keys, the bastion's (`sshTunnel.hostKeyFingerprint`) and the
 * sftp server's own (`hostKeyFingerprint`): a stored connection with no pin gets the key its
 * first successful test, or its first use that signed in, observed. It is a new version of the
 * connection (compare-and-set: a connection changed meanwhile is left alone, its own next test
 * or use decides), and each key pinned is its own `connection.ssh_host_key_pinned` event (one
 * action for every SSH key pinned this way; `details.field` says which). From then on any other
 * key is refused before authentication.
 */
@Injectable()
export class SshHostKeyPins {
  private readonly logger = new Logger('SshHostKeyPins');

  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly sessions: SessionCache,
    private readonly audit: AuditService,
  ) {}

  /**
   * After a test of a stored connection: a successful one pins the keys its details report for
   * fields without a pin, and its details then say so (e.g. `sshTunnelHostKeyPinned: true`).
   * The sessions of the old version go: they may have signed in with another key.
   */
  async pinTested(actor: AuditActor, projectId: string, tested: PinnableConnection, result: TestResult): Promise<TestResult> {
    if (!result.success) return result;
    const observed = (Object.keys(TEST_DETAILS) as HostKeyPinField[]).flatMap((field) => {
      const fingerprint = result.details?.[TEST_DETAILS[field].observed];
      return typeof fingerprint === 'string' ? [{ field, fingerprint }] : [];
    });
    const pinned = await this.pin(actor, projectId, tested, observed, 'test');
    if (!pinned.length) return result;
    this.sessions.evictConnection(tested.id);
    return { ...result, details: { ...result.details, ...Object.fromEntries(pinned.map((field) => [TEST_DETAILS[field].pinned, true])) } };
  }

  /**
   * Runs one use of a stored connection (`operation`, e.g. `preview`) with a `trustOnFirstUse`
   * hook for its connector context, then pins what the hook was told. Pinning never changes
   * the call's answer: a failed write is logged, and the next use tries again. The live
   * sessions stay (they signed in with the very key pinned); the next call's new version
   * replaces them.
   */
  async trustingFirstUse<T>(
    actor: AuditActor,
    projectId: string,
    used: PinnableConnection,
    operation: string,
    use: (trustOnFirstUse: (key: UnpinnedHostKey) => void) => Promise<T>,
  ): Promise<T> {
    const seen = new Map<HostKeyPinField, UnpinnedHostKey>();
    try {
      return await use((key) => {
        if (!seen.has(key.field)) seen.set(key.field, key);
      });
    } finally {
      if (seen.size) {
        await this.pin(actor, projectId, used, [...seen.values()], operation).catch((error: unknown) =>
          this.logger.warn({ err: error, connectionId: used.id }, 'Pinning an SSH host key on first use failed'),
        );
      }
    }
  }

  /** Pins `observed` in one new version; the fields it pinned (none when the connection changed or had pins). */
  private async pin(
    actor: AuditActor,
    projectId: string,
    connection: PinnableConnection,
    observed: UnpinnedHostKey[],
    operation: string,
  ): Promise<HostKeyPinField[]> {
    let config = connection.config as Config;
    const fresh: UnpinnedHostKey[] = [];
    for (const key of observed) {
      const next = withPin(config, key);
      if (!next) continue;
      config = next;
      fresh.push(key);
    }
    if (!fresh.length) return [];
    const written = await this.connections.transaction((manager) =>
      this.connections.updateIfVersion(manager, projectId, connection.id, connection.version, { config, updatedAt: new Date() }),
    );
    if (!written) return [];
    for (const { field, fingerprint } of fresh) {
      await this.audit.record({
        actor,
        projectId,
        action: 'connection.ssh_host_key_pinned',
        target: { type: 'connection', id: connection.id, name: connection.name },
        details: {
          field,
          [field === 'hostKeyFingerprint' ? 'server' : 'bastion']: serverOf(connection.config as Config, field),
          hostKeyFingerprint: fingerprint,
          version: connection.version + 1,
          operation,
        },
      });
    }
    return fresh.map((key) => key.field);
  }
}
