import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@switchboard/audit';
import { AuthModule } from '@switchboard/auth';
import { AppConfig, ConfigModule, MetricsModule } from '@switchboard/common';
import { CryptoModule } from '@switchboard/crypto';
import { DatabaseModule } from '@switchboard/database';
import { ProjectsModule } from '@switchboard/projects';
import { ConnectionsModule } from '@switchboard/connections';
import { IntrospectionModule } from '@switchboard/introspection';
import { MetricsApiModule } from './metrics/metrics-api.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        CryptoModule,
        DatabaseModule,
        AuditModule,
        AuthModule,
        ProjectsModule,
        ConnectionsModule,
        IntrospectionModule,
        MetricsApiModule,
      ],
    };
  }
}
