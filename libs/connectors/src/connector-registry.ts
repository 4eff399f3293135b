import type { AppConfig } from '@switchboard/common';
import { CAPABILITIES, type Capability, type ConnectionType, type ConnectionTypeDefinition } from './connection-type';
import { CAPABILITY_METHODS, type Connector, type ConnectorWith, type SupportedConnectionType } from './connector';

/** A type's definition beside the connector made for it. */
export interface TypeConnector {
  definition: ConnectionTypeDefinition;
  connector: Connector;
}

/**
 * The connector of each type, checked at construction (start-up) against its definition: the
 * connector implements the method behind every capability the definition declares, and no
 * other. That check is what lets `find` hand out a connector with the method known to be there.
 */
export class ConnectorRegistry {
  private readonly byType = new Map<ConnectionType, TypeConnector>();

  static create(types: readonly SupportedConnectionType[], config: AppConfig): ConnectorRegistry {
    return new ConnectorRegistry(types.map((type) => ({ definition: type.definition, connector: type.createConnector(config) })));
  }

  constructor(entries: readonly TypeConnector[]) {
    const problems = entries.flatMap(capabilityProblems);
    if (problems.length) throw new Error(`Connectors do not match their connection type definitions:\n- ${problems.join('\n- ')}`);
    for (const entry of entries) {
      if (this.byType.has(entry.definition.type)) throw new Error(`Connection type ${entry.definition.type} has two connectors`);
      this.byType.set(entry.definition.type, entry);
    }
  }

  /** The connector of `type` if its definition declares `capability`; undefined answers 422 (the caller words it). */
  find<C extends Capability>(type: ConnectionType, capability: C): ConnectorWith<C> | undefined {
    const entry = this.byType.get(type);
    if (!entry?.definition.capabilities.includes(capability)) return undefined;
    return entry.connector as ConnectorWith<C>;
  }
}

function capabilityProblems({ definition, connector }: TypeConnector): string[] {
  const { type } = definition;
  if (connector.type !== type) return [`${type}: its connector is for ${connector.type}`];
  const problems: string[] = [];
  for (const capability of CAPABILITIES) {
    const method = CAPABILITY_METHODS[capability];
    const declared = definition.capabilities.includes(capability);
    const implemented = typeof connector[method] === 'function';
    if (declared && !implemented) problems.push(`${type}: declares capability ${capability}, but its connector has no ${method} method`);
    if (!declared && implemented)
      problems.push(`${type}: its connector implements ${method}, but the definition does not declare capability ${capability}`);
  }
  return problems;
}
