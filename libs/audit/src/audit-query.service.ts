import { Injectable } from '@nestjs/common';
import { Page, pageWindow, toPage } from '@switchboard/common';
import { AuditEventDto, AuditQueryDto, toAuditEventDto } from './audit-event.dto';
import { AuditRepository } from './audit.repository';

@Injectable()
export class AuditQueryService {
  constructor(private readonly events: AuditRepository) {}

  async list(projectId: string, query: AuditQueryDto): Promise<Page<AuditEventDto>> {
    const filter = {
      action: query.action,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
    };
    const [rows, total] = await this.events.listInProject(projectId, filter, pageWindow(query));
    return toPage(rows, total, query, toAuditEventDto);
  }
}
