import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
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

/**
 * Keys as authentication meets them: by hash, before any project is known. Instance-wide by
 * nature, hence apart from the project-scoped ApiKeysRepository.
 */
@Injectable()
export class ApiKeyAuthenticationRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  async findByHash(keyHash: string): Promise<ApiKeyAuthRow | null> {
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
