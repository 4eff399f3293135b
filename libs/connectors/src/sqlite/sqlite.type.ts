import type { SupportedConnectionType } from '../connector';
import { SqliteConnector } from './sqlite.connector';
import { sqliteDefinition } from './sqlite.definition';

export const sqliteType: SupportedConnectionType<'sqlite'> = {
  definition: sqliteDefinition,
  createConnector: (config) => new SqliteConnector(config.sqliteRoot),
};
