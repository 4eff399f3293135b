import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { conflict, isUuid, PageWindow } from '@switchboard/common';
import { isUniqueViolation, ProjectRows, ProjectSql, updateIfVersion } from '@switchboard/database';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { CredentialEntity } from './credential.entity';

export type CredentialWithEnvelope = CredentialEntity & { secretEnvelope: string | null };

/**
 * A project's credentials: every statement names the project (ProjectRows). Re-sealing under
 * another key is instance-wide and lives in SealedCredentialsRepository.
 */
@Injectable()
export class CredentialsRepository {
  private readonly credentials: ProjectRows<CredentialEntity>;
  private deletion?: ProjectSql;

  constructor(@InjectRepository(CredentialEntity) credentials: Repository<CredentialEntity>) {
    this.credentials = new ProjectRows(credentials);
  }

  /** Shared (not connection-owned) credentials, by name or id (both stored lowercase). */
  findSharedByRef(projectId: string, ref: string): Promise<CredentialEntity | null> {
    const key = isUuid(ref) ? { id: ref.toLowerCase() } : { name: ref.toLowerCase() };
    return this.credentials.findOne(projectId, { ...key, ownerConnectionId: IsNull() });
  }

  findById(projectId: string, id: string): Promise<CredentialEntity | null> {
    return this.credentials.findOne(projectId, { id });
  }

  findWithEnvelope(projectId: string, id: string, manager?: EntityManager): Promise<CredentialWithEnvelope | null> {
    return (manager ? this.credentials.on(manager) : this.credentials)
      .select(projectId, 'c')
      .addSelect('c.secretEnvelope')
      .andWhere('c.id = :id', { id })
      .getOne() as Promise<CredentialWithEnvelope | null>;
  }

  listShared(projectId: string, window: PageWindow): Promise<[CredentialEntity[], number]> {
    return this.credentials.findAndCount(projectId, {
      where: { ownerConnectionId: IsNull() },
      order: { name: 'ASC' },
      skip: window.skip,
      take: window.take,
    });
  }

  async insert(projectId: string, credential: CredentialWithEnvelope, manager?: EntityManager): Promise<void> {
    try {
      await this.credentials.insertPrepared(projectId, credential, manager);
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
    return updateIfVersion(manager ? this.credentials.on(manager) : this.credentials, { projectId, id, version }, changes, {
      unique: () => conflict(`A credential named "${changes.name}" already exists in this project.`),
    });
  }

  /** Plain SQL: every delete of a connection with inline secrets runs it. */
  async delete(projectId: string, id: string, manager?: EntityManager): Promise<void> {
    this.deletion ??= this.credentials.sql(null, (where) => `DELETE FROM credentials ${where} AND id = ${this.credentials.placeholder(2)}`);
    await this.deletion.run(projectId, [id], manager);
  }

  /** Compare-and-set delete: false when the credential is no longer at `version` (or gone), and nothing is deleted. */
  async deleteIfVersion(projectId: string, id: string, version: number): Promise<boolean> {
    return (await this.credentials.delete(projectId, { id, version })) === 1;
  }
}
