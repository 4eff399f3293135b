import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageDtoOf, PageQueryDto } from '@switchboard/common';
import type { AuditEventEntity } from './audit-event.entity';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'connection.update', description: 'An action, or a prefix ending in "." (e.g. "connection.").' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z_.]+$/, { message: 'action must be lowercase words joined by "." or "_"' })
  action?: string;

  @ApiPropertyOptional({ example: '2026-11-01T00:00:00.000Z', description: 'Events at or after this time.' })
  @IsOptional()
  @IsDateString({ strict: true })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00.000Z', description: 'Events before this time.' })
  @IsOptional()
  @IsDateString({ strict: true })
  to?: string;
}

export class AuditActorDto {
  @ApiProperty({ example: 'user', enum: ['user', 'apiKey', 'anonymous', 'system'] }) type: string;
  @ApiProperty({ example: '0193a5b2-0000-7000-8000-000000000002', nullable: true, type: String }) userId: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) apiKeyId: string | null;
  @ApiProperty({ example: 'ada@example.com', nullable: true, type: String }) label: string | null;
}

export class AuditEventDto {
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) id: string;
  @ApiProperty({ example: 'connection.update' }) action: string;
  @ApiProperty({ example: 'success', enum: ['success', 'failure', 'denied'] }) outcome: string;
  @ApiProperty({ type: AuditActorDto }) actor: AuditActorDto;
  @ApiProperty({ example: { type: 'connection', id: '0193a5b2-0000-7000-8000-000000000003', name: 'warehouse' } })
  target: { type: string; id: string | null; name: string | null };
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f81', nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ example: { fields: ['config.host'] }, nullable: true, type: Object }) details: Record<string, unknown> | null;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) createdAt: string;
}

export class AuditEventPageDto extends PageDtoOf(AuditEventDto) {}

export const toAuditEventDto = (event: AuditEventEntity): AuditEventDto => ({
  id: event.id,
  action: event.action,
  outcome: event.outcome,
  actor: { type: event.actorType, userId: event.actorUserId, apiKeyId: event.actorApiKeyId, label: event.actorLabel },
  target: { type: event.targetType, id: event.targetId, name: event.targetName },
  requestId: event.requestId,
  details: event.details,
  createdAt: event.createdAt.toISOString(),
});
