import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectorsModule } from '@switchboard/connectors';
import { CredentialReferences, CredentialsModule } from '@switchboard/credentials';
import { FirstRunSample } from '@switchboard/projects';
import { ConnectionCredentialReferences } from './connection-credential-references';
import { ConnectionEntity } from './connection.entity';
import { ConnectionsController } from './connections.controller';
import { ConnectionsRepository } from './connections.repository';
import { ConnectionsService } from './connections.service';
import { SampleConnection } from './sample/sample-connection';
import { SharedCredentialLocations } from './shared-credential-locations';
import { SshHostKeyPins } from './ssh-host-key-pins';
import { ConnectionTypesController } from './types/connection-types.controller';
import { ConnectionTypesService } from './types/connection-types.service';
import { ConnectionUsageEntity } from './usages/connection-usage.entity';
import { UsagesController } from './usages/usages.controller';
import { UsagesService } from './usages/usages.service';

export const CONNECTION_ENTITIES = [ConnectionEntity, ConnectionUsageEntity];

@Module({
  imports: [CredentialsModule, ConnectorsModule, TypeOrmModule.forFeature(CONNECTION_ENTITIES)],
  controllers: [ConnectionTypesController, ConnectionsController, UsagesController],
  providers: [
    ConnectionsRepository,
    ConnectionsService,
    SharedCredentialLocations,
    UsagesService,
    ConnectionTypesService,
    SshHostKeyPins,
    { provide: CredentialReferences, useClass: ConnectionCredentialReferences },
    { provide: FirstRunSample, useClass: SampleConnection },
  ],
  exports: [ConnectionsService, SshHostKeyPins],
})
export class ConnectionsModule {}
