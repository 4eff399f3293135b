import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsOptionalNotNull, NULLABLE_STRING_MAP, PageDtoOf, SLUG_MESSAGE, SLUG_PATTERN, STRING_MAP } from '@switchboard/common';
import { CREDENTIAL_TYPES, type CredentialType, type SecretsUpdate } from '@switchboard/connectors';
import type { CredentialEntity } from './credential.entity';

const lowercase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class CreateCredentialDto {
  @ApiProperty({ example: 'warehouse-reader', description: 'Unique in the project; lowercase letters, digits, hyphens.' })
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `name ${SLUG_MESSAGE}` })
  name: string;

  @ApiProperty({ enum: CREDENTIAL_TYPES, example: 'basic' })
  @IsIn(CREDENTIAL_TYPES)
  type: CredentialType;

  @ApiPropertyOptional({ example: 'Read-only warehouse login', nullable: true, type: String, description: 'null: none.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ ...STRING_MAP, example: { username: 'reader' }, description: 'Non-secret values (e.g. username).' })
  @IsOptionalNotNull()
  @IsObject()
  fields?: Record<string, string>;

  @ApiProperty({ ...STRING_MAP, example: { password: 's3cret' }, description: 'Secret values; never returned.' })
  @IsObject()
  secrets: Record<string, string>;
}

/** PUT: the whole credential again; a secret omitted or sent as "********" is kept, null clears it. */
export class ReplaceCredentialDto {
  @ApiProperty({ example: 'warehouse-reader' })
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `name ${SLUG_MESSAGE}` })
  name: string;

  @ApiPropertyOptional({ enum: CREDENTIAL_TYPES, example: 'basic', description: 'Cannot change; may be repeated.' })
  @IsOptionalNotNull()
  @IsIn(CREDENTIAL_TYPES)
  type?: CredentialType;

  @ApiPropertyOptional({ example: 'Read-only warehouse login', nullable: true, type: String, description: 'null: none.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ ...STRING_MAP, example: { username: 'reader' } })
  @IsOptionalNotNull()
  @IsObject()
  fields?: Record<string, string>;

  @ApiPropertyOptional({
    ...NULLABLE_STRING_MAP,
    example: { password: '********' },
    description: 'Omitted or "********" keeps a secret; null clears it.',
  })
  @IsOptionalNotNull()
  @IsObject()
  secrets?: SecretsUpdate;
}

/** PATCH: JSON merge patch; `fields` merge key by key (null removes one). */
export class PatchCredentialDto {
  @ApiPropertyOptional({ example: 'warehouse-reader-2' })
  @IsOptionalNotNull()
  @Transform(lowercase)
  @IsString()
  @Matches(SLUG_PATTERN, { message: `name ${SLUG_MESSAGE}` })
  name?: string;

  @ApiPropertyOptional({ example: 'Rotated in November', nullable: true, type: String, description: 'null clears it.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ ...NULLABLE_STRING_MAP, example: { username: 'reader2' } })
  @IsOptionalNotNull()
  @IsObject()
  fields?: Record<string, string | null>;

  @ApiPropertyOptional({ ...NULLABLE_STRING_MAP, example: { password: 'n3w-s3cret' } })
  @IsOptionalNotNull()
  @IsObject()
  secrets?: SecretsUpdate;
}

export class RevealQueryDto {
  @ApiPropertyOptional({ type: Boolean, example: false, description: 'Return secret values (needs secrets:reveal; audited).' })
  @IsOptional()
  @IsIn(['true', 'false'])
  reveal?: 'true' | 'false';
}

export class CredentialDto {
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) id: string;
  @ApiProperty({ example: 'warehouse-reader' }) name: string;
  @ApiProperty({ enum: CREDENTIAL_TYPES, example: 'basic' }) type: CredentialType;
  @ApiProperty({ example: 'Read-only warehouse login', nullable: true, type: String }) description: string | null;
  @ApiProperty({ ...STRING_MAP, example: { username: 'reader' } }) fields: Record<string, string>;
  @ApiProperty({ example: ['password'] }) secretFields: string[];
  @ApiProperty({ example: 'k1:6f1d0c…', nullable: true, type: String, description: 'Changes exactly when the secrets do.' })
  secretFingerprint: string | null;
  @ApiPropertyOptional({
    ...STRING_MAP,
    example: { password: '********' },
    description: 'Single reads only: masked, or values with ?reveal=true.',
  })
  secrets?: Record<string, string>;
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) updatedAt: string;
}

export class CredentialPageDto extends PageDtoOf(CredentialDto) {}

export const toCredentialDto = (credential: CredentialEntity, secrets?: Record<string, string>): CredentialDto => ({
  id: credential.id,
  name: credential.name,
  type: credential.type,
  description: credential.description,
  fields: credential.fields,
  secretFields: credential.secretFields,
  secretFingerprint: credential.secretFingerprint,
  ...(secrets && { secrets }),
  version: credential.version,
  createdAt: credential.createdAt.toISOString(),
  updatedAt: credential.updatedAt.toISOString(),
});
