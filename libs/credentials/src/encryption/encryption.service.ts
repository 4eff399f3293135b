import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { SecretsVault } from '../secrets-vault';
import { EncryptionStatusDto, RotationResultDto } from './encryption.dto';
import { SealedCredentialsRepository } from './sealed-credentials.repository';

const BATCH_SIZE = 100;
/** Below every UUID, to start the keyset walk (an empty string is not a valid uuid on PostgreSQL). */
const BEFORE_FIRST_ID = '00000000-0000-0000-0000-000000000000';

@Injectable()
export class EncryptionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Encryption');

  constructor(
    private readonly credentials: SealedCredentialsRepository,
    private readonly vault: SecretsVault,
    private readonly audit: AuditService,
  ) {}

  /** Refuses to serve with a key ring that cannot open what is stored: better down than silently broken. */
  async onApplicationBootstrap(): Promise<void> {
    for (const sample of await this.credentials.sampleEachKey()) {
      if (!sample.keyId || !this.vault.hasKey(sample.keyId)) {
        throw new Error(`SWITCHBOARD_ENCRYPTION_KEYS lacks key "${sample.keyId}", which stored credentials were sealed with`);
      }
      try {
        this.vault.open(sample.projectId, sample.id, sample.secretEnvelope);
      } catch {
        throw new Error(`SWITCHBOARD_ENCRYPTION_KEYS: key "${sample.keyId}" does not open the credentials sealed with it`);
      }
    }
  }

  async status(): Promise<EncryptionStatusDto> {
    const counts = await this.credentials.countByKey();
    const activeKeyId = this.vault.activeKeyId;
    return {
      activeKeyId,
      keys: counts.map(({ keyId, count }) => ({ keyId: keyId ?? 'unknown', credentials: count, active: keyId === activeKeyId })),
      pending: counts.filter(({ keyId }) => keyId !== activeKeyId).reduce((sum, { count }) => sum + count, 0),
    };
  }

  /**
   * Re-seals every envelope not under the active key, in id order and batches, each row by
   * compare-and-set on its envelope: a row rewritten meanwhile is already under the active
   * key and is left alone. Safe to repeat or to resume after a crash.
   */
  async rotate(actor: AuditActor): Promise<RotationResultDto> {
    const activeKeyId = this.vault.activeKeyId;
    const result = { activeKeyId, rotated: 0, skipped: 0, failed: 0 };
    let afterId = BEFORE_FIRST_ID;
    for (;;) {
      const batch = await this.credentials.findSealedUnderOtherKeys(activeKeyId, afterId, BATCH_SIZE);
      if (batch.length === 0) break;
      for (const row of batch) {
        try {
          const resealed = this.vault.reseal(row.projectId, row.id, row.secretEnvelope!);
          if (await this.credentials.replaceEnvelope(row.id, row.secretEnvelope!, resealed.envelope, resealed.keyId)) result.rotated++;
          else result.skipped++;
        } catch {
          result.failed++;
          this.logger.error({ rowId: row.id, keyId: row.keyId }, 'Could not re-seal a credential'); // credentialId would be scrubbed
        }
      }
      afterId = batch[batch.length - 1].id;
    }
    await this.audit.record({ actor, action: 'encryption.rotate', target: { type: 'key_ring', id: activeKeyId }, details: result });
    return { ...result, status: await this.status() };
  }
}
