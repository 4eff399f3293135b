import { Injectable } from '@nestjs/common';
import { CredentialReferences } from '@switchboard/credentials';
import { ConnectionsRepository } from './connections.repository';

@Injectable()
export class ConnectionCredentialReferences extends CredentialReferences {
  constructor(private readonly connections: ConnectionsRepository) {
    super();
  }

  connectionsUsing(projectId: string, credentialId: string): Promise<string[]> {
    return this.connections.namesUsingCredential(projectId, credentialId);
  }
}
