export * from './columns';
export * from './database-errors';
export * from './data-source-options';
export * from './database.module';
export * from './health/database.health';
export * from './health/health.controller';
export * from './json-row';
