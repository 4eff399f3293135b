import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { AppError, ErrorCode, notFound, Page, pageWindow, preconditionFailed, toPage, uuidv7, validationFailed } from '@switchboard/common';
import { ConnectionType, ConnectionTypeRegistry, Secrets, SessionCache } from '@switchboard/connectors';
import { maskSecrets, OwnedSecretsStore, SecretReveals } from '@switchboard/credentials';
import { LostRace, updateWithRetries } from '@switchboard/database';
import type { ProjectAccess } from '@switchboard/projects';
import { ConnectionResolver } from './connection-resolver';
import { ConnectionSecretsPlanner, PlannedConfig, SecretsPlan } from './connection-secrets-plan';
import {
  CloneConnectionDto,
  ConnectionDto,
  ConnectionListQueryDto,
  CreateConnectionDto,
  PatchConnectionDto,
  toConnectionDto,
} from './connection.dto';
import { ConnectionEntity } from './connection.entity';
import { ConnectionsRepository, ConnectionWithSecretFields } from './connections.repository';
import { applyMergePatch } from './json-merge-patch';
import { assertLabels } from './labels';
import { sshCredentialIdOf } from './ssh-tunnel-keys';
import { UsagesRepository } from './usages/usages.repository';

/** What a create or update wants the connection to become. */
interface Desired extends PlannedConfig {
  name: string;
  description: string | null;
  enabled: boolean;
  labels: Record<string, string>;
}

