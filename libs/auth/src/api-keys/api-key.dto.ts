import { PageDtoOf } from '@switchboard/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDateString, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { type Scope, SCOPES } from '../scopes/scopes';
import { ApiKeyEntity } from './api-key.entity';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'nightly-pipeline' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['connections:read', 'connections:test'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes: Scope[];

  @ApiPropertyOptional({
    example: '2027-01-01T00:00:00.000Z',
    nullable: true,
    type: String,
    description: 'ISO-8601; omit it (or null) for a key that does not expire.',
  })
  @IsOptional()
  @IsDateString({ strict: true })
  expiresAt?: string | null;
}

export class ApiKeyDto {
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) id: string;
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000001' }) projectId: string;
  @ApiProperty({ example: 'nightly-pipeline' }) name: string;
  @ApiProperty({ example: 'sbk_Ab3dEf9h', description: 'The first characters of the key.' }) prefix: string;
  @ApiProperty({ enum: SCOPES, isArray: true, example: ['connections:read'] }) scopes: Scope[];
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000002' }) createdBy: string;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: null, nullable: true, type: String }) expiresAt: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z', nullable: true, type: String }) lastUsedAt: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ example: 'sbk_Ab3dEf9hIjKlMnOpQrStUvWxYz0123456789AbCd', description: 'Shown only in this response.' })
  key: string;
}

export class ApiKeyPageDto extends PageDtoOf(ApiKeyDto) {}

export const toApiKeyDto = (key: ApiKeyEntity): ApiKeyDto => ({
  id: key.id,
  projectId: key.projectId,
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes,
  createdBy: key.createdBy,
  createdAt: key.createdAt.toISOString(),
  expiresAt: key.expiresAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
});
