import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { conflict, isUuid, PageWindow, validationFailed } from '@switchboard/common';
import { isForeignKeyViolation, isUniqueViolation, ProjectRows, ProjectSql, rowHydrator, updateIfVersion } from '@switchboard/database';
import { DataSource, EntityManager, EntityMetadata, Repository } from 'typeorm';
import type { ConnectionConfig } from '@switchboard/connectors';
import { ConnectionEntity } from './connection.entity';

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

/**
 * A project's connections: every statement names the project (ProjectRows), the hottest reads
 * as plain SQL through its `sql`. Their usages live in UsagesRepository.
 */
@Injectable()
export class ConnectionsRepository {
  private readonly connections: ProjectRows<ConnectionEntity>;
  private readonly metadata: EntityMetadata;
  private readonly toEntity: (raw: Record<string, unknown>) => ConnectionEntity;
  private byRef?: { id: string; name: string };
  /** Statements by tail: the same string object each time, whose hash V8 keeps. */
  private readonly statements = new Map<string, ProjectSql>();

  constructor(
    @InjectRepository(ConnectionEntity) connections: Repository<ConnectionEntity>,
    private readonly dataSource: DataSource,
  ) {
    this.connections = new ProjectRows(connections);
    this.metadata = connections.metadata;
    this.toEntity = rowHydrator(dataSource, connections.metadata);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * The hottest reads of the service (every fetch by a pipeline, every console list, every
   * introspection call) are plain SQL, hydrated as the ORM would (rowHydrator), so no query
   * builder runs per request.
   */
  async findByRef(projectId: string, ref: string): Promise<ConnectionWithSecretFields | null> {
    const where = this.whereRef();
    const rows = await this.select(isUuid(ref) ? where.id : where.name, projectId, [ref.toLowerCase()]);
    return rows[0] ?? null;
  }

  /** The conditions after the project's, by id or by name. */
  private whereRef(): { id: string; name: string } {
    return (this.byRef ??= {
      id: ` AND n.id = ${this.connections.placeholder(2)}`,
      name: ` AND n.name = ${this.connections.placeholder(2)}`,
    });
  }

  /**
   * The connection with its credential's and its bastion key credential's sealed secrets,
   * fields and versions: one query per use (introspection, tests).
   */
  async findForUse(
    projectId: string,
    ref: string,
  ): Promise<{
    connection: ConnectionWithSecretFields;
    credential: CredentialForUse | null;
    sshCredential: CredentialForUse | null;
  } | null> {
    const where = this.whereRef();
    const [raw] = await this.rawRows(isUuid(ref) ? where.id : where.name, projectId, [ref.toLowerCase()], true);
    if (!raw) return null;
    return { connection: this.hydrate(raw), credential: credentialForUse(raw, ''), sshCredential: credentialForUse(raw, 'ssh_') };
  }

  async list(projectId: string, filter: ConnectionFilter, window: PageWindow): Promise<[ConnectionWithSecretFields[], number]> {
    const params: unknown[] = [];
    const next = (value: unknown): string => {
      params.push(value);
      return this.connections.placeholder(params.length + 1);
    };
    let conditions = '';
    if (filter.type) conditions += ` AND n.type = ${next(filter.type)}`;
    // better-sqlite3 binds no booleans: the column holds 0/1 there.
    if (filter.enabled !== undefined) conditions += ` AND n.enabled = ${next(this.isPostgres ? filter.enabled : Number(filter.enabled))}`;
    if (filter.search) {
      const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
      conditions += ` AND (LOWER(n.name) LIKE ${next(pattern)} ESCAPE '\\' OR LOWER(COALESCE(n.description, '')) LIKE ${next(pattern)} ESCAPE '\\')`;
    }
    // The sort column comes from a fixed list (ConnectionFilter), never from the request as text.
    const direction = filter.sort.descending ? 'DESC' : 'ASC';
    const countParams = [...params];
    const page = `${conditions} ORDER BY n.${filter.sort.column} ${direction}, n.id ${direction} LIMIT ${next(Math.floor(window.take))} OFFSET ${next(Math.floor(window.skip))}`;
    const [rows, counted] = await Promise.all([this.select(page, projectId, params), this.count(conditions, projectId, countParams)]);
    return [rows, Number(counted[0]?.total ?? 0)];
  }

  private get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  /** Connections with the names of their credential's secrets, `tail` being the conditions after the project's, ORDER BY, LIMIT. */
  private async select(tail: string, projectId: string, values: unknown[]): Promise<ConnectionWithSecretFields[]> {
    return (await this.rawRows(tail, projectId, values, false)).map((row) => this.hydrate(row));
  }

  /**
   * `tail` is built only from fixed fragments and placeholders: each distinct text becomes a
   * prepared statement. `forUse` adds the credential's sealed secrets, fields and version.
   */
  private rawRows(tail: string, projectId: string, values: unknown[], forUse: boolean): Promise<Record<string, unknown>[]> {
    const key = forUse ? `use:${tail}` : tail;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      const columns = this.metadata.columns.map((column) => `n.${column.databaseName}`);
      columns.push('c.secret_fields AS secret_fields');
      let from = 'FROM connections n LEFT JOIN credentials c ON c.id = n.credential_id AND c.project_id = n.project_id';
      if (forUse) {
        for (const [alias, prefix] of [
          ['c', ''],
          ['s', 'ssh_'],
        ]) {
          columns.push(
            `${alias}.secret_envelope AS ${prefix}secret_envelope`,
            `${alias}.version AS ${prefix}credential_version`,
            `${alias}.fields AS ${prefix}credential_fields`,
          );
        }
        from += ' LEFT JOIN credentials s ON s.id = n.ssh_credential_id AND s.project_id = n.project_id';
      }
      statement = this.connections.sql('n', (where) => `SELECT ${columns.join(', ')} ${from} ${where}${tail}`);
      this.statements.set(key, statement);
    }
    return statement.run(projectId, values);
  }

