import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { ConnectionUsageEntity } from './connection-usage.entity';

/**
 * A consumer name: a pipeline, DAG or job id. No slashes: it is a path segment, and at most
 * 100 characters, the longest path parameter Fastify routes (maxParamLength).
 */
export const CONSUMER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/;

export class PutUsageDto {
  @ApiPropertyOptional({ example: 'Nightly load into the warehouse', nullable: true, type: String, description: 'null: none.' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class UsageDto {
  @ApiProperty({ example: 'airflow:nightly_load' }) consumer: string;
  @ApiProperty({ example: 'Nightly load into the warehouse', nullable: true, type: String }) description: string | null;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-22T09:00:00.000Z' }) updatedAt: string;
}

export class UsageListDto {
  @ApiProperty({ type: [UsageDto] }) data: UsageDto[];
}

export const toUsageDto = (usage: ConnectionUsageEntity): UsageDto => ({
  consumer: usage.consumer,
  description: usage.description,
  createdAt: usage.createdAt.toISOString(),
  updatedAt: usage.updatedAt.toISOString(),
});
