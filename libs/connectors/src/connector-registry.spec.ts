import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { AppConfig } from '@switchboard/common';
import type { Capability } from './connection-type';
import type { Connector, TestResult } from './connector';
import { ConnectorRegistry } from './connector-registry';
import { postgresDefinition } from './postgres/postgres.definition';
import { SUPPORTED_CONNECTION_TYPES } from './supported-types';

const sqliteRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'connector-registry-'));
after(() => fs.rmSync(sqliteRoot, { recursive: true, force: true }));

const passed: TestResult = { success: true, message: 'ok', driver: 'fake', latencyMs: 0, stages: [] };
const rows = async () => [];

/** A postgres definition declaring `capabilities`, beside a connector with exactly `methods` (test is always there). */
function registryOf(capabilities: Capability[], methods: Partial<Connector>): ConnectorRegistry {
  const connector: Connector = { type: 'postgres', test: async () => passed, ...methods };
  return new ConnectorRegistry([{ definition: { ...postgresDefinition, capabilities }, connector }]);
}

describe('ConnectorRegistry', () => {
  it('accepts every supported type: each connector implements exactly what its definition declares', () => {
    const registry = ConnectorRegistry.create(SUPPORTED_CONNECTION_TYPES, { sqliteRoot } as AppConfig);
    for (const { definition } of SUPPORTED_CONNECTION_TYPES) {
      for (const capability of definition.capabilities)
        assert.ok(registry.find(definition.type, capability), `${definition.type} ${capability}`);
    }
  });

  it('refuses at construction a declared capability whose method the connector lacks', () => {
    assert.throws(
      () => registryOf(['test', 'databases', 'schemas'], { listDatabases: rows }),
      (error: Error) => {
        assert.match(error.message, /^Connectors do not match their connection type definitions:/);
        assert.match(error.message, /postgres: declares capability schemas, but its connector has no listSchemas method/);
        assert.doesNotMatch(error.message, /databases/);
        return true;
      },
    );
  });

  it('refuses at construction a connector method whose capability the definition does not declare', () => {
    assert.throws(
      () => registryOf(['test', 'databases'], { listDatabases: rows, listSchemas: rows }),
      /postgres: its connector implements listSchemas, but the definition does not declare capability schemas/,
    );
    assert.throws(
      () => registryOf(['databases'], { listDatabases: rows }),
      /implements test, but the definition does not declare capability test/,
    );
  });

  it('finds the connector for a declared capability only', () => {
    const listDatabases = rows;
    const registry = registryOf(['test', 'databases'], { listDatabases });
    assert.equal(registry.find('postgres', 'databases')?.listDatabases, listDatabases);
    assert.equal(registry.find('postgres', 'schemas'), undefined);
    assert.equal(registry.find('mysql', 'test'), undefined);
  });
});
