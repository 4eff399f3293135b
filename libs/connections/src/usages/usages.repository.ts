import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUniqueViolation, ProjectRows, ProjectSql } from '@switchboard/database';
import { EntityManager, Repository } from 'typeorm';
import { ConnectionUsageEntity } from './connection-usage.entity';

/** A consumer of a connection: its name and what it said it uses the connection for. */
export interface ConsumerRef {
  consumer: string;
  description: string | null;
}

interface Statements {
  consumers: ProjectSql<ConsumerRef>;
  deletion: ProjectSql;
}

/** Who declared they use a connection: every statement names the project (ProjectRows). */
@Injectable()
export class UsagesRepository {
  private readonly usages: ProjectRows<ConnectionUsageEntity>;
  private statements?: Statements;

  constructor(@InjectRepository(ConnectionUsageEntity) usages: Repository<ConnectionUsageEntity>) {
    this.usages = new ProjectRows(usages);
  }

  /** Who uses the connection, and what for: what a delete checks (plain SQL). */
  consumersOf(projectId: string, connectionId: string): Promise<ConsumerRef[]> {
    return this.sql().consumers.run(projectId, [connectionId]);
  }

  list(projectId: string, connectionId: string): Promise<ConnectionUsageEntity[]> {
    return this.usages.find(projectId, { where: { connectionId }, order: { consumer: 'ASC' } });
  }

  async upsert(projectId: string, connectionId: string, consumer: string, description: string | null): Promise<ConnectionUsageEntity> {
    const now = new Date();
    const updated = await this.usages.update(projectId, { connectionId, consumer }, { description, updatedAt: now });
    if (!updated) {
      try {
        await this.usages.insert(projectId, { projectId, connectionId, consumer, description, createdAt: now, updatedAt: now });
      } catch (error) {
        // Registered concurrently: the row exists now, so update it like the first branch.
        if (!isUniqueViolation(error)) throw error;
        await this.usages.update(projectId, { connectionId, consumer }, { description, updatedAt: now });
      }
    }
    return (await this.usages.findOne(projectId, { connectionId, consumer }))!;
  }

  async delete(projectId: string, connectionId: string, consumer: string): Promise<boolean> {
    return (await this.usages.delete(projectId, { connectionId, consumer })) > 0;
  }

  /** Every usage of a deleted connection, inside the transaction that deletes it (plain SQL). */
  async deleteOfConnection(manager: EntityManager, projectId: string, connectionId: string): Promise<void> {
    await this.sql().deletion.run(projectId, [connectionId], manager);
  }

  private sql(): Statements {
    return (this.statements ??= this.prepare());
  }

  private prepare(): Statements {
    const connection = this.usages.placeholder(2);
    return {
      consumers: this.usages.sql(
        null,
        (where) => `SELECT consumer, description FROM connection_usages ${where} AND connection_id = ${connection} ORDER BY consumer`,
      ),
      deletion: this.usages.sql(null, (where) => `DELETE FROM connection_usages ${where} AND connection_id = ${connection}`),
    };
  }
}
