import { Global, Injectable, Module } from '@nestjs/common';
import { ConnectorsModule, SessionCache } from '@switchboard/connectors';
import { CredentialReferences } from '@switchboard/credentials';
import { ProjectTeardown } from '@switchboard/projects';
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

/** A deleted project's connections leave no session open to their targets. */
@Injectable()
export class ConnectionSessionsTeardown extends ProjectTeardown {
  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly sessions: SessionCache,
  ) {
    super();
  }

  async prepare(projectId: string): Promise<() => void> {
    const ids = await this.connections.idsInProject(projectId);
    return () => ids.forEach((id) => this.sessions.evictConnection(id));
  }
}

/**
 * Provides the ports that lower modules own and connections implements: CredentialReferences
 * (credentials) and ProjectTeardown (projects). Global because their consumers sit below
 * connections and cannot import it.
 */
@Global()
@Module({
  imports: [ConnectionsStoreModule, ConnectorsModule],
  providers: [
    { provide: CredentialReferences, useClass: ConnectionCredentialReferences },
    { provide: ProjectTeardown, useClass: ConnectionSessionsTeardown },
  ],
  exports: [CredentialReferences, ProjectTeardown],
})
export class ConnectionPortsModule {}
