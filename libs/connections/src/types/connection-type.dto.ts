import { ApiProperty } from '@nestjs/swagger';
import { CAPABILITIES, CONNECTION_TYPES, CREDENTIAL_TYPES, type ConnectionTypeDefinition } from '@switchboard/connectors';

export class SecretFieldDto {
  @ApiProperty({ example: 'password' }) name: string;
  @ApiProperty({ example: 'Password' }) label: string;
  @ApiProperty({ example: 'Password of the database user.' }) description: string;
  @ApiProperty({ example: false }) multiline: boolean;
}

export class ConnectionTypeDto {
  @ApiProperty({ enum: CONNECTION_TYPES, example: 'postgres' }) type: string;
  @ApiProperty({ example: 'PostgreSQL' }) label: string;
  @ApiProperty({ example: 'PostgreSQL 12 or later.' }) description: string;
  @ApiProperty({ example: { type: 'object', properties: { host: { type: 'string' } } }, description: 'JSON Schema of `config`.' })
  configSchema: Record<string, unknown>;
  @ApiProperty({ example: { port: 5432, sslMode: 'require' } }) defaults: Record<string, unknown>;
  @ApiProperty({ type: [SecretFieldDto] }) secretFields: SecretFieldDto[];
  @ApiProperty({ enum: CREDENTIAL_TYPES, isArray: true, example: ['basic'] }) credentialTypes: string[];
  @ApiProperty({ enum: CAPABILITIES, isArray: true, example: ['test', 'tables'] }) capabilities: string[];
  @ApiProperty({ example: ['host', 'port', 'database'], description: 'Changing these requires re-entering inline secrets.' })
  locationFields: string[];
  @ApiProperty({
    example: ['sslMode', 'tlsCa'],
    description:
      'Config fields and secrets that protect the traffic (TLS, certificate or host key checks); weakening them counts as a location change.',
  })
  transportSecurityFields: string[];
  @ApiProperty({ example: ['postgres', 'postgresql'], description: 'URI schemes accepted on create.' }) uriSchemes: string[];
}

export class ConnectionTypeListDto {
  @ApiProperty({ type: [ConnectionTypeDto] }) data: ConnectionTypeDto[];
}

export function toConnectionTypeDto(definition: ConnectionTypeDefinition): ConnectionTypeDto {
  const properties = (definition.configSchema.properties ?? {}) as Record<string, { default?: unknown }>;
  return {
    type: definition.type,
    label: definition.label,
    description: definition.description,
    configSchema: definition.configSchema,
    defaults: Object.fromEntries(
      Object.entries(properties).flatMap(([name, schema]) => (schema.default === undefined ? [] : [[name, schema.default]])),
    ),
    secretFields: definition.secretFields.map((field) => ({ ...field, multiline: field.multiline ?? false })),
    credentialTypes: definition.credentialTypes,
    capabilities: definition.capabilities,
    locationFields: definition.locationFields,
    transportSecurityFields: definition.transportSecurity.map((setting) => setting.name),
    uriSchemes: definition.uri?.schemes ?? [],
  };
}
