import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { SessionCache, type TestResult } from '@switchboard/connectors';
import { ConnectionsRepository, type ConnectionWithSecretFields } from './connections.repository';

/**
 * Trust on first use for SSH bastions: a stored connection whose `sshTunnel` has no
 * `hostKeyFingerprint` gets the fingerprint its first successful test observed, as a new
 * version of the connection (compare-and-set: a connection changed since the test is left
 * alone, its own next test decides), audited as its own event. From then on any other key is
 * refused before authentication.
 */
@Injectable()
export class SshHostKeyPins {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly sessions: SessionCache,
    private readonly audit: AuditService,
  ) {}

  /** Pins what `result` observed, if the tested version had no pin; true when it did. */
  async pinObserved(actor: AuditActor, projectId: string, tested: ConnectionWithSecretFields, result: TestResult): Promise<boolean> {
    const observed = result.details?.sshTunnelHostKeyFingerprint;
    const tunnel = tested.config.sshTunnel as Record<string, unknown> | undefined;
    if (!result.success || typeof observed !== 'string' || !tunnel || tunnel.hostKeyFingerprint !== undefined) return false;
    const config = { ...tested.config, sshTunnel: { ...tunnel, hostKeyFingerprint: observed } };
    const pinned = await this.connections.transaction((manager) =>
      this.connections.updateIfVersion(manager, projectId, tested.id, tested.version, { config, updatedAt: new Date() }),
    );
    if (!pinned) return false;
    this.sessions.evictConnection(tested.id);
    await this.audit.record({
      actor,
      projectId,
      action: 'connection.ssh_host_key_pinned',
      target: { type: 'connection', id: tested.id, name: tested.name },
      details: {
        bastion: `${String(tunnel.host)}:${Number(tunnel.port ?? 22)}`,
        hostKeyFingerprint: observed,
        version: tested.version + 1,
      },
    });
    return true;
  }
}
