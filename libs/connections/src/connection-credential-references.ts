import { Global, Injectable, Module } from '@nestjs/common';
import { ConnectorsModule, SessionCache } from '@switchboard/connectors';
import { CredentialReferences } from '@switchboard/credentials';
import { ConnectionsRepository } from './connections.repository';
import { ConnectionsStoreModule } from './connections-store.module';

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

/**
 * Provides the CredentialReferences port that credentials owns. Global because its consumer,
 * the credentials module, sits below connections and cannot import it.
 */
@Global()
@Module({
  imports: [ConnectionsStoreModule, ConnectorsModule],
  providers: [{ provide: CredentialReferences, useClass: ConnectionCredentialReferences }],
  exports: [CredentialReferences],
})
export class ConnectionCredentialReferencesModule {}
