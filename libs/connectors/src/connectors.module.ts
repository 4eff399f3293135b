import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@switchboard/common';
import { CONNECTORS } from './connector';
import { ConnectorRegistry } from './connector-registry';
import { EgressGuard } from './egress/egress-guard';
import { egressPolicyFor } from './egress/egress-config';
import { GenericConnector } from './generic/generic.connector';
import { HttpConnector } from './http/http.connector';
import { MysqlConnector } from './mysql/mysql.connector';
import { PostgresConnector } from './postgres/postgres.connector';
import { CONNECTION_TYPE_DEFINITIONS, ConnectionTypeRegistry } from './connection-type-registry';
import { SessionCache } from './sessions/session-cache';
import { S3Connector } from './s3/s3.connector';
import { SftpConnector } from './sftp/sftp.connector';
import { SmtpConnector } from './smtp/smtp.connector';
import { SqliteConnector } from './sqlite/sqlite.connector';

/** Connection types, their validation and their connectors (one line each, all under CONNECTORS). */
@Module({
  providers: [
    { provide: ConnectionTypeRegistry, useFactory: () => new ConnectionTypeRegistry(CONNECTION_TYPE_DEFINITIONS) },
    { provide: EgressGuard, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new EgressGuard(egressPolicyFor(config)) },
    {
      provide: CONNECTORS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => [
        new PostgresConnector(),
        new MysqlConnector(),
        new SqliteConnector(config.sqliteRoot),
        new HttpConnector(),
        new SftpConnector(),
        new S3Connector(),
        new SmtpConnector(),
        new GenericConnector(),
      ],
    },
    ConnectorRegistry,
    { provide: SessionCache, useFactory: () => new SessionCache() },
  ],
  exports: [ConnectionTypeRegistry, ConnectorRegistry, EgressGuard, SessionCache],
})
export class ConnectorsModule {}
