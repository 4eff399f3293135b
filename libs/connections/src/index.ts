export * from './connection.entity';
export * from './connection.dto';
export * from './connections.service';
export * from './connection-resolver';
export * from './usages/connection-usage.entity';
export * from './connections-store.module';
export * from './connections.module';
export * from './connection-body.openapi';
