import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@switchboard/common';
import { ConnectionTypeRegistry } from './connection-type-registry';
import { ConnectorRegistry } from './connector-registry';
import { EgressGuard } from './egress/egress-guard';
import { egressPolicyFor } from './egress/egress-config';
import { SessionCache } from './sessions/session-cache';
import { CONNECTION_TYPE_DEFINITIONS, SUPPORTED_CONNECTION_TYPES } from './supported-types';

/** Connection types (from SUPPORTED_CONNECTION_TYPES), their validation and their connectors. */
@Module({
  providers: [
    { provide: ConnectionTypeRegistry, useFactory: () => new ConnectionTypeRegistry(CONNECTION_TYPE_DEFINITIONS) },
    { provide: EgressGuard, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new EgressGuard(egressPolicyFor(config)) },
    // Construction checks every connector against its definition, so a mismatch stops the boot.
    {
      provide: ConnectorRegistry,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ConnectorRegistry.create(SUPPORTED_CONNECTION_TYPES, config),
    },
    { provide: SessionCache, useFactory: () => new SessionCache() },
  ],
  exports: [ConnectionTypeRegistry, ConnectorRegistry, EgressGuard, SessionCache],
})
export class ConnectorsModule {}
