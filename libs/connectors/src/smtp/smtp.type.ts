import type { SupportedConnectionType } from '../connector';
import { SmtpConnector } from './smtp.connector';
import { smtpDefinition } from './smtp.definition';

export const smtpType: SupportedConnectionType<'smtp'> = {
  definition: smtpDefinition,
  createConnector: () => new SmtpConnector(),
};
