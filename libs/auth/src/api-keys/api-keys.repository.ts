import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { PageWindow } from '@switchboard/common';
import { ProjectRows } from '@switchboard/database';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';

/** A project's API keys: every statement names the project (ProjectRows). */
@Injectable()
export class ApiKeysRepository {
  private readonly keys: ProjectRows<ApiKeyEntity>;

  constructor(@InjectRepository(ApiKeyEntity) keys: Repository<ApiKeyEntity>) {
    this.keys = new ProjectRows(keys);
  }

  async insert(projectId: string, key: ApiKeyEntity & { keyHash: string }): Promise<ApiKeyEntity> {
    await this.keys.insert(projectId, key);
    return (await this.find(projectId, key.id))!;
  }

  list(projectId: string, window: PageWindow): Promise<[ApiKeyEntity[], number]> {
    return this.keys.findAndCount(projectId, { order: { createdAt: 'DESC', id: 'DESC' }, ...window });
  }

  find(projectId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOne(projectId, { id });
  }

  /** True when a live key was revoked now; false when it was already revoked. */
  async revoke(projectId: string, id: string, now: Date): Promise<boolean> {
    return (await this.keys.update(projectId, { id, revokedAt: IsNull() }, { revokedAt: now })) === 1;
  }
}
