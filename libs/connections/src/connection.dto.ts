import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import {
  IsOptionalNotNull,
  NULLABLE_STRING_MAP,
  OBJECT_MAP,
  PageDtoOf,
  PageQueryDto,
  SLUG_MESSAGE,
  SLUG_PATTERN,
  STRING_MAP,
} from '@switchboard/common';
import {
  CONNECTION_TYPES,
  configSchemaName,
  type ConnectionConfig,
  type ConnectionType,
  type ConnectionTypeRegistry,
  type SecretsUpdate,
} from '@switchboard/connectors';
import type { ConnectionWithSecretFields } from './connections.repository';

const lowercase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** One of the types' config schemas (added to the document from the connectors lib). */
const CONFIG_SCHEMAS = CONNECTION_TYPES.map((type) => ({ $ref: `#/components/schemas/${configSchemaName(type)}` }));

const EXAMPLE_CONFIG = { host: 'db.internal', port: 5432, database: 'analytics', username: 'reader', sslMode: 'require' };

/** Create, and PUT (which replaces): by `config` (+ `secrets` or `credentialId`), or by `uri`. */
export class CreateConnectionDto {
  @ApiProperty({ example: 'warehouse', description: 'Unique in the project; lowercase letters, digits, hyphens.' })
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `name ${SLUG_MESSAGE}` })
  name: string;

  @ApiPropertyOptional({ enum: CONNECTION_TYPES, example: 'postgres', description: 'Required unless `uri` is given.' })
  @IsOptionalNotNull()
  @IsIn(CONNECTION_TYPES)
  type?: ConnectionType;

  @ApiPropertyOptional({
    example: 'postgresql://reader:s3cret@db.internal:5432/analytics?sslmode=require',
    description:
      'A connection string, parsed into config and secrets (instead of `config`). Types that take an SSH tunnel read it from ' +
      'the query parameters sshHost, sshPort, sshUser, sshHostKeyFingerprint and sshCredential (config.sshTunnel); SSH secrets ' +
      'never go in a URI: give them in `secrets`.',
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(4096)
  uri?: string;

  @ApiPropertyOptional({
    example: EXAMPLE_CONFIG,
    oneOf: CONFIG_SCHEMAS,
    description: "Non-secret settings, per the type's schema (also at GET /connection-types/{type}).",
  })
  @IsOptionalNotNull()
  @IsObject()
  config?: ConnectionConfig;

  @ApiPropertyOptional({
    ...NULLABLE_STRING_MAP,
    example: { password: 's3cret' },
    description: 'Inline secrets, stored encrypted. On updates "********" or omission keeps one, null clears it.',
  })
  @IsOptionalNotNull()
  @IsObject()
  secrets?: SecretsUpdate;

  @ApiPropertyOptional({
    example: '0193a5b2-0000-7000-8000-000000000009',
    nullable: true,
    type: String,
    description: 'A shared credential of this project, instead of inline secrets; null: none.',
  })
  @IsOptional()
  @IsUUID()
  credentialId?: string | null;

  @ApiPropertyOptional({ example: 'Analytics warehouse, read-only', nullable: true, type: String, description: 'null: none.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ example: true, default: true })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ ...STRING_MAP, example: { team: 'data', env: 'prod' } })
  @IsOptionalNotNull()
  @IsObject()
  labels?: Record<string, string>;
}

/** PATCH: JSON merge patch. `config` and `labels` merge key by key (null removes one). */
export class PatchConnectionDto {
  @ApiPropertyOptional({ example: 'warehouse-eu' })
  @IsOptionalNotNull()
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `name ${SLUG_MESSAGE}` })
  name?: string;

  @ApiPropertyOptional({ ...OBJECT_MAP, example: { host: 'db2.internal' } })
  @IsOptionalNotNull()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ ...NULLABLE_STRING_MAP, example: { password: 'n3w-s3cret' } })
  @IsOptionalNotNull()
  @IsObject()
  secrets?: SecretsUpdate;

  @ApiPropertyOptional({
    example: null,
    nullable: true,
    type: String,
    description: 'A shared credential; null switches to inline secrets.',
  })
  @ValidateIf((_: object, value: unknown) => value !== undefined && value !== null)
  @IsUUID()
  credentialId?: string | null;

  @ApiPropertyOptional({ example: 'Moved to the EU region', nullable: true, type: String, description: 'null clears it.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ example: false })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ ...NULLABLE_STRING_MAP, example: { env: 'staging', team: null } })
  @IsOptionalNotNull()
  @IsObject()
  labels?: Record<string, string | null>;
}

export const CONNECTION_SORTS = ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'type', '-type'] as const;
export type ConnectionSort = (typeof CONNECTION_SORTS)[number];

