import type { ExampleObject, OpenAPIObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { CONNECTION_TYPE_DEFINITIONS, type ConnectionConfig, type ConnectionType, configSchemaName } from '@switchboard/connectors';

/** The request bodies that define a connection: create and replace, and a test of one not stored. */
const BODY_SCHEMAS = ['CreateConnectionDto', 'TestDraftDto'];

/**
 * Lets `type` select the config schema (if/then: a `oneOf` over the eight config schemas
 * matched several of them for one body), and states the two ways to give a connection the
 * service accepts: `type` + `config`, or a `uri` (its type, when given, must match). A class
 * decorator cannot say this of a whole schema, so the generated schema is completed here.
 */
function selectConfigByType(schema: SchemaObject): void {
  const config = schema.properties!.config as SchemaObject;
  delete config.oneOf;
  config.type = 'object';
  config.additionalProperties = true;
  // `false`: the property must not be there. @nestjs/swagger's SchemaObject type predates 3.1
  // (no boolean schemas, no if/then), hence the casts.
  schema.oneOf = [
    { title: 'By type and config', required: ['type', 'config'], properties: { uri: false } },
    { title: 'By URI', required: ['uri'], properties: { config: false } },
  ] as unknown as SchemaObject[];
  schema.allOf = CONNECTION_TYPE_DEFINITIONS.map(({ type, credentialFields }) => {
    const config = { properties: { config: { $ref: `#/components/schemas/${configSchemaName(type)}` } } };
    if (!credentialFields.length) return { if: { properties: { type: { const: type } }, required: ['type'] }, then: config };
    return {
      if: { properties: { type: { const: type } }, required: ['type'] },
      // With a shared credential, its fields (e.g. username) may fill what the config leaves out.
      then: {
        if: { properties: { credentialId: { type: 'string' } }, required: ['credentialId'] },
        then: { properties: { config: { $ref: `#/components/schemas/${configWithCredentialSchemaName(type)}` } } },
        else: config,
      },
    };
  }) as SchemaObject[];
}

const configWithCredentialSchemaName = (type: ConnectionType): string => `${configSchemaName(type)}WithCredential`;

/** `schema` with `names` required nowhere in it (top level or in conditional branches). */
function withoutRequired(schema: unknown, names: readonly string[]): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withoutRequired(item, names));
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) =>
      key === 'required' && Array.isArray(value)
        ? [key, value.filter((name) => !names.includes(name as string))]
        : [key, withoutRequired(value, names)],
    ),
  );
}

/** One body per type that is accepted as it is (its schema's own example, the secrets it needs), and one by URI. */
export function connectionBodyExamples(named: boolean): Record<string, ExampleObject> {
  const examples: Record<string, ExampleObject> = {};
  for (const definition of CONNECTION_TYPE_DEFINITIONS) {
    const config = (definition.configSchema.examples as ConnectionConfig[])[0];
    const secretNames = new Set(definition.requiredSecrets(config));
    if (definition.secretFields.some((field) => field.name === 'password')) secretNames.add('password');
    const secrets = Object.fromEntries([...secretNames].map((name) => [name, 'change-me']));
    examples[definition.type] = {
      summary: `${definition.label}, by config`,
      value: { ...(named ? { name: `${definition.type}-example` } : {}), type: definition.type, config, secrets },
    };
  }
  examples.uri = {
    summary: 'PostgreSQL, by URI',
    value: { ...(named ? { name: 'uri-example' } : {}), uri: 'postgresql://reporter:change-me@db.internal.example.com:5432/analytics' },
  };
  return examples;
}

/** Completes the connection bodies of the generated document: config selected by type, and examples. */
export function documentConnectionBodies(document: OpenAPIObject): void {
  const schemas = document.components!.schemas!;
  for (const { type, credentialFields } of CONNECTION_TYPE_DEFINITIONS) {
    if (!credentialFields.length) continue;
    const config = withoutRequired(schemas[configSchemaName(type)], credentialFields) as SchemaObject;
    schemas[configWithCredentialSchemaName(type)] = {
      ...config,
      title: `${config.title} with a shared credential supplying ${credentialFields.join(', ')}`,
    };
  }
  for (const name of BODY_SCHEMAS) selectConfigByType(schemas[name] as SchemaObject);
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.post, item.put]) {
      const media =
        operation?.requestBody && 'content' in operation.requestBody ? operation.requestBody.content['application/json'] : undefined;
      const ref = (media?.schema as ReferenceObject | undefined)?.$ref?.split('/').pop();
      if (!media || !ref || !BODY_SCHEMAS.includes(ref)) continue;
      media.examples = connectionBodyExamples('name' in ((schemas[ref] as SchemaObject).properties ?? {}));
    }
  }
}
