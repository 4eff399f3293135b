import { Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@switchboard/common';
import type { ConnectionType } from './connection-type';
import { type Connector, CONNECTORS } from './connector';

/** The connector strategy of each type; a type without one cannot be tested (422). */
@Injectable()
export class ConnectorRegistry {
  private readonly byType: Map<ConnectionType, Connector>;

  constructor(@Inject(CONNECTORS) connectors: Connector[]) {
    this.byType = new Map(connectors.map((connector) => [connector.type, connector]));
  }

  require(type: ConnectionType): Connector {
    const connector = this.byType.get(type);
    if (!connector) throw new AppError(ErrorCode.UNSUPPORTED_OPERATION, `Testing ${type} connections is not supported yet.`);
    return connector;
  }
}
