import type { ConnectionType, ConnectionTypeDefinition } from './connection-type';
import { databricksTunnelTarget } from './databricks/databricks.connector';
import { databricksType } from './databricks/databricks.type';
import { genericType } from './generic/generic.type';
import { httpType } from './http/http.type';
import { icebergType } from './iceberg/iceberg.type';
import { mysqlType } from './mysql/mysql.type';
import { postgresType } from './postgres/postgres.type';
import { s3Type } from './s3/s3.type';
import { sftpType } from './sftp/sftp.type';
import { smtpType } from './smtp/smtp.type';
import { sqliteType } from './sqlite/sqlite.type';
import { tunneled } from './ssh-tunnel/tunneled';
import { httpTunnelTarget } from './http/http.definition';

/**
 * Every connection type Switchboard knows, in the order clients see them. Adding one is a
 * folder (<type>.definition.ts, <type>.connector.ts, <type>.type.ts) and a line here: the
 * ConnectionType union, the registries, the Nest module and the OpenAPI document follow.
 * One type a line (hence prettier-ignore), so adding one is a one-line diff.
 */
// prettier-ignore
export const SUPPORTED_CONNECTION_TYPES = [
  tunneled(postgresType),
  tunneled(mysqlType),
  sqliteType,
  tunneled(httpType, httpTunnelTarget),
  tunneled(sftpType),
  s3Type,
  tunneled(smtpType),
  tunneled(genericType),
  icebergType,
  tunneled(databricksType, databricksTunnelTarget),
] as const;

export const CONNECTION_TYPE_DEFINITIONS: readonly ConnectionTypeDefinition[] = SUPPORTED_CONNECTION_TYPES.map(
  ({ definition }) => definition,
);

export const CONNECTION_TYPES: readonly ConnectionType[] = CONNECTION_TYPE_DEFINITIONS.map(({ type }) => type);
