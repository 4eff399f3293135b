import type { SupportedConnectionType } from '../connector';
import { DatabricksConnector } from './databricks.connector';
import { databricksDefinition } from './databricks.definition';

export const databricksType: SupportedConnectionType<'databricks'> = {
  definition: databricksDefinition,
  createConnector: () => new DatabricksConnector(),
};
