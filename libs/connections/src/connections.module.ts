import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectorsModule } from '@switchboard/connectors';
import { CredentialReferences, CredentialsModule } from '@switchboard/credentials';
import { ConnectionCredentialReferences } from './connection-credential-references';
import { ConnectionEntity } from './connection.entity';
import { ConnectionsController } from './connections.controller';
import { ConnectionsRepository } from './connections.repository';
import { ConnectionsService } from './connections.service';
import { SharedCredentialLocations } from './shared-credential-locations';
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
    { provide: CredentialReferences, useClass: ConnectionCredentialReferences },
  ],
  exports: [ConnectionsService],
})
export class ConnectionsModule {}
