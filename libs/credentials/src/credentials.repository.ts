import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { conflict, isUuid, PageWindow } from '@switchboard/common';
import { isUniqueViolation, placeholder, PreparedInsert, preparedQuery, updateIfVersion } from '@switchboard/database';
import { EntityManager, Repository } from 'typeorm';
import { CredentialEntity } from './credential.entity';

export type CredentialWithEnvelope = CredentialEntity & { secretEnvelope: string | null };

/** Every method that reads or writes a credential takes the project id: there is no other way in. */
@Injectable()
export class CredentialsRepository {
  private readonly inserts: PreparedInsert<CredentialEntity>;

  constructor(@InjectRepository(CredentialEntity) private readonly credentials: Repository<CredentialEntity>) {
    this.inserts = new PreparedInsert(credentials.manager.connection, CredentialEntity);
  }

  /** Shared (not connection-owned) credentials, by name or id (both stored lowercase). */
  findSharedByRef(projectId: string, ref: string): Promise<CredentialEntity | null> {
    const where = isUuid(ref) ? { projectId, id: ref.toLowerCase() } : { projectId, name: ref.toLowerCase() };
    return this.credentials.createQueryBuilder('c').where(where).andWhere('c.owner_connection_id IS NULL').getOne();
  }

  findById(projectId: string, id: string): Promise<CredentialEntity | null> {
    return this.credentials.findOneBy({ projectId, id });
  }

  findWithEnvelope(projectId: string, id: string, manager?: EntityManager): Promise<CredentialWithEnvelope | null> {
    return (manager?.getRepository(CredentialEntity) ?? this.credentials)
      .createQueryBuilder('c')
      .addSelect('c.secretEnvelope')
      .where('c.project_id = :projectId AND c.id = :id', { projectId, id })
      .getOne() as Promise<CredentialWithEnvelope | null>;
  }

  listShared(projectId: string, window: PageWindow): Promise<[CredentialEntity[], number]> {
    return this.credentials
      .createQueryBuilder('c')
      .where('c.project_id = :projectId AND c.owner_connection_id IS NULL', { projectId })
      .orderBy('c.name', 'ASC')
      .skip(window.skip)
      .take(window.take)
      .getManyAndCount();
  }

  async insert(credential: CredentialWithEnvelope, manager?: EntityManager): Promise<void> {
    try {
      await this.inserts.run(credential, manager);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A credential named "${credential.name}" already exists in this project.`);
      throw error;
    }
  }

  /** Compare-and-set on `version`: false when someone else changed the row first. */
  updateIfVersion(
    projectId: string,
    id: string,
    version: number,
    changes: Partial<CredentialWithEnvelope>,
    manager?: EntityManager,
  ): Promise<boolean> {
    return updateIfVersion(manager ?? this.credentials.manager, CredentialEntity, { projectId, id, version }, changes, {
      unique: () => conflict(`A credential named "${changes.name}" already exists in this project.`),
    });
  }

  async delete(projectId: string, id: string, manager?: EntityManager): Promise<void> {
    const at = (n: number) => placeholder(this.credentials.manager.connection, n);
    await preparedQuery(
      manager ?? this.credentials.manager.connection,
      `DELETE FROM credentials WHERE project_id = ${at(1)} AND id = ${at(2)}`,
      [projectId, id],
    );
  }

  /** Compare-and-set delete: false when the credential is no longer at `version` (or gone), and nothing is deleted. */
  async deleteIfVersion(projectId: string, id: string, version: number): Promise<boolean> {
    const result = await this.credentials.manager
      .createQueryBuilder()
      .delete()
      .from(CredentialEntity)
      .where('project_id = :projectId AND id = :id AND version = :version', { projectId, id, version })
      .execute();
    return result.affected === 1;
  }

  // --- key rotation: instance-wide by design, and never returns plaintext ---

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
