import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import {
  AppError,
  conflict,
  ErrorCode,
  forbidden,
  notFound,
  Page,
  pageWindow,
  preconditionFailed,
  toPage,
  uuidv7,
  validationFailed,
} from '@switchboard/common';
import {
  ConnectionConfig,
  ConnectionType,
  ConnectionTypeDefinition,
  ConnectionTypeRegistry,
  pointsElsewhere,
  ResolvedConnection,
  SessionCache,
} from '@switchboard/connectors';
import { CredentialsService, maskSecrets, mergeSecrets, OwnedSecretsStore, Secrets, SecretsUpdate } from '@switchboard/credentials';
import type { ProjectAccess } from '@switchboard/projects';
import type { EntityManager } from 'typeorm';
import { CloneConnectionDto, ConnectionDto, ConnectionListQueryDto, CreateConnectionDto, PatchConnectionDto } from './connection.dto';
import { ConnectionEntity } from './connection.entity';
import { ConnectionsRepository, ConnectionWithSecretFields } from './connections.repository';
import { applyMergePatch } from './json-merge-patch';
import { assertLabels } from './labels';
import { CredentialUser, SharedCredentialLocations } from './shared-credential-locations';

/**
 * Without If-Match a lost compare-and-set is re-planned: each loss means another writer's
 * update landed, so N concurrent writers need at most N attempts, on one instance or many.
 */
const UPDATE_ATTEMPTS = 50;

/** Where a connection's secrets come from after a write. */
type SecretsPlan =
  { source: 'shared'; credentialId: string; secretFields: string[] } | { source: 'inline'; secrets: Secrets; changed: boolean };

/** What a create or update wants the connection to become. */
interface Desired {
  name: string;
  description: string | null;
  config: ConnectionConfig;
  enabled: boolean;
  labels: Record<string, string>;
  secrets: SecretsPlan;
}

class LostRace extends Error {}