  private count(conditions: string, projectId: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    const key = `count:${conditions}`;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      statement = this.connections.sql('n', (where) => `SELECT COUNT(*) AS total FROM connections n ${where}${conditions}`);
      this.statements.set(key, statement);
    }
    return statement.run(projectId, values);
  }

  private hydrate(raw: Record<string, unknown>): ConnectionWithSecretFields {
    const entity = this.toEntity(raw) as ConnectionWithSecretFields;
    entity.secretFields = parseFields(raw.secret_fields);
    return entity;
  }

  async insert(manager: EntityManager, projectId: string, connection: ConnectionEntity): Promise<void> {
    try {
      await this.connections.insertPrepared(projectId, connection, manager);
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
    return updateIfVersion(this.connections.on(manager), { projectId, id, version }, changes, {
      unique: () => conflict(`A connection named "${changes.name}" already exists in this project.`),
      foreignKey: credentialGone,
    });
  }

  /**
   * Deletes the connection (its usages go with UsagesRepository.deleteOfConnection). With
   * `version`, a compare-and-set: only while the connection is still at that version (false: it
   * changed or is gone, and nothing is deleted).
   */
  async delete(manager: EntityManager, projectId: string, id: string, version?: number): Promise<boolean> {
    // Plain SQL (every delete of (c) runs it): RETURNING says whether the row went, on both drivers.
    const deleted = this.deletion(version !== undefined);
    return (await deleted.run(projectId, version === undefined ? [id] : [id, version], manager)).length === 1;
  }

  private deletion(ifVersion: boolean): ProjectSql {
    const key = ifVersion ? 'delete:version' : 'delete';
    let statement = this.statements.get(key);
    if (statement === undefined) {
      const version = ifVersion ? ` AND version = ${this.connections.placeholder(3)}` : '';
      statement = this.connections.sql(
        null,
        (where) => `DELETE FROM connections ${where} AND id = ${this.connections.placeholder(2)}${version} RETURNING id`,
      );
      this.statements.set(key, statement);
    }
    return statement;
  }

  /** Connections using the credential, for their secrets or for their bastion's key (sshTunnel.credentialId). */
  async namesUsingCredential(projectId: string, credentialId: string): Promise<string[]> {
    return [...new Set((await this.usingCredential(projectId, credentialId)).map((row) => row.name))].sort();
  }

  async idsInProject(projectId: string): Promise<string[]> {
    return (await this.connections.find(projectId, { select: { id: true } })).map((row) => row.id);
  }

  async idsUsingCredential(projectId: string, credentialId: string): Promise<string[]> {
    return [...new Set((await this.usingCredential(projectId, credentialId)).map((row) => row.id))];
  }

  private async usingCredential(projectId: string, credentialId: string): Promise<Pick<ConnectionEntity, 'id' | 'name'>[]> {
    const select = { id: true, name: true } as const;
    const [forSecrets, forBastion] = await Promise.all([
      this.connections.find(projectId, { select, where: { credentialId } }),
      this.connections.find(projectId, { select, where: { sshCredentialId: credentialId } }),
    ]);
    return [...forSecrets, ...forBastion];
  }

  /** Config of each connection whose bastion signs in with the ssh-key credential: the bastions it is already sent to. */
  async configsUsingSshCredential(projectId: string, credentialId: string): Promise<ConnectionConfig[]> {
    const rows = await this.connections.find(projectId, { select: { config: true }, where: { sshCredentialId: credentialId } });
    return rows.map((row) => row.config);
  }

  /** Type and config of each connection that borrows the shared credential: where it is already sent. */
  locationsOfCredential(projectId: string, credentialId: string): Promise<Pick<ConnectionEntity, 'type' | 'config'>[]> {
    return this.connections.find(projectId, { select: { type: true, config: true }, where: { credentialId, ownsCredential: false } });
  }
}

/** The credential columns of a findForUse row (`prefix` picks which join), or null when the join found none. */
function credentialForUse(raw: Record<string, unknown>, prefix: '' | 'ssh_'): CredentialForUse | null {
  const version = raw[`${prefix}credential_version`];
  if (version === null || version === undefined) return null;
  return {
    version: Number(version),
    fields: parseJson(raw[`${prefix}credential_fields`]) as Record<string, string>,
    secretEnvelope: (raw[`${prefix}secret_envelope`] as string | null) ?? null,
  };
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