export class ConnectionListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CONNECTION_TYPES, example: 'postgres' })
  @IsOptional()
  @IsIn(CONNECTION_TYPES)
  type?: ConnectionType;

  @ApiPropertyOptional({ example: 'warehouse', description: 'Case-insensitive, in name and description.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;

  @ApiPropertyOptional({ type: Boolean, example: true })
  @IsOptional()
  @IsIn(['true', 'false'])
  enabled?: 'true' | 'false';

  @ApiPropertyOptional({ enum: CONNECTION_SORTS, example: '-updatedAt', default: 'name' })
  @IsOptional()
  @IsIn(CONNECTION_SORTS)
  sort?: ConnectionSort;
}

export class CloneConnectionDto {
  @ApiProperty({ example: 'warehouse-copy' })
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `name ${SLUG_MESSAGE}` })
  name: string;
}

export class DeleteConnectionQueryDto {
  @ApiPropertyOptional({ type: Boolean, example: false, description: 'Delete even while consumers use it.' })
  @IsOptional()
  @IsIn(['true', 'false'])
  force?: 'true' | 'false';
}

export class ConnectionDto {
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) id: string;
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000001' }) projectId: string;
  @ApiProperty({ example: 'warehouse' }) name: string;
  @ApiProperty({ enum: CONNECTION_TYPES, example: 'postgres' }) type: ConnectionType;
  @ApiProperty({ example: 'Analytics warehouse, read-only', nullable: true, type: String }) description: string | null;
  @ApiProperty({ ...OBJECT_MAP, example: EXAMPLE_CONFIG }) config: ConnectionConfig;
  @ApiProperty({ example: null, nullable: true, type: String, description: 'The shared credential used, if any.' }) credentialId:
    string | null;
  @ApiProperty({ example: ['password'], description: 'Names of the secrets that are set.' }) secretFields: string[];
  @ApiPropertyOptional({
    ...STRING_MAP,
    example: { password: '********' },
    description: 'Single reads only: masked, or values with ?reveal=true.',
  })
  secrets?: Record<string, string>;
  @ApiProperty({ example: true }) enabled: boolean;
  @ApiProperty({ ...STRING_MAP, example: { team: 'data' } }) labels: Record<string, string>;
  @ApiProperty({ example: 'postgresql://reader:********@db.internal:5432/analytics?sslmode=require', nullable: true, type: String })
  uri: string | null;
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) updatedAt: string;
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000002', nullable: true, type: String }) createdBy: string | null;
}

export class ConnectionPageDto extends PageDtoOf(ConnectionDto) {}

/**
 * A connection as the API shows it. `secrets` (masked or revealed) only for single reads; a shared
 * credential's secrets are listed only where the connection's type uses them.
 */
export function toConnectionDto(
  registry: ConnectionTypeRegistry,
  connection: ConnectionWithSecretFields,
  secrets?: Record<string, string>,
): ConnectionDto {
  const usable = registry.secretNames(connection.type);
  const secretFields = connection.ownsCredential ? connection.secretFields : connection.secretFields.filter((name) => usable.has(name));
  return {
    id: connection.id,
    projectId: connection.projectId,
    name: connection.name,
    type: connection.type,
    description: connection.description,
    config: connection.config,
    credentialId: connection.ownsCredential ? null : connection.credentialId,
    secretFields,
    // Absent (undefined) unless revealed or masked; no spread, which would take V8 off its fast object-literal path.
    secrets: secrets && Object.fromEntries(Object.entries(secrets).filter(([name]) => secretFields.includes(name))),
    enabled: connection.enabled,
    labels: connection.labels,
    uri: registry.formatUri(connection.type, connection.config, secretFields) ?? null,
    version: connection.version,
    createdAt: connection.createdAt.toISOString(),
    updatedAt: connection.updatedAt.toISOString(),
    createdBy: connection.createdBy,
  };
}
