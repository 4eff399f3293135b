import type { AppConfig } from '@switchboard/common';
import { DataSource, DataSourceOptions, MixedList } from 'typeorm';
import { TIMESTAMP } from './columns';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';

type EntityList = MixedList<string | Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type

/** Connection options per driver; migrations run at start, synchronize never does. */
export function dataSourceOptions(database: AppConfig['database'], entities: EntityList = []): DataSourceOptions {
  const common = { entities, migrationsRun: true, synchronize: false, migrationsTransactionMode: 'each' as const };
  if (database.driver === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: database.url,
      migrations: POSTGRES_MIGRATIONS,
      extra: { max: 10, connectionTimeoutMillis: 5_000, application_name: 'switchboard' },
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    enableWAL: true,
    timeout: 5_000,
    migrations: SQLITE_MIGRATIONS,
  };
}

/** Builds (not initializes) a DataSource whose SQLite driver accepts the shared timestamp type. */
export function createDataSource(options: DataSourceOptions): DataSource {
  const dataSource = new DataSource(options);
  const supported = dataSource.driver.supportedDataTypes as string[];
  if (!supported.includes(TIMESTAMP)) supported.push(TIMESTAMP);
  return dataSource;
}
