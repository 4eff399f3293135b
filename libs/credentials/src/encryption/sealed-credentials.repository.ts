import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CredentialEntity } from '../credential.entity';
import type { CredentialWithEnvelope } from '../credentials.repository';

/**
 * The sealed envelopes of every project, for the key ring: checking at start-up that it opens
 * what is stored, and re-sealing under the active key. Instance-wide by design (the one place
 * credential statements do not name a project), and never returns plaintext.
 */
@Injectable()
export class SealedCredentialsRepository {
  constructor(@InjectRepository(CredentialEntity) private readonly credentials: Repository<CredentialEntity>) {}

  countByKey(): Promise<{ keyId: string | null; count: number }[]> {
    return this.credentials
      .createQueryBuilder('c')
      .select('c.key_id', 'keyId')
      .addSelect('COUNT(*)', 'count')
      .where('c.secret_envelope IS NOT NULL')
      .groupBy('c.key_id')
      .getRawMany<{ keyId: string | null; count: string | number }>()
      .then((rows) => rows.map((row) => ({ keyId: row.keyId, count: Number(row.count) })));
  }

  /** The next rows (by id, after `afterId`) sealed under another key than `activeKeyId`. */
  findSealedUnderOtherKeys(activeKeyId: string, afterId: string, limit: number): Promise<CredentialWithEnvelope[]> {
    return this.credentials
      .createQueryBuilder('c')
      .addSelect('c.secretEnvelope')
      .where('c.secret_envelope IS NOT NULL AND c.key_id <> :activeKeyId AND c.id > :afterId', { activeKeyId, afterId })
      .orderBy('c.id', 'ASC')
      .limit(limit)
      .getMany() as Promise<CredentialWithEnvelope[]>;
  }

  /** One sample row per key id, to prove at start-up that the key ring can open what is stored. */
  async sampleEachKey(): Promise<CredentialWithEnvelope[]> {
    const samples: CredentialWithEnvelope[] = [];
    for (const { keyId } of await this.countByKey()) {
      const sample = await this.credentials
        .createQueryBuilder('c')
        .addSelect('c.secretEnvelope')
        .where(keyId === null ? 'c.key_id IS NULL' : 'c.key_id = :keyId', { keyId })
        .andWhere('c.secret_envelope IS NOT NULL')
        .limit(1)
        .getOne();
      if (sample) samples.push(sample as CredentialWithEnvelope);
    }
    return samples;
  }

  /** Re-seals one row only if nobody rewrote its envelope meanwhile; the version stays (content is unchanged). */
  async replaceEnvelope(id: string, fromEnvelope: string, toEnvelope: string, keyId: string): Promise<boolean> {
    const result = await this.credentials
      .createQueryBuilder()
      .update(CredentialEntity)
      .set({ secretEnvelope: toEnvelope, keyId })
      .where('id = :id AND secret_envelope = :fromEnvelope', { id, fromEnvelope })
      .execute();
    return result.affected === 1;
  }
}
