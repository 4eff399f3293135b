import type { SupportedConnectionType } from '../connector';
import { GenericConnector } from './generic.connector';
import { genericDefinition } from './generic.definition';

export const genericType: SupportedConnectionType<'generic'> = {
  definition: genericDefinition,
  createConnector: () => new GenericConnector(),
};
