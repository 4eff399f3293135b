import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { conflict, isUuid, PageWindow, validationFailed } from '@switchboard/common';
import {
  isForeignKeyViolation,
  isUniqueViolation,
  placeholder,
  PreparedInsert,
  preparedQuery,
  updateIfVersion,
} from '@switchboard/database';
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

/** What using a connection needs of its credential (owned or shared), sealed as stored. */
export interface CredentialForUse {
  version: number;
  fields: Record<string, string>;
  secretEnvelope: string | null;
}

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** Every read and write takes the project id: a connection of another project is simply not there. */
@Injectable()
export class ConnectionsRepository {
  private readonly inserts: PreparedInsert<ConnectionEntity>;

  constructor(
    @InjectRepository(ConnectionEntity) private readonly connections: Repository<ConnectionEntity>,
    @InjectRepository(ConnectionUsageEntity) private readonly usages: Repository<ConnectionUsageEntity>,
    private readonly dataSource: DataSource,
  ) {
    this.inserts = new PreparedInsert(dataSource, ConnectionEntity);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * The hottest reads of the service (every fetch by a pipeline, every console list, every
   * introspection call) are plain SQL, hydrated with the ORM's own column conversions, so no
   * query builder runs per request.
   */
  async findByRef(projectId: string, ref: string): Promise<ConnectionWithSecretFields | null> {
    const byId = isUuid(ref);
    const where = this.whereRef();
    const rows = await this.select(byId ? where.id : where.name, [projectId, ref.toLowerCase()]);
    return rows[0] ?? null;
  }

  private whereRef(): { id: string; name: string } {
    return (this.byRef ??= {
      id: `WHERE n.project_id = ${this.placeholder(1)} AND n.id = ${this.placeholder(2)}`,
      name: `WHERE n.project_id = ${this.placeholder(1)} AND n.name = ${this.placeholder(2)}`,
    });
  }

  /** The connection and its credential's sealed secrets, fields and version: one query per use (introspection, tests). */
  async findForUse(
    projectId: string,
    ref: string,
  ): Promise<{ connection: ConnectionWithSecretFields; credential: CredentialForUse | null } | null> {
    const byId = isUuid(ref);
    const where = this.whereRef();
    const [raw] = await this.rawRows(byId ? where.id : where.name, [projectId, ref.toLowerCase()], true);
    if (!raw) return null;
    const credential: CredentialForUse | null =
      raw.credential_version === null || raw.credential_version === undefined
        ? null
        : {
            version: Number(raw.credential_version),
            fields: parseJson(raw.credential_fields) as Record<string, string>,
            secretEnvelope: (raw.secret_envelope as string | null) ?? null,
          };
    return { connection: this.hydrate(raw), credential };
  }

  async list(projectId: string, filter: ConnectionFilter, window: PageWindow): Promise<[ConnectionWithSecretFields[], number]> {
    const params: unknown[] = [projectId];
    const next = (value: unknown): string => {
      params.push(value);
      return this.placeholder(params.length);
    };
    let where = `WHERE n.project_id = ${this.placeholder(1)}`;
    if (filter.type) where += ` AND n.type = ${next(filter.type)}`;
    // better-sqlite3 binds no booleans: the column holds 0/1 there.
    if (filter.enabled !== undefined) where += ` AND n.enabled = ${next(this.isPostgres ? filter.enabled : Number(filter.enabled))}`;
    if (filter.search) {
      const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
      where += ` AND (LOWER(n.name) LIKE ${next(pattern)} ESCAPE '\\' OR LOWER(COALESCE(n.description, '')) LIKE ${next(pattern)} ESCAPE '\\')`;
    }
    // The sort column comes from a fixed list (ConnectionFilter), never from the request as text.
    const direction = filter.sort.descending ? 'DESC' : 'ASC';
    const countParams = [...params];
    const page = `${where} ORDER BY n.${filter.sort.column} ${direction}, n.id ${direction} LIMIT ${next(Math.floor(window.take))} OFFSET ${next(Math.floor(window.skip))}`;
    const [rows, counted] = await Promise.all([
      this.select(page, params),
      preparedQuery<{ total: number | string }>(this.dataSource, `SELECT COUNT(*) AS total FROM connections n ${where}`, countParams),
    ]);
    return [rows, Number(counted[0]?.total ?? 0)];
  }

  private byRef?: { id: string; name: string };
  /** Whole statement texts by tail: the same string object each time, whose hash V8 keeps. */
  private readonly statements = new Map<string, string>();

  private get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  private placeholder(n: number): string {
    return placeholder(this.dataSource, n);
  }

  /** Connections with the names of their credential's secrets, `tail` being WHERE / ORDER BY / LIMIT. */
  private async select(tail: string, params: unknown[]): Promise<ConnectionWithSecretFields[]> {
    return (await this.rawRows(tail, params, false)).map((row) => this.hydrate(row));
  }

  /**
   * `tail` is built only from fixed fragments and placeholders: each distinct text becomes a
   * prepared statement. `forUse` adds the credential's sealed secrets, fields and version.
   */
  private async rawRows(tail: string, params: unknown[], forUse: boolean): Promise<Record<string, unknown>[]> {
    const key = forUse ? `use:${tail}` : tail;
    let text = this.statements.get(key);
    if (text === undefined) {
      const columns = this.connections.metadata.columns.map((column) => `n.${column.databaseName}`);
      columns.push('c.secret_fields AS secret_fields');
      if (forUse) columns.push('c.secret_envelope AS secret_envelope', 'c.version AS credential_version', 'c.fields AS credential_fields');
      text = `SELECT ${columns.join(', ')} FROM connections n LEFT JOIN credentials c ON c.id = n.credential_id AND c.project_id = n.project_id ${tail}`;
      this.statements.set(key, text);
    }
    return preparedQuery(this.dataSource, text, params);
  }

  private hydrate(raw: Record<string, unknown>): ConnectionWithSecretFields {
    const entity = this.connections.create() as ConnectionWithSecretFields;
    for (const column of this.connections.metadata.columns) {
      (entity as unknown as Record<string, unknown>)[column.propertyName] = this.dataSource.driver.prepareHydratedValue(
        raw[column.databaseName],
        column,
      );
    }
    entity.secretFields = parseFields(raw.secret_fields);
    return entity;
  }

  async insert(manager: EntityManager, connection: ConnectionEntity): Promise<void> {
    try {
      await this.inserts.run(connection, manager);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A connection named "${connection.name}" already exists in this project.`);
      if (isForeignKeyViolation(error)) throw credentialGone();
      throw error;
    }
  }

  /** Compare-and-set on `version`; false when someone else changed the connection first. */
  updateIfVersion(
    manager: EntityManager,
    projectId: string,
    id: string,
    version: number,
    changes: Partial<ConnectionEntity>,
  ): Promise<boolean> {
    return updateIfVersion(manager, ConnectionEntity, { projectId, id, version }, changes, {
      unique: () => conflict(`A connection named "${changes.name}" already exists in this project.`),
      foreignKey: credentialGone,
    });
  }

  /**
   * Deletes the connection and its usages. With `version`, a compare-and-set: only while the
   * connection is still at that version (false: it changed or is gone, and nothing is deleted).
   */
  async delete(manager: EntityManager, projectId: string, id: string, version?: number): Promise<boolean> {
    const query = manager
      .createQueryBuilder()
      .delete()
      .from(ConnectionEntity)
      .where('project_id = :projectId AND id = :id', { projectId, id });
    if (version !== undefined) query.andWhere('version = :version', { version });
    if ((await query.execute()).affected !== 1) return false;
    await preparedQuery(
      manager,
      `DELETE FROM connection_usages WHERE project_id = ${this.placeholder(1)} AND connection_id = ${this.placeholder(2)}`,
      [projectId, id],
    );
    return true;
  }

  async namesUsingCredential(projectId: string, credentialId: string): Promise<string[]> {
    const rows = await this.connections.find({ select: { name: true }, where: { projectId, credentialId }, order: { name: 'ASC' } });
    return rows.map((row) => row.name);
  }

  async idsUsingCredential(projectId: string, credentialId: string): Promise<string[]> {
    return (await this.connections.find({ select: { id: true }, where: { projectId, credentialId } })).map((row) => row.id);
  }

  /** Type and config of each connection that borrows the shared credential: where it is already sent. */
  locationsOfCredential(projectId: string, credentialId: string): Promise<Pick<ConnectionEntity, 'type' | 'config'>[]> {
    return this.connections.find({ select: { type: true, config: true }, where: { projectId, credentialId, ownsCredential: false } });
  }

  // --- usages ---

  /** Who uses the connection, by name only: what a delete checks. */
  async consumersOf(projectId: string, connectionId: string): Promise<string[]> {
    const rows = await preparedQuery<{ consumer: string }>(
      this.dataSource,
      `SELECT consumer FROM connection_usages WHERE project_id = ${this.placeholder(1)} AND connection_id = ${this.placeholder(2)} ORDER BY consumer`,
      [projectId, connectionId],
    );
    return rows.map((row) => row.consumer);
  }

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
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : (value ?? {});
}

function parseFields(value: unknown): string[] {
  if (Array.isArray(value)) return value as string[];
  return typeof value === 'string' && value ? (JSON.parse(value) as string[]) : [];
}

/** The shared credential named was deleted between its check and this write (its foreign key refused the row). */
const credentialGone = () => validationFailed([{ field: 'credentialId', message: 'no such credential in this project' }]);
