import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { PageWindow } from '@switchboard/common';
import { IsNull, Repository } from 'typeorm';
import type { Scope } from '../scopes/scopes';
import { ApiKeyEntity } from './api-key.entity';

/** A key found by its hash, with what authentication must check about its creator. */
export interface ApiKeyAuthRow {
  id: string;
  projectId: string;
  scopes: Scope[];
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  userId: string;
  userDisabled: boolean;
  userIsAdmin: boolean;
}

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  async insert(key: ApiKeyEntity & { keyHash: string }): Promise<ApiKeyEntity> {
    await this.keys.insert(key);
    return (await this.findInProject(key.projectId, key.id))!;
  }

  listInProject(projectId: string, window: PageWindow): Promise<[ApiKeyEntity[], number]> {
    return this.keys.findAndCount({ where: { projectId }, order: { createdAt: 'DESC', id: 'DESC' }, ...window });
  }

  findInProject(projectId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOneBy({ projectId, id });
  }

  /** True when a live key was revoked now; false when it was already revoked. */
  async revokeInProject(projectId: string, id: string, now: Date): Promise<boolean> {
    const result = await this.keys.update({ projectId, id, revokedAt: IsNull() }, { revokedAt: now });
    return result.affected === 1;
  }

  async findForAuthentication(keyHash: string): Promise<ApiKeyAuthRow | null> {
    const key = await this.keys
      .createQueryBuilder('k')
      .innerJoinAndSelect('k.creator', 'u')
      .where('k.key_hash = :keyHash', { keyHash })
      .getOne();
    if (!key?.creator) return null;
    return {
      id: key.id,
      projectId: key.projectId,
      scopes: key.scopes,
      expiresAt: key.expiresAt,
      revokedAt: key.revokedAt,
      lastUsedAt: key.lastUsedAt,
      userId: key.createdBy,
      userDisabled: key.creator.disabled,
      userIsAdmin: key.creator.isAdmin,
    };
  }

  async touchLastUsed(id: string, at: Date): Promise<void> {
    await this.keys.update({ id }, { lastUsedAt: at });
  }
}
