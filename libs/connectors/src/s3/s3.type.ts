import type { SupportedConnectionType } from '../connector';
import { S3Connector } from './s3.connector';
import { s3Definition } from './s3.definition';

export const s3Type: SupportedConnectionType<'s3'> = {
  definition: s3Definition,
  createConnector: () => new S3Connector(),
};
