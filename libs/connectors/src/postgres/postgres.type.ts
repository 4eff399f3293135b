import type { SupportedConnectionType } from '../connector';
import { PostgresConnector } from './postgres.connector';
import { postgresDefinition } from './postgres.definition';

export const postgresType: SupportedConnectionType<'postgres'> = {
  definition: postgresDefinition,
  createConnector: () => new PostgresConnector(),
};
