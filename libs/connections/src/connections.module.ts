import { Module } from '@nestjs/common';
import { ConnectorsModule } from '@switchboard/connectors';
import { CredentialsModule } from '@switchboard/credentials';
import { FirstRunSample, ProjectsModule } from '@switchboard/projects';
import { ConnectionPortsModule } from './connection-ports.module';
import { ConnectionResolver } from './connection-resolver';
import { ConnectionSecretsPlanner } from './connection-secrets-plan';
import { ConnectionsController } from './connections.controller';
import { ConnectionsService } from './connections.service';
import { ConnectionsStoreModule } from './connections-store.module';
import { SampleConnection } from './sample/sample-connection';
import { SharedCredentialLocations } from './shared-credential-locations';
import { SshHostKeyPins } from './ssh-host-key-pins';
import { SshTunnelKeys } from './ssh-tunnel-keys';
import { ConnectionTypesController } from './types/connection-types.controller';
import { ConnectionTypesService } from './types/connection-types.service';
import { UsagesController } from './usages/usages.controller';
import { UsagesService } from './usages/usages.service';

@Module({
  imports: [ConnectionsStoreModule, ConnectionPortsModule, CredentialsModule, ConnectorsModule, ProjectsModule],
  controllers: [ConnectionTypesController, ConnectionsController, UsagesController],
  providers: [
    ConnectionsService,
    ConnectionSecretsPlanner,
    ConnectionResolver,
    SharedCredentialLocations,
    SshTunnelKeys,
    UsagesService,
    ConnectionTypesService,
    SshHostKeyPins,
    { provide: FirstRunSample, useClass: SampleConnection },
  ],
  exports: [ConnectionResolver, SshHostKeyPins],
})
export class ConnectionsModule {}
