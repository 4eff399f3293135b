import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import type { Scope } from '@switchboard/auth';
import { forbidden } from '@switchboard/common';
import type { Secrets } from '@switchboard/connectors';

/** Whoever holds secrets:reveal may see a project's secrets, and so may also send them somewhere new. */
export const mayRevealSecrets = (scopes: readonly Scope[]): boolean => scopes.includes('secrets:reveal');

/** The one way plaintext secrets leave the service over the API: a credential's or a connection's. */
@Injectable()
export class SecretReveals {
  constructor(private readonly audit: AuditService) {}

  /** Needs secrets:reveal (403 otherwise); each reveal is audited as `<target type>.reveal`. */
  async reveal(
    actor: AuditActor,
    projectId: string,
    scopes: readonly Scope[],
    target: { type: 'credential' | 'connection'; id: string; name: string },
    read: () => Promise<Secrets>,
  ): Promise<Secrets> {
    if (!mayRevealSecrets(scopes)) throw forbidden('Revealing secrets needs the scope secrets:reveal.');
    const secrets = await read();
    await this.audit.record({ actor, projectId, action: `${target.type}.reveal`, target });
    return secrets;
  }
}
