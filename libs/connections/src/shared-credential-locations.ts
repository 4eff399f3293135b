import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { forbidden } from '@switchboard/common';
import type { ConnectionConfig, ConnectionTypeDefinition } from '@switchboard/connectors';
import type { ProjectAccess } from '@switchboard/projects';
import { isDeepStrictEqual } from 'node:util';
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
 * connections that use it. Sending it anywhere else hands its secrets to whoever listens
 * there, which is revealing them: that needs secrets:reveal.
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
    if (user.access.scopes.includes('secrets:reveal')) return;
    const projectId = user.access.project.id;
    const location = locationOf(definition, config);
    const bound = await this.connections.locationsOfCredential(projectId, credential.id);
    if (bound.some((used) => used.type === definition.type && isDeepStrictEqual(locationOf(definition, used.config), location))) return;
    await this.audit.record({
      actor: user.actor,
      projectId,
      action: 'credential.use',
      target: { type: 'credential', id: credential.id, name: credential.name },
      outcome: 'denied',
      details: { via: user.action, connectionType: definition.type },
    });
    throw forbidden(
      `No connection of this project uses the credential "${credential.name}" at this ${definition.type} location ` +
        `(${definition.locationFields.join(', ')}); sending it to a new place needs the scope secrets:reveal.`,
    );
  }
}

function locationOf(definition: ConnectionTypeDefinition, config: ConnectionConfig): unknown[] {
  return definition.locationFields.map((field) => config[field]);
}
