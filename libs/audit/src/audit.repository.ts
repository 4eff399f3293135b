import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { PageWindow } from '@switchboard/common';
import { PreparedInsert, ProjectRows } from '@switchboard/database';
import { Repository } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity';

export interface AuditFilter {
  action?: string;
  from?: Date;
  to?: Date;
}

@Injectable()
export class AuditRepository {
  private readonly inserts: PreparedInsert<AuditEventEntity>;
  private readonly events: ProjectRows<AuditEventEntity>;

  constructor(@InjectRepository(AuditEventEntity) events: Repository<AuditEventEntity>) {
    this.inserts = new PreparedInsert(events.manager.connection, AuditEventEntity);
    this.events = new ProjectRows(events);
  }

  /** One row per audited action, introspection queries included: plain SQL, no query builder. */
  async insert(event: AuditEventEntity): Promise<void> {
    await this.inserts.run(event);
  }

  /** Newest first. `action` matches exactly, or a prefix when it ends with `.` (e.g. `connection.`). */
  listInProject(projectId: string, filter: AuditFilter, window: PageWindow): Promise<[AuditEventEntity[], number]> {
    const query = this.events.select(projectId, 'e');
    if (filter.action?.endsWith('.')) query.andWhere('e.action LIKE :prefix', { prefix: `${filter.action}%` });
    else if (filter.action) query.andWhere('e.action = :action', { action: filter.action });
    if (filter.from) query.andWhere('e.created_at >= :from', { from: filter.from.toISOString() });
    if (filter.to) query.andWhere('e.created_at < :to', { to: filter.to.toISOString() });
    return query.orderBy('e.created_at', 'DESC').addOrderBy('e.id', 'DESC').skip(window.skip).take(window.take).getManyAndCount();
  }
}
