import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectionEntity } from './connection.entity';
import { ConnectionsRepository } from './connections.repository';
import { ConnectionUsageEntity } from './usages/connection-usage.entity';
import { UsagesRepository } from './usages/usages.repository';

export const CONNECTION_ENTITIES = [ConnectionEntity, ConnectionUsageEntity];

/** The connections tables, for the connections module and the port it answers credentials through. */
@Module({
  imports: [TypeOrmModule.forFeature(CONNECTION_ENTITIES)],
  providers: [ConnectionsRepository, UsagesRepository],
  exports: [ConnectionsRepository, UsagesRepository],
})
export class ConnectionsStoreModule {}
