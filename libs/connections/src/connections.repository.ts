import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { conflict, isUuid, PageWindow } from '@switchboard/common';
import { CredentialEntity } from '@switchboard/credentials';
import { isUniqueViolation, jsonRow } from '@switchboard/database';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { ConnectionEntity } from './connection.entity';
import { ConnectionUsageEntity } from './usages/connection-usage.entity';

export interface ConnectionFilter {
  type?: string;
  search?: string;
  enabled?: boolean;
  sort: { column: 'name' | 'created_at' | 'updated_at' | 'type'; descending: boolean };
}

/** A connection with the names of the secrets its credential holds (never their values). */
export type ConnectionWithSecretFields = ConnectionEntity & { secretFields: string[] };

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** Every read and write takes the project id: a connection of another project is simply not there. */
@Injectable()
export class ConnectionsRepository {
  constructor(
    @InjectRepository(ConnectionEntity) private readonly connections: Repository<ConnectionEntity>,
    @InjectRepository(ConnectionUsageEntity) private readonly usages: Repository<ConnectionUsageEntity>,
    private readonly dataSource: DataSource,
  ) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * The hottest read of the service (every fetch by a pipeline, every introspection call): plain
   * SQL built once per column set, hydrated with the ORM's own column conversions, so no query
   * builder runs per request.
   */
  async findByRef(projectId: string, ref: string): Promise<ConnectionWithSecretFields | null> {
    const byId = isUuid(ref);
    const rows: Record<string, unknown>[] = await this.dataSource.query(byId ? this.byRefSql.id : this.byRefSql.name, [
      projectId,
      byId ? ref.toLowerCase() : ref,
    ]);
    if (!rows[0]) return null;
    return { ...this.hydrate(rows[0]), secretFields: parseFields(rows[0].secret_fields) };
  }

  private byRefSqlCache?: { id: string; name: string };

  private get byRefSql(): { id: string; name: string } {
    if (this.byRefSqlCache) return this.byRefSqlCache;
    const placeholder = (n: number) => (this.dataSource.options.type === 'postgres' ? `$${n}` : '?');
    const columns = this.connections.metadata.columns.map((column) => `n.${column.databaseName}`).join(', ');
    const sql = (key: string) =>
      `SELECT ${columns}, c.secret_fields AS secret_fields FROM connections n ` +
      `LEFT JOIN credentials c ON c.id = n.credential_id AND c.project_id = n.project_id ` +
      `WHERE n.project_id = ${placeholder(1)} AND n.${key} = ${placeholder(2)}`;
    this.byRefSqlCache = { id: sql('id'), name: sql('name') };
    return this.byRefSqlCache;
  }

  private hydrate(raw: Record<string, unknown>): ConnectionEntity {
    const entity = this.connections.create();
    for (const column of this.connections.metadata.columns) {
      (entity as unknown as Record<string, unknown>)[column.propertyName] = this.dataSource.driver.prepareHydratedValue(
        raw[column.databaseName],
        column,
      );
    }
    return entity;
  }

  async list(projectId: string, filter: ConnectionFilter, window: PageWindow): Promise<[ConnectionWithSecretFields[], number]> {
    const query = this.withSecretFields().where('n.project_id = :projectId', { projectId });
    if (filter.type) query.andWhere('n.type = :type', { type: filter.type });
    if (filter.enabled !== undefined) query.andWhere('n.enabled = :enabled', { enabled: filter.enabled });
    if (filter.search) {
      query.andWhere("(LOWER(n.name) LIKE :search ESCAPE '\\' OR LOWER(COALESCE(n.description, '')) LIKE :search ESCAPE '\\')", {
        search: `%${escapeLike(filter.search.toLowerCase())}%`,
      });
    }
    const direction = filter.sort.descending ? 'DESC' : 'ASC';
    query.orderBy(`n.${filter.sort.column}`, direction).addOrderBy('n.id', direction).offset(window.skip).limit(window.take);
    const [{ entities, raw }, total] = await Promise.all([query.getRawAndEntities(), query.getCount()]);
    return [entities.map((entity, index) => ({ ...entity, secretFields: parseFields(raw[index]?.secret_fields) })), total];
  }

  async insert(manager: EntityManager, connection: ConnectionEntity): Promise<void> {
    try {
      await manager.insert(ConnectionEntity, jsonRow(connection));
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A connection named "${connection.name}" already exists in this project.`);
      throw error;
    }
  }

  /** Compare-and-set on `version`; false when someone else changed the connection first. */
  async updateIfVersion(
    manager: EntityManager,
    projectId: string,
    id: string,
    version: number,
    changes: Partial<ConnectionEntity>,
  ): Promise<boolean> {
    try {
      const result = await manager
        .createQueryBuilder()
        .update(ConnectionEntity)
        .set(jsonRow<ConnectionEntity>({ ...changes, version: version + 1 }))
        .where('project_id = :projectId AND id = :id AND version = :version', { projectId, id, version })
        .execute();
      return result.affected === 1;
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A connection named "${changes.name}" already exists in this project.`);
      throw error;
    }
  }

  async delete(manager: EntityManager, projectId: string, id: string): Promise<void> {
    await manager.delete(ConnectionUsageEntity, { projectId, connectionId: id });
    await manager.delete(ConnectionEntity, { projectId, id });
  }

  async namesUsingCredential(projectId: string, credentialId: string): Promise<string[]> {
    const rows = await this.connections.find({ select: { name: true }, where: { projectId, credentialId }, order: { name: 'ASC' } });
    return rows.map((row) => row.name);
  }

  async idsUsingCredential(projectId: string, credentialId: string): Promise<string[]> {
    return (await this.connections.find({ select: { id: true }, where: { projectId, credentialId } })).map((row) => row.id);
  }

  // --- usages ---

  listUsages(projectId: string, connectionId: string): Promise<ConnectionUsageEntity[]> {
    return this.usages.find({ where: { projectId, connectionId }, order: { consumer: 'ASC' } });
  }

  async upsertUsage(projectId: string, connectionId: string, consumer: string, description: string | null): Promise<ConnectionUsageEntity> {
    const now = new Date();
    const updated = await this.usages.update({ projectId, connectionId, consumer }, { description, updatedAt: now });
    if (!updated.affected) {
      try {
        await this.usages.insert({ projectId, connectionId, consumer, description, createdAt: now, updatedAt: now });
      } catch (error) {
        // Registered concurrently: the row exists now, so update it like the first branch.
        if (!isUniqueViolation(error)) throw error;
        await this.usages.update({ projectId, connectionId, consumer }, { description, updatedAt: now });
      }
    }
    return (await this.usages.findOneBy({ projectId, connectionId, consumer }))!;
  }

  async deleteUsage(projectId: string, connectionId: string, consumer: string): Promise<boolean> {
    return ((await this.usages.delete({ projectId, connectionId, consumer })).affected ?? 0) > 0;
  }

  private withSecretFields() {
    return this.connections
      .createQueryBuilder('n')
      .leftJoin(CredentialEntity, 'c', 'c.id = n.credential_id AND c.project_id = n.project_id')
      .addSelect('c.secret_fields', 'secret_fields');
  }
}

function parseFields(value: unknown): string[] {
  if (Array.isArray(value)) return value as string[];
  return typeof value === 'string' && value ? (JSON.parse(value) as string[]) : [];
}
