import type { SupportedConnectionType } from '../connector';
import { HttpConnector } from './http.connector';
import { httpDefinition } from './http.definition';

export const httpType: SupportedConnectionType<'http'> = {
  definition: httpDefinition,
  createConnector: () => new HttpConnector(),
};
