import { Injectable } from '@nestjs/common';
import type { AuditActor } from '@switchboard/audit';
import { notFound } from '@switchboard/common';
import { ConnectionTypeRegistry, ResolvedConnection, Secrets } from '@switchboard/connectors';
import { CredentialsService, OwnedSecretsStore } from '@switchboard/credentials';
import type { ProjectAccess } from '@switchboard/projects';
import { ConnectionSecretsPlanner, usableSecrets, withCredentialFields } from './connection-secrets-plan';
import type { CreateConnectionDto } from './connection.dto';
import type { ConnectionEntity } from './connection.entity';
import { ConnectionsRepository, ConnectionWithSecretFields } from './connections.repository';
import { assertLabels } from './labels';
import { SshTunnelKeys, withSshKey } from './ssh-tunnel-keys';

/** Connections as a connector uses them: config with credential fields filled in, and decrypted secrets. */
@Injectable()
export class ConnectionResolver {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly registry: ConnectionTypeRegistry,
    private readonly credentials: CredentialsService,
    private readonly owned: OwnedSecretsStore,
    private readonly planner: ConnectionSecretsPlanner,
    private readonly sshKeys: SshTunnelKeys,
  ) {}

  /**
   * A stored connection, from one query for the connection and its credential (every
   * introspection call and test).
   */
  async resolveForUse(projectId: string, ref: string): Promise<ResolvedConnection & { connection: ConnectionWithSecretFields }> {
    const found = await this.connections.findForUse(projectId, ref);
    if (!found) throw notFound('Connection');
    const { connection, credential, sshCredential } = found;
    const definition = this.registry.validateType(connection.type);
    const shared = connection.credentialId && !connection.ownsCredential ? credential : null;
    const secrets =
      credential && connection.credentialId ? this.owned.open(projectId, connection.credentialId, credential.secretEnvelope) : {};
    const sshKey =
      sshCredential && connection.sshCredentialId
        ? { fields: sshCredential.fields, secrets: this.owned.open(projectId, connection.sshCredentialId, sshCredential.secretEnvelope) }
        : null;
    const used = withSshKey(
      {
        config: withCredentialFields(definition, connection.config, shared?.fields ?? {}),
        secrets: shared ? usableSecrets(definition, secrets) : secrets,
      },
      sshKey,
    );
    return {
      connection,
      // Shared credentials' secrets can change without the connection's version moving.
      generation: `${connection.version}.${shared?.version ?? 0}.${sshCredential?.version ?? 0}`,
      type: connection.type,
      ...used,
    };
  }

  /** A create body validated and checked like a create, resolved but not stored (test a draft). */
  async resolveDraft(actor: AuditActor, access: ProjectAccess, dto: Omit<CreateConnectionDto, 'name'>): Promise<ResolvedConnection> {
    const projectId = access.project.id;
    const body = this.planner.parseBody(dto as CreateConnectionDto, false);
    assertLabels(dto.labels ?? {}); // not used by a test, but refused as a create would refuse them
    const definition = this.registry.validateType(body.type);
    const user = { actor, access, action: 'connection.test' };
    const { config, secrets } = await this.planner.plan(user, definition, body.config, dto.credentialId ?? null, body.secrets);
    const sshKey = await this.sshKeys.read(projectId, config);
    if (secrets.source === 'inline') return { type: body.type, ...withSshKey({ config, secrets: secrets.secrets }, sshKey) };
    const credential = (await this.credentials.findShared(projectId, secrets.credentialId))!;
    const shared = await this.credentials.readSecrets(projectId, credential.id);
    const used = { config: withCredentialFields(definition, config, credential.fields), secrets: usableSecrets(definition, shared) };
    return { type: body.type, ...withSshKey(used, sshKey) };
  }

  /** The secrets the stored connection would use, decrypted: inline ones, or its shared credential's. */
  async secretsOf(connection: ConnectionEntity): Promise<Secrets> {
    if (!connection.credentialId) return {};
    if (connection.ownsCredential) return this.owned.read(connection.projectId, connection.credentialId);
    const shared = await this.credentials.readSecrets(connection.projectId, connection.credentialId);
    return usableSecrets(this.registry.validateType(connection.type), shared);
  }
}
