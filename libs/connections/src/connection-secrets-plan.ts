import { Injectable } from '@nestjs/common';
import type { AuditActor } from '@switchboard/audit';
import { AppError, ErrorCode, validationFailed } from '@switchboard/common';
import {
  ConnectionConfig,
  ConnectionType,
  ConnectionTypeDefinition,
  ConnectionTypeRegistry,
  pointsElsewhere,
  Secrets,
  SecretsUpdate,
} from '@switchboard/connectors';
import { CredentialsService, mergeSecrets, OwnedSecretsStore } from '@switchboard/credentials';
import type { EntityManager } from 'typeorm';
import type { CreateConnectionDto } from './connection.dto';
import type { ConnectionEntity } from './connection.entity';
import { CredentialUser, SharedCredentialLocations } from './shared-credential-locations';
import { SSH_CREDENTIAL_FIELD, SshTunnelKeys } from './ssh-tunnel-keys';

/** Where a connection's secrets come from after a write. */
export type SecretsPlan =
  { source: 'shared'; credentialId: string; secretFields: string[] } | { source: 'inline'; secrets: Secrets; changed: boolean };

/** A validated config and where its secrets come from. */
export interface PlannedConfig {
  config: ConnectionConfig;
  secrets: SecretsPlan;
}

/** What an update starts from: the stored inline secrets and the config they were sent with. */
export interface StoredSecrets {
  current: Secrets;
  previousConfig: ConnectionConfig;
}

/** The config with the shared credential's non-secret fields (e.g. username) filled in where it leaves them out. */
export function withCredentialFields(
  definition: ConnectionTypeDefinition,
  config: ConnectionConfig,
  fields: Record<string, string>,
): ConnectionConfig {
  const supplied = definition.credentialFields.filter((name) => config[name] === undefined && typeof fields[name] === 'string');
  return { ...config, ...Object.fromEntries(supplied.map((name) => [name, fields[name]])) };
}

/** A shared credential's secrets that this type of connection uses. */
export function usableSecrets(definition: ConnectionTypeDefinition, secrets: Secrets): Secrets {
  const names = new Set(usableSecretNames(definition, Object.keys(secrets)));
  return Object.fromEntries(Object.entries(secrets).filter(([name]) => names.has(name)));
}

/** Which of a shared credential's secret names this type of connection uses. */
export function usableSecretNames(definition: ConnectionTypeDefinition, names: readonly string[]): string[] {
  return names.filter((name) => definition.secretFields.some((field) => field.name === name));
}

/**
 * The secrets rules of a connection write: which stored secrets are kept, cleared or re-encrypted,
 * and which changes are refused (a kept secret sent to a new place, a shared credential that
 * cannot serve the type or may not go there, inline secrets beside a credential).
 */
@Injectable()
export class ConnectionSecretsPlanner {
  constructor(
    private readonly registry: ConnectionTypeRegistry,
    private readonly credentials: CredentialsService,
    private readonly owned: OwnedSecretsStore,
    private readonly sharedLocations: SharedCredentialLocations,
    private readonly sshKeys: SshTunnelKeys,
  ) {}

  /** Type, config and secrets a create or PUT body gives; on a replace (`isUpdate`) a uri may carry the mask it was shown with: that secret is kept. */
  parseBody(dto: CreateConnectionDto, isUpdate: boolean): { type: ConnectionType; config: unknown; secrets: SecretsUpdate | undefined } {
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

  /**
   * Validates the config and plans where the secrets come from: a shared credential (whose
   * non-secret fields, e.g. username, may fill what the config leaves out, and which goes only
   * where the user may send it) or inline ones, merged into `stored` on an update. The
   * bastion's key may come from its own shared credential (sshTunnel.credentialId, SshTunnelKeys).
   */
  async plan(
    user: CredentialUser,
    definition: ConnectionTypeDefinition,
    rawConfig: unknown,
    credentialId: string | null,
    update: SecretsUpdate | undefined,
    stored?: StoredSecrets,
  ): Promise<PlannedConfig> {
    const projectId = user.access.project.id;
    if (!credentialId) {
      const validated = this.registry.validateConfig(definition.type, rawConfig);
      const secrets = this.inlinePlan(definition, validated, update, stored);
      const inline = {
        names: Object.keys(secrets.secrets),
        refusal: (name: string) => ({
          field: `secrets.${name}`,
          message: `is an SSH secret beside ${SSH_CREDENTIAL_FIELD}, which signs in to the bastion; give one or the other (null clears a stored one)`,
        }),
      };
      return { config: await this.sshKeys.plan(user, validated, inline), secrets };
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
    const fromCredential = {
      names: usableSecretNames(definition, credential.secretFields),
      refusal: (name: string) => ({
        field: 'credentialId',
        message: `holds ${name}, an SSH secret, while ${SSH_CREDENTIAL_FIELD} signs in to the bastion; give one or the other`,
      }),
    };
    return {
      config: await this.sshKeys.plan(user, config, fromCredential),
      secrets: { source: 'shared', credentialId: credential.id, secretFields: credential.secretFields },
    };
  }

  /**
   * Writes the owned credential a plan needs (inside the caller's transaction): sealed anew only
   * when the inline secrets changed. Returns the credential id the connection points at.
   */
  async write(
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

  /** After the connection points at `credentialId`, the credential it owned before goes if it is another. */
  async releaseReplaced(manager: EntityManager, projectId: string, previous: ConnectionEntity, credentialId: string | null): Promise<void> {
    if (previous.ownsCredential && previous.credentialId && previous.credentialId !== credentialId) {
      await this.owned.delete(manager, projectId, previous.credentialId);
    }
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
    const filled = withCredentialFields(definition, given, fields);
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
    update: SecretsUpdate | undefined,
    stored: StoredSecrets | undefined,
  ): Extract<SecretsPlan, { source: 'inline' }> {
    const current = stored?.current ?? {};
    const validated = this.registry.validateSecrets(definition.type, update ?? {}, { allowMask: stored !== undefined });
    const merged = mergeSecrets(current, validated);
    const missing = definition.requiredSecrets(config).filter((name) => merged.secrets[name] === undefined);
    if (missing.length) {
      throw validationFailed(
        missing.map((name) => ({ field: `secrets.${name}`, message: `is required for this ${definition.type} configuration` })),
      );
    }
    const elsewhere =
      stored && pointsElsewhere(definition, { config: stored.previousConfig, secrets: current }, { config, secrets: merged.secrets });
    const changed = elsewhere ? [...elsewhere.moved, ...elsewhere.weakened.map((name) => `${name} weakened`)] : [];
    if (changed.length && merged.kept.length) {
      throw new AppError(
        ErrorCode.UNPROCESSABLE,
        `The connection now points elsewhere (${changed.join(', ')}): re-enter ${merged.kept.join(', ')} (or set them to null) so stored secrets are not sent to a new place.`,
      );
    }
    return { source: 'inline', secrets: merged.secrets, changed: merged.changed };
  }
}
