import { Injectable } from '@nestjs/common';
import { uuidv7 } from '@switchboard/common';
import type { Secrets } from '@switchboard/connectors';
import type { EntityManager } from 'typeorm';
import { CredentialsRepository } from './credentials.repository';
import { SecretsVault } from './secrets-vault';

/**
 * Secrets given inline on a connection, kept as a credential the connection owns (hidden from
 * /credentials). The connection's own version guards them, so writes here need no CAS.
 */
@Injectable()
export class OwnedSecretsStore {
  constructor(
    private readonly credentials: CredentialsRepository,
    private readonly vault: SecretsVault,
  ) {}

  /** Returns the new credential's id, or null when there is nothing to keep. */
  async create(
    manager: EntityManager,
    projectId: string,
    connectionId: string,
    secrets: Secrets,
    createdBy: string | null,
  ): Promise<string | null> {
    if (Object.keys(secrets).length === 0) return null;
    const id = uuidv7();
    const now = new Date();
    await this.credentials.insert(
      projectId,
      {
        id,
        projectId,
        // Owned credentials never collide with shared names: those are slugs, this is not.
        name: `connection:${connectionId}`,
        type: 'generic',
        description: null,
        fields: {},
        ...this.vault.seal(projectId, id, secrets),
        ownerConnectionId: connectionId,
        version: 1,
        createdAt: now,
        updatedAt: now,
        createdBy,
      },
      manager,
    );
    return id;
  }

  async replace(manager: EntityManager, projectId: string, credentialId: string, secrets: Secrets): Promise<void> {
    const current = await this.credentials.findWithEnvelope(projectId, credentialId, manager);
    if (!current) return;
    await this.credentials.updateIfVersion(
      projectId,
      credentialId,
      current.version,
      { ...this.vault.seal(projectId, credentialId, secrets), updatedAt: new Date() },
      manager,
    );
  }

  /** Secrets sealed as stored (read by the caller with the connection, in one query). */
  open(projectId: string, credentialId: string, secretEnvelope: string | null): Secrets {
    return this.vault.open(projectId, credentialId, secretEnvelope);
  }

  async read(projectId: string, credentialId: string): Promise<Secrets> {
    const credential = await this.credentials.findWithEnvelope(projectId, credentialId);
    return credential ? this.vault.open(projectId, credentialId, credential.secretEnvelope) : {};
  }

  async secretFields(projectId: string, credentialId: string): Promise<string[]> {
    return (await this.credentials.findById(projectId, credentialId))?.secretFields ?? [];
  }

  async delete(manager: EntityManager, projectId: string, credentialId: string): Promise<void> {
    await this.credentials.delete(projectId, credentialId, manager);
  }
}
