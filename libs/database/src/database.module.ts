import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig, RateLimits } from '@switchboard/common';
import { DataSourceOptions } from 'typeorm';
import { createDataSource, dataSourceOptions } from './data-source-options';
import { InstanceEvents } from './events/instance-events';
import { DatabaseHealth } from './health/database.health';
import { HealthController } from './health/health.controller';
import { preparePrivateSqliteFile } from './private-sqlite-file';
import { RATE_LIMITS_PROVIDER } from './rate-limit/rate-limits.provider';

/** Global: any module may publish or hear instance events, and count rate limits. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.database),
        autoLoadEntities: true,
        retryAttempts: 2,
        retryDelay: 1_000,
      }),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        if (options!.type === 'better-sqlite3') preparePrivateSqliteFile(options!.database);
        return createDataSource(options!);
      },
    }),
  ],
  controllers: [HealthController],
  providers: [DatabaseHealth, InstanceEvents, RATE_LIMITS_PROVIDER],
  exports: [DatabaseHealth, InstanceEvents, RateLimits],
})
export class DatabaseModule {}
