import type { SupportedConnectionType } from '../connector';
import { IcebergConnector } from './iceberg.connector';
import { icebergDefinition } from './iceberg.definition';

export const icebergType: SupportedConnectionType<'iceberg'> = {
  definition: icebergDefinition,
  createConnector: () => new IcebergConnector(),
};
