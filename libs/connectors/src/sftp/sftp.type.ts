import type { SupportedConnectionType } from '../connector';
import { SftpConnector } from './sftp.connector';
import { sftpDefinition } from './sftp.definition';

export const sftpType: SupportedConnectionType<'sftp'> = {
  definition: sftpDefinition,
  createConnector: () => new SftpConnector(),
};
