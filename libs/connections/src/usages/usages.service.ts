import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { notFound, validationFailed } from '@switchboard/common';
import type { ProjectAccess } from '@switchboard/projects';
import { ConnectionsService } from '../connections.service';
import { CONSUMER_PATTERN, PutUsageDto, toUsageDto, UsageDto, UsageListDto } from './usage.dto';
import { UsagesRepository } from './usages.repository';

/** Consumers (pipelines, jobs) that declared they use a connection. */
@Injectable()
export class UsagesService {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly usages: UsagesRepository,
    private readonly audit: AuditService,
  ) {}

  async list(access: ProjectAccess, ref: string): Promise<UsageListDto> {
    const connection = await this.connections.findByRefOrNotFound(access.project.id, ref);
    return { data: (await this.usages.list(access.project.id, connection.id)).map(toUsageDto) };
  }

  async put(actor: AuditActor, access: ProjectAccess, ref: string, consumer: string, dto: PutUsageDto): Promise<UsageDto> {
    assertConsumer(consumer);
    const connection = await this.connections.findByRefOrNotFound(access.project.id, ref);
    const usage = await this.usages.upsert(access.project.id, connection.id, consumer, dto.description ?? null);
    await this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'connection.usage_put',
      target: { type: 'connection', id: connection.id, name: connection.name },
      details: { consumer },
    });
    return toUsageDto(usage);
  }

  async remove(actor: AuditActor, access: ProjectAccess, ref: string, consumer: string): Promise<void> {
    const connection = await this.connections.findByRefOrNotFound(access.project.id, ref);
    if (!(await this.usages.delete(access.project.id, connection.id, consumer))) throw notFound('Usage');
    await this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'connection.usage_delete',
      target: { type: 'connection', id: connection.id, name: connection.name },
      details: { consumer },
    });
  }
}

function assertConsumer(consumer: string): void {
  if (!CONSUMER_PATTERN.test(consumer)) {
    throw validationFailed([
      { field: 'consumer', message: 'must be 1-100 letters, digits, ".", "_", ":", "@" or "-", starting with a letter or digit' },
    ]);
  }
}