/** A project's connections as the /connections routes see them: reads, writes and their audit trail. */
@Injectable()
export class ConnectionsService {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly usages: UsagesRepository,
    private readonly registry: ConnectionTypeRegistry,
    private readonly planner: ConnectionSecretsPlanner,
    private readonly resolver: ConnectionResolver,
    private readonly owned: OwnedSecretsStore,
    private readonly reveals: SecretReveals,
    private readonly audit: AuditService,
    private readonly sessions: SessionCache,
  ) {}

  async list(projectId: string, query: ConnectionListQueryDto): Promise<Page<ConnectionDto>> {
    const sort = query.sort ?? 'name';
    const column = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at', type: 'type' } as const;
    const [rows, total] = await this.connections.list(
      projectId,
      {
        type: query.type,
        search: query.search,
        enabled: query.enabled === undefined ? undefined : query.enabled === 'true',
        sort: { column: column[sort.replace('-', '') as keyof typeof column], descending: sort.startsWith('-') },
      },
      pageWindow(query),
    );
    return toPage(rows, total, query, (row) => this.toDto(row));
  }

  /** Secrets masked; `reveal` needs secrets:reveal and is audited. */
  async get(actor: AuditActor, access: ProjectAccess, ref: string, reveal: boolean): Promise<ConnectionDto> {
    const connection = await this.findByRefOrNotFound(access.project.id, ref);
    if (!reveal) return this.toDto(connection, maskSecrets(connection.secretFields));
    const read = () => this.resolver.secretsOf(connection);
    const secrets = await this.reveals.reveal(actor, access.project.id, access.scopes, this.target(connection), read);
    return this.toDto(connection, secrets);
  }

  async create(actor: AuditActor, access: ProjectAccess, dto: CreateConnectionDto): Promise<ConnectionDto> {
    const projectId = access.project.id;
    const body = this.planner.parseBody(dto, false);
    const definition = this.registry.validateType(body.type);
    const user = { actor, access, action: 'connection.create' };
    const { config, secrets } = await this.planner.plan(user, definition, body.config, dto.credentialId ?? null, body.secrets);
    const labels = dto.labels ?? {};
    assertLabels(labels);
    const fields = { name: dto.name, type: body.type, description: dto.description ?? null, config, enabled: dto.enabled ?? true, labels };
    const created = await this.insertNew(actor, projectId, fields, secrets);
    await this.audit.record({
      actor,
      projectId,
      action: 'connection.create',
      target: { type: 'connection', id: created.id, name: dto.name },
      details: { type: body.type, storage: secrets.source },
    });
    return this.toDto(created, maskSecrets(created.secretFields));
  }

  /** PUT: the body is the whole connection; the type cannot change. */
  replace(
    actor: AuditActor,
    access: ProjectAccess,
    ref: string,
    dto: CreateConnectionDto,
    ifMatch?: readonly number[],
  ): Promise<ConnectionDto> {
    return this.update(actor, access, ref, ifMatch, 'connection.replace', async (current, stored) => {
      const body = this.planner.parseBody(dto, true);
      this.assertSameType(current.type, body.type);
      const definition = this.registry.validateType(current.type);
      const labels = dto.labels ?? {};
      assertLabels(labels);
      const user = { actor, access, action: 'connection.replace' };
      const resolved = await this.planner.plan(user, definition, body.config, dto.credentialId ?? null, body.secrets, {
        current: await stored(),
        previousConfig: current.config,
      });
      return { name: dto.name, description: dto.description ?? null, enabled: dto.enabled ?? true, labels, ...resolved };
    });
  }

  /** PATCH: JSON merge patch of the connection; secrets follow the keep/clear/set rules. */
  patch(
    actor: AuditActor,
    access: ProjectAccess,
    ref: string,
    dto: PatchConnectionDto,
    ifMatch?: readonly number[],
  ): Promise<ConnectionDto> {
    return this.update(actor, access, ref, ifMatch, 'connection.update', async (current, stored) => {
      const definition = this.registry.validateType(current.type);
      const labels = dto.labels ? (applyMergePatch(current.labels, dto.labels) as Record<string, unknown>) : current.labels;
      assertLabels(labels);
      const sharedId = dto.credentialId === undefined ? (current.ownsCredential ? null : current.credentialId) : dto.credentialId;
      const rawConfig = dto.config ? applyMergePatch(current.config, dto.config) : current.config;
      const user = { actor, access, action: 'connection.update' };
      const resolved = await this.planner.plan(user, definition, rawConfig, sharedId, dto.secrets, {
        current: await stored(),
        previousConfig: current.config,
      });
      return {
        name: dto.name ?? current.name,
        description: dto.description === undefined ? current.description : dto.description,
        enabled: dto.enabled ?? current.enabled,
        labels,
        ...resolved,
      };
    });
  }

  /**
   * Refused (409, naming them) while consumers are registered, unless forced. With `ifMatch`,
   * only the version read is deleted: 412 otherwise, checked again atomically by the delete.
   */
  async delete(actor: AuditActor, access: ProjectAccess, ref: string, force: boolean, ifMatch?: readonly number[]): Promise<void> {
    const projectId = access.project.id;
    const connection = await this.findByRefOrNotFound(projectId, ref);
    if (ifMatch && !ifMatch.includes(connection.version)) throw preconditionFailed();
    const consumers = await this.usages.consumersOf(projectId, connection.id);
    if (consumers.length && !force) {
      const names = consumers.map((ref) => ref.consumer);
      throw new AppError(
        ErrorCode.CONFLICT,
        `The connection is in use by ${names.join(', ')}; unregister them or delete with ?force=true.`,
        {
          extensions: { consumers },
        },
      );
    }
    const expected = ifMatch ? connection.version : undefined;
    const deleted = await this.connections.transaction(async (manager) => {
      if (!(await this.connections.delete(manager, projectId, connection.id, expected))) return false;
      await this.usages.deleteOfConnection(manager, projectId, connection.id);
      if (connection.ownsCredential && connection.credentialId) await this.owned.delete(manager, projectId, connection.credentialId);
      return true;
    });
    if (!deleted) throw ifMatch ? preconditionFailed() : notFound('Connection'); // lost to a concurrent write or delete
    this.sessions.evictConnection(connection.id);
    await this.audit.record({
      actor,
      projectId,
      action: 'connection.delete',
      target: this.target(connection),
      details: { force, consumers: consumers.map((ref) => ref.consumer) },
    });
  }

  /**
   * A copy under a new name: inline secrets re-sealed for the copy, a shared credential still
   * shared. The copy has the source's location, where its shared credential is already used.
   */
  async clone(actor: AuditActor, access: ProjectAccess, ref: string, dto: CloneConnectionDto): Promise<ConnectionDto> {
    const projectId = access.project.id;
    const source = await this.findByRefOrNotFound(projectId, ref);
    const secrets: SecretsPlan =
      source.ownsCredential || !source.credentialId
        ? { source: 'inline', secrets: await this.resolver.secretsOf(source), changed: true }
        : { source: 'shared', credentialId: source.credentialId, secretFields: source.secretFields };
    const { type, description, config, enabled, labels } = source;
    const created = await this.insertNew(actor, projectId, { name: dto.name, type, description, config, enabled, labels }, secrets);
    await this.audit.record({
      actor,
      projectId,
      action: 'connection.clone',
      target: { type: 'connection', id: created.id, name: dto.name },
      details: { sourceId: source.id, sourceName: source.name },
    });
    return this.toDto(created, maskSecrets(created.secretFields));
  }

  /**
   * A new connection and, for inline secrets, the credential it owns, in one transaction.
   * Returns the row as written, which is what a read would hydrate: no read-back.
   */
  private async insertNew(
    actor: AuditActor,
    projectId: string,
    fields: Pick<ConnectionEntity, 'name' | 'type' | 'description' | 'config' | 'enabled' | 'labels'>,
    secrets: SecretsPlan,
  ): Promise<ConnectionWithSecretFields> {
    const id = uuidv7();
    const now = new Date();
    return this.connections.transaction(async (manager) => {
      const credentialId = await this.planner.write(manager, projectId, id, secrets, null, actor);
      const connection: ConnectionEntity = {
        ...fields,
        id,
        projectId,
        credentialId,
        ownsCredential: secrets.source === 'inline' && credentialId !== null,
        sshCredentialId: sshCredentialIdOf(fields.config),
        version: 1,
        createdAt: now,
        updatedAt: now,
        createdBy: actor.userId ?? null,
      };
      await this.connections.insert(manager, projectId, connection);
      const secretFields = secrets.source === 'shared' ? secrets.secretFields : credentialId ? Object.keys(secrets.secrets).sort() : [];
      return { ...connection, secretFields };
    });
  }

  async findByRefOrNotFound(projectId: string, ref: string): Promise<ConnectionWithSecretFields> {
    const connection = await this.connections.findByRef(projectId, ref);
    if (!connection) throw notFound('Connection');
    return connection;
  }

  /**
   * Read, plan, compare-and-set in one transaction (updateWithRetries: 412 with If-Match, planned
   * again on what won without). A lost race rolls the owned credential's write back with it.
   */
  private update(
    actor: AuditActor,
    access: ProjectAccess,
    ref: string,
    ifMatch: readonly number[] | undefined,
    action: string,
    plan: (current: ConnectionWithSecretFields, stored: () => Promise<Secrets>) => Promise<Desired>,
  ): Promise<ConnectionDto> {
    const projectId = access.project.id;
    const read = (target: string) => this.findByRefOrNotFound(projectId, target);
    return updateWithRetries('connection', ref, ifMatch, read, async (current) => {
      const stored = async () => (current.ownsCredential && current.credentialId ? this.owned.read(projectId, current.credentialId) : {});
      const desired = await plan(current, stored);
      await this.connections.transaction(async (manager) => {
        const credentialId = await this.planner.write(manager, projectId, current.id, desired.secrets, current, actor);
        const updated = await this.connections.updateIfVersion(manager, projectId, current.id, current.version, {
          name: desired.name,
          description: desired.description,
          config: desired.config,
          enabled: desired.enabled,
          labels: desired.labels,
          credentialId,
          ownsCredential: desired.secrets.source === 'inline' && credentialId !== null,
          sshCredentialId: sshCredentialIdOf(desired.config),
          updatedAt: new Date(),
        });
        if (!updated) throw new LostRace();
        await this.planner.releaseReplaced(manager, projectId, current, credentialId);
      });
      // Live clients of the old version must not serve the new one.
      this.sessions.evictConnection(current.id);
      await this.audit.record({
        actor,
        projectId,
        action,
        target: { type: 'connection', id: current.id, name: desired.name },
        details: {
          storage: desired.secrets.source,
          secretsChanged: desired.secrets.source === 'inline' && desired.secrets.changed,
        },
      });
      return this.getMasked(projectId, current.id);
    });
  }

  private assertSameType(current: ConnectionType, requested: ConnectionType): void {
    if (current !== requested)
      throw validationFailed([{ field: 'type', message: `the type of a connection cannot change (it is ${current}); create a new one` }]);
  }

  private async getMasked(projectId: string, id: string): Promise<ConnectionDto> {
    const connection = await this.findByRefOrNotFound(projectId, id);
    return this.toDto(connection, maskSecrets(connection.secretFields));
  }

  private target(connection: ConnectionEntity) {
    return { type: 'connection' as const, id: connection.id, name: connection.name };
  }

  private toDto(connection: ConnectionWithSecretFields, secrets?: Record<string, string>): ConnectionDto {
    return toConnectionDto(this.registry, connection, secrets);
  }
}
