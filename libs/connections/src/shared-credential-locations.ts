import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { forbidden } from '@switchboard/common';
import { compareBastions, ConnectionConfig, ConnectionTypeDefinition, pointsElsewhere, samePlace } from '@switchboard/connectors';
import { mayRevealSecrets } from '@switchboard/credentials';
import type { ProjectAccess } from '@switchboard/projects';
import { ConnectionsRepository } from './connections.repository';

/** Who wants to use a shared credential, and through which operation (named in the audit trail). */
export interface CredentialUser {
  actor: AuditActor;
  access: ProjectAccess;
  action: string;
}

/**
 * The "points elsewhere" rule for shared credentials. A shared credential is bound to the
 * locations (type and location fields, as the inline rule compares them) of the project's
 * connections that use it, each with the transport security it is sent with there. Sending
 * it anywhere else, or to the same place over a weaker transport (TLS off, no certificate or
 * host key check), hands its secrets to whoever listens there or on the way, which is
 * revealing them: that needs secrets:reveal.
 *
 * Bound locations rather than a credential-level list of allowed hosts: they need no new
 * state and cannot drift from where the project really sends the credential, compare every
 * location field (port, database, bucket...) like the inline rule, not a host alone, and an
 * editable allow-list would itself need this rule on every edit. The cost: the first use of a
 * new credential needs secrets:reveal, as a holder of credentials:write alone may not know the
 * secrets it keeps (an editor with their own secrets can give them inline).
 */
@Injectable()
export class SharedCredentialLocations {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly audit: AuditService,
  ) {}

  async assertMayUse(
    user: CredentialUser,
    definition: ConnectionTypeDefinition,
    config: ConnectionConfig,
    credential: { id: string; name: string },
  ): Promise<void> {
    if (mayRevealSecrets(user.access.scopes)) return;
    const projectId = user.access.project.id;
    const bound = await this.connections.locationsOfCredential(projectId, credential.id);
    // The credential's own secrets (a CA among them) serve every one of its connections: only the config differs.
    const differences = bound
      .filter((used) => used.type === definition.type)
      .map((used) => pointsElsewhere(definition, { config: used.config, secrets: {} }, { config, secrets: {} }));
    if (differences.some(samePlace)) return;
    const here = differences.find((difference) => difference.moved.length === 0);
    await this.refuse(
      user,
      credential,
      { connectionType: definition.type, ...(here && { weakened: here.weakened }) },
      here
        ? `The connections of this project send the credential "${credential.name}" to this ${definition.type} location ` +
            `only with stronger transport security (${here.weakened.join(', ')}); weakening it needs the scope secrets:reveal.`
        : `No connection of this project uses the credential "${credential.name}" at this ${definition.type} location ` +
            `(${definition.locationFields.join(', ')}); sending it to a new place needs the scope secrets:reveal.`,
    );
  }

  /**
   * The same rule for the bastion key of `config.sshTunnel.credentialId`: its location is the
   * bastion (sshTunnel host and port), its transport security the bastion's pinned host key.
   */
  async assertMayUseAtBastion(user: CredentialUser, config: ConnectionConfig, credential: { id: string; name: string }): Promise<void> {
    if (mayRevealSecrets(user.access.scopes)) return;
    const bound = await this.connections.configsUsingSshCredential(user.access.project.id, credential.id);
    const differences = bound.map((used) => compareBastions(used, config));
    if (differences.some((difference) => !difference.moved && !difference.weakened)) return;
    const weakened = differences.some((difference) => !difference.moved);
    await this.refuse(
      user,
      credential,
      { sshTunnel: true, ...(weakened && { weakened: ['sshTunnel.hostKeyFingerprint'] }) },
      weakened
        ? `The connections of this project use the credential "${credential.name}" at this bastion only with its host key ` +
            'pinned (sshTunnel.hostKeyFingerprint); dropping or changing the pin needs the scope secrets:reveal.'
        : `No connection of this project signs in to this bastion (sshTunnel host, port) with the credential "${credential.name}"; ` +
            'sending it to a new place needs the scope secrets:reveal.',
    );
  }

  /** Audits the refusal, then throws it (403). */
  private async refuse(
    user: CredentialUser,
    credential: { id: string; name: string },
    details: Record<string, unknown>,
    message: string,
  ): Promise<never> {
    await this.audit.record({
      actor: user.actor,
      projectId: user.access.project.id,
      action: 'credential.use',
      target: { type: 'credential', id: credential.id, name: credential.name },
      outcome: 'denied',
      details: { via: user.action, ...details },
    });
    throw forbidden(message);
  }
}
