import { Injectable } from '@nestjs/common';
import { SessionCache } from '@switchboard/connectors';
import { CredentialReferences } from '@switchboard/credentials';
import { ConnectionsRepository } from './connections.repository';

@Injectable()
export class ConnectionCredentialReferences extends CredentialReferences {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly sessions: SessionCache,
  ) {
    super();
  }

  connectionsUsing(projectId: string, credentialId: string): Promise<string[]> {
    return this.connections.namesUsingCredential(projectId, credentialId);
  }

  async credentialChanged(projectId: string, credentialId: string): Promise<void> {
    for (const id of await this.connections.idsUsingCredential(projectId, credentialId)) this.sessions.evictConnection(id);
  }
}
