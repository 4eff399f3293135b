import { Module } from '@nestjs/common';
import { CONNECTION_TYPE_DEFINITIONS, ConnectionTypeRegistry } from './registry';

/** Connection types and their validation; schemas are compiled once, when the module starts. */
@Module({
  providers: [{ provide: ConnectionTypeRegistry, useFactory: () => new ConnectionTypeRegistry(CONNECTION_TYPE_DEFINITIONS) }],
  exports: [ConnectionTypeRegistry],
})
export class ConnectorsModule {}
