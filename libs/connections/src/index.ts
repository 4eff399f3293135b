export * from './connection.entity';
export * from './connection.dto';
export * from './connections.service';
export * from './ssh-host-key-pins';
export * from './usages/connection-usage.entity';
export * from './connections.module';
export * from './connection-body.openapi';