@Injectable()
export class ConnectionsService {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly registry: ConnectionTypeRegistry,
    private readonly credentials: CredentialsService,
    private readonly owned: OwnedSecretsStore,
    private readonly audit: AuditService,
    private readonly sessions: SessionCache,
    private readonly sharedLocations: SharedCredentialLocations,
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
    const connection = await this.require(access.project.id, ref);
    if (!reveal) return this.toDto(connection, maskSecrets(connection.secretFields));
    if (!access.scopes.includes('secrets:reveal')) throw forbidden('Revealing secrets needs the scope secrets:reveal.');
    const secrets = await this.secretsOf(connection);
    await this.audit.record({ actor, projectId: access.project.id, action: 'connection.reveal', target: this.target(connection) });
    return this.toDto(connection, secrets);
  }

  async create(actor: AuditActor, access: ProjectAccess, dto: CreateConnectionDto): Promise<ConnectionDto> {
    const projectId = access.project.id;
    const body = this.parseBody(dto, false);
    const definition = this.registry.validateType(body.type);
    const user = { actor, access, action: 'connection.create' };
    const { config, secrets } = await this.resolve(user, definition, body.config, dto.credentialId ?? null, body.secrets);
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
    return this.update(actor, access, ref, ifMatch, 'connection.replace', async (current, inline) => {
      const body = this.parseBody(dto, true);
      this.assertSameType(current.type, body.type);
      const definition = this.registry.validateType(current.type);
      const labels = dto.labels ?? {};
      assertLabels(labels);
      const user = { actor, access, action: 'connection.replace' };
      const resolved = await this.resolve(user, definition, body.config, dto.credentialId ?? null, body.secrets, {
        current: await inline(),
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
    return this.update(actor, access, ref, ifMatch, 'connection.update', async (current, inline) => {
      const definition = this.registry.validateType(current.type);
      const labels = dto.labels ? (applyMergePatch(current.labels, dto.labels) as Record<string, unknown>) : current.labels;
      assertLabels(labels);
      const sharedId = dto.credentialId === undefined ? (current.ownsCredential ? null : current.credentialId) : dto.credentialId;
      const rawConfig = dto.config ? applyMergePatch(current.config, dto.config) : current.config;
      const user = { actor, access, action: 'connection.update' };
      const resolved = await this.resolve(user, definition, rawConfig, sharedId, dto.secrets, {
        current: await inline(),
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
    const connection = await this.require(projectId, ref);
    if (ifMatch && !ifMatch.includes(connection.version)) throw preconditionFailed();
    const consumers = await this.connections.consumersOf(projectId, connection.id);
    if (consumers.length && !force) {
      throw conflict(`The connection is in use by ${consumers.join(', ')}; unregister them or delete with ?force=true.`);
    }
    const expected = ifMatch ? connection.version : undefined;
    const deleted = await this.connections.transaction(async (manager) => {
      if (!(await this.connections.delete(manager, projectId, connection.id, expected))) return false;
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
      details: { force, consumers },
    });
  }

  /**
   * A copy under a new name: inline secrets re-sealed for the copy, a shared credential still
   * shared. The copy has the source's location, where its shared credential is already used.
   */
  async clone(actor: AuditActor, access: ProjectAccess, ref: string, dto: CloneConnectionDto): Promise<ConnectionDto> {
    const projectId = access.project.id;
    const source = await this.require(projectId, ref);
    const secrets: SecretsPlan =
      source.ownsCredential || !source.credentialId
        ? { source: 'inline', secrets: await this.secretsOf(source), changed: true }
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
      const credentialId = await this.credentialFor(manager, projectId, id, secrets, null, actor);
      const connection: ConnectionEntity = {
        ...fields,
        id,
        projectId,
        credentialId,
        ownsCredential: secrets.source === 'inline' && credentialId !== null,
        version: 1,
        createdAt: now,
        updatedAt: now,
        createdBy: actor.userId ?? null,
      };
      await this.connections.insert(manager, connection);
      const secretFields = secrets.source === 'shared' ? secrets.secretFields : credentialId ? Object.keys(secrets.secrets).sort() : [];
      return { ...connection, secretFields };
    });
  }

  /**
   * A stored connection as a connector needs it: config (with credential fields filled in) and
   * decrypted secrets, from one query for the connection and its credential (every introspection call and test).
   */
  async resolveForUse(projectId: string, ref: string): Promise<ResolvedConnection & { connection: ConnectionWithSecretFields }> {
    const found = await this.connections.findForUse(projectId, ref);
    if (!found) throw notFound('Connection');
    const { connection, credential } = found;
    const shared = connection.credentialId && !connection.ownsCredential ? credential : null;
    const secrets =
      credential && connection.credentialId ? this.owned.open(projectId, connection.credentialId, credential.secretEnvelope) : {};
    return {
      connection,
      // A shared credential's secrets can change without the connection's version moving.
      generation: `${connection.version}.${shared?.version ?? 0}`,
      type: connection.type,
      config: this.withCredentialFields(connection.type, connection.config, shared?.fields ?? {}),
      secrets: shared ? this.usableSecrets(connection.type, secrets) : secrets,
    };
  }

  /** A create body validated and checked like a create, resolved but not stored (test a draft). */
  async resolveDraft(actor: AuditActor, access: ProjectAccess, dto: Omit<CreateConnectionDto, 'name'>): Promise<ResolvedConnection> {
    const projectId = access.project.id;
    const body = this.parseBody(dto as CreateConnectionDto, false);
    assertLabels(dto.labels ?? {}); // not used by a test, but refused as a create would refuse them
    const definition = this.registry.validateType(body.type);
    const user = { actor, access, action: 'connection.test' };
    const { config, secrets } = await this.resolve(user, definition, body.config, dto.credentialId ?? null, body.secrets);
    if (secrets.source === 'inline') return { type: body.type, config, secrets: secrets.secrets };
    const credential = (await this.credentials.findShared(projectId, secrets.credentialId))!;
    const shared = await this.credentials.readSecrets(projectId, credential.id);
    const names = new Set(definition.secretFields.map((field) => field.name));
    return {
      type: body.type,
      config: this.withCredentialFields(body.type, config, credential.fields),
      secrets: Object.fromEntries(Object.entries(shared).filter(([name]) => names.has(name))),
    };
  }

  private withCredentialFields(type: ConnectionType, config: ConnectionConfig, fields: Record<string, string>): ConnectionConfig {
    const supplied = this.registry
      .validateType(type)
      .credentialFields.filter((name) => config[name] === undefined && typeof fields[name] === 'string');
    return { ...config, ...Object.fromEntries(supplied.map((name) => [name, fields[name]])) };
  }

  async require(projectId: string, ref: string): Promise<ConnectionWithSecretFields> {
    const connection = await this.connections.findByRef(projectId, ref);
    if (!connection) throw notFound('Connection');
    return connection;
  }

  /** The secrets the connection would use, decrypted: inline ones, or its shared credential's. */
  async secretsOf(connection: ConnectionEntity): Promise<Secrets> {
    if (!connection.credentialId) return {};
    if (connection.ownsCredential) return this.owned.read(connection.projectId, connection.credentialId);
    return this.usableSecrets(connection.type, await this.credentials.readSecrets(connection.projectId, connection.credentialId));
  }

  /** A shared credential's secrets that this type of connection uses. */
  private usableSecrets(type: ConnectionType, secrets: Secrets): Secrets {
    const names = new Set(this.registry.validateType(type).secretFields.map((field) => field.name));
    return Object.fromEntries(Object.entries(secrets).filter(([name]) => names.has(name)));
  }

  /**
   * Read, plan, compare-and-set in one transaction. With If-Match a lost race answers 412;
   * without, the change is planned again on what won, so no other writer's change is lost.
   */
  private async update(
    actor: AuditActor,
    access: ProjectAccess,
    ref: string,
    ifMatch: readonly number[] | undefined,
    action: string,
    plan: (current: ConnectionWithSecretFields, inline: () => Promise<Secrets>) => Promise<Desired>,
  ): Promise<ConnectionDto> {
    const projectId = access.project.id;
    let target = ref;
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await this.require(projectId, target);
      target = current.id; // a concurrent rename must not lose the connection between attempts
      if (ifMatch && !ifMatch.includes(current.version)) throw preconditionFailed();
      const inline = async () => (current.ownsCredential && current.credentialId ? this.owned.read(projectId, current.credentialId) : {});
      const desired = await plan(current, inline);
      const applied = await this.connections
        .transaction(async (manager) => {
          const credentialId = await this.credentialFor(manager, projectId, current.id, desired.secrets, current, actor);
          const updated = await this.connections.updateIfVersion(manager, projectId, current.id, current.version, {
            name: desired.name,
            description: desired.description,
            config: desired.config,
            enabled: desired.enabled,
            labels: desired.labels,
            credentialId,
            ownsCredential: desired.secrets.source === 'inline' && credentialId !== null,
            updatedAt: new Date(),
          });
          if (!updated) throw new LostRace();
          if (current.ownsCredential && current.credentialId && current.credentialId !== credentialId) {
            await this.owned.delete(manager, projectId, current.credentialId);
          }
        })
        .then(
          () => true,
          (error: unknown) => {
            if (error instanceof LostRace) return false;
            throw error;
          },
        );
      if (applied) {
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
      }
      if (ifMatch) throw preconditionFailed();
    }
    throw conflict('The connection kept changing while this update was applied; try again.');
  }

  /** Writes the owned credential a plan needs (inside the caller's transaction) and returns the id to point at. */
  private async credentialFor(
    manager: EntityManager,
    projectId: string,
    connectionId: string,
    plan: SecretsPlan,
    current: ConnectionEntity | null,
    actor: AuditActor,
  ): Promise<string | null> {
    if (plan.source === 'shared') return plan.credentialId;
    if (Object.keys(plan.secrets).length === 0) return null;
    if (current?.ownsCredential && current.credentialId) {
      if (plan.changed) await this.owned.replace(manager, projectId, current.credentialId, plan.secrets);
      return current.credentialId;
    }
    return this.owned.create(manager, projectId, connectionId, plan.secrets, actor.userId ?? null);
  }

  /**
   * Validates the config and plans where the secrets come from: a shared credential (whose
   * non-secret fields, e.g. username, may fill what the config leaves out, and which goes only
   * where the user may send it) or inline ones.
   */
  private async resolve(
    user: CredentialUser,
    definition: ConnectionTypeDefinition,
    rawConfig: unknown,
    credentialId: string | null,
    update: SecretsUpdate | undefined,
    existing?: { current: Secrets; previousConfig: ConnectionConfig },
  ): Promise<{ config: ConnectionConfig; secrets: SecretsPlan }> {
    const projectId = user.access.project.id;
    if (!credentialId) {
      const config = this.registry.validateConfig(definition.type, rawConfig);
      return {
        config,
        secrets: this.inlinePlan(definition, config, existing?.current ?? {}, update, existing !== undefined, existing?.previousConfig),
      };
    }
    if (update && Object.keys(update).length) {
      throw validationFailed([{ field: 'secrets', message: 'give either inline secrets or a credentialId, not both' }]);
    }
    const credential = await this.credentials.findShared(projectId, credentialId);
    if (!credential) throw validationFailed([{ field: 'credentialId', message: 'no such credential in this project' }]);
    if (!definition.credentialTypes.includes(credential.type)) {
      const usable = definition.credentialTypes.join(', ') || 'none';
      throw validationFailed([
        {
          field: 'credentialId',
          message: `a ${credential.type} credential cannot serve a ${definition.type} connection (usable: ${usable})`,
        },
      ]);
    }
    const config = this.validateWithCredentialFields(definition, rawConfig, credential.fields);
    const missing = definition.requiredSecrets(config).filter((name) => !credential.secretFields.includes(name));
    if (missing.length) throw validationFailed([{ field: 'credentialId', message: `the credential lacks ${missing.join(', ')}` }]);
    await this.sharedLocations.assertMayUse(user, definition, config, credential);
    return { config, secrets: { source: 'shared', credentialId: credential.id, secretFields: credential.secretFields } };
  }

  /** Validates as if the credential's fields were in the config, but stores only what the client gave. */
  private validateWithCredentialFields(
    definition: ConnectionTypeDefinition,
    rawConfig: unknown,
    fields: Record<string, string>,
  ): ConnectionConfig {
    if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig))
      return this.registry.validateConfig(definition.type, rawConfig);
    const given = rawConfig as ConnectionConfig;
    const filled = this.withCredentialFields(definition.type, given, fields);
    const config = this.registry.validateConfig(definition.type, filled);
    for (const name of Object.keys(filled)) if (!(name in given)) delete config[name];
    return config;
  }

  /**
   * Merges an inline secrets update into what is stored. When the connection now points
   * elsewhere (another location, or a weaker transport to it), a kept (masked or omitted)
   * secret would be sent to a new place: refused.
   */
  private inlinePlan(
    definition: ConnectionTypeDefinition,
    config: ConnectionConfig,
    current: Secrets,
    update: SecretsUpdate | undefined,
    isUpdate: boolean,
    previousConfig?: ConnectionConfig,
  ): SecretsPlan {
    const validated = this.registry.validateSecrets(definition.type, update ?? {}, { allowMask: isUpdate });
    const merged = mergeSecrets(current, validated);
    const missing = definition.requiredSecrets(config).filter((name) => merged.secrets[name] === undefined);
    if (missing.length) {
      throw validationFailed(
        missing.map((name) => ({ field: `secrets.${name}`, message: `is required for this ${definition.type} configuration` })),
      );
    }
    const elsewhere =
      previousConfig && pointsElsewhere(definition, { config: previousConfig, secrets: current }, { config, secrets: merged.secrets });
    const changed = elsewhere ? [...elsewhere.moved, ...elsewhere.weakened.map((name) => `${name} weakened`)] : [];
    if (changed.length && merged.kept.length) {
      throw new AppError(
        ErrorCode.UNPROCESSABLE,
        `The connection now points elsewhere (${changed.join(', ')}): re-enter ${merged.kept.join(', ')} (or set them to null) so stored secrets are not sent to a new place.`,
      );
    }
    return { source: 'inline', secrets: merged.secrets, changed: merged.changed };
  }

  /** On a replace (`isUpdate`) a uri may carry the mask it was shown with: that secret is kept. */
  private parseBody(
    dto: CreateConnectionDto,
    isUpdate: boolean,
  ): { type: ConnectionType; config: unknown; secrets: SecretsUpdate | undefined } {
    if (dto.uri !== undefined) {
      if (dto.config !== undefined) throw validationFailed([{ field: 'uri', message: 'give either uri or config, not both' }]);
      const parsed = this.registry.parseUri(dto.uri, { allowMask: isUpdate });
      if (dto.type && dto.type !== parsed.type)
        throw validationFailed([{ field: 'type', message: `does not match the uri, which is ${parsed.type}` }]);
      return { type: parsed.type, config: parsed.config, secrets: { ...parsed.secrets, ...dto.secrets } };
    }
    const errors = [
      ...(dto.type ? [] : [{ field: 'type', message: 'type is required (or give a uri)' }]),
      ...(dto.config ? [] : [{ field: 'config', message: 'config is required (or give a uri)' }]),
    ];
    if (errors.length) throw validationFailed(errors);
    return { type: dto.type!, config: dto.config, secrets: dto.secrets };
  }

  private assertSameType(current: ConnectionType, requested: ConnectionType): void {
    if (current !== requested)
      throw validationFailed([{ field: 'type', message: `the type of a connection cannot change (it is ${current}); create a new one` }]);
  }

  private async getMasked(projectId: string, id: string): Promise<ConnectionDto> {
    const connection = await this.require(projectId, id);
    return this.toDto(connection, maskSecrets(connection.secretFields));
  }

  private target(connection: ConnectionEntity) {
    return { type: 'connection', id: connection.id, name: connection.name };
  }

  private toDto(connection: ConnectionWithSecretFields, secrets?: Record<string, string>): ConnectionDto {
    const definition = this.registry.validateType(connection.type);
    const usable = new Set(definition.secretFields.map((field) => field.name));
    const secretFields = connection.ownsCredential ? connection.secretFields : connection.secretFields.filter((name) => usable.has(name));
    return {
      id: connection.id,
      projectId: connection.projectId,
      name: connection.name,
      type: connection.type,
      description: connection.description,
      config: connection.config,
      credentialId: connection.ownsCredential ? null : connection.credentialId,
      secretFields,
      // Absent (undefined) unless revealed or masked; no spread, which would take V8 off its fast object-literal path.
      secrets: secrets && Object.fromEntries(Object.entries(secrets).filter(([name]) => secretFields.includes(name))),
      enabled: connection.enabled,
      labels: connection.labels,
      uri: this.registry.formatUri(connection.type, connection.config, secretFields) ?? null,
      version: connection.version,
      createdAt: connection.createdAt.toISOString(),
      updatedAt: connection.updatedAt.toISOString(),
      createdBy: connection.createdBy,
    };
  }
}
