import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, MemoryRateLimits, RateLimits } from '@switchboard/common';
import { DataSource } from 'typeorm';
import { PostgresRateLimits } from './postgres-rate-limits';

/** Limits count where every instance sees them: PostgreSQL, or memory when SQLite means one instance. */
export const RATE_LIMITS_PROVIDER: Provider = {
  provide: RateLimits,
  inject: [APP_CONFIG, DataSource],
  useFactory: (config: AppConfig, dataSource: DataSource): RateLimits =>
    config.database.driver === 'postgres' ? new PostgresRateLimits(dataSource) : new MemoryRateLimits(),
};
