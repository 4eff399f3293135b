import type { SupportedConnectionType } from '../connector';
import { MysqlConnector } from './mysql.connector';
import { mysqlDefinition } from './mysql.definition';

export const mysqlType: SupportedConnectionType<'mysql'> = {
  definition: mysqlDefinition,
  createConnector: () => new MysqlConnector(),
};
